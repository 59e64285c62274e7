"""Shared fixtures. `site` is a real HTTP server on 127.0.0.1 with scripted replies and a log."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

import pytest

from provenance.fetch import FetchSettings

Route = Callable[[BaseHTTPRequestHandler], None]


class Seen(NamedTuple):
    """A request as the server saw it."""

    method: str
    path: str  # the request target: a path, or an absolute URL when we act as a proxy
    headers: dict[str, str]
    time: float  # time.monotonic() on arrival


class Site:
    """Routes by request target (exact, then without the query string); anything else is 404.

    `serve` answers like an ordinary server (Content-Length, keep-alive, 304 to a matching
    If-None-Match or If-Modified-Since when its headers carry ETag or Last-Modified). `route`
    hands the raw handler to a script for stalls, resets, bombs and status sequences; the
    connection closes after a script. Scripts that wait should wait on `site.stopping`, so the
    fixture can end them.
    """

    def __init__(self) -> None:
        self._routes: dict[str, tuple[Route, bool]] = {}
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self.port = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    @property
    def paths_requested(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = "text/html; charset=utf-8",
    ) -> None:
        extra = dict(headers or {})

        def reply(handler: BaseHTTPRequestHandler) -> None:
            if status == 200 and _not_modified(handler, extra):
                handler.send_response(304)
                for name, value in extra.items():
                    handler.send_header(name, value)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            handler.send_response(status)
            if content_type is not None:
                handler.send_header("Content-Type", content_type)
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)

        with self._lock:
            self._routes[path] = (reply, True)

    def route(self, path: str, fn: Route) -> None:
        with self._lock:
            self._routes[path] = (fn, False)

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(
                Seen(handler.command, handler.path, dict(handler.headers.items()), time.monotonic())
            )
            found = self._routes.get(handler.path) or self._routes.get(handler.path.split("?")[0])
        if found is None:
            handler.send_error(404)
            return
        fn, keep_alive = found
        if not keep_alive:
            handler.close_connection = True
        fn(handler)

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def _not_modified(handler: BaseHTTPRequestHandler, headers: dict[str, str]) -> bool:
    etag = headers.get("ETag")
    modified = headers.get("Last-Modified")
    if etag and handler.headers.get("If-None-Match"):
        return handler.headers["If-None-Match"] == etag
    return bool(modified) and handler.headers.get("If-Modified-Since") == modified


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-reply (the point of several tests) is not a server bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout)):
            super().handle_error(request, client_address)


def _handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site._dispatch(self)

        do_HEAD = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def allow_private() -> FetchSettings:
    """Settings for tests on the loopback site: private addresses allowed, no waiting."""
    return FetchSettings(allow_private=True, delay=0.0, backoff=0.01, timeout=(2.0, 2.0))


# ---------------------------------------------------------------------------- the published demo database

# A re-crawl that found a correction on Orbis Daily's article, so the database holds a second version
# of one article (the "changed articles" query and version counts have something to show). It goes
# through the real pipeline: `provenance ingest` of the page as re-fetched, under its own URL.
RECRAWLED_URL = "http://www.orbisdaily.example/defence/2025/03/04/kestria-reinforces-morvania-with-3000-troops"
CORRECTION = "Correction: An earlier version of this article misstated when the reinforcements arrived."


def recrawl_with_correction(path, folder) -> None:
    from click.testing import CliRunner

    from provenance.cli import cli
    from provenance.demo import sample_root

    page = sample_root().joinpath(*(RECRAWLED_URL.removeprefix("http://") + ".html").split("/"))  # the demo's URL -> file rule
    html = page.read_text(encoding="utf-8")
    end_of_body = '  </div>\n  <footer class="entry-footer">'
    assert html.count(end_of_body) == 1, f"{page}: the article body no longer ends as expected"
    saved = folder / "orbis-recrawled.html"
    saved.write_text(html.replace(end_of_body, f"    <p>{CORRECTION}</p>\n{end_of_body}"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", "--db", str(path), "--base-url", RECRAWLED_URL, str(saved)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def provenance_db(tmp_path_factory: pytest.TempPathFactory):
    """The demo crawl (`provenance demo --no-serve`), stored at provenance.db, then one article re-crawled
    with a correction. Everything in it comes from the pipeline: claims, sources, matches, chains.

    Datasette names the database "provenance" after the file. Tests must not write to it.
    """
    from click.testing import CliRunner

    from provenance.cli import cli

    folder = tmp_path_factory.mktemp("published")
    path = folder / "provenance.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    recrawl_with_correction(path, folder)
    return path
