"""A hostile web on 127.0.0.1: one route for each fault a crawler meets (tests/test_reliability.py).

A real HTTP/1.1 server (http.server, a thread per connection), used in a thread by the tests:

    with FaultServer(robots="500") as web:
        web.url("/bomb/gzip")

or as a process for trying the crawler by hand (prints the port, serves until interrupted):

    python tests/faultserver.py [--robots allow|500|timeout|404] [--port N]

Handlers that wait (stalls, a robots.txt that never answers) wait on `stopping`, so `stop()`
ends them at once. Everything a client asked for is logged in `requests`, so a test can assert
on what the server saw (or that it saw nothing).
"""

from __future__ import annotations

import argparse
import re
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

Handler = BaseHTTPRequestHandler
MIB = 1 << 20
WAIT = 30.0  # a stall lasts this long at most, or until the server stops

# Every fault, with what it does. The outcome each must have is asserted in test_reliability.py.
FAULTS: dict[str, str] = {
    "/retry/429-then-ok": "429 with Retry-After: 1 on the first request, then an article",
    "/retry/503": "503 with Retry-After: 1, every time",
    "/stall/mid-body": "headers and half the declared body, then silence",
    "/reset": "a TCP reset (RST) instead of a response",
    "/bomb/gzip": "1 GiB of zeros as Content-Encoding: gzip (1 MB on the wire)",
    "/bomb/deflate": "1 GiB of zeros as Content-Encoding: deflate (zlib-wrapped)",
    "/bomb/deflate-raw": "1 GiB of zeros as raw RFC 1951 deflate, as some servers send it",
    "/bomb/gzip-gzip": "a gzip bomb gzipped again (Content-Encoding: gzip, gzip)",
    "/endless/chunked": "a chunked body that never ends",
    "/redirect/loop": "302 to /redirect/loop-back, which redirects here",
    "/redirect/chain/0": "a chain of 30 redirects ending at an article",
    "/redirect/loopback": "302 to `redirect_to` (another port on 127.0.0.1)",
    "/type/image": "an article served as image/png",
    "/type/json-as-html": "JSON served as text/html",
    "/huge/declared": "20 MB with a Content-Length saying so",
    "/huge/chunked": "20 MB chunked, no Content-Length",
    "/charset/lying": "says utf-8, is windows-1252 with invalid UTF-8 sequences",
    "/links/50k": "an article followed by 50,000 links",
    "/title/1mb": "an article whose <title> is 1 MB",
    "/title/ansi": "an article whose title carries ANSI escapes and control characters",
    "/empty": "200 with an empty body",
    "/nested/deep": "an article wrapped in 100,000 nested <div> tags",
}
GOOD = ("/good/1", "/good/2", "/good/3")  # ordinary articles
# robots.txt behaviours: "allow", "timeout" (never answers: unreachable, so RFC 9309 says disallow),
# or an HTTP status to answer with ("404", "403": no rules, allow all; "500", "503": disallow all).
ROBOTS_MODES = ("allow", "timeout", "401", "403", "404", "410", "500", "503")
ANSI_TITLE = "Breaking\x1b[2J\x1b[31m news\x07\x1b]0;pwned\x07 \u202eevil\u202c"

_PARAGRAPHS = (
    "The ministry said on Tuesday that about {n} soldiers had been sent to the border region in "
    "January and February, and that further deployments could follow in the spring.",
    "Officials declined to say how many of the soldiers had combat experience before the "
    "deployment began, citing operational security.",
)


def article(title: str, n: int = 3000, *, extra: str = "", heading: str | None = None) -> bytes:
    """A small, ordinary news article (well over the extractor's minimum length)."""
    paragraphs = "".join(f"<p>{p.format(n=n)}</p>" for p in _PARAGRAPHS)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="2025-01-0{n % 9 + 1}T09:00:00Z">'
        f"</head><body><article><h1>{title if heading is None else heading}</h1>{paragraphs}{extra}"
        f"</article></body></html>"
    ).encode("utf-8")


# A CA and a certificate for news.example it signed (EC P-256, valid 2000 to 2100, made with
# `openssl ca`), for TLS through the address pinning: the client dials 127.0.0.1 but must still
# send news.example as SNI and check the certificate against that name.
TEST_CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBdjCCAR2gAwIBAgIBATAKBggqhkjOPQQDAjAiMSAwHgYDVQQDDBduZXdzLXBy
b3ZlbmFuY2UgdGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAw
MFowIjEgMB4GA1UEAwwXbmV3cy1wcm92ZW5hbmNlIHRlc3QgQ0EwWTATBgcqhkjO
PQIBBggqhkjOPQMBBwNCAASyzs3PjuGfpnsLRCsoPvxpyGurKIyJCsI7BC/wFcfO
2HmYUq4QOUkLwV0oZMLoTc0mdfszLkJRJ6tb2/2vmymao0IwQDAPBgNVHRMBAf8E
BTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQU9WV3b2KnTIAQPp+P5cDR
8aREzXQwCgYIKoZIzj0EAwIDRwAwRAIgNGROQo9dpQMcvmAr2fBtDfeh8zlyhCSt
qI0WGxrbEy8CICni2MboG4z3aJ8s7zHvSH4AiBhYUl3I0kvkNfht8oBm
-----END CERTIFICATE-----
"""
NEWS_EXAMPLE_PEM = """-----BEGIN CERTIFICATE-----
MIIBuzCCAWCgAwIBAgIBAjAKBggqhkjOPQQDAjAiMSAwHgYDVQQDDBduZXdzLXBy
b3ZlbmFuY2UgdGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAw
MFowFzEVMBMGA1UEAwwMbmV3cy5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEiBnVwegawIx8xB624Uk3gkb+BJbQCJM59D+V7SfdXyM5i7NwGzMpMxS4
aKOMSE//rFOdSNXyv4q0PvNwf2fAy6OBjzCBjDAMBgNVHRMBAf8EAjAAMA4GA1Ud
DwEB/wQEAwIFoDATBgNVHSUEDDAKBggrBgEFBQcDATAXBgNVHREEEDAOggxuZXdz
LmV4YW1wbGUwHQYDVR0OBBYEFHGUdXhBUOV12FoSZfooztRIPFOBMB8GA1UdIwQY
MBaAFPVld29ip0yAED6fj+XA0fGkRM10MAoGCCqGSM49BAMCA0kAMEYCIQDKdoiw
Bxjk77LFt18BdpNb2512tEMcRITXEv0riOlT8QIhAOXTLNNs/1JJR3APv5Vn20LD
SVXdjoX5mXvzWTCJ7+X4
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgi8feKP0Tzrbcgr3D
uSqQoldb338Wg9BGJgVwzkM8G/qhRANCAASIGdXB6BrAjHzEHrbhSTeCRv4EltAI
kzn0P5XtJ91fIzmLs3AbMykzFLhoo4xIT/+sU51I1fK/irQ+83B/Z8DL
-----END PRIVATE KEY-----
"""


class Seen(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    time: float


class FaultServer:
    def __init__(self, *, robots: str = "allow", redirect_to: str | None = None, port: int = 0,
                 certfile: str | None = None):
        """`certfile` (certificate and key, PEM) makes it an HTTPS server; `sni` logs the names asked for."""
        if robots not in ROBOTS_MODES:
            raise ValueError(f"robots must be one of {', '.join(ROBOTS_MODES)}")
        self.robots = robots
        self.redirect_to = redirect_to  # where /redirect/loopback points
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self.port: int = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.scheme = "http"
        self.sni: list[str | None] = []
        if certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile)
            context.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    @property
    def paths_requested(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    def start(self) -> FaultServer:
        for wbits in (31, 15, -15):  # ready before any request, so no reply waits on it
            bomb(wbits)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _hit(self, handler: Handler) -> int:
        """Log the request; returns how many times this path was asked for before."""
        with self._lock:
            self.requests.append(Seen(handler.command, handler.path,
                                      dict(handler.headers.items()), time.monotonic()))
            count = self._hits.get(handler.path, 0)
            self._hits[handler.path] = count + 1
        return count

    def _dispatch(self, handler: Handler) -> None:
        before = self._hit(handler)
        path = handler.path.split("?")[0]
        if path == "/robots.txt":
            return self._robots(handler)
        if path in GOOD:
            return send(handler, 200, article(f"Good page {path[-1]}", int(path[-1])))
        if m := re.fullmatch(r"/redirect/chain/(\d+)", path):
            hop = int(m.group(1))
            if hop < 30:
                return send(handler, 302, b"", headers={"Location": f"/redirect/chain/{hop + 1}"})
            return send(handler, 200, article("End of the chain"))
        route = _ROUTES.get(path)
        if route is None:
            return send(handler, 404, b"not here", content_type="text/plain")
        route(self, handler, before)

    def _robots(self, handler: Handler) -> None:
        if self.robots == "allow":
            send(handler, 200, b"User-agent: *\nAllow: /\n", content_type="text/plain")
        elif self.robots == "timeout":
            handler.close_connection = True
            self.stopping.wait(WAIT)
        else:
            send(handler, int(self.robots), b"no robots.txt here", content_type="text/plain")


def send(handler: Handler, status: int, body: bytes, *, content_type: str | None = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None) -> None:
    """An ordinary reply with a Content-Length."""
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def send_stream(handler: Handler, chunks: Iterator[bytes], *, headers: dict[str, str] | None = None,
                chunked: bool = True, length: int | None = None) -> None:
    """Stream `chunks` (chunked, or with a declared length, or until close); the connection closes after."""
    handler.close_connection = True
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    elif length is not None:
        handler.send_header("Content-Length", str(length))
    else:
        handler.send_header("Connection", "close")
    handler.end_headers()
    for chunk in chunks:
        if not chunk:
            continue
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
    if chunked:
        handler.wfile.write(b"0\r\n\r\n")


@cache
def bomb(wbits: int, mib: int = 1024) -> tuple[bytes, bytes, bytes, int]:
    """A deflate stream of `mib` MiB of zeros as (first, block, last, count of blocks).

    Each MiB is compressed once and ended with a full flush, which makes the compressed block
    independent of what came before; the stream is first + block * count + last, with the
    trailer (gzip: CRC-32 and size; zlib: Adler-32) computed for the whole. Instant, where
    compressing 1 GiB takes seconds.
    """
    zeros = bytes(MIB)
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush(zlib.Z_FINISH)
    if wbits > 15:  # gzip
        crc = 0
        for _ in range(mib):
            crc = zlib.crc32(zeros, crc)
        end = end[:-8] + struct.pack("<II", crc, (mib * MIB) & 0xFFFFFFFF)
    elif wbits > 0:  # zlib
        adler = 1
        for _ in range(mib):
            adler = zlib.adler32(zeros, adler)
        end = end[:-4] + struct.pack(">I", adler)
    return first, block, end, mib - 1


def bomb_chunks(wbits: int) -> Iterator[bytes]:
    first, block, last, count = bomb(wbits)
    yield first
    for _ in range(count):
        yield block
    yield last


def _retry_429_then_ok(server: FaultServer, handler: Handler, before: int) -> None:
    if before == 0:
        send(handler, 429, b"slow down", content_type="text/plain", headers={"Retry-After": "1"})
    else:
        send(handler, 200, article("Served after a 429", 4290))


def _stall_mid_body(server: FaultServer, handler: Handler, before: int) -> None:
    body = article("Stalled page")
    handler.close_connection = True
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(body) * 2))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()
    server.stopping.wait(WAIT)


def _reset(server: FaultServer, handler: Handler, before: int) -> None:
    # Linger 0 turns close() into a TCP RST instead of an orderly FIN.
    handler.close_connection = True
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


@cache
def _bomb_gzipped_again() -> bytes:
    return zlib.compress(b"".join(bomb_chunks(31)), 9, wbits=31)  # the inner bomb is about 1 MB


def _gzip_gzip(server: FaultServer, handler: Handler, before: int) -> None:
    send_stream(handler, iter([_bomb_gzipped_again()]), headers={"Content-Encoding": "gzip, gzip"}, chunked=False)


def _endless(server: FaultServer, handler: Handler, before: int) -> None:
    filler = b"<p>" + b"and on " * 9000 + b"</p>\n"

    def forever() -> Iterator[bytes]:
        yield b"<!DOCTYPE html><html><head><title>Endless</title></head><body>"
        while not server.stopping.is_set():
            yield filler

    send_stream(handler, forever())


def _huge(chunked: bool) -> Callable[[FaultServer, Handler, int], None]:
    size = 20 * MIB

    def route(server: FaultServer, handler: Handler, before: int) -> None:
        head = b"<!DOCTYPE html><html><head><title>Huge</title></head><body><p>"
        block = b"word " * (MIB // 5)

        def chunks() -> Iterator[bytes]:
            yield head
            sent = len(head)
            while sent < size:
                piece = block[: size - sent]
                sent += len(piece)
                yield piece

        send_stream(handler, chunks(), chunked=chunked, length=None if chunked else size)

    return route


def _lying_charset(server: FaultServer, handler: Handler, before: int) -> None:
    text = article("Caf\u00e9 cr\u00e8me: \u201cquoted\u201d", 1252).decode("utf-8")
    body = text.encode("windows-1252").replace(b"January", b"Jan\xc3\x28\xff\xfe\x80uary")
    body = body.replace(b'<meta charset="utf-8">', b'<meta charset="utf-8"><meta http-equiv="Content-Type" content="text/html; charset=utf-16">')
    send(handler, 200, body, content_type="text/html; charset=utf-8")


def _links(server: FaultServer, handler: Handler, before: int) -> None:
    links = "".join(f'<a href="/l/{i}">link {i}</a> ' for i in range(50_000))
    send(handler, 200, article("Fifty thousand links", extra=f"<p>{links}</p>"))


def _title_1mb(server: FaultServer, handler: Handler, before: int) -> None:
    send(handler, 200, article("T" * MIB, heading="A page with a very long title"))


def _nested(server: FaultServer, handler: Handler, before: int) -> None:
    depth = 100_000
    inner = article("Deep").split(b"<article>")[1].split(b"</article>")[0]
    send(handler, 200, b"<!DOCTYPE html><html><head><title>Deep</title></head><body>"
         + b"<div>" * depth + inner + b"</div>" * depth + b"</body></html>")


_ROUTES: dict[str, Callable[[FaultServer, Handler, int], None]] = {
    "/retry/429-then-ok": _retry_429_then_ok,
    "/retry/503": lambda s, h, b: send(h, 503, b"busy", content_type="text/plain",
                                       headers={"Retry-After": "1"}),
    "/stall/mid-body": _stall_mid_body,
    "/reset": _reset,
    "/bomb/gzip": lambda s, h, b: send_stream(h, bomb_chunks(31), headers={"Content-Encoding": "gzip"}),
    "/bomb/deflate": lambda s, h, b: send_stream(h, bomb_chunks(15), headers={"Content-Encoding": "deflate"}),
    "/bomb/deflate-raw": lambda s, h, b: send_stream(h, bomb_chunks(-15), headers={"Content-Encoding": "deflate"}),
    "/bomb/gzip-gzip": _gzip_gzip,
    "/endless/chunked": _endless,
    "/redirect/loop": lambda s, h, b: send(h, 302, b"", headers={"Location": "/redirect/loop-back"}),
    "/redirect/loop-back": lambda s, h, b: send(h, 302, b"", headers={"Location": "/redirect/loop"}),
    # Sent as UTF-8 bytes, as servers do with an IRI (http.server would encode Latin-1).
    "/redirect/loopback": lambda s, h, b: send(h, 302, b"", headers={
        "Location": (s.redirect_to or "/").encode("utf-8").decode("latin-1")}),
    "/type/image": lambda s, h, b: send(h, 200, article("Not an image"), content_type="image/png"),
    "/type/json-as-html": lambda s, h, b: send(h, 200, b'{"title": "json", "items": [1, 2, 3]}'),
    "/huge/declared": _huge(chunked=False),
    "/huge/chunked": _huge(chunked=True),
    "/charset/lying": _lying_charset,
    "/links/50k": _links,
    "/title/1mb": _title_1mb,
    "/title/ansi": lambda s, h, b: send(h, 200, article(ANSI_TITLE, 27)),
    "/empty": lambda s, h, b: send(h, 200, b""),
    "/nested/deep": _nested,
}
assert set(FAULTS) - {"/redirect/chain/0"} <= set(_ROUTES)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-reply is the point of most routes, not a server bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout, ValueError)):
            super().handle_error(request, client_address)


def _handler_for(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class FaultHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            server._dispatch(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return FaultHandler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--robots", choices=ROBOTS_MODES, default="allow")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = FaultServer(robots=args.robots, port=args.port)
    print(server.port, flush=True)
    for path, what in FAULTS.items():
        print(f"  {server.url(path)}  {what}", flush=True)
    try:
        server._server.serve_forever(0.05)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
