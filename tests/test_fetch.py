"""provenance.fetch against a real HTTP server on 127.0.0.1; assertions on what the server saw."""

from __future__ import annotations

import gzip
import ipaddress
import os
import socket
import struct
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone
from dataclasses import replace
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance import PROJECT_URL
from provenance.fetch import (
    Attempt,
    FetchResult,
    Fetcher,
    FetchSettings,
    Page,
    Unreadable,
    _ip_literal,
    file_url,
    read_paths,
    utc_iso,
    write_warc,
)

PAGE = b"<!DOCTYPE html><html><head><title>Story</title></head><body><p>Text.</p></body></html>"
HINT = "(use --allow-private to allow it)"


# ---- scripted replies -------------------------------------------------------------------------


def reply(status: int = 200, body: bytes = PAGE, headers: dict[str, str] | None = None):
    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return write


def in_turn(*scripts):
    """One script per request, the last repeating."""
    calls = iter(range(10_000))

    def write(handler: BaseHTTPRequestHandler) -> None:
        scripts[min(next(calls), len(scripts) - 1)](handler)

    return write


def reset(handler: BaseHTTPRequestHandler) -> None:
    # Linger 0 turns close() into a TCP RST instead of an orderly FIN.
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


def page_attempts(result: FetchResult) -> list[Attempt]:
    return [a for a in result.attempts if not a.url.endswith("/robots.txt")]


def gaps(site) -> list[float]:
    times = [seen.time for seen in site.requests]
    return [b - a for a, b in zip(times, times[1:])]


def fetch(settings: FetchSettings, url: str, **kwargs) -> FetchResult:
    with Fetcher(settings, **kwargs) as fetcher:
        return fetcher.fetch(url)


# ---- ordinary fetches -------------------------------------------------------------------------


def test_a_page_is_fetched_with_an_honest_user_agent(site, allow_private):
    site.serve("/story", PAGE)
    result = fetch(allow_private, site.url("/story"))
    assert result.error is None and result.skipped is None
    assert result.page.body == PAGE
    assert result.page.status == 200
    assert result.page.final_url == site.url("/story")
    assert result.page.content_type == "text/html"
    assert [(a.url, a.status, a.bytes) for a in result.attempts] == [
        (site.url("/robots.txt"), 404, 0),
        (site.url("/story"), 200, len(PAGE)),
    ]
    agents = {seen.headers["User-Agent"] for seen in site.requests}
    assert len(agents) == 1
    assert "news-provenance/" in agents.pop().split()[0]
    assert all(PROJECT_URL in seen.headers["User-Agent"] for seen in site.requests)


def test_page_properties_look_headers_up_case_insensitively():
    page = Page("http://a.example/", "http://a.example/", 200,
                {"content-type": "Application/XHTML+XML; charset=utf-8", "etag": '"x"',
                 "LAST-MODIFIED": "Mon, 30 Nov 2026 05:00:00 GMT"}, b"abc", "2026-11-30T05:30:00Z")
    assert page.content_type == "application/xhtml+xml"
    assert page.etag == '"x"'
    assert page.last_modified == "Mon, 30 Nov 2026 05:00:00 GMT"
    assert page.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert Page("u", "u", 200, {}, b"", "t").content_type == ""


def test_a_gzipped_page_is_decoded(site, allow_private):
    site.serve("/story", gzip.compress(PAGE), headers={"Content-Encoding": "gzip"})
    result = fetch(allow_private, site.url("/story"))
    assert result.page.body == PAGE
    assert page_attempts(result)[0].bytes == len(PAGE)


def test_a_404_is_an_error_and_not_retried(site, allow_private):
    result = fetch(allow_private, site.url("/gone"))
    assert result.error == "HTTP 404"
    assert [(a.status, a.error) for a in page_attempts(result)] == [(404, "HTTP 404")]
    assert site.paths_requested == ["/robots.txt", "/gone"]


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "example.com/x"])
def test_only_http_and_https_are_fetched(url):
    result = fetch(FetchSettings(), url)
    assert result.error.startswith("unsupported URL scheme ")
    assert [(a.status, a.error) for a in result.attempts] == [(None, result.error)]


# ---- robots.txt -------------------------------------------------------------------------------


def test_a_disallowed_page_is_skipped_and_never_requested(site, allow_private):
    site.serve("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.serve("/private/story", PAGE)
    site.serve("/public", PAGE)
    with Fetcher(allow_private) as fetcher:
        skipped = fetcher.fetch(site.url("/private/story"))
        allowed = fetcher.fetch(site.url("/public"))
    assert skipped.skipped == "disallowed by robots.txt" and skipped.robots
    assert skipped.page is None and skipped.error is None
    assert [(a.url, a.status, a.error) for a in skipped.attempts] == [
        (site.url("/robots.txt"), 200, None),
        (site.url("/private/story"), None, "skipped: disallowed by robots.txt"),
    ]
    assert "/private/story" not in site.paths_requested
    assert allowed.page.body == PAGE
    assert site.paths_requested == ["/robots.txt", "/public"]  # robots.txt once, cached


def test_robots_groups_match_our_product_token_only(site, allow_private):
    # "github" appears in our User-Agent's URL; only "news-provenance" names us.
    site.serve("/robots.txt", b"User-agent: github\nDisallow: /\n\n"
                              b"User-agent: news-provenance\nDisallow: /drafts/\n",
               content_type="text/plain")
    site.serve("/story", PAGE)
    with Fetcher(allow_private) as fetcher:
        assert fetcher.fetch(site.url("/story")).page is not None
        assert fetcher.fetch(site.url("/drafts/x")).skipped == "disallowed by robots.txt"


def test_robots_404_allows_everything(site, allow_private):
    site.serve("/story", PAGE)
    result = fetch(allow_private, site.url("/story"))
    assert result.page is not None
    assert (result.attempts[0].status, result.attempts[0].error) == (404, None)  # not a failure
    assert site.paths_requested == ["/robots.txt", "/story"]


def test_robots_500_keeps_us_off_the_host_for_the_run(site, allow_private):
    site.serve("/robots.txt", b"oops", status=500, content_type="text/plain")
    site.serve("/story", PAGE)
    expected = "robots.txt unavailable (HTTP 500 after 2 attempts): host skipped for this run"
    with Fetcher(replace(allow_private, retries=1)) as fetcher:
        first = fetcher.fetch(site.url("/story"))
        again = fetcher.fetch(site.url("/other"))
    assert first.error == expected and again.error == expected
    assert [(a.url, a.status) for a in first.attempts] == [
        (site.url("/robots.txt"), 500), (site.url("/robots.txt"), 500), (site.url("/story"), None)]
    assert site.paths_requested == ["/robots.txt", "/robots.txt"]


def test_unreachable_robots_keeps_us_off_the_host(allow_private):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = fetch(replace(allow_private, retries=0), f"http://127.0.0.1:{port}/story")
    assert result.error == (
        "robots.txt unavailable (connection refused): host skipped for this run")


def test_robots_txt_redirects_are_followed(site, allow_private):
    site.serve("/robots.txt", b"", status=301, headers={"Location": "/rules.txt"})
    site.serve("/rules.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    result = fetch(allow_private, site.url("/private/x"))
    assert result.skipped == "disallowed by robots.txt"
    assert site.paths_requested == ["/robots.txt", "/rules.txt"]


def test_a_robots_txt_redirect_to_a_private_address_keeps_us_off_the_host(site):
    site.serve("http://news.example/robots.txt", b"", status=302,
               headers={"Location": "http://10.0.0.7/robots.txt"})
    settings = FetchSettings(delay=0.0, proxy=site.url(""))
    result = fetch(settings, "http://news.example/story", resolve=lambda host: ["93.184.216.34"])
    assert result.error == (
        "robots.txt unavailable (refused http://10.0.0.7/robots.txt: 10.0.0.7 is a private "
        f"address {HINT}): host skipped for this run")
    assert site.paths_requested == ["http://news.example/robots.txt"]


def test_a_redirect_into_a_disallowed_path_is_skipped(site, allow_private):
    site.serve("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.serve("/go", b"", status=302, headers={"Location": "/private/x"})
    result = fetch(allow_private, site.url("/go"))
    assert result.skipped == "disallowed by robots.txt"
    assert site.paths_requested == ["/robots.txt", "/go"]


def test_robots_txt_is_not_needed_when_not_obeyed(site, allow_private):
    site.serve("/robots.txt", b"User-agent: *\nDisallow: /\n", content_type="text/plain")
    site.serve("/story", PAGE)
    assert fetch(replace(allow_private, obey_robots=False), site.url("/story")).page is not None
    assert site.paths_requested == ["/story"]


# ---- pacing -----------------------------------------------------------------------------------


def _three_pages(site, robots: bytes) -> None:
    site.serve("/robots.txt", robots, content_type="text/plain")
    for path in ("/a", "/b", "/c"):
        site.serve(path, PAGE)


@pytest.mark.parametrize("source", ["settings", "host_delays", "crawl_delay"])
def test_requests_to_a_host_are_at_least_the_delay_apart(site, allow_private, source):
    crawl_delay = b"Crawl-delay: 0.4\n" if source == "crawl_delay" else b""
    _three_pages(site, b"User-agent: *\nAllow: /\n" + crawl_delay)
    settings = replace(allow_private, delay=0.4 if source == "settings" else 0.0)
    host_delays = {"www.127.0.0.1": 0.4} if source == "host_delays" else None
    with Fetcher(settings, host_delays=host_delays) as fetcher:
        assert all(fetcher.fetch(site.url(p)).page for p in ("/a", "/b", "/c"))
    assert len(site.requests) == 4  # robots.txt counts as a request to the host
    assert min(gaps(site)) >= 0.4


def test_control_without_a_delay_the_gaps_are_short(site, allow_private):
    # Shows the assertion above can fail: the same run with no delay anywhere.
    _three_pages(site, b"User-agent: *\nAllow: /\n")
    with Fetcher(allow_private) as fetcher:
        assert all(fetcher.fetch(site.url(p)).page for p in ("/a", "/b", "/c"))
    assert min(gaps(site)) < 0.4


# ---- retries ----------------------------------------------------------------------------------


def test_503_with_retry_after_is_retried_after_the_wait(site, allow_private):
    site.route("/busy", in_turn(reply(503, b"busy", {"Retry-After": "1"}), reply()))
    result = fetch(replace(allow_private, obey_robots=False), site.url("/busy"))
    assert result.page.body == PAGE
    assert [(a.status, a.error) for a in result.attempts] == [(503, "HTTP 503"), (200, None)]
    assert gaps(site)[0] >= 1.0


def test_retry_after_as_an_http_date_is_honoured(site, allow_private):
    def busy(handler: BaseHTTPRequestHandler) -> None:
        reply(503, b"busy", {"Retry-After": formatdate(time.time() + 2, usegmt=True)})(handler)

    site.route("/busy", in_turn(busy, reply()))
    result = fetch(replace(allow_private, obey_robots=False), site.url("/busy"))
    assert result.page is not None
    assert gaps(site)[0] >= 1.0  # the date has one-second resolution


def test_control_without_retry_after_the_retry_comes_quickly(site, allow_private):
    site.route("/busy", in_turn(reply(503, b"busy"), reply()))
    result = fetch(replace(allow_private, obey_robots=False), site.url("/busy"))
    assert result.page is not None
    assert gaps(site)[0] < 1.0


def test_retry_after_is_capped(site, allow_private):
    site.route("/busy", in_turn(reply(503, b"busy", {"Retry-After": "3600"}), reply()))
    settings = replace(allow_private, obey_robots=False, max_retry_after=0.2)
    start = time.monotonic()
    assert fetch(settings, site.url("/busy")).page is not None
    assert time.monotonic() - start < 5


def test_a_persistent_503_fails_after_every_attempt(site, allow_private):
    site.serve("/down", b"down", status=503)
    result = fetch(replace(allow_private, retries=2, obey_robots=False), site.url("/down"))
    assert result.error == "HTTP 503 after 3 attempts"
    assert [a.status for a in result.attempts] == [503, 503, 503]
    assert site.paths_requested == ["/down"] * 3


def test_a_reset_connection_is_retried(site, allow_private):
    site.route("/flaky", in_turn(reset, reply()))
    result = fetch(replace(allow_private, obey_robots=False), site.url("/flaky"))
    assert result.page.body == PAGE
    assert [(a.status, a.error) for a in result.attempts] == [
        (None, "connection reset"), (200, None)]


# ---- timeouts and size ------------------------------------------------------------------------


def test_a_stalled_response_times_out(site, allow_private):
    site.route("/stall", lambda handler: site.stopping.wait(10))
    settings = replace(allow_private, timeout=(2.0, 0.5), retries=1, obey_robots=False)
    start = time.monotonic()
    result = fetch(settings, site.url("/stall"))
    assert result.error == "read timed out after 2 attempts"
    assert [(a.status, a.error) for a in result.attempts] == [(None, "read timed out")] * 2
    assert time.monotonic() - start < 3


def test_a_body_that_stalls_halfway_times_out(site, allow_private):
    def half(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b"<html>" + b"x" * 94)
        site.stopping.wait(10)

    site.route("/half", half)
    settings = replace(allow_private, timeout=(2.0, 0.5), retries=0, obey_robots=False)
    result = fetch(settings, site.url("/half"))
    assert result.error == "read timed out"
    assert [(a.status, a.bytes) for a in result.attempts] == [(200, 100)]


def test_a_drip_fed_body_ends_at_the_deadline(site, allow_private):
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while not site.stopping.wait(0.05):  # each byte well inside the read timeout
            handler.wfile.write(b"1\r\nx\r\n")

    site.route("/drip", drip)
    settings = replace(allow_private, timeout=(2.0, 2.0), max_time=0.5, obey_robots=False)
    start = time.monotonic()
    result = fetch(settings, site.url("/drip"))
    assert result.error == "response took longer than 0.5 s"
    assert len(result.attempts) == 1 and 0 < result.attempts[0].bytes < 100
    assert time.monotonic() - start < 2


def gzip_bomb(handler: BaseHTTPRequestHandler) -> None:
    """1 GiB of zeros, gzipped a mebibyte at a time: never whole in memory on either side."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Connection", "close")
    handler.end_headers()
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    for _ in range(1024):
        handler.wfile.write(packer.compress(zeros))
    handler.wfile.write(packer.flush())


def test_a_gzip_bomb_stops_at_the_cap_in_little_memory(site, allow_private):
    site.route("/bomb", gzip_bomb)
    settings = replace(allow_private, max_bytes=1_000_000, obey_robots=False)
    tracemalloc.start()
    try:
        result = fetch(settings, site.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error == "body exceeds 1000000 bytes"
    assert 1_000_000 < result.attempts[0].bytes <= 1_000_000 + 65_536
    assert peak < 30_000_000  # the whole bomb would be 1 GiB


def test_a_declared_length_over_the_cap_is_refused_before_reading(site, allow_private):
    site.serve("/big", b"<html>" + b"x" * 2000)
    result = fetch(replace(allow_private, max_bytes=1000, obey_robots=False), site.url("/big"))
    assert result.error == "body exceeds 1000 bytes"
    assert [(a.status, a.bytes) for a in result.attempts] == [(200, 0)]


# ---- redirects and content types --------------------------------------------------------------


def test_a_redirect_records_each_hop_and_the_final_url(site, allow_private):
    site.serve("/old", b"", status=301, headers={"Location": "/new"})
    site.serve("/new", PAGE)
    result = fetch(allow_private, site.url("/old"))
    assert result.page.url == site.url("/old")
    assert result.page.final_url == site.url("/new")
    assert [(a.url, a.status) for a in page_attempts(result)] == [
        (site.url("/old"), 301), (site.url("/new"), 200)]


def test_a_redirect_loop_ends_with_an_attempt_per_hop(site, allow_private):
    site.serve("/a", b"", status=302, headers={"Location": "/b"})
    site.serve("/b", b"", status=302, headers={"Location": site.url("/a")})
    result = fetch(allow_private, site.url("/a"))
    assert result.error == "too many redirects (over 10)"
    assert [a.status for a in page_attempts(result)] == [302] * 11
    assert len([p for p in site.paths_requested if p != "/robots.txt"]) == 11


def test_a_pdf_is_skipped_without_downloading_it(site, allow_private):
    site.serve("/report.pdf", b"%PDF-1.7" + b"x" * 100_000, content_type="application/pdf")
    result = fetch(allow_private, site.url("/report.pdf"))
    assert result.skipped == "unsupported content type application/pdf" and not result.robots
    assert result.page is None and result.error is None
    assert [(a.status, a.bytes, a.error) for a in page_attempts(result)] == [
        (200, 0, "skipped: unsupported content type application/pdf")]


def test_a_missing_content_type_is_accepted_only_for_html(site, allow_private):
    site.serve("/bare", b"\n  " + PAGE, content_type=None)
    site.serve("/blob", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type=None)
    with Fetcher(allow_private) as fetcher:
        assert fetcher.fetch(site.url("/bare")).page.body == b"\n  " + PAGE
        assert fetcher.fetch(site.url("/blob")).skipped.startswith("unsupported content type")


# ---- conditional GET --------------------------------------------------------------------------


def test_conditional_get_gives_not_modified(site, allow_private):
    stamp = "Mon, 30 Nov 2026 05:00:00 GMT"
    site.serve("/story", PAGE, headers={"ETag": '"v1"', "Last-Modified": stamp})
    with Fetcher(replace(allow_private, obey_robots=False)) as fetcher:
        first = fetcher.fetch(site.url("/story"))
        by_etag = fetcher.fetch(site.url("/story"), etag=first.page.etag)
        by_date = fetcher.fetch(site.url("/story"), last_modified=first.page.last_modified)
        changed = fetcher.fetch(site.url("/story"), etag='"v0"')
    assert (first.page.etag, first.page.last_modified) == ('"v1"', stamp)
    for result in (by_etag, by_date):
        assert result.not_modified and result.page is None and result.error is None
        assert [a.status for a in result.attempts] == [304]
    assert changed.page.body == PAGE and not changed.not_modified
    assert site.requests[1].headers["If-None-Match"] == '"v1"'
    assert site.requests[2].headers["If-Modified-Since"] == stamp


# ---- the address guard ------------------------------------------------------------------------


def test_the_loopback_site_is_refused_without_allow_private(site):
    site.serve("/x", PAGE)
    url = site.url("/x")
    result = fetch(FetchSettings(delay=0.0), url)
    assert result.error == f"refused {url}: 127.0.0.1 is a loopback address {HINT}"
    assert [(a.url, a.status, a.error) for a in result.attempts] == [(url, None, result.error)]
    assert site.requests == []


@pytest.mark.parametrize(("host", "shown", "kind"), [
    ("2130706433", "127.0.0.1", "loopback"),
    ("0177.0.0.1", "127.0.0.1", "loopback"),
    ("0x7f.0.0.1", "127.0.0.1", "loopback"),
    ("0x7f000001", "127.0.0.1", "loopback"),
    ("127.1", "127.0.0.1", "loopback"),
    ("[::1]", "::1", "loopback"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1", "loopback"),
    ("[2002:7f00:1::]", "2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
    ("169.254.169.254", "169.254.169.254", "link-local"),
    ("10.0.0.1", "10.0.0.1", "private"),
    ("[::ffff:192.168.1.1]", "::ffff:c0a8:101", "private"),
    ("0.0.0.0", "0.0.0.0", "unspecified"),
    ("224.0.0.1", "224.0.0.1", "multicast"),
    ("240.0.0.1", "240.0.0.1", "reserved"),
    ("100.64.0.1", "100.64.0.1", "non-public"),
])
def test_non_public_addresses_are_refused_in_every_spelling(site, host, shown, kind):
    # The site doubles as proxy: if the guard failed, the request would land in its log,
    # never on the address itself.
    settings = FetchSettings(delay=0.0, proxy=site.url(""))
    url = f"http://{host}/x"
    result = fetch(settings, url)
    article = "an" if kind[0] in "aeiou" else "a"
    assert result.error == f"refused {url}: {shown} is {article} {kind} address {HINT}"
    assert site.requests == []


def test_a_hostname_resolving_to_loopback_is_refused(site):
    settings = FetchSettings(delay=0.0, proxy=site.url(""))
    result = fetch(settings, "http://intranet.test/x", resolve=lambda host: ["127.0.0.1"])
    assert result.error == (
        f"refused http://intranet.test/x: intranet.test resolves to 127.0.0.1, "
        f"a loopback address {HINT}")
    assert site.requests == []


def test_one_private_address_among_public_ones_is_enough_to_refuse(site):
    settings = FetchSettings(delay=0.0, proxy=site.url(""))
    resolve = {"mixed.test": ["93.184.216.34", "10.1.2.3"]}.__getitem__
    result = fetch(settings, "http://mixed.test/x", resolve=resolve)
    assert "mixed.test resolves to 10.1.2.3, a private address" in result.error
    assert site.requests == []


def test_a_public_address_from_the_resolver_is_allowed(site):
    # news.example "resolves" to a public address through the seam only; the request itself
    # goes to the site acting as proxy, so nothing leaves 127.0.0.1.
    site.serve("http://news.example/story", PAGE)
    settings = FetchSettings(delay=0.0, proxy=site.url(""))
    resolve = {"news.example": ["93.184.216.34"]}.__getitem__
    result = fetch(settings, "http://news.example/story", resolve=resolve)
    assert result.page.body == PAGE
    assert site.paths_requested == ["http://news.example/robots.txt", "http://news.example/story"]


def test_an_unresolvable_host_fails_without_a_proxy_and_is_left_to_a_proxy(site):
    def nowhere(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    result = fetch(FetchSettings(delay=0.0), "http://nowhere.test/x", resolve=nowhere)
    assert result.error == "cannot resolve host nowhere.test"
    assert [(a.status, a.error) for a in result.attempts] == [(None, result.error)]

    site.serve("http://nowhere.test/x", PAGE)
    proxied = FetchSettings(delay=0.0, proxy=site.url(""))
    assert fetch(proxied, "http://nowhere.test/x", resolve=nowhere).page.body == PAGE


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(site):
    target = "http://169.254.169.254/latest/meta-data/"
    site.serve("http://news.example/go", b"", status=302, headers={"Location": target})
    settings = FetchSettings(delay=0.0, proxy=site.url(""))
    result = fetch(settings, "http://news.example/go", resolve=lambda host: ["93.184.216.34"])
    assert result.error == f"refused {target}: 169.254.169.254 is a link-local address {HINT}"
    assert [(a.url, a.status) for a in page_attempts(result)] == [
        ("http://news.example/go", 302), (target, None)]
    assert site.paths_requested == ["http://news.example/robots.txt", "http://news.example/go"]


@given(st.integers(0, 2**32 - 1), st.integers(1, 4),
       st.lists(st.sampled_from("do0x"), min_size=4, max_size=4))
def test_numeric_hosts_parse_as_the_c_resolver_reads_them(value, n_parts, styles):
    head = [(value >> 8 * (3 - i)) & 0xFF for i in range(n_parts - 1)]
    last = value & (256 ** (5 - n_parts) - 1)
    spell = {"d": str, "o": lambda n: f"0{n:o}", "0": lambda n: f"00{n:o}",
             "x": lambda n: f"0x{n:x}"}
    host = ".".join(spell[s](n) for s, n in zip(styles, [*head, last]))
    assert _ip_literal(host) == ipaddress.IPv4Address(socket.inet_aton(host))


@given(st.text(alphabet="0123456789abcdefx.", max_size=20))
def test_numeric_host_parsing_agrees_with_inet_aton(host):
    if host.endswith("."):
        return  # we read "127.0.0.1." as 127.0.0.1 where inet_aton refuses it: stricter on purpose
    try:
        expected = ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        expected = None
    assert _ip_literal(host) == expected


# ---- files ------------------------------------------------------------------------------------


MTIME = 1796016600  # 2026-11-30T05:30:00Z


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))
    return path


def test_an_html_file_becomes_a_page(tmp_path):
    path = write(tmp_path / "story.html", PAGE)
    [page] = read_paths([path])
    assert page == Page(file_url(path), file_url(path), 200, {"Content-Type": "text/html"}, PAGE,
                        "2026-11-30T05:30:00Z")
    assert file_url(path).startswith("file:///")


def test_base_url_names_a_lone_file_only(tmp_path):
    one = write(tmp_path / "one.htm", PAGE)
    two = write(tmp_path / "two.txt", b"Para one.\n\nPara two.\n")
    [page] = read_paths([str(one)], base_url="https://news.example/story")
    assert page.url == page.final_url == "https://news.example/story"
    pages = list(read_paths([one, two], base_url="https://news.example/story"))
    assert [p.url for p in pages] == [file_url(one), file_url(two)]
    assert pages[1].headers == {"Content-Type": "text/plain; charset=utf-8"}


@pytest.mark.parametrize(("name", "data", "error"), [
    ("empty.html", b"", "empty file"),
    ("image.html", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "not a text file (binary content)"),
    ("latin1.txt", "caf\u00e9".encode("latin-1"), "not UTF-8 text"),
    ("report.pdf", b"%PDF-1.7",
     "unsupported file type (expected .warc, .warc.gz, .html, .htm or .txt)"),
])
def test_unreadable_files_say_why(tmp_path, name, data, error):
    path = write(tmp_path / name, data)
    assert list(read_paths([path])) == [Unreadable(str(path), error)]


def test_a_missing_path_is_unreadable(tmp_path):
    missing = tmp_path / "nope.html"
    assert list(read_paths([missing])) == [Unreadable(str(missing), "no such file")]


def test_a_folder_is_read_recursively_in_order_skipping_other_types(tmp_path):
    write(tmp_path / "b.html", PAGE)
    write(tmp_path / "a" / "z.txt", b"Text.")
    write(tmp_path / "a" / "notes.pdf", b"%PDF")
    write(tmp_path / "c.htm", b"")
    results = list(read_paths([tmp_path]))
    assert [getattr(r, "url", None) or r.source for r in results] == [
        file_url(tmp_path / "a" / "z.txt"), file_url(tmp_path / "b.html"), str(tmp_path / "c.htm")]
    assert results[2] == Unreadable(str(tmp_path / "c.htm"), "empty file")


def _pages() -> list[Page]:
    return [
        Page("http://a.example/1", "http://a.example/1", 200,
             {"Content-Type": "text/html", "Content-Encoding": "gzip", "ETag": '"1"'},
             PAGE, "2026-11-30T05:30:00Z"),
        Page("http://a.example/old", "http://a.example/new", 200, {"Content-Type": "text/html"},
             PAGE.replace(b"Text", b"Moved"), "2026-11-30T06:00:00Z"),
        Page("http://a.example/3", "http://a.example/3", 404, {"Content-Type": "text/html"},
             b"<html>not here</html>", "2026-11-30T06:30:00Z"),
    ]


@pytest.mark.parametrize("name", ["out.warc", "out.warc.gz"])
def test_a_written_warc_reads_back_the_same(tmp_path, name):
    out = tmp_path / name
    assert write_warc(out, _pages()) == 3
    back = list(read_paths([out]))
    key = lambda p: (p.url, p.final_url, p.status, p.body, p.fetched_at, p.content_type, p.etag)
    assert [key(p) for p in back] == [key(p) for p in _pages()]
    assert "Content-Encoding" not in back[0].headers  # bodies are stored decoded
    assert (out.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_a_fetched_page_survives_a_warc_round_trip(site, allow_private, tmp_path):
    site.serve("/story", gzip.compress(PAGE), headers={"Content-Encoding": "gzip"})
    page = fetch(allow_private, site.url("/story")).page
    write_warc(tmp_path / "capture.warc.gz", [page])
    [back] = read_paths([tmp_path / "capture.warc.gz"])
    assert (back.url, back.body, back.status, back.fetched_at, back.sha256) == (
        page.url, page.body, page.status, page.fetched_at, page.sha256)


def test_a_truncated_warc_gives_the_pages_before_the_damage(tmp_path):
    write_warc(tmp_path / "two.warc.gz", _pages()[:2])
    write_warc(tmp_path / "three.warc.gz", _pages())
    intact = (tmp_path / "two.warc.gz").stat().st_size
    whole = (tmp_path / "three.warc.gz").read_bytes()
    cut = write(tmp_path / "cut.warc.gz", whole[: intact + (len(whole) - intact) // 2])
    results = list(read_paths([cut]))
    assert [p.url for p in results[:2]] == ["http://a.example/1", "http://a.example/old"]
    assert isinstance(results[2], Unreadable) and len(results) == 3
    assert results[2].source == str(cut)
    assert results[2].error.startswith("truncated or corrupt WARC after 2 records")


@pytest.mark.parametrize("data", [b"hello, this is not a WARC file\n",
                                  gzip.compress(b"WARC/1.0\r\nWARC-Ty")])
def test_a_corrupt_warc_is_unreadable_not_a_traceback(tmp_path, data):
    path = write(tmp_path / "bad.warc", data)
    [result] = read_paths([path])
    assert isinstance(result, Unreadable)
    assert result.error.startswith("truncated or corrupt WARC after 0 records")


def test_moments_are_written_in_one_utc_form():
    seoul = timezone(timedelta(hours=9))
    assert utc_iso(datetime(2025, 3, 4, 10, 30, 15, 999, tzinfo=seoul)) == "2025-03-04T01:30:15Z"
    assert utc_iso(datetime(2025, 3, 4, 10, 30)) == "2025-03-04T10:30:00Z"  # naive: taken as UTC
    assert utc_iso(datetime(100, 1, 2, tzinfo=timezone.utc)) == "0100-01-02T00:00:00Z"  # fromisoformat reads it back
