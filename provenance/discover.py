"""Discovery: new article URLs from the outlets' feeds and sitemaps, crawled and stored.

Every feed and sitemap comes through the project's own Fetcher (robots.txt, per-host delay, size
cap, address guard); feedparser and lxml only ever see the bytes it fetched, so no library makes a
request of its own. A listing that fails (unreachable, not a feed, broken XML) is a `fetches` row
and the run goes on with the others.
"""

from __future__ import annotations

import calendar
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

import courlan
import feedparser
from lxml import etree
from sqlite_utils import Database

from . import fetch, pipeline, store
from .errors import OutletError
from .extract import normalize_url, url_host
from .fetch import LISTING_TYPES, FetchSettings, utc_iso
from .outlets import Outlet, Outlets

# A sitemap index may name thousands of children; an outlet's run reads at most this many listings.
MAX_LISTINGS_PER_OUTLET = 200
_GZIP_MAGIC = b"\x1f\x8b"
_SITEMAP_ROOTS = ("urlset", "sitemapindex")
# Safe XML: no entity expansion, no DTD or schema fetched from the network, recover what a
# truncated sitemap still holds (the same parser settings as trafilatura's sitemap reader).
_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


@dataclass(frozen=True)
class Listed:
    """An article URL as a feed or sitemap listed it."""

    url: str
    outlet: str
    listed_in: str
    published: str | None  # ISO 8601 UTC when the listing gave a date


@dataclass
class Discovery:
    """What one discovery run read, found and crawled."""

    outlets: int = 0
    listings: int = 0  # feeds and sitemaps (index children included) read
    failed: int = 0  # listings that could not be fetched or parsed (each a fetches row)
    listed: list[Listed] = field(default_factory=list)  # article URLs, once each
    new: list[str] = field(default_factory=list)  # listed URLs neither stored nor crawled before
    crawled: pipeline.Summary = field(default_factory=pipeline.Summary)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"read {self.listings} feeds and sitemaps of {self.outlets} outlets ({self.failed} failed), "
            f"listed {len(self.listed)} article URLs, {len(self.new)} new"
        )


class _NotAListing(Exception):
    """The bytes are no feed or sitemap; the message says why, for the fetch row."""


def choose(outlets: Outlets, names: Sequence[str]) -> list[Outlet]:
    """The outlets named (by name, alias or domain), or every outlet with a feed or sitemap."""
    if not names:
        return [o for o in outlets.outlets if o.feeds or o.sitemaps]
    chosen = []
    for name in names:
        outlet = outlets.for_name(name) or outlets.for_host(name)
        if outlet is None:
            raise OutletError(f"no outlet named {name!r} (see `provenance outlets`)")
        if not (outlet.feeds or outlet.sitemaps):
            raise OutletError(f"{outlet.name} ({outlet.path}) lists no feeds or sitemaps to discover from")
        chosen.append(outlet)
    return list(dict.fromkeys(chosen))


def discover(
    db: Database,
    *,
    outlets: Outlets,
    names: Sequence[str] = (),
    since: datetime | None = None,
    depth: int = 0,
    settings: FetchSettings = FetchSettings(),
    resolve: Callable[[str], list[str]] | None = None,
    progress: pipeline.Progress = lambda event: None,
) -> Discovery:
    """Read the chosen outlets' feeds and sitemaps, keep their article URLs (on the outlet's own
    hosts, matching its article patterns, published on or after `since` when dated), and crawl
    those not stored yet, with their citations to `depth`. URLs listed by an earlier, interrupted
    run and never crawled are crawled too."""
    chosen = choose(outlets, names)
    found = Discovery(outlets=len(chosen))
    fetcher = fetch.Fetcher(settings, resolve=resolve, host_delays=outlets.host_delays())
    try:
        listed: dict[str, Listed] = {}
        for outlet in chosen:
            for item in _read_outlet(db, fetcher, outlet, outlets, found, progress):
                if since is None or item.published is None or datetime.fromisoformat(item.published) >= since:
                    listed.setdefault(item.url, item)
        found.listed = list(listed.values())
        known = store.known_urls(db, list(listed))
        found.new = [u for u in listed if u not in known]
        now = utc_iso(datetime.now(timezone.utc))
        store.save_discovered(
            db,
            [{"url": i.url, "outlet": i.outlet, "listed_in": i.listed_in, "published": i.published, "found_at": now,
              "crawled_at": now if i.url in known else None} for i in found.listed],
        )
        pending = store.pending_discoveries(db)
    except BaseException:
        fetcher.close()
        raise
    if pending:
        found.crawled = pipeline.crawl(db, pending, outlets=outlets, depth=depth, settings=settings, resolve=resolve,
                                       progress=progress, fetcher=fetcher)
        found.errors += found.crawled.errors
    else:
        fetcher.close()
    # A page that timed out or answered 503 stays pending, so the next run tries it again.
    retry = set(found.crawled.unavailable)
    store.mark_discovered(db, [u for u in pending if u not in retry], utc_iso(datetime.now(timezone.utc)))
    return found


def _read_outlet(
    db: Database, fetcher: fetch.Fetcher, outlet: Outlet, outlets: Outlets, found: Discovery, progress: pipeline.Progress
) -> list[Listed]:
    """Every article URL the outlet's feeds and sitemaps (and their child sitemaps) list."""
    queue = [(u, "feed") for u in outlet.feeds] + [(u, "sitemap") for u in outlet.sitemaps]
    seen: set[str] = set()
    items: list[Listed] = []
    while queue and len(seen) < MAX_LISTINGS_PER_OUTLET:
        url, kind = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        result = fetcher.fetch(url, types=LISTING_TYPES)
        store.record_attempts(db, result.attempts)
        if result.robots:
            progress(pipeline.Event(url, "skipped", result.skipped))
            continue
        found.listings += 1
        if result.skipped or result.error or result.page is None:  # a skip here is the content type
            _failed(found, progress, url, result.skipped or result.error or "no response")
            continue
        try:
            if kind == "feed":
                entries, children = _feed(result.page.body, result.page.final_url), []
            else:
                entries, children = _sitemap(result.page.body, fetcher.settings.max_bytes)
        except _NotAListing as e:
            store.note_failure(db, result.attempts[-1], str(e))
            _failed(found, progress, url, str(e))
            continue
        queue += [(c, "sitemap") for c in children if outlets.for_host(url_host(c)) == outlet]
        kept = [
            Listed(article, outlet.name, url, published)
            for link, published in entries
            if (article := _article_url(link, outlet, outlets)) is not None
        ]
        items += kept
        progress(pipeline.Event(url, "listed", f"{len(kept)} article URLs"))
    return items


def _failed(found: Discovery, progress: pipeline.Progress, url: str, reason: str) -> None:
    found.failed += 1
    found.errors.append(f"{url}: {reason}")
    progress(pipeline.Event(url, "failed", reason))


def _article_url(link: str, outlet: Outlet, outlets: Outlets) -> str | None:
    """The link as an article URL of this outlet, or None: off-site, a section, tag or login page."""
    url = normalize_url(link)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or outlets.for_host(parts.hostname or "") != outlet:
        return None
    if parts.path in ("", "/") or not outlet.is_article_url(parts.path):
        return None
    if courlan.is_navigation_page(url) or courlan.is_not_crawlable(url):
        return None
    return url


def _feed(body: bytes, url: str) -> list[tuple[str, str | None]]:
    """(link, published) of each entry of an RSS or Atom feed."""
    # A stream, never a string: given a string, feedparser would fetch it if it looked like a URL.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
    if parsed.bozo and not parsed.entries:
        raise _NotAListing(f"not a feed ({_reason(parsed.get('bozo_exception'))})")
    if not parsed.version and not parsed.entries:
        raise _NotAListing("not a feed (no RSS or Atom found)")
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        entries.append((link, utc_iso(datetime.fromtimestamp(calendar.timegm(when), timezone.utc)) if when else None))
    return entries


def _sitemap(body: bytes, max_bytes: int) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(loc, published) of each page of a sitemap (Google News publication dates first, then
    lastmod), and the child sitemaps of a sitemap index. Gzip is inflated here, capped."""
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body, max_bytes)
    try:
        root = etree.fromstring(body, _XML)
    except etree.XMLSyntaxError as e:
        raise _NotAListing(f"not a sitemap ({e})") from e
    if root is None or etree.QName(root).localname not in _SITEMAP_ROOTS:
        raise _NotAListing("not a sitemap (no urlset or sitemapindex)")
    pages, children = [], []
    for entry in root:
        if not isinstance(entry.tag, str):
            continue  # comments and processing instructions
        values = {etree.QName(e).localname: (e.text or "").strip() for e in entry.iter() if isinstance(e.tag, str)}
        loc = values.get("loc")
        if not loc:
            continue
        if etree.QName(root).localname == "sitemapindex":
            children.append(loc)
        else:
            pages.append((loc, _date(values.get("publication_date") or values.get("lastmod"))))
    return pages, children


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes)
    except zlib.error as e:
        raise _NotAListing(f"broken gzip ({e})") from e
    if inflater.unconsumed_tail:
        raise _NotAListing(f"gzip sitemap inflates past {max_bytes} bytes")
    return out


def _date(text: str | None) -> str | None:
    """An ISO 8601 date or time from a sitemap as UTC; a bare date is midnight UTC; None if unreadable."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
        # A time zone can carry year 1 or 9999 out of datetime's range.
        return utc_iso(when)
    except (ValueError, OverflowError):
        return None




def _reason(exc: object) -> str:
    return str(exc).splitlines()[0] if exc else "unreadable"


# The demo's "our story": the Joint Staff's statement, the original every later sample article
# draws on, directly or through the wire (the blog's 5,000 comes from its 3,000 via two rewrites).
DEMO_STORY = "http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment"


def demo(db: Database, *, outlets: Outlets, progress: pipeline.Progress = lambda event: None) -> Discovery:
    """Discovery on the bundled sample web, through its proxy: every outlet of its hosts."""
    from .demo import HOST_SUFFIX, sample_web

    names = [o.name for o in outlets.outlets if (o.feeds or o.sitemaps) and all(d.endswith(HOST_SUFFIX) for d in o.domains)]
    with sample_web() as web:
        # Our own server on loopback: no need to wait between requests or to retry.
        settings = FetchSettings(proxy=web.proxy_url, allow_private=True, delay=0.0, retries=0)
        return discover(db, outlets=outlets, names=names, settings=settings, progress=progress)
