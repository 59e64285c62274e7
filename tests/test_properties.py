"""Property-based tests (hypothesis) for the pure stages that exist: URL normalisation, extraction
offsets, dates, and the WARC and file readers. Claim offsets and distortions get theirs with the
claims and matching stages.
"""

from __future__ import annotations

import html
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from provenance import outlets
from provenance.errors import ExtractionError
from provenance.extract import Article, extract, iso_datetime, normalize_url
from provenance.fetch import Page, Unreadable, read_paths, write_warc

OUTLETS = outlets.load()
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEAD = ("The ministry said on Tuesday that about 3,000 soldiers had been sent to the border region "
        "in January and February, and that more could follow.")

# ---- URLs ---------------------------------------------------------------------------------------

label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hosts = st.one_of(
    st.builds(lambda labels, tld, www, upper: (("www." if www else "") + ".".join([*labels, tld])).upper()
              if upper else ("www." if www else "") + ".".join([*labels, tld]),
              st.lists(label, min_size=1, max_size=3), st.sampled_from(["com", "org", "example", "co.uk", "news"]),
              st.booleans(), st.booleans()),
    st.sampled_from(["b\u00fccher.example", "\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "xn--bcher-kva.example",
                     "93.184.216.34", "[2001:db8::1]", "localhost"]),
)
segment = st.text(st.sampled_from("abcXYZ019-._~!$&'()*+,;=:@%/ \u00e4\u00e9\u65b0"), max_size=8)
query_key = st.one_of(st.sampled_from(["utm_source", "UTM_Medium", "fbclid", "gclid", "id", "page", "q", "ref"]),
                      st.text(st.sampled_from("abcxyz_019"), min_size=1, max_size=6))
query_value = st.text(st.sampled_from("abc019 +%&=\u00e9/?"), max_size=6)


@st.composite
def urls(draw) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(hosts)
    port = draw(st.one_of(st.none(), st.sampled_from([80, 443, 8080]), st.integers(1, 65535)))
    segments = draw(st.lists(segment, max_size=4))
    encode = draw(st.booleans())
    path = "/".join(quote(s, safe="/%") if encode else s for s in segments)
    query = "&".join(f"{k}={quote(v) if encode else v}" for k, v in draw(st.lists(st.tuples(query_key, query_value), max_size=4)))
    fragment = draw(st.one_of(st.none(), st.text(st.sampled_from("ab1#?/ "), max_size=5)))
    url = f"{scheme}://{host}{f':{port}' if port else ''}"
    url += f"/{path}" if path or draw(st.booleans()) else ""
    url += f"?{query}" if query else ""
    url += f"#{fragment}" if fragment is not None else ""
    return url


@given(urls())
@example("https://Example.com:443/a/../b/./c?utm_source=x&b=2&a=1#frag")
@example("HTTP://WWW.EXAMPLE.COM")
@example("https://news.example/caf%C3%A9?q=%20")
@settings(max_examples=300)
def test_normalize_url_is_idempotent(url):
    once = normalize_url(url)
    assert normalize_url(once) == once


@given(urls())
@settings(max_examples=200)
def test_normalize_url_drops_fragments_and_tracking_and_lowercases_the_host(url):
    parts = urlsplit(normalize_url(url))
    assert parts.fragment == ""
    assert not [k for k, _ in parse_qsl(parts.query) if k.lower().startswith("utm_") or k in ("fbclid", "gclid")]
    assert parts.hostname == (parts.hostname or "").lower()
    assert parts.path.startswith("/")


@given(st.text(max_size=60))
@example("http://[oops/")
@example("https://exa mple.com/")
@example(" \t")
@example("0 #")
@example("\x1b\xa0\x08")
@settings(max_examples=300)
def test_normalize_url_takes_any_text_without_raising_and_is_idempotent_on_it(text):
    once = normalize_url(text)
    assert normalize_url(once) == once


# ---- extraction: offsets ------------------------------------------------------------------------

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co")), min_size=1, max_size=12)
spaces = st.sampled_from([" ", "  ", "\n", "\t ", " \u00a0"])


@st.composite
def anchors(draw) -> tuple[str, str]:
    """An <a> with some words, maybe some inside inline tags, and an href."""
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        text = html.escape(draw(words))
        tag = draw(st.sampled_from([None, None, "b", "em", "span", "strong"]))
        pieces.append(f"<{tag}>{text}</{tag}>" if tag else text)
        pieces.append(draw(spaces))
    target = draw(st.sampled_from(["https://cited.example/a/b", "/relative/story?id=7&utm_source=x",
                                   "https://Other.Example/x#part", "story.html", "http://[oops/", "mailto:x@example.com"]))
    return f'<a href="{html.escape(target)}">{"".join(pieces)}</a>', target


@st.composite
def article_pages(draw) -> bytes:
    paragraphs = [f"<p>{LEAD}</p>"]
    for _ in range(draw(st.integers(1, 4))):
        parts = []
        for _ in range(draw(st.integers(1, 4))):
            if draw(st.booleans()):
                parts.append(draw(anchors())[0])
            else:
                parts.append(html.escape(draw(words)))
            parts.append(draw(spaces))
        paragraphs.append(f"<p>{''.join(parts)}</p>")
    return (f"<!DOCTYPE html><html><head><title>Story</title></head><body><article><h1>Story</h1>"
            f"{''.join(paragraphs)}</article></body></html>").encode("utf-8")


def _page(body: bytes, content_type: str = "text/html") -> Page:
    return Page("https://news.example/story", "https://news.example/story", 200,
                {"Content-Type": content_type}, body, "2025-01-01T00:00:00Z")


@given(article_pages())
@SLOW
def test_every_link_s_offsets_slice_the_text_to_its_anchor(body):
    article = extract(_page(body), OUTLETS)
    for link in article.links:
        assert article.text[link.start:link.end] == link.anchor_text
        assert link.anchor_text and link.anchor_text == link.anchor_text.strip()
        assert "\n\n" not in link.anchor_text  # an anchor stays inside its paragraph
        assert normalize_url(link.url) == link.url
        assert urlsplit(link.url).scheme in ("http", "https")
    assert article.text == "\n\n".join(article.paragraphs)


text_lines = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@given(st.lists(text_lines, min_size=1, max_size=12), st.sampled_from(["\n", "\n\n", "\r\n", "\n \n"]))
@settings(max_examples=150)
def test_a_text_file_gives_paragraphs_without_blank_ones(lines, separator):
    body = separator.join([LEAD, *lines]).encode("utf-8")
    article = extract(_page(body, "text/plain; charset=utf-8"), OUTLETS)
    assert article.text == "\n\n".join(article.paragraphs)
    for paragraph in article.paragraphs:
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph


soup = st.lists(st.one_of(
    st.sampled_from(["<p>", "</p>", "<a href='/x'>", "<a href='http://[x/'>", "</a>", "<div>", "</div>", "<b>",
                     "<table><tr><td>", "</td></tr></table>", "<title>", "</title>", "<script>", "</script>",
                     "<!--", "-->", "&amp;", "&#0;", "&#x1b;", "&bogus;", "<br>", "<html>", "<body>", "\x00",
                     "<meta charset='utf-16'>", "<link rel='canonical' href='//x'>", LEAD]),
    st.text(max_size=20)), max_size=40)


@given(soup, st.sampled_from(["utf-8", "latin-1", "utf-16"]))
@SLOW
def test_extraction_either_finds_an_article_or_says_why(parts, encoding):
    body = "".join(parts).encode(encoding, errors="replace")
    try:
        article = extract(_page(body), OUTLETS)
    except ExtractionError as e:
        assert str(e).startswith("https://news.example/story: ")
        return
    assert isinstance(article, Article) and len(article.text) >= 80


# ---- dates --------------------------------------------------------------------------------------

offsets = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.none() | offsets),
       st.sampled_from(["T", " "]), st.sampled_from(["seconds", "milliseconds", "auto"]), st.booleans())
@settings(max_examples=200)
def test_iso_datetime_is_idempotent(moment, sep, timespec, as_date):
    text = moment.date().isoformat() if as_date else moment.isoformat(sep, timespec)
    once = iso_datetime(text)
    assert once is not None
    assert iso_datetime(once) == once


# ---- WARC and files -----------------------------------------------------------------------------

token = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True).filter(
    lambda name: name.lower() not in ("content-length", "content-encoding", "transfer-encoding"))
header_value = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
ascii_urls = urls().filter(lambda u: u.isascii() and " " not in u)
stamps = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))


@st.composite
def pages(draw) -> Page:
    url = draw(ascii_urls)
    names = draw(st.lists(token, max_size=5, unique_by=str.lower))
    headers = {name: draw(header_value) for name in names}
    if draw(st.booleans()):
        headers["Content-Encoding"] = "gzip"  # left out on write: bodies are stored decoded
    return Page(url, draw(st.one_of(st.just(url), ascii_urls)), draw(st.integers(100, 599)), headers,
                draw(st.binary(max_size=3000)), draw(stamps))


def _comparable(page: Page) -> tuple:
    headers = {k: v for k, v in page.headers.items()
               if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")}
    scheme, _, rest = page.url.partition(":")  # a scheme is case-insensitive, and written lower-case
    return scheme.lower() + ":" + rest, page.final_url, page.status, headers, page.body, page.fetched_at


@given(st.lists(pages(), min_size=1, max_size=4), st.sampled_from(["out.warc", "out.warc.gz"]))
@settings(max_examples=80, deadline=None)
def test_write_warc_then_read_paths_gives_the_pages_back(written, name):
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / name
        assert write_warc(out, written) == len(written)
        back = list(read_paths([out]))
    assert [_comparable(p) for p in back] == [_comparable(p) for p in written]
    assert all(p.headers["Content-Length"] == str(len(p.body)) for p in back)


@given(st.binary(max_size=4000), st.sampled_from([".warc", ".warc.gz", ".html", ".htm", ".txt"]))
@example(b"\x1f\x8b\x08\x00" + b"\x00" * 20, ".warc.gz")
@example(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\nHTTP/1.1 200 OK\r\n\r\nx", ".warc")
@settings(max_examples=150, deadline=None)
def test_any_bytes_in_any_input_file_become_pages_or_a_one_line_reason(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        results = list(read_paths([path]))
    for result in results:
        assert isinstance(result, (Page, Unreadable))
        if isinstance(result, Unreadable):
            assert result.error and "\n" not in result.error and result.source == str(path)
    assume(results)
