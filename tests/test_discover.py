"""provenance.discover against outlets served on 127.0.0.1: the `site` fixture acts as their HTTP
proxy, so invented hosts (harbourpost.example, tidetimes.example) reach it and nothing else does."""

from __future__ import annotations

import gzip
import re
import sqlite3
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from provenance import discover, outlets, pipeline, store
from provenance.cli import cli
from provenance.errors import OutletError
from provenance.fetch import FetchSettings

HP = "http://www.harbourpost.example"
TT = "http://www.tidetimes.example"
PARAGRAPH = (
    "The harbour authority said on Tuesday that about {n} litres of diesel had leaked into the outer basin "
    "overnight, and that booms had been laid around the fishing quay before the morning tide came in."
)

HARBOUR = f"""name = "Harbour Post"
domains = ["harbourpost.example"]
feeds = ["{HP}/rss.xml", "{HP}/broken.xml"]
sitemaps = ["{HP}/sitemap-index.xml"]
article_patterns = ['^/news/\\d{{4}}/[a-z0-9-]+$']
delay = 0.3
"""
TIDE = f"""name = "Tide Times"
domains = ["tidetimes.example"]
feeds = ["{TT}/atom.xml", "{TT}/members/feed.xml"]
article_patterns = ['^/stories/[a-z0-9-]+$']
"""


def story(title: str, n: int) -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><title>{title}</title>
<meta property="article:published_time" content="2025-03-0{n % 9 + 1}T09:00:00Z"></head>
<body><article><h1>{title}</h1><p>{PARAGRAPH.format(n=n * 1000)}</p>
<p>Fishermen were told to keep their boats in the inner harbour until the clean-up crews had finished their work.</p>
</article></body></html>""".encode()


def rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(f"<item><title>t</title><link>{link}</link><pubDate>{date}</pubDate></item>" for link, date in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>HP</title><link>{HP}/</link>{entries}</channel></rss>'.encode()


def urlset(*locs: str, news: bool = False) -> bytes:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    body = "".join(
        f"<url><loc>{loc}</loc>"
        + (f"<news:news><news:publication_date>{date}</news:publication_date></news:news>" if news else f"<lastmod>{date}</lastmod>")
        + "</url>"
        for loc, date in locs
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>{body}</urlset>'.encode()


ARTICLES = {
    f"{HP}/news/2025/spill-in-outer-basin": 1,  # in the feed and the gzip sitemap
    f"{HP}/news/2025/booms-laid-at-quay": 2,  # feed
    f"{HP}/news/2025/fishing-ban-extended": 3,  # gzip child of the sitemap index
    f"{HP}/news/2025/authority-names-tanker": 4,  # news sitemap
    f"{TT}/stories/clean-up-crews-arrive": 5,  # atom
}
STORED_BEFORE = f"{HP}/news/2025/old-spill-report"
EMBARGOED = f"{HP}/news/2025/embargoed-inquiry"  # listed, but robots.txt disallows it


@pytest.fixture
def web(site, tmp_path):
    """Two outlets behind one proxy: a feed, a broken feed, a sitemap index with a gzip child and a
    news sitemap, an Atom feed, a robots-disallowed feed; an off-site, a section and a stored URL."""
    site.serve(f"{HP}/robots.txt", b"User-agent: *\nDisallow: /news/2025/embargoed-\n", content_type="text/plain")
    site.serve(f"{TT}/robots.txt", b"User-agent: *\nDisallow: /members/\n", content_type="text/plain")
    site.serve(
        f"{HP}/rss.xml",
        rss(
            (f"{HP}/news/2025/spill-in-outer-basin", "Tue, 04 Mar 2025 09:00:00 GMT"),
            (f"{HP}/news/2025/booms-laid-at-quay", "Wed, 05 Mar 2025 09:00:00 GMT"),
            ("http://elsewhere.example/news/2025/spill-copied", "Wed, 05 Mar 2025 10:00:00 GMT"),  # off-site
            (f"{HP}/news/", "Wed, 05 Mar 2025 10:00:00 GMT"),  # a section page
            (STORED_BEFORE, "Mon, 03 Mar 2025 09:00:00 GMT"),
        ),
        content_type="application/rss+xml",
    )
    site.serve(f"{HP}/broken.xml", b"<html><body><h1>502 Bad Gateway</h1>", content_type="application/rss+xml")
    site.serve(
        f"{HP}/sitemap-index.xml",
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + f"<sitemap><loc>{HP}/sitemap-2025.xml.gz</loc></sitemap><sitemap><loc>{HP}/news-sitemap.xml</loc></sitemap>".encode()
        + b"<sitemap><loc>http://elsewhere.example/sitemap.xml</loc></sitemap></sitemapindex>",
        content_type="application/xml",
    )
    site.serve(
        f"{HP}/sitemap-2025.xml.gz",
        gzip.compress(urlset((f"{HP}/news/2025/spill-in-outer-basin", "2025-03-04"), (f"{HP}/news/2025/fishing-ban-extended", "2025-03-06"))),
        content_type="application/gzip",
    )
    site.serve(
        f"{HP}/news-sitemap.xml",
        urlset((f"{HP}/news/2025/authority-names-tanker", "2025-03-07T08:00:00+01:00"), (EMBARGOED, "2025-03-07T09:00:00Z"), news=True),
        content_type="application/xml",
    )
    site.serve(
        f"{TT}/atom.xml",
        f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Tide Times</title>
<entry><title>Crews</title><link href="{TT}/stories/clean-up-crews-arrive"/><updated>2025-03-08T12:00:00Z</updated></entry>
<entry><title>Old</title><link href="{TT}/stories/last-years-storm"/><updated>2024-01-08T12:00:00Z</updated></entry>
</feed>""".encode(),
        content_type="application/atom+xml",
    )
    for url, n in ARTICLES.items():
        site.serve(url, story(url.rsplit("/", 1)[1].replace("-", " "), n))
    site.serve(f"{TT}/stories/last-years-storm", story("last years storm", 6))
    site.serve(EMBARGOED, story("embargoed", 7))
    site.serve(STORED_BEFORE, story("old spill report", 8))
    folder = tmp_path / "scrapers"
    folder.mkdir()
    (folder / "harbour-post.toml").write_text(HARBOUR)
    (folder / "tide-times.toml").write_text(TIDE)
    return site, folder


def settings(site) -> FetchSettings:
    return FetchSettings(proxy=site.url(""), allow_private=True, delay=0.0, retries=0, timeout=(2.0, 2.0))


def test_discover_finds_exactly_the_new_article_urls_and_stores_them(web, tmp_path):
    site, folder = web
    loaded = outlets.load([folder])
    db = store.open_db(tmp_path / "p.db")
    pipeline.crawl(db, [STORED_BEFORE], outlets=loaded, depth=0, settings=settings(site))
    found = discover.discover(db, outlets=loaded, names=["Harbour Post", "Tide Times"], settings=settings(site))
    expected = set(ARTICLES) | {f"{TT}/stories/last-years-storm", EMBARGOED}
    assert set(found.new) == expected
    assert STORED_BEFORE in {i.url for i in found.listed} and STORED_BEFORE not in found.new
    assert not any("elsewhere.example" in i.url or i.url.endswith("/news/") for i in found.listed)
    stored = {r["url"] for r in db.query("select url from articles")}
    assert stored == set(ARTICLES) | {f"{TT}/stories/last-years-storm", STORED_BEFORE}
    # robots.txt: the embargoed article and the members' feed are never requested
    assert EMBARGOED not in site.paths_requested and f"{TT}/members/feed.xml" not in site.paths_requested
    assert "http://elsewhere.example/sitemap.xml" not in site.paths_requested
    # the broken feed is a failure on its fetches row, the run went on
    assert found.failed == 1 and found.errors[0].startswith(f"{HP}/broken.xml: not a feed")
    row = next(db.query("select status, error from fetches where url = ?", [f"{HP}/broken.xml"]))
    assert row["status"] == 200 and row["error"].startswith("not a feed")
    # dates from the feed, the gzip sitemap's lastmod and the news sitemap's publication date
    listed = {r["url"]: r for r in db.query("select * from discovered")}
    assert listed[f"{HP}/news/2025/booms-laid-at-quay"]["published"] == "2025-03-05T09:00:00Z"
    assert listed[f"{HP}/news/2025/fishing-ban-extended"]["published"] == "2025-03-06T00:00:00Z"
    assert listed[f"{HP}/news/2025/authority-names-tanker"]["published"] == "2025-03-07T07:00:00Z"
    assert listed[f"{HP}/news/2025/authority-names-tanker"]["listed_in"] == f"{HP}/news-sitemap.xml"
    assert all(r["crawled_at"] for r in listed.values())

    requests_before = len(site.requests)
    again = discover.discover(db, outlets=loaded, names=["Harbour Post", "Tide Times"], settings=settings(site))
    assert again.new == [] and len(again.listed) == len(found.listed)
    article_paths = set(ARTICLES) | {EMBARGOED, STORED_BEFORE}
    assert not [s.path for s in site.requests[requests_before:] if s.path in article_paths]
    assert db["articles"].count == len(stored)


def test_the_outlet_delay_spaces_every_request_to_its_host(web, tmp_path):
    site, folder = web
    discover.discover(store.open_db(tmp_path / "p.db"), outlets=outlets.load([folder]), names=["Harbour Post"], settings=settings(site))
    times = [s.time for s in site.requests if s.path.startswith(HP)]
    assert len(times) >= 8  # robots, 2 feeds, index, 2 children, 4 articles
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.29, gaps  # the outlet file's delay = 0.3, also between listing and crawl


def test_since_keeps_dated_urls_published_on_or_after_it(web, tmp_path):
    site, folder = web
    everything = discover.discover(store.open_db(tmp_path / "all.db"), outlets=outlets.load([folder]), names=["tidetimes.example"],
                                   settings=settings(site))
    assert everything.new == [f"{TT}/stories/clean-up-crews-arrive", f"{TT}/stories/last-years-storm"]
    found = discover.discover(
        store.open_db(tmp_path / "p.db"), outlets=outlets.load([folder]), names=["Tide Times"], settings=settings(site),
        since=datetime(2025, 1, 1, tzinfo=timezone.utc),
    )
    assert found.new == [f"{TT}/stories/clean-up-crews-arrive"]


def test_a_page_down_for_now_is_tried_again_on_the_next_run_a_missing_one_is_not(web, tmp_path):
    site, folder = web
    down, gone = f"{HP}/news/2025/booms-laid-at-quay", f"{HP}/news/2025/fishing-ban-extended"
    site.serve(down, b"busy", status=503, content_type="text/plain")
    site.serve(gone, b"not here", status=404, content_type="text/plain")
    db = store.open_db(tmp_path / "p.db")
    first = discover.discover(db, outlets=outlets.load([folder]), names=["Harbour Post"], settings=settings(site))
    assert first.crawled.unavailable == [down] and first.crawled.failed == 2
    site.serve(down, story("booms laid at quay", 2))
    site.serve(gone, story("fishing ban extended", 3))
    second = discover.discover(db, outlets=outlets.load([folder]), names=["Harbour Post"], settings=settings(site))
    assert second.new == [down] and second.crawled.stored == 1  # the 503 is retried (still new: never stored); the 404 is not
    assert down in {r["url"] for r in db.query("select url from articles")}
    assert gone not in {r["url"] for r in db.query("select url from articles")}


def test_a_date_at_the_edge_of_the_calendar_is_undated_not_a_crash(web, tmp_path):
    site, folder = web
    site.serve(f"{HP}/news-sitemap.xml", urlset((f"{HP}/news/2025/authority-names-tanker", "0001-01-01T00:00:00+01:00"),
                                                (f"{HP}/news/2025/harbour-founded", "0100-01-01")),
               content_type="application/xml")
    found = discover.discover(store.open_db(tmp_path / "p.db"), outlets=outlets.load([folder]), names=["Harbour Post"],
                              settings=settings(site), since=datetime(2025, 1, 1, tzinfo=timezone.utc))
    # The first is undated, so kept; the second is dated before --since.
    assert [(i.url, i.published) for i in found.listed if i.listed_in == f"{HP}/news-sitemap.xml"] == [
        (f"{HP}/news/2025/authority-names-tanker", None)]
    assert discover._date("0100-01-01") == "0100-01-01T00:00:00Z"


def test_gzip_past_the_size_cap_is_a_failure_not_a_crash(web, tmp_path):
    site, folder = web
    site.serve(f"{HP}/sitemap-2025.xml.gz", gzip.compress(b"<urlset>" + b" " * 50_000 + b"</urlset>"), content_type="application/gzip")
    capped = FetchSettings(proxy=site.url(""), allow_private=True, delay=0.0, retries=0, max_bytes=20_000)
    found = discover.discover(store.open_db(tmp_path / "p.db"), outlets=outlets.load([folder]), names=["Harbour Post"], settings=capped)
    assert f"{HP}/sitemap-2025.xml.gz: gzip sitemap inflates past 20000 bytes" in found.errors


def test_an_unknown_outlet_is_a_clear_error(tmp_path):
    with pytest.raises(OutletError, match="no outlet named 'Nowhere Gazette'"):
        discover.choose(outlets.load(), ["Nowhere Gazette"])
    result = CliRunner().invoke(cli, ["discover", "Nowhere Gazette", "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 1
    assert result.output == "Error: no outlet named 'Nowhere Gazette' (see `provenance outlets`)\n"


def test_cli_discover_prints_the_counts_and_exits_1_on_a_broken_feed(web, tmp_path):
    site, folder = web
    path = tmp_path / "p.db"
    args = ["discover", "Harbour Post", "--scrapers", str(folder), "--db", str(path), "--allow-private",
            "--proxy", site.url(""), "--delay", "0", "--retries", "0"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    assert f"Error: {HP}/broken.xml: not a feed" in result.output
    assert "read 5 feeds and sitemaps of 1 outlets (1 failed), listed 6 article URLs, 6 new\n" in result.output
    assert "fetched 5, stored 5, unchanged 0, skipped by robots 1, skipped 0, failed 0\n" in result.output
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from discovered").fetchone()[0] == 6


STORY = discover.DEMO_STORY


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_shows_discovery_and_the_derivatives_of_our_story(demo_output):
    output = demo_output
    assert output.startswith("fetched 8, stored 8, unchanged 0, skipped by robots 1, skipped 0, failed 0\n")
    step = output[output.index(f"\nDiscovery. Our story is {STORY}"):]
    # Orbis Daily's follow-up, linked from no page, is in its feed; the Pro piece is barred by robots
    assert "read 8 feeds and sitemaps of 6 outlets (0 failed), listed 10 article URLs, 2 new\n" in step
    assert "fetched 1, stored 1, unchanged 0, skipped by robots 1, skipped 0, failed 0\n" in step
    assert "Orbis Daily: http://www.orbisdaily.example/defence/2025/03/05/kestria-will-keep-sending-troops-aurenia-confirms\n" in step
    assert "attribution_strengthened: assesses -> confirmed" in step
    assert f"provenance trace --derivatives {STORY}\nDerivatives of {STORY}" in step
    assert re.search(r"number_changed: \w+ 3,000 -> 5,000\)", step)
