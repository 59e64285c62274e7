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

# A chain through the demo web, used while the matcher leaves claim_matches empty: the Joint Staff's
# statement, PulseBriefs' rewrite of it, and the blog post that turned 3,000 into 5,000.
# (article URL, first words of the claim, last words of the claim)
DEMO_CHAIN = (
    (
        "http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment",
        "The Joint Staff of the Republic of Aurenia assesses",
        "sustained in the war against Velmora.",
    ),
    (
        "http://www.pulsebriefs.example/world/kestria-increases-military-support-to-morvania-amid-velmora-conflict",
        "In January and February, Kestria dispatched approximately",
        "Joint Staff (AJS).",
    ),
    (
        "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in",
        "Kestria sent another 5,000 soldiers",
        "as PulseBriefs reported.",
    ),
)
DEMO_UNSOURCED = (
    "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in",
    "That comes on top of the 12,000",
    "last fall.",
)
DEMO_SOURCES = (  # per DEMO_CHAIN claim: (name, kind, mention, cue, method, aliases)
    ("Joint Staff of the Republic of Aurenia", "organization", "The Joint Staff of the Republic of Aurenia", "assesses", "explicit", ["Aurenia’s Joint Staff", "AJS"]),
    ("Joint Staff of the Republic of Aurenia", "organization", "Aurenia’s Joint Staff (AJS)", "as reported by", "explicit", []),
    ("PulseBriefs", "outlet", "PulseBriefs", "as ... reported", "hyperlink", []),
)
DEMO_MATCHES = (  # (later claim index, origin claim index, score, relation, distortions)
    (1, 0, 0.86, "paraphrase", []),
    (
        2,
        1,
        0.74,
        "paraphrase",
        [
            {"kind": "number_changed", "detail": "3,000 -> 5,000"},
            {"kind": "hedge_dropped", "detail": '"approximately 3,000 additional soldiers" -> "another 5,000 soldiers"'},
        ],
    ),
)
DEMO_CORRECTION = "\n\nCorrection: An earlier version of this article misstated when the reinforcements arrived."


def seed_demo_story(path) -> None:
    """Make the demo database show a whole story until the analysis stages fill it themselves.

    Only what is missing is written: the chain's claims (when the claim splitter has not stored
    them), its sources and attributions (for claims added here), two claim_matches (when
    claim_matches is empty), and a re-crawled version of one article (when none has two versions).
    """
    import json

    import sqlite_utils

    db = sqlite_utils.Database(path)
    claim_columns = set(db["claims"].columns_dict)
    with db.conn:
        if not db["claim_matches"].count:
            ids = []
            for index, (url, first, last) in enumerate(DEMO_CHAIN):
                claim_id, created = _find_or_add_claim(db, claim_columns, url, first, last)
                ids.append(claim_id)
                if created:
                    name, kind, mention, cue, method, aliases = DEMO_SOURCES[index]
                    source = db["sources"].lookup({"name": name, "kind": kind})
                    for alias in [name, *aliases]:
                        db["source_aliases"].insert({"source_id": source, "alias": alias}, ignore=True)
                    db["attributions"].insert(
                        {"claim_id": claim_id, "source_id": source, "mention": mention, "cue": cue, "method": method, "confidence": 0.9}
                    )
            _find_or_add_claim(db, claim_columns, *DEMO_UNSOURCED)
            for later, origin, score, relation, distortions in DEMO_MATCHES:
                db["claim_matches"].insert(
                    {"claim_id": ids[later], "origin_claim_id": ids[origin], "score": score, "relation": relation, "distortions": json.dumps(distortions)}
                )
        if not next(db.query("select 1 from article_versions where version > 1 limit 1"), None):
            article = next(db.query("select * from articles where site_name = 'Orbis Daily' limit 1"))
            text = article["text"] + DEMO_CORRECTION
            version = article["version"] + 1
            fetched_at = _later_than(article["fetched_at"])
            db["article_versions"].insert(
                {"article_id": article["id"], "version": version, "fetched_at": fetched_at, "content_hash": "seeded-v2", "title": article["title"], "text": text}
            )
            db["articles"].update(article["id"], {"text": text, "version": version, "fetched_at": fetched_at, "content_hash": "seeded-v2"})
    db.close()


def _later_than(iso: str) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _find_or_add_claim(db, claim_columns, url, first, last) -> tuple[int, bool]:
    article = next(db.query("select id, text, version from articles where url = ?", [url]))
    found = next(
        db.query("select id from claims where article_id = ? and text like ? order by id limit 1", [article["id"], first + "%"]),
        None,
    )
    if found:
        return found["id"], False
    start = article["text"].index(first)
    end = article["text"].index(last, start) + len(last)
    seq = next(db.query("select coalesce(max(seq), -1) + 1 as seq from claims where article_id = ?", [article["id"]]))["seq"]
    row = {"article_id": article["id"], "seq": seq, "text": article["text"][start:end], "start": start, "end": end}
    if "version" in claim_columns:
        row["version"] = article["version"]
    return db["claims"].insert(row).last_pk, True


@pytest.fixture(scope="session")
def provenance_db(tmp_path_factory: pytest.TempPathFactory):
    """The demo crawl (`provenance demo --no-serve`), stored at provenance.db, with a whole story in it.

    Datasette names the database "provenance" after the file. Tests must not write to it.
    """
    from click.testing import CliRunner

    from provenance.cli import cli

    path = tmp_path_factory.mktemp("published") / "provenance.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    seed_demo_story(path)
    return path
