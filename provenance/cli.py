"""The `provenance` command: a thin click shell. Each command parses, calls one library function, prints."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

import json

from . import __version__, fetch, outlets as outlets_mod, pipeline, publish, store, trace as trace_mod
from . import discover as discover_mod, watch as watch_mod
from .errors import ProvenanceError
from .fetch import FetchSettings

DEFAULTS = FetchSettings()
_LOCAL_CLUSTER = "local"  # what `--dask` given no address means

# Scraped text (titles, anchors, URLs, file names) is untrusted: an ESC or a C1 control could recolour
# the terminal, move the cursor, set the window title or write the clipboard; a carriage return or a
# bidi override could make a line show something else; a lone surrogate (a non-UTF-8 file name)
# would crash the write. Each is shown escaped instead: \x1b, \r, \u202e, \udcff.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_LINE = re.compile(f"[\t\n{_CONTROLS}]")
_UNSAFE_LINES = re.compile(f"[{_CONTROLS}]")


def safe_text(value: object, *, multiline: bool = False) -> str:
    """`value` as text safe to echo to a terminal: one line unless `multiline` (tabs and newlines kept)."""
    pattern = _UNSAFE_LINES if multiline else _UNSAFE_LINE
    return pattern.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), str(value))


class ProvenanceGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProvenanceError as e:
            raise click.ClickException(safe_text(e)) from e


@click.group(cls=ProvenanceGroup)
@click.version_option(__version__, prog_name="provenance")
def cli() -> None:
    """Track where news claims come from: who said it first, through which articles, what changed."""


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db",
        default="provenance.db",
        show_default=True,
        envvar="PROVENANCE_DB",
        type=click.Path(dir_okay=False),
        help="SQLite database file (or $PROVENANCE_DB).",
    )(fn)


def scrapers_option(fn: Callable) -> Callable:
    return click.option(
        "--scrapers",
        multiple=True,
        type=click.Path(file_okay=False),
        help="A folder of extra outlet definitions (*.toml); may be repeated.",
    )(fn)


def fetch_options(fn: Callable) -> Callable:
    """The politeness and safety knobs, named like the FetchSettings fields they set."""
    options = [
        click.option("--allow-private", is_flag=True, help="Allow loopback, private and link-local addresses (off: refused)."),
        click.option("--proxy", help="HTTP(S) proxy URL for every request."),
        click.option("--user-agent", default=DEFAULTS.user_agent, show_default=True, help="User-Agent header sent."),
        click.option("--delay", type=click.FloatRange(min=0), default=DEFAULTS.delay, show_default=True,
                     help="Seconds between requests to one host (robots Crawl-delay or an outlet file may make it longer)."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULTS.timeout[1], show_default=True,
                     help="Seconds to wait for the server to send data."),
        click.option("--retries", type=click.IntRange(min=0), default=DEFAULTS.retries, show_default=True,
                     help="Extra attempts on 429, 5xx and connection errors (Retry-After honoured)."),
        click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULTS.max_bytes, show_default=True,
                     help="Largest decoded body accepted."),
    ]
    for option in reversed(options):
        fn = option(fn)

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        kwargs["settings"] = FetchSettings(
            user_agent=kwargs.pop("user_agent"),
            delay=kwargs.pop("delay"),
            timeout=(DEFAULTS.timeout[0], kwargs.pop("timeout")),
            retries=kwargs.pop("retries"),
            max_bytes=kwargs.pop("max_bytes"),
            allow_private=kwargs.pop("allow_private"),
            proxy=kwargs.pop("proxy"),
        )
        return fn(**kwargs)

    return wrapper


class _Progress:
    """One status line on a terminal, rewritten as items finish; silent when stderr is not a TTY."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.counts: dict[str, int] = {}

    def __call__(self, event: pipeline.Event) -> None:
        self.counts[event.outcome] = self.counts.get(event.outcome, 0) + 1
        if not self.enabled:
            return
        done = sum(self.counts.values())
        status = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        line = f"[{done}] {status} | {event.outcome}: {safe_text(event.item)}"
        width = 100
        click.echo("\r" + line[:width].ljust(width), nl=False, err=True)

    def close(self) -> None:
        if self.enabled and self.counts:
            click.echo("\r" + " " * 100 + "\r", nl=False, err=True)


def _finish(summary: pipeline.Summary, progress: _Progress) -> None:
    progress.close()
    for error in summary.errors:
        click.echo(f"Error: {safe_text(error)}", err=True)
    click.echo(summary.line())
    sys.exit(1 if summary.failed else 0)


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True, help="Link hops to follow from the start URLs.")
@click.option("--same-host-only", is_flag=True, help="Follow only links on the start URLs' hosts.")
@fetch_options
@scrapers_option
@db_option
def crawl(urls: tuple[str, ...], depth: int, same_host_only: bool, settings: FetchSettings, scrapers: tuple[str, ...], db: str) -> None:
    """Fetch URLS, follow their citation links to --depth, analyse and store."""
    progress = _Progress()
    summary = pipeline.crawl(
        store.open_db(db), urls, outlets=outlets_mod.load(scrapers), depth=depth, settings=settings,
        same_host_only=same_host_only, progress=progress,
    )
    _finish(summary, progress)


@cli.command()
@click.option("--older-than", help="Only articles last checked longer ago than this (90s, 15m, 6h, 2d, 1w).")
@fetch_options
@scrapers_option
@db_option
def recrawl(older_than: str | None, settings: FetchSettings, scrapers: tuple[str, ...], db: str) -> None:
    """Conditional GET of stored articles; changed content becomes a new version."""
    age = pipeline.parse_duration(older_than) if older_than else None
    progress = _Progress()
    summary = pipeline.recrawl(store.open_db(db), outlets=outlets_mod.load(scrapers), older_than=age, settings=settings, progress=progress)
    _finish(summary, progress)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base-url", help="URL of a lone file (default: its file:// URI).")
@click.option("--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="the number of cores",
              help="Worker processes that extract and analyse; one process writes, in input order.")
@click.option("--dask", metavar="[ADDRESS]", is_flag=False, flag_value=_LOCAL_CLUSTER,
              help="Analyse each PATH (a WARC shard) on the Dask scheduler at ADDRESS (tcp://host:8786), or "
                   "without ADDRESS on a local cluster of --jobs workers; needs pip install 'news-provenance[dask]'.")
@scrapers_option
@db_option
def ingest(paths: tuple[str, ...], base_url: str | None, jobs: int, dask: str | None, scrapers: tuple[str, ...], db: str) -> None:
    """Analyse and store .warc/.warc.gz files, saved .html pages, .txt files or folders of them, without the network.
    A page needs 80 characters of article text; a .txt file 20 (it has no page furniture)."""
    if dask is not None and dask != _LOCAL_CLUSTER and "://" not in dask:
        # click takes the word after --dask as its value; an address always has a scheme, so
        # anything else is the first shard of `--dask shards/*.warc.gz`.
        paths, dask = (dask, *paths), _LOCAL_CLUSTER
    if not paths:
        raise click.UsageError("Missing argument 'PATHS...'.")
    if dask is not None and base_url:
        raise click.UsageError("--base-url names a lone file; the WARC shards of --dask carry their own URLs")
    progress = _Progress()
    loaded = outlets_mod.load(scrapers)
    if dask is None:
        summary = pipeline.ingest(store.open_db(db), paths, outlets=loaded, base_url=base_url, jobs=jobs, progress=progress)
    else:
        scheduler = None if dask == _LOCAL_CLUSTER else dask
        summary = pipeline.ingest_shards(store.open_db(db), paths, outlets=loaded, scheduler=scheduler, workers=jobs, progress=progress)
    _finish(summary, progress)


@cli.command()
@click.argument("queries", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a query, one a line (DESIGN.md's shape).")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="Candidate matches listed per claim.")
@click.option("--derivatives", is_flag=True,
              help="The other way: for each QUERY (a stored article's URL), the later claims derived from it, with their distortions, newest last.")
@scrapers_option
@db_option
def trace(queries: tuple[str, ...], as_json: bool, top: int, derivatives: bool, scrapers: tuple[str, ...], db: str) -> None:
    """Where claims come from. QUERY is a stored article's URL (each of its claims) or the text of a
    claim (matched against every stored claim); - reads one query a line from stdin."""
    database = store.open_existing(db)
    settings = pipeline.matching(outlets_mod.load(scrapers))  # a typed "Pyongyang" finds "North Korea"
    lines = sys.stdin if queries == ("-",) else queries
    for query in lines:
        if not query.strip():
            continue
        if derivatives:
            found = trace_mod.derivatives(database, query)
            click.echo(json.dumps(found.as_json(), ensure_ascii=False) if as_json else safe_text(trace_mod.render_derivatives(found), multiline=True))
            continue
        answer = trace_mod.trace(database, query, top=top, settings=settings)
        click.echo(json.dumps(answer.as_json(), ensure_ascii=False) if as_json else safe_text(trace_mod.render(answer), multiline=True))


@cli.command("export-warc")
@click.argument("out", type=click.Path(dir_okay=False))
@db_option
def export_warc(out: str, db: str) -> None:
    """Write the raw captures kept by fetch and ingest to OUT (.warc or .warc.gz)."""
    count = fetch.write_warc(out, store.captures(store.open_existing(db)))
    click.echo(f"wrote {count} records to {out}")


@cli.command()
@scrapers_option
def outlets(scrapers: tuple[str, ...]) -> None:
    """List the outlet definitions loaded (shipped plus --scrapers), each validated."""
    loaded = outlets_mod.load(scrapers)
    for outlet in sorted(loaded.outlets, key=lambda o: o.name.lower()):
        extras = [f"{len(outlet.feeds)} feeds", f"{len(outlet.sitemaps)} sitemaps"]
        if outlet.delay is not None:
            extras.append(f"delay {outlet.delay:g}s")
        click.echo(f"{outlet.name}\t{', '.join(outlet.domains)}\t{', '.join(extras)}\t{outlet.path}")
    click.echo(f"{len(loaded.outlets)} outlets")


def discovery_options(fn: Callable) -> Callable:
    options = [
        click.argument("names", metavar="[OUTLET]...", nargs=-1),
        click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
                     help="Only URLs published on or after this UTC date (where the feed or sitemap dates them)."),
        click.option("--depth", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Citation hops to follow from each newly found article."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _print_discovery(found: discover_mod.Discovery) -> None:
    for error in found.errors:
        click.echo(f"Error: {safe_text(error)}", err=True)
    click.echo(found.line())
    click.echo(found.crawled.line())


@cli.command()
@discovery_options
@fetch_options
@scrapers_option
@db_option
def discover(names: tuple[str, ...], since: datetime | None, depth: int, settings: FetchSettings, scrapers: tuple[str, ...], db: str) -> None:
    """New article URLs from the feeds and sitemaps of each OUTLET (a name, alias or domain; default:
    every outlet that lists any), crawled and stored; URLs already stored are skipped. Refused while
    a watch or another discover runs on the database."""
    progress = _Progress()
    database = store.open_db(db)
    with watch_mod.locked(database, db) as token:
        found = discover_mod.discover(
            database, outlets=outlets_mod.load(scrapers), names=names, since=since and since.replace(tzinfo=timezone.utc),
            depth=depth, settings=settings, progress=watch_mod.heartbeating(database, token, progress),
        )
    progress.close()
    _print_discovery(found)
    sys.exit(1 if found.errors else 0)


@cli.command()
@click.option("--every", default="1h", show_default=True, help="Time between cycles (90s, 15m, 6h, 2d, 1w).")
@click.option("--cycles", type=click.IntRange(min=1), help="Stop after this many cycles (default: run until stopped).")
@discovery_options
@fetch_options
@scrapers_option
@db_option
def watch(every: str, cycles: int | None, names: tuple[str, ...], since: datetime | None, depth: int, settings: FetchSettings,
          scrapers: tuple[str, ...], db: str) -> None:
    """Discover (as `provenance discover OUTLET...`) then recrawl, every --every, until SIGINT or
    SIGTERM, which stop it after the item in hand. Resumes where the last run stopped; one run per
    database at a time."""
    interval = pipeline.parse_duration(every)
    loaded = outlets_mod.load(scrapers)
    database = store.open_db(db)
    progress = _Progress()

    def report(cycle: watch_mod.Cycle) -> None:
        progress.close()
        click.echo(f"cycle {cycle.number} started {cycle.started_at}")
        _print_discovery(cycle.discovery)
        click.echo(f"recrawl: {cycle.recrawled.line()}")

    with watch_mod.locked(database, db, interval) as token, watch_mod.stop_on_signals() as stop:
        done = watch_mod.watch(
            database, token=token, outlets=loaded, every=interval, stop=stop, names=names, cycles=cycles, depth=depth,
            since=since and since.replace(tzinfo=timezone.utc), settings=settings, progress=progress, report=report,
        )
    progress.close()
    click.echo(f"stopped after {done} cycles" + (" (a stop was asked for)" if stop.is_set() else ""))


def serve_options(fn: Callable) -> Callable:
    options = [
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on."),
        click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port to listen on."),
        click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@cli.command()
@serve_options
@click.option("--writable", is_flag=True, help="Open the database read-write (default: immutable).")
@db_option
def serve(host: str, port: int, open_browser: bool, writable: bool, db: str) -> None:
    """Publish the database with Datasette: metadata, canned queries, search, a chain page per claim.

    Read-only (immutable) unless --writable. Claim chains at /DB/-/claim/ID, articles at
    /DB/-/article/ID, what later articles made of one at /DB/-/derivatives/ID, each also as .json.
    """
    publish.serve(db, host=host, port=port, open_browser=open_browser, writable=writable, announce=click.echo)


@cli.command()
@click.option("--no-serve", is_flag=True, help="Stop after crawling and printing; don't start Datasette.")
@serve_options
@scrapers_option
@db_option
def demo(no_serve: bool, host: str, port: int, open_browser: bool, scrapers: tuple[str, ...], db: str) -> None:
    """Serve the bundled sample web on 127.0.0.1, crawl it from its last derivative, print what was stored and
    traced, discover through its outlets' feeds and sitemaps, list the derivatives of its original statement, then serve."""
    database = store.open_db(db)
    progress = _Progress()
    loaded = outlets_mod.load(scrapers)
    summary = pipeline.demo(database, outlets=loaded, progress=progress)
    progress.close()
    click.echo(summary.line())
    for row in store.article_overview(database):
        row = {k: safe_text(v) if isinstance(v, str) else v for k, v in row.items()}
        click.echo(f"\n{row['published'] or 'undated'}  {row['site_name'] or '?'}: {row['title']}\n  {row['url']}")
        for link in store.article_links(database, row["id"]):
            link = {k: safe_text(v) if isinstance(v, str) else v for k, v in link.items()}
            target = f"stored: {link['target_title']}" if link["target_title"] else "not stored"
            label = "declared origin" if link["kind"] == "declared_origin" else f"link \"{link['anchor_text']}\""
            click.echo(f"  -> {label} {link['url']} ({target})")
    start = pipeline.demo_start_url()
    click.echo(f"\nWhere the claims of {start} come from:")
    click.echo(safe_text(trace_mod.render(trace_mod.trace(database, start)), multiline=True))
    story = discover_mod.DEMO_STORY
    click.echo(f"\nDiscovery. Our story is {story}: who else carries its claims, and what did they change?")
    click.echo("provenance discover (the sample outlets' feeds and sitemaps; what is new is crawled):")
    found = discover_mod.demo(database, outlets=loaded, progress=progress)
    progress.close()
    _print_discovery(found)
    click.echo(f"\nprovenance trace --derivatives {story}")
    click.echo(safe_text(trace_mod.render_derivatives(trace_mod.derivatives(database, story)), multiline=True))
    if summary.failed or found.errors:
        for error in summary.errors:
            click.echo(f"Error: {safe_text(error)}", err=True)
        sys.exit(1)
    if not no_serve:
        click.echo(f"Serving {Path(db)} on http://{host}:{port}/ (Ctrl+C to stop)")
        publish.serve(db, host=host, port=port, open_browser=open_browser)
