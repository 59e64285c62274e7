"""provenance.demo: the bundled sample web, served on 127.0.0.1 as an HTTP proxy.

Also checks the sample web itself (markup, links, the publication order of its citation chain,
as written down in provenance/sample_web/README.md) and that every scrapers/*.toml parses.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from provenance import demo

SCRAPERS = Path(__file__).resolve().parent.parent / "scrapers"

OFFICIAL = "http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment"
WIRE = "http://www.meridianwire.example/world/2025/03/04/kestria-sends-more-troops-to-morvania"
WIRE_PRO = "http://www.meridianwire.example/pro/analysis/2025/03/04/kestria-order-of-battle"
REGIONAL_EARLIER = "http://www.stavorskindependent.example/news/dalsavin-kestrian-troops-suffered-4000-casualties"
REGIONAL = "http://www.stavorskindependent.example/news/kestria-sent-3000-more-troops-to-morvania-aurenian-joint-staff-says"
UNRELATED = "http://www.stavorskindependent.example/business/grain-corridor-shipments-rebound-as-insurers-return"
AGGREGATOR_1 = "http://www.orbisdaily.example/defence/2025/03/04/kestria-reinforces-morvania-with-3000-troops"
AGGREGATOR_2 = "http://www.pulsebriefs.example/world/kestria-increases-military-support-to-morvania-amid-velmora-conflict"
BLOG = "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in"

ARTICLES = (OFFICIAL, WIRE, REGIONAL_EARLIER, REGIONAL, UNRELATED, AGGREGATOR_1, AGGREGATOR_2, BLOG)

# Who draws on whom (origin, derivative, how), as in provenance/sample_web/README.md.
# "link": a hyperlink in the derivative's body; "footer": an "Original Source: <domain>" line;
# "text": the derivative repeats the origin's claims without naming or linking it.
CHAIN = (
    (OFFICIAL, WIRE, "link"),
    (OFFICIAL, REGIONAL, "link"),
    (OFFICIAL, AGGREGATOR_2, "link"),
    (WIRE, REGIONAL, "link"),
    (WIRE, AGGREGATOR_1, "link"),
    (REGIONAL_EARLIER, WIRE, "text"),
    (REGIONAL_EARLIER, REGIONAL, "link"),
    (REGIONAL, AGGREGATOR_1, "link"),
    (REGIONAL, AGGREGATOR_2, "footer"),
    (AGGREGATOR_1, BLOG, "link"),
    (AGGREGATOR_2, BLOG, "link"),
)


@pytest.fixture(scope="module")
def web():
    with demo.sample_web() as served:
        yield served


@pytest.fixture(scope="module")
def opener(web):
    """urllib through the sample web's proxy, whatever $http_proxy or $no_proxy say."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY"):
            mp.delenv(name, raising=False)  # a no_proxy entry would send requests around the proxy
        yield urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def get(opener, url: str, headers: dict[str, str] | None = None) -> Fetched:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return Fetched(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as e:  # 3xx (unfollowed), 4xx, 304
        with e:
            return Fetched(e.code, dict(e.headers.items()), e.read())


def raw(web, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """A request exactly as written, to the server's own address (no proxy logic in the client)."""
    parts = urlsplit(web.proxy_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, target, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


class Page(HTMLParser):
    """What the tests need from a page: links, metadata, dates, article text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.title = ""
        self.meta: dict[str, str] = {}
        self.canonical = None
        self.hrefs: list[str] = []
        self.body_links: list[str] = []  # <a> inside a <p> inside <article>
        self.times: list[str] = []
        self.jsonld: list[dict] = []
        self.article_paragraphs: list[str] = []
        self.has_header = self.has_footer = self.has_nav = False
        self._stack: list[str] = []
        self._in_title = self._in_jsonld = False
        self._jsonld_text = ""
        self._paragraph: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag not in ("meta", "link", "br", "img", "input"):
            self._stack.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            key = a.get("property") or a.get("name")
            if key:
                self.meta[key] = a.get("content", "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
            if "article" in self._stack and self._paragraph is not None:
                self.body_links.append(a["href"])
        elif tag == "time" and "datetime" in a:
            self.times.append(a["datetime"])
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_jsonld, self._jsonld_text = True, ""
        elif tag == "p" and "article" in self._stack:
            self._paragraph = []
        self.has_header |= tag == "header"
        self.has_footer |= tag == "footer"
        self.has_nav |= tag == "nav"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "script" and self._in_jsonld:
            self._in_jsonld = False
            self.jsonld.append(json.loads(self._jsonld_text))
        elif tag == "p" and self._paragraph is not None:
            self.article_paragraphs.append("".join(self._paragraph).strip())
            self._paragraph = None
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._in_jsonld:
            self._jsonld_text += data
        if self._paragraph is not None:
            self._paragraph.append(data)

    def published(self) -> tuple[str, datetime] | None:
        """(mechanism, time) from the first of: Open Graph meta, JSON-LD, <time datetime>."""
        if "article:published_time" in self.meta:
            return "meta", datetime.fromisoformat(self.meta["article:published_time"])
        for item in self.jsonld:
            if "datePublished" in item:
                return "json-ld", datetime.fromisoformat(item["datePublished"])
        if self.times:
            return "time", datetime.fromisoformat(self.times[0])
        return None


@pytest.fixture(scope="module")
def pages(web, opener) -> dict[str, Page]:
    found = {}
    for url in web.pages:
        fetched = get(opener, url)
        assert fetched.status == 200, url
        found[url] = Page(fetched.text)
    return found


def sample_files() -> dict[str, bytes]:
    """Every file of the sample web by its URL (front pages and robots.txt included)."""
    root = demo.sample_root()
    files = {}

    def walk(node, host, prefix):
        for entry in node.iterdir():
            if entry.is_dir():
                walk(entry, host, f"{prefix}{entry.name}/")
            else:
                path = prefix + entry.name
                if path.endswith("index.html"):
                    path = path.removesuffix("index.html")
                elif path.endswith(".html"):
                    path = path.removesuffix(".html")
                files[f"http://{host}/{path}"] = entry.read_bytes()

    for host_dir in root.iterdir():
        if host_dir.is_dir() and host_dir.name.endswith(".example"):
            walk(host_dir, host_dir.name, "")
    return files


# --- the server -------------------------------------------------------------------------------


def test_serves_on_loopback_with_the_blog_as_start(web):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", web.proxy_url)
    assert web.start_urls == (BLOG,)


def test_pages_lists_the_articles_sorted_without_front_pages_or_disallowed_paths(web):
    assert list(web.pages) == sorted(web.pages)
    assert set(ARTICLES) <= set(web.pages)
    assert WIRE_PRO not in web.pages  # disallowed by the wire's robots.txt
    assert not any(urlsplit(u).path in ("", "/") or u.endswith(("robots.txt", ".html")) for u in web.pages)
    assert 9 <= len(web.pages) + 1 <= 11  # articles plus the disallowed one


def test_every_page_is_served_as_html_through_the_proxy(web, opener):
    for url in web.pages:
        fetched = get(opener, url)
        assert fetched.status == 200, url
        assert fetched.headers["Content-Type"] == "text/html; charset=utf-8", url
        assert fetched.text.lstrip().lower().startswith("<!doctype html>"), url
        assert int(fetched.headers["Content-Length"]) == len(fetched.body)


def test_front_pages_and_the_disallowed_page_are_served_too(opener):
    for url in ("http://www.stavorskindependent.example/", "http://www.meridianwire.example/", WIRE_PRO):
        assert get(opener, url).status == 200, url


def test_body_is_the_packaged_file_and_etag_is_its_sha256(opener):
    files = sample_files()
    fetched = get(opener, WIRE)
    assert fetched.body == files[WIRE]
    assert fetched.headers["ETag"] == f'"{hashlib.sha256(files[WIRE]).hexdigest()}"'
    assert fetched.headers["Last-Modified"].endswith(" GMT")


def test_if_none_match_gives_304_and_a_stale_tag_gives_200(opener):
    first = get(opener, REGIONAL)
    again = get(opener, REGIONAL, {"If-None-Match": first.headers["ETag"]})
    assert again.status == 304
    assert again.body == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert get(opener, REGIONAL, {"If-None-Match": '"stale", W/' + first.headers["ETag"]}).status == 304
    assert get(opener, REGIONAL, {"If-None-Match": '"0000"'}).status == 200


def test_if_modified_since_gives_304(opener):
    first = get(opener, OFFICIAL)
    assert get(opener, OFFICIAL, {"If-Modified-Since": first.headers["Last-Modified"]}).status == 304
    assert get(opener, OFFICIAL, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status == 200


def test_robots_txt_is_served_as_plain_text(opener):
    fetched = get(opener, "http://www.meridianwire.example/robots.txt")
    assert fetched.status == 200
    assert fetched.headers["Content-Type"].startswith("text/plain")
    assert "Disallow: /pro/" in fetched.text
    assert get(opener, "http://www.orbisdaily.example/robots.txt").status == 404  # RFC 9309: allow all


def test_unknown_paths_and_hosts_are_404(opener):
    for url in (
        "http://www.meridianwire.example/world/2025/03/04/no-such-story",
        WIRE + ".html",  # URLs have no extension
        WIRE + "/",
        "http://www.meridianwire.example/world/../index",
        "http://www.meridianwire.example/%2e%2e/README.md",
        "http://www.nosuchoutlet.example/",
        "http://www.meridianwire.com/",
    ):
        assert get(opener, url).status == 404, url


def test_query_string_is_ignored(opener):
    assert get(opener, WIRE + "?utm_source=orbis").body == get(opener, WIRE).body


def test_bare_domain_redirects_to_www(web):
    status, headers, _ = raw(web, "GET", "http://meridianwire.example/", {"Host": "meridianwire.example"})
    assert status == 301
    assert headers["Location"] == "http://www.meridianwire.example/"


def test_origin_form_request_uses_the_host_header(web):
    path = urlsplit(BLOG).path
    status, headers, body = raw(web, "GET", path, {"Host": "www.frontlineledger.example"})
    assert status == 200
    assert body == sample_files()[BLOG]
    assert raw(web, "GET", path, {"Host": f"127.0.0.1:{urlsplit(web.proxy_url).port}"})[0] == 404


def test_head_has_headers_and_no_body(web):
    status, headers, body = raw(web, "HEAD", WIRE, {"Host": "www.meridianwire.example"})
    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) == len(sample_files()[WIRE])


def test_connect_and_post_are_refused_with_405(web):
    status, headers, _ = raw(web, "CONNECT", "www.meridianwire.example:443", {"Host": "www.meridianwire.example:443"})
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert raw(web, "POST", WIRE, {"Host": "www.meridianwire.example"})[0] == 405


def test_the_server_stops_when_the_block_ends():
    with demo.sample_web() as served:
        port = urlsplit(served.proxy_url).port
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()


def test_server_logs_nothing(capfd, opener):
    get(opener, WIRE)
    get(opener, "http://www.meridianwire.example/missing")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# --- the sample web -----------------------------------------------------------------------------


def test_no_link_in_the_sample_web_is_broken(opener):
    files = sample_files()
    checked: dict[str, int] = {}
    for url, body in files.items():
        if url.endswith(".txt"):
            continue
        for href in Page(body.decode("utf-8")).hrefs:
            target, _ = urldefrag(urljoin(url, href))
            if not (urlsplit(target).hostname or "").endswith(".example"):
                continue
            if target not in checked:
                checked[target] = get(opener, target).status
            assert checked[target] == 200, f"{url} links to {target}: {checked[target]}"
    assert set(ARTICLES) | {WIRE_PRO} <= set(checked)  # every article is linked from somewhere


def test_the_disallowed_page_is_linked_from_a_body(pages):
    assert WIRE_PRO in pages[WIRE].body_links


def test_articles_have_realistic_markup(pages):
    for url, page in pages.items():
        assert page.lang == "en", url
        assert page.title.strip(), url
        assert page.meta.get("og:site_name") and page.meta.get("og:title"), url
        assert page.canonical == url, url
        assert page.meta.get("author"), url
        assert page.has_header and page.has_nav and page.has_footer, url
        assert 4 <= len([p for p in page.article_paragraphs if len(p) > 80]) <= 8, url
        assert sum(len(p) for p in page.article_paragraphs) >= 1200, url


def test_citation_links_sit_in_body_paragraphs(pages):
    for origin, derivative, how in CHAIN:
        if how == "link":
            assert origin in pages[derivative].body_links, f"{derivative} should link to {origin}"


def test_the_seed_like_aggregator_ends_with_an_unlinked_original_source(pages):
    page = pages[AGGREGATOR_2]
    assert page.article_paragraphs[-1] == "Original Source: stavorskindependent.example"
    assert REGIONAL not in page.body_links


def test_every_article_has_a_parseable_timezone_aware_publication_time(pages):
    mechanisms = set()
    for url, page in pages.items():
        found = page.published()
        assert found is not None, url
        mechanism, when = found
        assert when.tzinfo is not None, url
        mechanisms.add(mechanism)
    assert mechanisms == {"meta", "json-ld", "time"}  # varied across outlets


def test_origins_are_published_before_their_derivatives(pages):
    published = {url: page.published()[1] for url, page in pages.items()}
    for origin, derivative, _ in CHAIN:
        assert published[origin] < published[derivative], f"{origin} should precede {derivative}"
    order = [OFFICIAL, WIRE, REGIONAL, AGGREGATOR_1, AGGREGATOR_2, BLOG]
    assert [published[u] for u in order] == sorted(published[u] for u in order)


def test_the_blog_changes_its_origins_as_the_readme_says(pages):
    blog = " ".join(pages[BLOG].article_paragraphs)
    origin = " ".join(pages[AGGREGATOR_2].article_paragraphs)
    assert "approximately 3,000 additional soldiers" in origin and "another 5,000 soldiers" in blog
    assert "up to 12,000 Kestrian troops" in origin and "the 12,000 Kestrian troops" in blog
    assert "Brodovik, Velmora’s military intelligence chief, suggested" in origin
    assert "Brodovik, Velmora's military intelligence chief, confirmed" in blog
    assert "Dalsavin’s statement indicating" in origin
    assert "Some 4,000 Kestrian soldiers have already been killed or wounded, two-thirds of them killed." in blog
    assert "Dalsavin" not in blog


def test_the_readme_names_every_page():
    readme = (demo.sample_root() / "README.md").read_text("utf-8")
    for url in (*ARTICLES, WIRE_PRO, *demo.START_URLS):
        assert url in readme, url


# --- scrapers/*.toml ------------------------------------------------------------------------------


def outlet_files() -> list[Path]:
    return sorted(p for p in SCRAPERS.glob("*.toml") if p.name not in ("default.toml", "sources.toml", "places.toml"))  # quirks and aliases, not outlets


def test_every_outlet_definition_parses_and_has_name_and_domains():
    assert len(outlet_files()) >= 19
    names = []
    for path in outlet_files():
        data = tomllib.loads(path.read_text("utf-8"))
        assert isinstance(data.get("name"), str) and data["name"].strip(), path.name
        assert data.get("domains") and all(isinstance(d, str) and "/" not in d for d in data["domains"]), path.name
        assert all(isinstance(a, str) for a in data.get("aliases", [])), path.name
        for key in ("feeds", "sitemaps"):
            assert all(u.startswith(("http://", "https://")) for u in data.get(key, [])), path.name
        for pattern in data.get("article_patterns", []):
            re.compile(pattern)
        assert data.get("delay", 1.0) >= 1.0, path.name  # only ever slower than the default
        assert isinstance(data.get("wire", False), bool), path.name
        names.append(data["name"])
    assert len(names) == len(set(names))


def test_the_wires_are_marked():
    wires = {tomllib.loads(p.read_text("utf-8"))["name"] for p in outlet_files()
             if tomllib.loads(p.read_text("utf-8")).get("wire")}
    assert {"Reuters", "Associated Press", "Agence France-Presse", "Yonhap News Agency", "Meridian Wire"} <= wires


def test_every_sample_host_has_an_outlet_whose_patterns_know_its_articles(web):
    outlets = [tomllib.loads(p.read_text("utf-8")) for p in outlet_files()]

    def outlet_for(host: str) -> dict:
        bare = host.removeprefix("www.")
        matches = [o for o in outlets if bare in o["domains"]]
        assert len(matches) == 1, host
        return matches[0]

    for url in sample_files():
        parts = urlsplit(url)
        outlet = outlet_for(parts.hostname)
        is_article = any(re.search(p, parts.path) for p in outlet["article_patterns"])
        assert is_article == (url in web.pages or url == WIRE_PRO), url


@dataclass
class Defaults:
    origin: list[re.Pattern] = field(default_factory=list)
    dateline: list[re.Pattern] = field(default_factory=list)

    def origin_of(self, line: str) -> str | None:
        if len(line) > 120:  # the code's cap: a footer is short
            return None
        for p in self.origin:
            if m := p.match(line):
                return m.group("origin")
        return None

    def outlet_of(self, line: str) -> str | None:
        for p in self.dateline:
            if m := p.match(line):
                return m.group("outlet")
        return None


@pytest.fixture(scope="module")
def defaults() -> Defaults:
    data = tomllib.loads((SCRAPERS / "default.toml").read_text("utf-8"))
    assert "name" not in data
    found = Defaults([re.compile(p) for p in data["origin_patterns"]], [re.compile(p) for p in data["dateline_patterns"]])
    assert all("origin" in p.groupindex for p in found.origin)
    assert all("outlet" in p.groupindex for p in found.dateline)
    return found


@pytest.mark.parametrize(
    "line, origin",
    [
        ("Original Source: kyivindependent.com", "kyivindependent.com"),
        ("Original Source: stavorskindependent.example", "stavorskindependent.example"),
        ("Source: Reuters", "Reuters"),
        ("Source: Reuters.", "Reuters"),
        ("Via: https://www.bbc.com/news/articles/c0l4w8r9z5xo", "https://www.bbc.com/news/articles/c0l4w8r9z5xo"),
        ("Via kyivindependent.com", "kyivindependent.com"),
        ("Via Reuters", "Reuters"),
        ("H/T Ledgerline", "Ledgerline"),
        ("Hat tip to The Halvik Chronicle", "The Halvik Chronicle"),
        ("h/t Vistra 24", "Vistra 24"),
        ("Solmara cancelled 280 flights (via Varnossa Today).", "Varnossa Today"),
        ("H/T my colleague, who spotted it first.", None),
        ("This article was originally published by The Conversation.", "The Conversation"),
        ("This story originally appeared in The Guardian on March 3, 2025.", "The Guardian"),
        ("Originally published at https://example.com/story", "https://example.com/story"),
        ("Republished with permission from Politico.", "Politico"),
        ("The source said: no", None),
        ("Source of the leak: unknown officials", None),
        ("Via the pipeline, gas flowed to the city.", None),
        ("Originally published on March 3, 2025", None),
        ("The ministry was the original source: it said so", None),
        ("Source: " + "a person familiar with the matter said the talks had stalled " * 3, None),
        ("Kestria sent about 3,000 more troops, the Joint Staff said.", None),
    ],
)
def test_origin_patterns(defaults, line, origin):
    assert defaults.origin_of(line) == origin


@pytest.mark.parametrize(
    "line, outlet",
    [
        ("SEOUL, Jan 5 (Reuters) - North Korea sent", "Reuters"),
        ("SEOUL, Jan. 5 (Yonhap) -- North Korea sent", "Yonhap"),
        ("CASTELLA, March 4 (Meridian Wire) - Kestria sent", "Meridian Wire"),
        ("(AP) — The", "AP"),
        ("(Bloomberg) -- Stocks fell", "Bloomberg"),
        ("WASHINGTON (AP) — The", "AP"),
        ("PORTLAND, Ore. (AP) — A", "AP"),
        ("LONDON/PARIS, March 4 (Reuters) - Europe", "Reuters"),
        ("Kyiv (CNN) — Ukraine", "CNN"),
        ("RIO DE JANEIRO, May 2 (AFP) - Brazil", "AFP"),
        ("The Joint Staff (AJS) said on Tuesday that", None),
        ("In January and February, Kestria dispatched approximately 3,000 soldiers", None),
        ("Kestria sent troops (about 3,000) - a figure", None),
    ],
)
def test_dateline_patterns(defaults, line, outlet):
    assert defaults.outlet_of(line) == outlet


def test_the_sample_wire_dateline_and_footer_are_recognised(defaults, pages):
    first = next(p for p in pages[WIRE].article_paragraphs if p.startswith("CASTELLA"))
    assert defaults.outlet_of(first) == "Meridian Wire"
    assert defaults.origin_of(pages[AGGREGATOR_2].article_paragraphs[-1]) == "stavorskindependent.example"
