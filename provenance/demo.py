"""The bundled sample web (provenance/sample_web/), served on 127.0.0.1.

The server is a forward HTTP proxy for the invented `.example` hosts: a client configured with
`proxy_url` as its HTTP proxy sends `GET http://www.meridianwire.example/world/... HTTP/1.1` and gets
the file `sample_web/www.meridianwire.example/world/....html`. A plain `GET /path` with a `Host`
header is answered the same way. Nothing else is served: no CONNECT (there is no https here), no
other hosts, nothing outside `sample_web/`.

URL -> file: `/` is `index.html`, a path ending in `/` is that folder's `index.html`, a path whose
last segment has a dot other than `.html` (`/robots.txt`) is the file itself, any other path gets
`.html` added. The query string is ignored. A bare `host.example` is redirected (301) to
`www.host.example` when only the latter exists, as real outlets do.
"""

from __future__ import annotations

import email.utils
import hashlib
import importlib.resources
import mimetypes
import os
import threading
import time
import urllib.robotparser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources.abc import Traversable
from urllib.parse import unquote, urlsplit

HOST_SUFFIX = ".example"  # every sample host ends so (RFC 2606: never resolves on the internet)
START_URLS = ("http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in",)


@dataclass(frozen=True)
class SampleWeb:
    proxy_url: str  # "http://127.0.0.1:PORT"; pass as the HTTP proxy
    start_urls: tuple[str, ...]  # the last derivative (the blog post)
    pages: tuple[str, ...]  # every article URL (no front pages, robots.txt or disallowed paths), sorted


def sample_root() -> Traversable:
    """The sample web's folder inside the installed package."""
    return importlib.resources.files("provenance") / "sample_web"


@contextmanager
def sample_web(root: Traversable | None = None) -> Iterator[SampleWeb]:
    """Serve the sample web (or another folder laid out the same way) on 127.0.0.1 (a free port)
    for the duration of the block."""
    root = root or sample_root()
    server = _SampleServer(("127.0.0.1", 0), _Handler, root)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="provenance-sample-web", daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        pages = article_urls(root)
        starts = START_URLS if root == sample_root() else pages
        yield SampleWeb(proxy_url=f"http://{host}:{port}", start_urls=starts, pages=pages)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def article_urls(root: Traversable | None = None) -> tuple[str, ...]:
    """URLs of the article pages: every .html file except front pages and robots-disallowed paths."""
    root = root or sample_root()
    urls = []
    for host_dir in root.iterdir():
        if not (host_dir.is_dir() and host_dir.name.endswith(HOST_SUFFIX)):
            continue
        robots = urllib.robotparser.RobotFileParser()
        robots_file = host_dir / "robots.txt"
        robots.parse(robots_file.read_text("utf-8").splitlines() if robots_file.is_file() else [])
        for rel in _html_files(host_dir):
            if rel == "index.html" or rel.endswith("/index.html"):
                continue
            url = f"http://{host_dir.name}/{rel.removesuffix('.html')}"
            if robots.can_fetch("*", url):
                urls.append(url)
    return tuple(sorted(urls))


def _html_files(folder: Traversable, prefix: str = "") -> Iterator[str]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _html_files(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".html"):
            yield prefix + entry.name


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


class _SampleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, root: Traversable) -> None:
        self.root = root
        self.started = time.time()
        super().__init__(address, handler)

    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up mid-reply is not worth a traceback on stderr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "provenance-sample-web"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall between
    server: _SampleServer

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: the demo prints its own output

    def do_GET(self) -> None:
        self._answer(self._lookup(), with_body=True)

    def do_HEAD(self) -> None:
        self._answer(self._lookup(), with_body=False)

    def _refuse(self) -> None:
        self.close_connection = True  # any request body is left unread
        self._answer(
            _Reply(405, f"{self.command} is not supported: the sample web is plain http, GET and HEAD only\n".encode(),
                   headers=(("Allow", "GET, HEAD"),)),
            with_body=True,
        )

    do_CONNECT = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse

    def _lookup(self) -> _Reply:
        target = self.path
        if target.startswith(("http://", "https://")):  # proxy form: absolute URI
            parts = urlsplit(target)
            if parts.scheme != "http":
                return _Reply(404, b"only http:// URLs are served\n")
            host, path = parts.hostname or "", parts.path or "/"
        else:  # origin form: the Host header names the site
            try:
                host = urlsplit("//" + (self.headers.get("Host") or "")).hostname or ""
            except ValueError:
                host = ""
            path = urlsplit(target).path or "/"
        host = host.lower().rstrip(".")
        if not host.endswith(HOST_SUFFIX):
            return _Reply(404, f"unknown host {host!r}: the sample web serves *{HOST_SUFFIX} only\n".encode())
        host_dir = self.server.root / host
        if not host_dir.is_dir():
            if not host.startswith("www.") and (self.server.root / f"www.{host}").is_dir():
                location = f"http://www.{host}{path}"
                return _Reply(301, f"moved to {location}\n".encode(), headers=(("Location", location),))
            return _Reply(404, f"unknown host {host!r}\n".encode())
        found = _file_for(host_dir, path)
        if found is None:
            return _Reply(404, f"not found: http://{host}{path}\n".encode())
        body, name = found.read_bytes(), found.name
        if name.endswith(".html"):
            content_type = "text/html; charset=utf-8"
        else:
            guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
            content_type = f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
        etag = f'"{hashlib.sha256(body).hexdigest()}"'
        modified = _mtime(found, self.server.started)
        headers = (("ETag", etag), ("Last-Modified", email.utils.formatdate(modified, usegmt=True)),
                   ("Cache-Control", "no-cache"))
        if _not_modified(self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, modified):
            return _Reply(304, headers=headers)
        return _Reply(200, body, content_type, headers)

    def _answer(self, reply: _Reply, *, with_body: bool) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != 304:
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if with_body and reply.status != 304:
            self.wfile.write(reply.body)


def _file_for(host_dir: Traversable, path: str) -> Traversable | None:
    """The file a URL path names, or None; never anything outside host_dir."""
    segments = unquote(path).split("/")[1:] if path.startswith("/") else []
    if not segments:
        return None
    *folders, last = segments
    if any(s in ("", ".", "..") or s.startswith(".") or "\\" in s for s in folders):
        return None
    if last == "":
        last = "index.html"
    elif last.startswith(".") or "\\" in last or last.endswith(".html"):
        return None  # URLs have no .html; /story.html is not /story
    elif "." not in last:
        last += ".html"
    node = host_dir
    for s in (*folders, last):
        node = node / s
    return node if node.is_file() else None


def _mtime(node: Traversable, default: float) -> float:
    try:
        return os.stat(os.fspath(node)).st_mtime  # a plain file when installed from a folder or wheel
    except (TypeError, OSError):
        return default  # e.g. a zipped package: the server's start time will do


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str, modified: float) -> bool:
    if if_none_match is not None:  # RFC 9110 13.1.2: If-None-Match wins over If-Modified-Since
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if if_modified_since:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(modified) <= since
    return False
