"""crawl / ingest / recrawl / demo: the one place that knows the order of the stages.

Each item (a URL or a file) is analysed and stored on its own, so one bad page never costs the
rest of the batch: its failure is recorded (in `fetches`, or returned for the CLI to print) and
the run goes on.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from sqlite_utils import Database

from . import attribute as attribute_stage
from . import match as match_stage
from . import claims as claims_stage
from . import extract as extract_stage
from . import fetch, parallel, store
from .errors import ExtractionError, ProvenanceError
from .extract import Article, ExtractOptions
from .fetch import FetchSettings, Page, Unreadable
from .outlets import Outlets


@dataclass(frozen=True)
class Event:
    """One finished item, for progress display."""

    item: str
    outcome: str  # stored, unchanged, not-modified, skipped, failed
    detail: str = ""


@dataclass
class Summary:
    fetched: int = 0
    stored: int = 0
    unchanged: int = 0
    skipped: int = 0
    robots: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # URLs that failed for now (timeouts, 5xx): try again later

    def line(self) -> str:
        return (
            f"fetched {self.fetched}, stored {self.stored}, unchanged {self.unchanged}, "
            f"skipped by robots {self.robots}, skipped {self.skipped - self.robots}, failed {self.failed}"
        )


Progress = Callable[[Event], None]


def _quiet(_: Event) -> None:
    pass


@dataclass
class _Run:
    db: Database
    outlets: Outlets
    options: ExtractOptions
    progress: Progress
    summary: Summary = field(default_factory=Summary)

    def emit(self, item: str, outcome: str, detail: str = "", *, robots: bool = False) -> None:
        if outcome == "failed":
            self.summary.failed += 1
            self.summary.errors.append(f"{item}: {detail}")
        elif outcome == "skipped":
            self.summary.skipped += 1
            self.summary.robots += robots
        elif outcome in ("unchanged", "not-modified"):
            self.summary.unchanged += 1
        elif outcome == "stored":
            self.summary.stored += 1
        self.progress(Event(item, outcome, detail))

    def analyse(self, page: Page, item: str, fetched: fetch.Attempt | None = None) -> Article | None:
        """Extract and store one page; None when it holds no article, the reason put on its fetch row."""
        return self.save(analysed(page, self.outlets, self.options), item, fetched)

    def save(self, result: Analysed, item: str, fetched: fetch.Attempt | None = None) -> Article | None:
        """Store what the pure stages found in one page, or record why they found no article."""
        if result.article is None or result.analysis is None:
            # The message names the page; said once, not as "URL: URL: no article text found".
            reason = result.failure.removeprefix(f"{item}: ")
            if fetched is not None:
                store.note_failure(self.db, fetched, reason)
            self.emit(item, "failed", reason)
            return None
        saved = store.save_article(self.db, result.article, result.page, result.analysis)
        self.emit(item, "stored" if saved.changed else "unchanged", result.article.title or result.article.url)
        return result.article

    def save_all(self, results: Iterable[Analysed | Unreadable]) -> None:
        """Store the results of ingest's inputs, in the order they come."""
        for result in results:
            if isinstance(result, Unreadable):
                self.emit(result.source, "failed", result.error)
                continue
            self.summary.fetched += 1
            self.save(result, result.page.url)


@dataclass(frozen=True)
class Analysed:
    """One page through the pure stages, ready for the store: its article and what was found in it,
    or why it holds no article. Picklable, so worker processes and Dask workers can return it."""

    page: Page
    article: Article | None = None
    analysis: store.Analysis | None = None
    failure: str = ""  # the ExtractionError's message when article is None


def analysed(item: Page | Unreadable, outlets: Outlets, options: ExtractOptions) -> Analysed | Unreadable:
    """The pure stages in order: extract, split into claims, attribute, hash the claims' MinHash
    bands. No database, so this runs as well in a worker process or on a Dask worker as here; an
    Unreadable input passes through."""
    if isinstance(item, Unreadable):
        return item
    try:
        article = extract_stage.extract(item, outlets, options)
    except ExtractionError as e:
        return Analysed(item, failure=str(e))
    found = claims_stage.split(article.text, outlets.dateline_patterns)
    sources = attribute_stage.attribute(
        found,
        outlets,
        links=article.links,
        declared_origin=article.declared_origin,
        declared_origin_url=article.declared_origin_url,
        credit=claims_stage.dateline(article.text, outlets.dateline_patterns),
        site=outlets.for_host(article.domain) or attribute_stage.speaking_body(article.url, article.site_name, article.author, article.text),
    )
    return Analysed(item, article, store.Analysis(found, sources, [match_stage.bands(c.text) for c in found]))


def analysed_shard(shard: str, outlets: Outlets, options: ExtractOptions) -> list[Analysed | Unreadable]:
    """Every input in one shard (a WARC file, usually), analysed, in the order ingest reads them."""
    return [analysed(item, outlets, options) for item in fetch.read_paths([shard])]


def crawl(
    db: Database,
    urls: Sequence[str],
    *,
    outlets: Outlets,
    depth: int = 2,
    settings: FetchSettings = FetchSettings(),
    same_host_only: bool = False,
    resolve: Callable[[str], list[str]] | None = None,
    options: ExtractOptions = ExtractOptions(),
    progress: Progress = _quiet,
    fetcher: fetch.Fetcher | None = None,
) -> Summary:
    """Breadth-first from `urls`, following citation links in article bodies and declared origins.

    `fetcher` is one already in use this run (discovery's), so that its robots.txt rules and
    per-host timing carry over to the crawl; it is closed when the crawl ends."""
    if depth < 0:
        raise ProvenanceError("--depth must be 0 or more")
    run = _Run(db, outlets, options, progress)
    starts = [extract_stage.normalize_url(u) for u in urls]
    start_hosts = {extract_stage.url_host(u) for u in starts}
    queue: deque[tuple[str, int]] = deque((u, 0) for u in dict.fromkeys(starts))
    seen = set(starts)
    with fetcher or fetch.Fetcher(settings, resolve=resolve, host_delays=outlets.host_delays()) as fetcher:
        while queue:
            url, hops = queue.popleft()
            result = fetcher.fetch(url)
            store.record_attempts(db, result.attempts)
            if result.skipped:
                run.emit(url, "skipped", result.skipped, robots=result.robots)
                continue
            if result.error or result.page is None:
                if result.transient:
                    run.summary.unavailable.append(url)
                run.emit(url, "failed", result.error or "no response")
                continue
            run.summary.fetched += 1
            article = run.analyse(result.page, url, result.attempts[-1])
            if article is None:
                continue
            seen.update((article.url, article.fetched_url))
            if hops >= depth:
                continue
            for target in _citations(article, outlets):
                if target in seen or (same_host_only and extract_stage.url_host(target) not in start_hosts):
                    continue
                seen.add(target)
                queue.append((target, hops + 1))
    match_pending(db, matching(outlets))
    return run.summary


def _citations(article: Article, outlets: Outlets) -> list[str]:
    """Links worth following: http(s), not back to this article, not an outlet's front or section page."""
    found = [link.url for link in article.links]
    if article.declared_origin_url:
        found.append(article.declared_origin_url)
    targets = []
    for url in dict.fromkeys(found):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or url in (article.url, article.fetched_url):
            continue
        if parts.path in ("", "/"):
            continue
        outlet = outlets.for_host(parts.hostname or "")
        if outlet and not outlet.is_article_url(parts.path):
            continue
        targets.append(url)
    return targets


def ingest(
    db: Database,
    paths: Sequence[str | Path],
    *,
    outlets: Outlets,
    base_url: str | None = None,
    options: ExtractOptions = ExtractOptions(),
    jobs: int = 1,
    progress: Progress = _quiet,
) -> Summary:
    """The same analysis as crawl, from WARC files, saved HTML pages and text files; no network.
    With `jobs` > 1 the pure stages run in that many worker processes; this process alone writes,
    in input order, so the database is the one `jobs=1` builds."""
    run = _Run(db, outlets, options, progress)
    work = functools.partial(analysed, outlets=outlets, options=options)
    run.save_all(parallel.ordered_map(work, fetch.read_paths(paths, base_url=base_url), jobs=jobs))
    match_pending(db, matching(outlets))
    return run.summary


def ingest_shards(
    db: Database,
    shards: Sequence[str | Path],
    *,
    outlets: Outlets,
    scheduler: str | None = None,
    workers: int = 1,
    options: ExtractOptions = ExtractOptions(),
    progress: Progress = _quiet,
) -> Summary:
    """ingest, with each shard read and analysed on a Dask worker (the cluster at `scheduler`, or a
    LocalCluster of `workers` processes): the database is the one `ingest(db, shards)` builds."""
    run = _Run(db, outlets, options, progress)
    work = functools.partial(analysed_shard, outlets=outlets, options=options)
    # Workers open the shards in a working directory of their own, on other machines too.
    absolute = [str(Path(s).absolute()) for s in shards]
    for results in parallel.map_shards(work, absolute, scheduler=scheduler, workers=workers):
        run.save_all(results)
    match_pending(db, matching(outlets))
    return run.summary


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '6h', '2d', '1w' -> timedelta."""
    m = _DURATION.match(text)
    if not m:
        raise ProvenanceError(f"{text!r} is not a duration (use a number and s, m, h, d or w, such as 6h)")
    return timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})


def recrawl(
    db: Database,
    *,
    outlets: Outlets,
    older_than: timedelta | None = None,
    settings: FetchSettings = FetchSettings(),
    resolve: Callable[[str], list[str]] | None = None,
    options: ExtractOptions = ExtractOptions(),
    progress: Progress = _quiet,
) -> Summary:
    """Conditional GET of every stored article (last checked before `older_than` ago)."""
    cutoff = None
    if older_than is not None:
        cutoff = (datetime.now(timezone.utc) - older_than).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = _Run(db, outlets, options, progress)
    with fetch.Fetcher(settings, resolve=resolve, host_delays=outlets.host_delays()) as fetcher:
        for stored in store.stored_articles(db, checked_before=cutoff):
            result = fetcher.fetch(stored.fetched_url, etag=stored.etag, last_modified=stored.last_modified)
            store.record_attempts(db, result.attempts)
            if result.not_modified:
                store.mark_checked(db, stored.article_id, result.attempts[-1].fetched_at)
                run.emit(stored.url, "not-modified")
            elif result.skipped:
                run.emit(stored.url, "skipped", result.skipped, robots=result.robots)
            elif result.error or result.page is None:
                run.emit(stored.url, "failed", result.error or "no response")
            else:
                run.summary.fetched += 1
                run.analyse(result.page, stored.url, result.attempts[-1])
    match_pending(db, matching(outlets))
    return run.summary


# The sample web's oldest article is three citation hops from its last derivative.
DEMO_DEPTH = 3


def demo_start_url() -> str:
    """The sample web's last derivative, where the demo starts its crawl."""
    from .demo import START_URLS

    return START_URLS[0]


def demo(db: Database, *, outlets: Outlets, progress: Progress = _quiet) -> Summary:
    """Crawl the bundled sample web, served on 127.0.0.1 under its real-looking host names."""
    from .demo import sample_web

    with sample_web() as web:
        # Our own server on loopback: no need to wait between requests or to retry.
        settings = FetchSettings(proxy=web.proxy_url, allow_private=True, delay=0.0, retries=0)
        return crawl(db, web.start_urls, outlets=outlets, depth=DEMO_DEPTH, settings=settings, progress=progress)


def matching(outlets: Outlets) -> match_stage.MatchSettings:
    """The matcher's settings with what the outlet definitions know (places' other names)."""
    return match_stage.MatchSettings(places=outlets.place_aliases())


# What save_matches writes for a claim: its matches, and its listed candidates' scores and ids.
_Rows = tuple[list[match_stage.Match], list[tuple[float, int | None]]]


def match_pending(db: Database, settings: match_stage.MatchSettings = match_stage.MatchSettings(), progress: Progress = _quiet) -> int:
    """Match the claims of every article not matched since it last changed, and re-match later
    claims that one of them may now explain (a crawl stores derivatives before their origins).
    Safe to interrupt: an article counts as matched only once all of this is written."""
    pending = store.pending_articles(db)
    if not pending:
        return 0
    affected: dict[int, None] = {}
    # No claim is written while matching: each term's full-text rows are read once for the run.
    index = store.FullText(db)
    # Later claims a pending one may explain need looking for only among articles already matched:
    # on a first ingest every article is pending, and that search (a full-text query a claim) finds nothing new.
    sweep = store.any_matched(db)
    for article_id in pending:
        if not sweep:
            affected.update(dict.fromkeys(store.current_claim_ids(db, article_id)))
            continue
        for view in store.claim_views(db, store.current_claim_ids(db, article_id)):
            affected[view.claim_id] = None
            affected.update(dict.fromkeys(store.candidate_ids(db, view, earlier=False, index=index)))
    # Two passes: what an article's other claims matched (which article it mostly rewrites, whether
    # it is a derivative at all) is only known once each has been matched once. The candidates
    # themselves do not change between passes: looked up once.
    candidate_ids: dict[int, list[int]] = {}
    # What the first pass scored and wrote for each claim. `likeness` reads neither a claim's origins
    # nor its favoured article nor its candidates' origins (tests/test_pipeline.py holds it to that):
    # a view the first pass changed only in those keeps its scores, `ordered` adds the favoured
    # article's bonus anew, and choose, which reads the candidates' origins (a cited carrier
    # restates the best match), runs again on them as they are now. Two thirds of the claims of
    # benchmarks/corpus.py's first ingest gain a favoured article in the first pass.
    first: dict[int, tuple[match_stage.ClaimView, list[match_stage.Likeness], _Rows]] = {}
    for final in (False, True):
        derivative: dict[int, bool] = {}
        views = {v.claim_id: v for v in store.claim_views(db, list(affected))}  # one read a claim a pass

        def viewed(ids: list[int]) -> list[match_stage.ClaimView]:
            missing = [i for i in ids if i not in views]
            views.update({v.claim_id: v for v in store.claim_views(db, missing, citations=False)})
            return [views[i] for i in ids if i in views]

        for view in list(views.values()):
            kept = first.get(view.claim_id) if final else None
            if kept is not None and replace(kept[0], origin_claims=view.origin_claims, favoured_article=view.favoured_article) == view:
                now = {c.claim_id: c for c in viewed([s.candidate.claim_id for s in kept[1]])}
                scored = [replace(s, candidate=now.get(s.candidate.claim_id, s.candidate)) for s in kept[1]]
            else:
                if view.claim_id not in candidate_ids:
                    candidate_ids[view.claim_id] = store.candidate_ids(db, view, earlier=True, index=index)
                scored = match_stage.likeness(view, viewed(candidate_ids[view.claim_id]), settings, floor=settings.carrier_floor)
            ranked = match_stage.ordered(view, scored, settings)
            found = match_stage.choose(view, ranked, settings)
            listed = [(score, c) for score, c in ranked if score >= settings.threshold][: settings.top]
            rows = (found, [(score, c.claim_id) for score, c in listed])
            if not final:
                first[view.claim_id] = (view, scored, rows)
            if view.article_id not in derivative:
                derivative[view.article_id] = final and store.is_derivative(db, view.article_id)
            unsupported = (
                not found and view.source is None and not view.heading and not view.standfirst and derivative[view.article_id]
                and match_stage.is_checkable(view.text, view.quantities)
                and not store.source_follows(db, view.claim_id) and not store.in_editors_note(db, view.claim_id)
            )
            if kept is None or unsupported or rows != kept[2]:  # else the first pass wrote these very rows
                store.save_matches(db, view.claim_id, found, listed, unsupported)
            if final:
                progress(Event(f"claim {view.claim_id}", "matched", f"{len(found)} origin(s)"))
    store.mark_matched(db, pending)
    return len(affected)
