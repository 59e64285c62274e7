"""Page records from HTTP, WARC files and saved pages; the only module that touches the network.

Politeness and safety rules all live here: robots.txt (RFC 9309), a per-host delay, retries with
backoff and Retry-After, timeouts and a whole-response deadline, a cap on decoded body size, a
redirect limit, a content-type check, and a guard against requests to loopback or private
addresses (SSRF). `Fetcher.fetch` never raises for a bad URL: it returns a `FetchResult` carrying
every HTTP attempt, which the store writes to the `fetches` table.
"""

from __future__ import annotations

import hashlib
import http
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cached_property
from http.client import IncompleteRead, RemoteDisconnected
from io import BytesIO
from pathlib import Path
from stat import S_ISREG
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
from protego import Protego
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter

from provenance import PROJECT_URL, __version__
from provenance.errors import BlockedAddress, FetchError, Unavailable

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Feeds and sitemaps: RSS/Atom and XML under their many names, and gzip sitemaps served as files.
LISTING_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/gzip", "application/x-gzip", "application/octet-stream",
})
INPUT_SUFFIXES = (".warc.gz", ".warc", ".html", ".htm", ".txt")

_ROBOTS_MAX_BYTES = 512_000  # RFC 9309 2.5: parse at least the first 500 KiB, ignore the rest
_CHUNK = 65_536
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")
_FINAL_URL_HEADER = "X-Provenance-Final-URL"  # WARC extension field: where a redirect ended
_ENCODING_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class FetchSettings:
    """Every politeness and safety knob, with its default."""

    # Names us and where to complain, so a site owner can block or reach us.
    user_agent: str = f"news-provenance/{__version__} (+{PROJECT_URL})"
    # Seconds between requests to one host; robots.txt Crawl-delay or host_delays only raise it.
    delay: float = 1.0
    # (connect, read) seconds; the read timeout bounds each socket read, not the whole body.
    timeout: tuple[float, float] = (10.0, 30.0)
    # Whole-response deadline, so a drip-fed or endless body ends even though each read is quick.
    max_time: float = 120.0
    # Extra attempts on 408/429/5xx, connection errors, resets and timeouts.
    retries: int = 3
    # Wait backoff * 2**n before retry n, or longer if the server's Retry-After asks.
    backoff: float = 1.0
    # A server's Retry-After is honoured up to this many seconds.
    max_retry_after: float = 300.0
    # Decoded body bytes, counted while streaming, so a gzip bomb stops here.
    max_bytes: int = 10_000_000
    max_redirects: int = 10
    # Loopback, private, link-local and reserved addresses are refused unless asked.
    allow_private: bool = False
    # Sent to requests for both http and https; also the only proxy used (environment ignored).
    proxy: str | None = None
    obey_robots: bool = True


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: a row of the `fetches` table (retries, redirect hops, robots.txt, 304s)."""

    url: str
    status: int | None  # None when no HTTP status was received
    error: str | None
    fetched_at: str  # ISO 8601 UTC, e.g. "2026-11-30T05:30:00Z"
    elapsed_ms: int
    bytes: int  # decoded body bytes read


@dataclass(frozen=True)
class Page:
    """A captured response, from HTTP, a WARC record or a file. `body` is decoded content."""

    url: str  # as requested (or the WARC-Target-URI, file URI or --base-url)
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # as the server sent them
    body: bytes
    fetched_at: str

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def content_type(self) -> str:
        """Media type, lowercased, without parameters; "" when none was given."""
        return _media_type(self.headers)

    @property
    def etag(self) -> str | None:
        return _header(self.headers, "ETag")

    @property
    def last_modified(self) -> str | None:
        return _header(self.headers, "Last-Modified")


@dataclass(frozen=True)
class FetchResult:
    url: str
    page: Page | None
    attempts: tuple[Attempt, ...]
    skipped: str | None = None  # policy skip, not a failure: "disallowed by robots.txt"
    robots: bool = False  # the skip is robots.txt's
    error: str | None = None  # failure reason, one line
    not_modified: bool = False  # a 304 to a conditional GET
    transient: bool = False  # the error may pass: worth another try on a later run


@dataclass(frozen=True)
class Unreadable:
    """An input file (or WARC record) that could not be read, with a one-line reason."""

    source: str
    error: str


class _Skipped(Exception):
    """A policy skip (robots.txt, content type): reported in FetchResult.skipped, not an error."""

    def __init__(self, message: str, robots: bool = False) -> None:
        super().__init__(message)
        self.robots = robots


class _Transient(FetchError):
    """A failure worth retrying: 408/429/5xx, a timeout, a reset."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class _Progress:
    """What one attempt got before it ended, for its Attempt row even when it fails mid-body."""

    status: int | None = None
    body: bytearray = field(default_factory=bytearray)


class Fetcher:
    """Polite HTTP for one run: one session, robots.txt and per-host timing remembered.

    Not thread-safe: use one Fetcher per thread (per-host pacing assumes one caller).

    `resolve` (host -> addresses) is the DNS the address guard asks. Connections then go to the
    address the guard vetted, never to a second DNS answer, so a name that re-resolves to
    127.0.0.1 after the check (DNS rebinding) cannot slip through. `connect_to` (vetted address
    -> address to dial) is for tests: it routes a public-looking address to a port on 127.0.0.1.
    Neither applies with `allow_private` or a proxy, where nothing is vetted.
    """

    def __init__(
        self,
        settings: FetchSettings = FetchSettings(),
        *,
        resolve: Callable[[str], list[str]] | None = None,
        host_delays: Mapping[str, float] | None = None,
        connect_to: Callable[[str], str] | None = None,
    ) -> None:
        self.settings = settings
        self._resolve = resolve or _getaddrinfo
        self._connect_to = connect_to
        self._pins: dict[str, str] = {}  # host -> the address the guard vetted for it
        self._host_delays = {_bare_host(h): d for h, d in (host_delays or {}).items()}
        self._agent = _product_token(settings.user_agent)
        self._robots: dict[str, Protego | str | None] = {}  # origin -> rules, allow-all, or why not
        self._robots_delay: dict[str, float] = {}  # host -> Crawl-delay for us
        self._next_at: dict[str, float] = {}  # host -> monotonic time of the next allowed request
        self._session = requests.Session()
        # Proxies come from settings only: an environment proxy would bypass the address guard's
        # rule for proxied hosts and could send traffic somewhere the user did not choose.
        self._session.trust_env = False
        if settings.proxy:
            self._session.proxies = {"http": settings.proxy, "https": settings.proxy}
        adapter = _PinnedAdapter(self._destination)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {"User-Agent": settings.user_agent,
             "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None,
        types: frozenset[str] = PAGE_TYPES,
    ) -> FetchResult:
        """GET `url` politely. Problems with the URL come back in the result, never raised.
        A reply of a media type outside `types` is skipped (LISTING_TYPES for feeds and sitemaps)."""
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        attempts: list[Attempt] = []
        try:
            return self._follow(url, conditional, attempts, types)
        except _Skipped as skip:
            return FetchResult(url, None, tuple(attempts), skipped=str(skip), robots=skip.robots)
        except FetchError as e:
            return FetchResult(url, None, tuple(attempts), error=str(e), transient=isinstance(e, Unavailable))

    def _follow(
        self, url: str, conditional: dict[str, str], attempts: list[Attempt], types: frozenset[str]
    ) -> FetchResult:
        # Redirects are followed here, not by requests, so every hop passes the address guard
        # and robots.txt and is recorded as an Attempt.
        current = url
        for _ in range(self.settings.max_redirects + 1):
            self._admit(current, attempts)
            reply = self._get(current, conditional, attempts, page=True, types=types)
            if reply.status in REDIRECT_STATUSES:
                current = _redirect(current, reply.headers["Location"], attempts)
                continue
            if reply.status == 304 and conditional:
                return FetchResult(url, None, tuple(attempts), not_modified=True)
            if not 200 <= reply.status < 300:
                raise _failed(attempts, f"HTTP {reply.status}")
            return FetchResult(url, replace(reply, url=url), tuple(attempts))
        raise _failed(attempts, f"too many redirects (over {self.settings.max_redirects})")

    def _admit(self, url: str, attempts: list[Attempt]) -> None:
        """Refuse `url` before any request to it: scheme, address, robots.txt."""
        self._guard(url, attempts)
        if self.settings.obey_robots:
            self._obey_robots(url, attempts)

    def _guard(self, url: str, attempts: list[Attempt]) -> None:
        # A refusal still gets an Attempt row (status None) so every failure shows in `fetches`.
        try:
            self._check_address(url)
        except FetchError as e:
            attempts.append(Attempt(url, None, str(e), _now(), 0, 0))
            raise

    def _check_address(self, url: str) -> None:
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as e:  # "http://[oops/"
            raise FetchError(f"invalid URL {url}: {e}") from e
        if scheme not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {scheme or '(none)'}: {url}")
        host = _connect_host(url)
        if self.settings.allow_private:
            return
        literal = _ip_literal(host)
        if literal is not None:
            kind = _blocked_kind(literal)
            if kind:
                raise BlockedAddress(f"refused {url}: {literal} is {_a(kind)} address{_HINT}")
            self._pins[_pin_key(host)] = str(literal)
            return
        try:
            addresses = self._resolve(host)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            if self.settings.proxy:
                return  # the proxy resolves it; we cannot see where it will connect
            raise FetchError(f"cannot resolve host {host}")
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            kind = _blocked_kind(ip)
            if kind:
                raise BlockedAddress(
                    f"refused {url}: {host} resolves to {ip}, {_a(kind)} address{_HINT}"
                )
        self._pins[_pin_key(host)] = addresses[0].split("%")[0]

    def _destination(self, host: str) -> str | None:
        """The address to dial for `host`: the vetted one, or None to let urllib3 resolve it."""
        if self.settings.allow_private or self.settings.proxy:
            return None
        pinned = self._pins.get(_pin_key(host))
        if pinned is None:  # every hop is vetted before it is requested, so this is a bug
            raise BlockedAddress(f"refused to connect to {host}: its address was never checked")
        return self._connect_to(pinned) if self._connect_to else pinned

    def _obey_robots(self, url: str, attempts: list[Attempt]) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2].lower()}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin, attempts)
        rules = self._robots[origin]
        if isinstance(rules, str):
            error = f"robots.txt unavailable ({rules}): host skipped for this run"
            attempts.append(Attempt(url, None, error, _now(), 0, 0))
            raise FetchError(error)
        if rules is not None and not rules.can_fetch(url, self._agent):
            # Recorded (status None) so a journalist can see why a cited page is missing.
            attempts.append(Attempt(url, None, "skipped: disallowed by robots.txt", _now(), 0, 0))
            raise _Skipped("disallowed by robots.txt", robots=True)

    def _load_robots(self, origin: str, attempts: list[Attempt]) -> Protego | str | None:
        """Rules for `origin`: parsed rules, None to allow everything, or why it is off limits."""
        url = f"{origin}/robots.txt"
        try:
            for _ in range(self.settings.max_redirects + 1):
                self._guard(url, attempts)
                reply = self._get(url, {}, attempts, page=False)
                if reply.status not in REDIRECT_STATUSES:
                    break
                url = _redirect(url, reply.headers["Location"], attempts)
            else:
                return None  # RFC 9309 2.3.1.2: too many redirects counts as unavailable (4xx)
        except FetchError as e:
            # RFC 9309 2.3.1.4: 5xx or unreachable means assume complete disallow. 408 and 429
            # land here too, after retries: a struggling server is no invitation.
            return str(e)
        if not 200 <= reply.status < 300:
            return None  # RFC 9309 2.3.1.3: 4xx means there are no rules
        rules = Protego.parse(reply.body.decode("utf-8", errors="replace"))
        delay = rules.crawl_delay(self._agent)
        if delay:
            host = _hostname(origin)
            self._robots_delay[host] = max(self._robots_delay.get(host, 0.0), delay)
            self._hold(host, delay)  # the robots.txt request itself is the first to space from
        return rules

    def _get(
        self, url: str, headers: dict[str, str], attempts: list[Attempt], *, page: bool,
        types: frozenset[str] = PAGE_TYPES,
    ) -> Page:
        """One hop, retried on transient failures; raises FetchError with the final reason."""
        host = _hostname(url)
        tries = self.settings.retries + 1
        for n in range(tries):
            self._wait_turn(host)
            try:
                return self._attempt(url, headers, attempts, page=page, types=types)
            except _Transient as failure:
                last = failure
                asked = min(failure.retry_after, self.settings.max_retry_after)
                self._hold(host, max(self.settings.backoff * 2**n, asked))
            finally:
                self._hold(host, self._delay(host))
        raise Unavailable(f"{last} after {tries} attempts" if tries > 1 else str(last))

    def _attempt(
        self, url: str, headers: dict[str, str], attempts: list[Attempt], *, page: bool,
        types: frozenset[str],
    ) -> Page:
        """One HTTP request, always recorded as an Attempt. Any status not worth a retry comes
        back as a Page (body empty unless 2xx) for the caller to judge."""
        fetched_at, start = _now(), time.monotonic()
        progress = _Progress()
        error: str | None = None
        try:
            status, reply_headers = self._exchange(url, headers, progress, page=page, types=types,
                                                   deadline=start + self.settings.max_time)
            if status in RETRY_STATUSES:
                raise _Transient(f"HTTP {status}", _retry_after(reply_headers.get("Retry-After")))
            if status >= 400 and page:  # a 4xx robots.txt is no failure: it means "no rules"
                error = f"HTTP {status}"
            return Page(url, url, status, reply_headers, bytes(progress.body), fetched_at)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
            failure = _network_failure(e)
            error = str(failure)
            raise failure from e
        except FetchError as e:
            error = str(e)
            raise
        except _Skipped as e:
            error = f"skipped: {e}"
            raise
        finally:
            elapsed_ms = int((time.monotonic() - start) * 1000)
            attempts.append(
                Attempt(url, progress.status, error, fetched_at, elapsed_ms, len(progress.body))
            )

    def _exchange(
        self, url: str, headers: dict[str, str], progress: _Progress, *, page: bool,
        types: frozenset[str], deadline: float,
    ) -> tuple[int, dict[str, str]]:
        """Send the request and read the body only when it is wanted: status and headers."""
        try:
            resp = self._session.get(url, headers=headers, stream=True, allow_redirects=False,
                                     timeout=self.settings.timeout)
        except ValueError as e:
            # requests parses a redirect's Location even when not following it, and a Location
            # such as "http://[oops/" raises ValueError there, before we see the status.
            raise FetchError(f"invalid URL in the server's reply ({e})") from e
        with resp:
            progress.status = resp.status_code
            reply_headers = dict(resp.headers)
            if resp.status_code in REDIRECT_STATUSES and "Location" not in resp.headers:
                raise FetchError(f"HTTP {resp.status_code} redirect without a Location header")
            if not 200 <= resp.status_code < 300:
                return resp.status_code, reply_headers  # the status alone decides
            if not page:
                self._read(resp, progress.body, _ROBOTS_MAX_BYTES, deadline, truncate=True)
                return resp.status_code, reply_headers
            media = _media_type(resp.headers)
            if media and media not in types:
                raise _Skipped(f"unsupported content type {media}")
            self._read(resp, progress.body, self.settings.max_bytes, deadline, truncate=False)
            if not media and types == PAGE_TYPES and not _looks_like_html(progress.body):
                raise _Skipped("unsupported content type (none given, and the body is not HTML)")
            return resp.status_code, reply_headers

    def _read(
        self, resp: requests.Response, body: bytearray, limit: int, deadline: float, *,
        truncate: bool,
    ) -> None:
        """Stream the decoded body into `body`: at most `limit` bytes, done by `deadline`."""
        encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
        length = resp.headers.get("Content-Length", "").strip()
        if not truncate and encoding == "identity" and length.isdigit() and int(length) > limit:
            raise FetchError(f"body exceeds {limit} bytes")
        # read1 returns after one socket read, so the deadline is checked even when a server
        # drips a byte at a time; urllib3 (>= 2.6) bounds each decompression step by the
        # amount asked for, so a gzip bomb never inflates in memory past one chunk.
        while chunk := resp.raw.read1(_CHUNK, decode_content=True):
            body += chunk
            if len(body) > limit:
                if truncate:
                    del body[limit:]
                    return
                raise FetchError(f"body exceeds {limit} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"response took longer than {self.settings.max_time:g} s")

    def _delay(self, host: str) -> float:
        return max(self.settings.delay, self._host_delays.get(_bare_host(host), 0.0),
                   self._robots_delay.get(host, 0.0))

    def _wait_turn(self, host: str) -> None:
        pause = self._next_at.get(host, 0.0) - time.monotonic()
        if pause > 0:
            time.sleep(pause)

    def _hold(self, host: str, seconds: float) -> None:
        """Keep requests off `host` for `seconds` from now (never shortening an earlier hold)."""
        self._next_at[host] = max(self._next_at.get(host, 0.0), time.monotonic() + seconds)


_HINT = " (use --allow-private to allow it)"


def _failed(attempts: list[Attempt], error: str) -> FetchError:
    """The error that ends a fetch, also put on its last Attempt so `fetches` shows why it failed."""
    if attempts and attempts[-1].error is None:
        attempts[-1] = replace(attempts[-1], error=error)
    return FetchError(error)


def _redirect(url: str, location: str, attempts: list[Attempt]) -> str:
    """Where a redirect from `url` leads; a Location that cannot be parsed ends the fetch."""
    try:  # HTTP headers arrive as Latin-1; servers send an IRI's UTF-8 bytes (as requests assumes)
        location = location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    try:
        target = urljoin(url, location)
        urlsplit(target)
    except ValueError as e:
        raise _failed(attempts, f"invalid redirect to {location!r} ({e})") from e
    return target


def _pin_key(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


class _PinnedConnection:
    """Mixin for urllib3 connections: dial the address `_destination(host)` names, if any.

    Only the TCP connect changes: the Host header, TLS SNI and certificate checks keep the name.
    """

    _destination: Callable[[str], str | None]

    def _new_conn(self) -> socket.socket:
        address = self._destination(self._dns_host)  # type: ignore[attr-defined]
        if address is None:
            return super()._new_conn()  # type: ignore[misc]
        host, self._dns_host = self._dns_host, address  # type: ignore[attr-defined]
        try:
            return super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = host


class _PinnedAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose direct (unproxied) connections go through `_PinnedConnection`."""

    def __init__(self, destination: Callable[[str], str | None]) -> None:
        pins = {"_destination": staticmethod(destination)}
        http_conn = type("PinnedHTTPConnection",
                         (_PinnedConnection, urllib3.connection.HTTPConnection), pins)
        https_conn = type("PinnedHTTPSConnection",
                          (_PinnedConnection, urllib3.connection.HTTPSConnection), pins)
        self._pool_classes = {
            "http": type("PinnedHTTPPool", (urllib3.HTTPConnectionPool,),
                         {"ConnectionCls": http_conn}),
            "https": type("PinnedHTTPSPool", (urllib3.HTTPSConnectionPool,),
                          {"ConnectionCls": https_conn}),
        }
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


def _getaddrinfo(host: str) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]


def _connect_host(url: str) -> str:
    """The host requests will connect to: prepared (IDNA) and parsed exactly as urllib3 does."""
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        host = urllib3.util.parse_url(prepared).host
    except (requests.RequestException, urllib3.exceptions.HTTPError, ValueError) as e:
        raise FetchError(f"invalid URL {url}: {e}") from e
    if not host:
        raise FetchError(f"invalid URL {url}: no host")
    return host.strip("[]").lower()


_IPV4_PART = re.compile(r"0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*")


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a numeric host names, in every spelling inet_aton accepts, or None.

    "2130706433", "0177.0.0.1" and "0x7f.1" all mean 127.0.0.1 to the C resolver, so a check
    on dotted quads alone would let them through. A trailing dot is dropped: refusing
    "127.0.0.1." is the safe reading.
    """
    try:
        return ipaddress.ip_address(host.split("%")[0])  # an IPv6 zone id is not part of it
    except ValueError:
        pass
    parts = host.lower().removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(p) for p in parts):
        return None
    numbers = [int(p, 16 if p.startswith("0x") else 8 if p.startswith("0") else 10) for p in parts]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        return None
    return ipaddress.IPv4Address(sum(n << 8 * (3 - i) for i, n in enumerate(head)) + last)


def _blocked_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of non-public address `ip` is ("loopback", "private", ...), or None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1, 6to4 and Teredo carry an IPv4 address that decides where they go.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and (kind := _blocked_kind(inner)):
            return kind
    checks = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
              ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
              ("reserved", ip.is_reserved), ("private", ip.is_private),
              ("site-local", getattr(ip, "is_site_local", False)))
    for kind, matches in checks:
        if matches:
            return kind
    return None if ip.is_global else "non-public"  # e.g. 100.64.0.0/10, shared by carriers


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _network_failure(exc: BaseException) -> FetchError:
    """A one-line reason for a transport error, as _Transient when a retry might succeed."""
    causes = list(_causes(exc))

    def seen(*types: type[BaseException]) -> bool:
        return any(isinstance(c, types) for c in causes)

    if seen(requests.exceptions.ContentDecodingError, urllib3.exceptions.DecodeError):
        return FetchError("cannot decode the compressed body")
    if seen(socket.gaierror, urllib3.exceptions.NameResolutionError):
        return FetchError("cannot resolve host")
    if seen(ConnectionRefusedError):
        return _Transient("connection refused")
    if seen(ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return _Transient("connection reset")
    # urllib3's NewConnectionError subclasses ConnectTimeoutError, so the class alone misleads.
    if seen(requests.ConnectTimeout) or any(
        isinstance(c, urllib3.exceptions.ConnectTimeoutError)
        and not isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes
    ):
        return _Transient("connect timed out")
    if seen(requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return _Transient("read timed out")
    if seen(ssl.SSLError):
        ssl_error = next(c for c in causes if isinstance(c, ssl.SSLError))
        detail = getattr(ssl_error, "verify_message", None) or getattr(ssl_error, "reason", None)
        return FetchError(f"TLS error: {detail or 'handshake failed'}")
    if seen(RemoteDisconnected):
        return _Transient("connection closed without a response")
    if seen(IncompleteRead, urllib3.exceptions.IncompleteRead):
        return _Transient("connection closed before the body was complete")
    if seen(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return _Transient("proxy error")
    if seen(requests.ConnectionError, urllib3.exceptions.ProtocolError, OSError):
        detail = next((c.strerror for c in causes if isinstance(c, OSError) and c.strerror), None)
        return _Transient(f"connection failed ({detail})" if detail else "connection failed")
    return FetchError(f"request failed ({type(exc).__name__})")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and all it wraps: requests, urllib3 and http.client nest errors in several ways."""
    pending, seen = [exc], set()
    while pending:
        e = pending.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        linked = [*e.args, e.__cause__, getattr(e, "reason", None)]
        pending.extend(x for x in linked if isinstance(x, BaseException))


def _retry_after(value: str | None) -> float:
    """Seconds a Retry-After asks for (delta-seconds or HTTP-date); 0 if none or unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _media_type(headers: Mapping[str, str]) -> str:
    return (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()


def _looks_like_html(body: bytes | bytearray) -> bool:
    return bytes(body[:1024]).lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_HTML_STARTS)


def _hostname(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _bare_host(host: str) -> str:
    """Outlet definitions list hosts with "www." implied."""
    return host.lower().removeprefix("www.")


def _product_token(user_agent: str) -> str:
    # robots.txt groups match a product token; the full UA string would also match a group
    # named after any word in our URL (Protego matches tokens anywhere in the string).
    match = re.match(r"[A-Za-z0-9_-]+", user_agent)
    return match.group(0) if match else user_agent


def _now() -> str:
    return utc_iso(datetime.now(timezone.utc))


def utc_iso(moment: datetime) -> str:
    """The project's one form of a moment: UTC to the second, with a Z (a naive one is taken as UTC)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    # isoformat, not strftime: %Y writes the year 100 as "100", which fromisoformat (--since) refuses.
    return moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


# ---- files and WARC ---------------------------------------------------------------------------


def file_url(path: Path) -> str:
    """The file:// URI of `path` (made absolute)."""
    return Path(path).resolve().as_uri()


def read_paths(
    paths: Sequence[str | Path], base_url: str | None = None
) -> Iterator[Page | Unreadable]:
    """Pages from .warc, .warc.gz, .html, .htm and .txt files and folders of them (recursive,
    sorted). A file that cannot be read becomes an Unreadable; nothing here raises for bad input.

    `base_url` is the URL of a lone file (exactly one file path given); otherwise, and for every
    file in a folder, the URL is the file's file:// URI. WARC records carry their own URLs.
    """
    if isinstance(paths, str):
        raise TypeError("read_paths takes a list of paths, not one string")
    lone_file = len(paths) == 1 and Path(paths[0]).is_file()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _suffix(p))
            for child in found:
                yield from _read_file(child, None)
        elif not path.exists():
            yield Unreadable(str(path), "no such file")
        elif not _suffix(path):
            yield Unreadable(
                str(path), "unsupported file type (expected .warc, .warc.gz, .html, .htm or .txt)"
            )
        else:
            yield from _read_file(path, base_url if lone_file else None)


def _suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((s for s in INPUT_SUFFIXES if name.endswith(s)), None)


def _read_file(path: Path, url: str | None) -> Iterator[Page | Unreadable]:
    suffix = _suffix(path)
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):  # a FIFO or a device would block the read or never end
            yield Unreadable(str(path), "not a regular file")
            return
        if stat.st_size == 0:
            yield Unreadable(str(path), "empty file")
            return
        modified = utc_iso(datetime.fromtimestamp(stat.st_mtime, timezone.utc))
        if suffix in (".warc", ".warc.gz"):
            yield from _read_warc(path, modified)
            return
        data = path.read_bytes()
    except OSError as e:
        yield Unreadable(str(path), f"cannot read ({e.strerror or e})")
        return
    if b"\0" in data[:8192]:
        yield Unreadable(str(path), "not a text file (binary content)")
        return
    if suffix == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            yield Unreadable(str(path), "not UTF-8 text")
            return
        content_type = "text/plain; charset=utf-8"
    else:
        content_type = "text/html"
    url = url or file_url(path)
    yield Page(url, url, 200, {"Content-Type": content_type}, data, modified)


class _Corrupt(Exception):
    """Damage in a WARC that warcio itself reads past without complaint."""


def _read_warc(path: Path, modified: str) -> Iterator[Page | Unreadable]:
    records = 0
    try:
        with path.open("rb") as fh:
            archive = ArchiveIterator(fh)
            for record in archive:
                page = _warc_page(record, modified)
                records += 1
                if page is not None:
                    yield page
            # warcio stops quietly at a record cut off in its header or gzip member: anything
            # left after the last whole record means the file was truncated or damaged.
            fh.seek(archive.offset)
            if fh.read(64).strip():
                raise _Corrupt("data after the last complete record cannot be read")
    except Exception as e:  # noqa: BLE001 - any parser failure on a damaged file is a bad input
        counted = f"{records} record{'' if records == 1 else 's'}"
        yield Unreadable(str(path), f"truncated or corrupt WARC after {counted}: {_warc_problem(e)}")


def _warc_problem(e: Exception) -> str:
    """One readable line for what warcio (or our own check) found wrong with a WARC."""
    text = str(e).strip()
    if isinstance(e, _Corrupt):
        return text
    if "non-chunked gzip" in text:  # gzipped whole instead of record by record
        return "gzipped as one block; `warcio recompress IN OUT` makes it readable"
    if isinstance(e, (ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, EOFError)):
        # warcio quotes the offending line, which is binary garbage in a damaged gzip member.
        what, _, line = text.splitlines()[0].partition(", first line: ") if text else ("", "", "")
        what = what or type(e).__name__
        return f"{what} ({line[:80]})" if line and line.isprintable() else what
    # warcio trips over its own assumptions (a response record with no WARC-Target-URI, a
    # block that is not HTTP) with AttributeError, ValueError and the like: say so plainly.
    return "a record's headers cannot be parsed (missing WARC-Target-URI, or no HTTP status line)"


def _warc_page(record: ArcWarcRecord, modified: str) -> Page | None:
    """The Page in a WARC `response` record with HTTP headers; None for other records."""
    warc = record.rec_headers
    if record.rec_type is None or not warc.get_header("Content-Length"):
        raise _Corrupt("unreadable record header")
    body = record.content_stream().read()
    while record.raw_stream.read(_CHUNK):
        pass
    if getattr(record.raw_stream, "limit", 0) > 0:
        raise _Corrupt("a record ends before its declared length")
    url = warc.get_header("WARC-Target-URI")
    if record.rec_type != "response" or record.http_headers is None or not url:
        return None
    headers: dict[str, str] = {}
    for name, value in record.http_headers.headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Page(url, warc.get_header(_FINAL_URL_HEADER) or url,
                int(record.http_headers.get_statuscode()), headers, body,
                _warc_date(warc.get_header("WARC-Date")) or modified)


def _warc_date(value: str | None) -> str | None:
    """WARC-Date (which may carry fractions of a second) as our "...Z" form."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return utc_iso(moment)


def write_warc(out: str | Path, pages: Iterable[Page]) -> int:
    """Write one `response` record per page; gzip when the name ends in .gz. Returns the count.

    Bodies are stored decoded, so Content-Encoding and Transfer-Encoding are left out and
    Content-Length is set to the decoded length: readers then get the same bytes back.
    """
    out = Path(out)
    written = 0
    with out.open("wb") as fh:
        writer = WARCWriter(fh, gzip=out.name.lower().endswith(".gz"))
        for page in pages:
            headers = [(k, v) for k, v in page.headers.items()
                       if k.lower() not in _ENCODING_HEADERS]
            headers.append(("Content-Length", str(len(page.body))))
            try:
                reason = http.HTTPStatus(page.status).phrase
            except ValueError:
                reason = ""
            # Readers (warcio among them) look for HTTP headers only after "http://" or
            # "https://" in lower case; "HTTP://x" is the same URL and would come back empty.
            scheme, colon, rest = page.url.partition(":")
            target = scheme.lower() + colon + rest
            warc_headers = {"WARC-Date": page.fetched_at}
            if page.final_url != target:
                warc_headers[_FINAL_URL_HEADER] = page.final_url
            record = writer.create_warc_record(
                target, "response", payload=BytesIO(page.body), length=len(page.body),
                http_headers=StatusAndHeaders(f"{page.status} {reason}".strip(), headers,
                                              protocol="HTTP/1.1"),
                warc_headers_dict=warc_headers,
            )
            writer.write_record(record)
            written += 1
    return written
