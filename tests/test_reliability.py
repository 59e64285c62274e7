"""Reliability and security (issue 7): a hostile web, kill -9, bad files, SSRF, untrusted text.

Modelled on how Scrapy tests itself (a mock server with a route per failure, assertions on what
the server saw) and how SQLite does (crash at random points, resume, compare, integrity_check).
No traffic leaves 127.0.0.1: public-looking hosts exist only through the resolver seam, and the
`connect_to` seam routes their vetted addresses back to a server here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from faultserver import ANSI_TITLE, FAULTS, GOOD, NEWS_EXAMPLE_PEM, TEST_CA_PEM, FaultServer, article
from provenance import outlets, pipeline, store
from provenance.cli import cli, safe_text
from provenance.fetch import Fetcher, FetchSettings, Page, file_url, write_warc

# The CLI as a user runs it, in a process of its own (cwd elsewhere, so the installed package runs).
CLI = [sys.executable, "-c", "from provenance.cli import cli; cli()"]
HINT = "(use --allow-private to allow it)"
CAP = "body exceeds 10000000 bytes"  # the default max_bytes
PUBLIC = "93.184.216.34"  # what the resolver seam says public hosts resolve to; never dialled


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str
    peak_rss: int  # bytes, of that process alone (wait4)
    elapsed: float


def run_measured(args: list[str], cwd: Path, timeout: float) -> Finished:
    """Run `args`; its exit code, output, own peak RSS (from wait4, not the test's) and duration."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    start = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(args, cwd=cwd, stdout=stdout, stderr=stderr)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                pytest.fail(f"{args[3]} did not finish within {timeout:g} s")
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Finished(proc.returncode, out.read_text("utf-8", "backslashreplace"), err.read_text("utf-8", "backslashreplace"),
                    usage.ru_maxrss * 1024, time.monotonic() - start)


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# ---- 1, 2: a crawl of the hostile web ----------------------------------------------------------


# Every fetches row a URL must get, (status, error), and the line the CLI prints for it (None: none).
OUTCOMES: dict[str, tuple[list[tuple[int | None, str | None]], str | None]] = {
    "/good/1": ([(200, None)], None),
    "/good/2": ([(200, None)], None),
    "/good/3": ([(200, None)], None),
    "/retry/429-then-ok": ([(429, "HTTP 429"), (200, None)], None),
    "/retry/503": ([(503, "HTTP 503")] * 2, "HTTP 503 after 2 attempts"),
    "/stall/mid-body": ([(200, "read timed out")] * 2, "read timed out after 2 attempts"),
    "/reset": ([(None, "connection reset")] * 2, "connection reset after 2 attempts"),
    "/bomb/gzip": ([(200, CAP)], CAP),
    "/bomb/deflate": ([(200, CAP)], CAP),
    "/bomb/deflate-raw": ([(200, CAP)], CAP),
    "/bomb/gzip-gzip": ([(200, CAP)], CAP),
    "/endless/chunked": ([(200, CAP)], CAP),
    "/redirect/loop": ([(302, None)] * 5 + [(302, "too many redirects (over 10)")], "too many redirects (over 10)"),
    "/redirect/chain/0": ([(302, None)], "too many redirects (over 10)"),
    "/type/image": ([(200, "skipped: unsupported content type image/png")], None),
    "/type/json-as-html": ([(200, "no article text found")], "no article text found"),
    "/huge/declared": ([(200, CAP)], CAP),
    "/huge/chunked": ([(200, CAP)], CAP),
    "/charset/lying": ([(200, None)], None),
    "/links/50k": ([(200, "page too large to analyse (over 30,000 HTML elements)")],
                   "page too large to analyse (over 30,000 HTML elements)"),
    "/title/1mb": ([(200, None)], None),
    "/title/ansi": ([(200, None)], None),
    "/empty": ([(200, "no article text found")], "no article text found"),
    "/nested/deep": ([(200, "no article text found")], "no article text found"),
}
STORED = {"Good page 1", "Good page 2", "Good page 3", "Served after a 429", "Caf\u00e9 cr\u00e8me: \u201cquoted\u201d",
          "A page with a very long title"}


def test_every_fault_has_an_expected_outcome():
    assert set(OUTCOMES) == set(GOOD) | set(FAULTS) - {"/redirect/loopback"}  # that one is SSRF's


def test_a_crawl_of_the_hostile_web_is_bounded_records_every_failure_and_stores_the_good_pages(tmp_path):
    db = tmp_path / "hostile.db"
    with FaultServer() as web, FaultServer(robots="500") as down, FaultServer(robots="timeout") as silent:
        urls = [web.url(path) for path in OUTCOMES] + [down.url("/good/1"), silent.url("/good/1")]
        run = run_measured([*CLI, "crawl", *urls, "--db", str(db), "--depth", "0", "--allow-private",
                            "--delay", "0", "--timeout", "1.5", "--retries", "1"], tmp_path, timeout=240)
        served_by_robots_hosts = down.paths_requested + silent.paths_requested
    print(f"\nhostile crawl: exit {run.code}, {run.elapsed:.1f} s, peak RSS {run.peak_rss / 1e6:.0f} MB")

    assert run.peak_rss < 1.5e9
    assert run.elapsed < 180
    assert run.code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stdout == "fetched 11, stored 7, unchanged 0, skipped by robots 0, skipped 1, failed 18\n"

    fetches = rows(db, "select url, status, error, bytes from fetches order by id")
    seen: dict[str, list[tuple]] = {}
    for url, status, error, size in fetches:
        seen.setdefault(url, []).append((status, error, size))
    for path, (expected, _) in OUTCOMES.items():
        got = [(status, error) for status, error, _ in seen[web.url(path)]]
        assert got == expected, path
    # Both redirect traps end on a row that says why, after 11 requests.
    loop = [(s, e) for u, s, e, _ in fetches if u.startswith(web.url("/redirect/loop"))]
    chain = [(s, e) for u, s, e, _ in fetches if u.startswith(web.url("/redirect/chain/"))]
    for hops in (loop, chain):
        assert hops == [(302, None)] * 10 + [(302, "too many redirects (over 10)")]
    # Streaming stopped at the cap: never the gigabyte behind a bomb; a declared 20 MB not read at all.
    for path in ("/bomb/gzip", "/bomb/deflate", "/bomb/deflate-raw", "/bomb/gzip-gzip", "/endless/chunked", "/huge/chunked"):
        [(_, _, size)] = seen[web.url(path)]
        assert 10_000_000 < size <= 10_000_000 + 65_536, path
    assert seen[web.url("/huge/declared")][0][2] == 0
    # robots.txt: 5xx and silence both keep us off the host, recorded, and nothing else is asked.
    assert [(s, e) for s, e, _ in seen[down.url("/robots.txt")]] == [(500, "HTTP 500")] * 2
    assert [(s, e) for s, e, _ in seen[silent.url("/robots.txt")]] == [(None, "read timed out")] * 2
    down_error = "robots.txt unavailable (HTTP 500 after 2 attempts): host skipped for this run"
    silent_error = "robots.txt unavailable (read timed out after 2 attempts): host skipped for this run"
    assert [(s, e) for s, e, _ in seen[down.url("/good/1")]] == [(None, down_error)]
    assert [(s, e) for s, e, _ in seen[silent.url("/good/1")]] == [(None, silent_error)]
    assert served_by_robots_hosts == ["/robots.txt"] * 4

    expected_lines = {f"Error: {web.url(path)}: {line}" for path, (_, line) in OUTCOMES.items() if line}
    expected_lines |= {f"Error: {down.url('/good/1')}: {down_error}", f"Error: {silent.url('/good/1')}: {silent_error}"}
    assert set(run.stderr.splitlines()) == expected_lines
    assert len(run.stderr.splitlines()) == len(expected_lines)

    titles = {title for (title,) in rows(db, "select title from articles")}
    assert STORED <= titles and len(titles) == 7
    [(ansi,)] = rows(db, "select title from articles where url = ?", (web.url("/title/ansi"),))
    assert ansi.startswith("Breaking")
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize("path", ["/bomb/deflate", "/bomb/deflate-raw", "/bomb/gzip-gzip", "/endless/chunked"])
def test_bombs_and_endless_bodies_stop_at_the_cap_in_little_memory(path):
    settings = FetchSettings(allow_private=True, delay=0.0, max_bytes=1_000_000, obey_robots=False)
    with FaultServer() as web, Fetcher(settings) as fetcher:
        tracemalloc.start()
        try:
            result = fetcher.fetch(web.url(path))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error == "body exceeds 1000000 bytes"
    assert 1_000_000 < result.attempts[0].bytes <= 1_000_000 + 65_536
    assert peak < 30_000_000  # behind each of these is a gigabyte or more


@pytest.mark.parametrize(("robots", "allowed"), [("401", True), ("403", True), ("410", True), ("503", False)])
def test_robots_4xx_allows_everything_and_5xx_keeps_us_off(robots, allowed):
    # Scrapy and RFC 9309: a robots.txt that is missing or forbidden has no rules; a failing server gets none of our requests.
    settings = FetchSettings(allow_private=True, delay=0.0, retries=0, backoff=0.01)
    with FaultServer(robots=robots) as web, Fetcher(settings) as fetcher:
        result = fetcher.fetch(web.url("/good/1"))
        requested = web.paths_requested
    if allowed:
        assert result.page is not None and requested == ["/robots.txt", "/good/1"]
    else:
        assert result.error == f"robots.txt unavailable (HTTP {robots}): host skipped for this run"
        assert requested == ["/robots.txt"]


def test_a_redirect_to_an_unparseable_location_is_a_recorded_failure_not_a_crash():
    settings = FetchSettings(allow_private=True, delay=0.0, retries=0)
    with FaultServer(redirect_to="http://[oops/") as web, Fetcher(settings) as fetcher:
        result = fetcher.fetch(web.url("/redirect/loopback"))
    assert result.error == "invalid URL in the server's reply (Invalid IPv6 URL)"
    assert [(a.status, a.error) for a in result.attempts][-1] == (None, result.error)


def test_a_page_citing_an_unparseable_url_is_stored_without_that_link(tmp_path):
    bad = article("Bad links", extra='<p>See <a href="http://[oops/">the report</a> and '
                                      '<a href="https://ok.example/a">the other one</a>.</p>',
                  heading="Bad links").replace(b"<title>", b'<link rel="canonical" href="http://[x/"><title>')
    path = tmp_path / "bad-links.html"
    path.write_bytes(bad)
    db = store.open_db(tmp_path / "p.db")
    summary = pipeline.ingest(db, [path], outlets=outlets.load())
    assert summary.stored == 1
    assert [r["url"] for r in db.query("select url from links")] == ["https://ok.example/a"]


# ---- 3: kill -9 at random points, resume, compare -----------------------------------------------


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 3)))


def _sentence(rng: random.Random) -> str:
    """A news-like sentence whose names, places and things are its own, with a number and often a source."""
    w, W = (lambda: _word(rng)), (lambda: _word(rng).capitalize())
    n = f"{rng.choice(['about ', 'roughly ', 'up to ', ''])}{rng.randint(11, 99_999):,}"
    return rng.choice([
        lambda: f"The {w()} {w()} {w()}s {n} {w()} {w()} near {W()} {W()}, according to the {W()} {w()}.",
        lambda: f"{W()} {W()}, {w()} of the {W()} {w()}, said {n} {w()} {w()}s {w()} {W()}.",
        lambda: f"As reported by {W()} {W()}, {n} {w()} {w()} {w()} the {w()} of {W()}.",
        lambda: f"{W()} {w()} {n} {w()} {w()} at {W()} {w()} {w()}.",
    ])()


def write_corpus(folder: Path, n: int, seed: int = 7) -> None:
    """n articles, half as .txt, half as .html; a tenth of the sentences repeat an earlier
    one (half of those with a number changed), so that there is something to match."""
    rng = random.Random(seed)
    folder.mkdir()
    earlier: list[str] = []
    for i in range(n):
        picked = []
        for _ in range(rng.randint(2, 4)):
            if earlier and rng.random() < 0.1:
                repeat = rng.choice(earlier)
                picked.append(repeat.replace("0", "5", 1) if rng.random() < 0.5 else repeat)
            else:
                earlier.append(_sentence(rng))
                picked.append(earlier[-1])
        title = f"Report {i}: {_word(rng).capitalize()} {_word(rng)}"
        if i % 2 == 0:
            (folder / f"{i:03}.txt").write_text(f"{title}\n\n" + "\n\n".join(picked) + "\n", encoding="utf-8")
        else:
            published = f"2025-{1 + i % 12:02}-{1 + i % 28:02}T{i % 24:02}:00:00Z"
            paragraphs = "".join(f"<p>{p}</p>" for p in picked)
            (folder / f"{i:03}.html").write_text(
                f'<!DOCTYPE html><html lang="en"><head><title>{title}</title><meta property="article:published_time" '
                f'content="{published}"></head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>',
                encoding="utf-8")
        os.utime(folder / f"{i:03}.{'txt' if i % 2 == 0 else 'html'}", (1796016600, 1796016600))


# A process that imports the pipeline once, then forks an ingest for each line it reads
# ("DB<TAB>FOLDER"), so that a dozen interrupted runs do not pay a dozen interpreter starts. Each
# ingest prints its pid, then a line after every write the store completes (save_article,
# save_matches...), so the test can kill it after a chosen write: random points through both the
# per-file saves and the claim matching after them. The parent prints "exit STATUS" when it ends.
INGEST_ZYGOTE = r"""
import functools, os, sys, traceback
from provenance import outlets, pipeline, store

def announced(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        print(fn.__name__, flush=True)
        return result
    return wrapper

for name in dir(store):
    if name.startswith(("save_", "mark_", "note_", "record_")) and callable(getattr(store, name)):
        setattr(store, name, announced(getattr(store, name)))
loaded = outlets.load()
for line in sys.stdin:
    db, folder = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            print("pid", os.getpid(), flush=True)
            summary = pipeline.ingest(store.open_db(db), [folder], outlets=loaded)
            print("done", summary.line(), flush=True)
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    # A newline first: a child killed in the middle of a line must not hide "exit" at that line's end.
    print("\nexit", os.waitstatus_to_exitcode(status), flush=True)
"""
ARTICLE_WRITES = ("save_article", "save_capture")


def table_digests(path: Path) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of the sorted rows) for every table of ours; surrogate `id`s left out,
    since a row deleted and written again (a claim re-matched) gets a new one. Ids other rows
    refer to (articles, claims, sources) stay in through those references."""
    conn = sqlite3.connect(path)
    try:
        tables = conn.execute("select name, coalesce(sql, '') from sqlite_master where type = 'table'").fetchall()
        virtual = [name for name, sql in tables if sql.upper().startswith("CREATE VIRTUAL")]
        digests = {}
        for name, _ in sorted(tables):
            if name.startswith(("sqlite_", "_")) or name == "fetches" or any(
                    name == v or name.startswith(f"{v}_") for v in virtual):
                continue
            columns = [c[1] for c in conn.execute(f"pragma table_info([{name}])") if c[1] != "id"]
            quoted = ", ".join(f'"{c}"' for c in columns)
            lines = sorted(
                json.dumps([v.hex() if isinstance(v, bytes) else v for v in row])
                for row in conn.execute(f"select {quoted} from [{name}]")
            )
            digests[name] = (len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest())
        return digests
    finally:
        conn.close()


def test_kill_9_at_random_points_then_resume_gives_the_database_built_without_kills(tmp_path):
    folder = tmp_path / "files"
    write_corpus(folder, 500)
    reference, killed = tmp_path / "reference.db", tmp_path / "killed.db"
    # The reference is built alongside (2 cores) by the same ingest, never interrupted.
    baseline = subprocess.Popen([*CLI, "ingest", str(folder), "--db", str(reference)], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    zygote = subprocess.Popen([*CLI[:2], INGEST_ZYGOTE], cwd=tmp_path, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)

    def ingest(kill_after: tuple[str, int] | None = None) -> tuple[int, list[str]]:
        """One ingest of the folder into `killed`; SIGKILL after the n-th write of a kind
        ("article": a file's save; "other": the matching after them) plus a random moment."""
        zygote.stdin.write(f"{killed}\t{folder}\n")
        zygote.stdin.flush()
        pid = int(zygote.stdout.readline().split()[1])
        seen = {"article": 0, "other": 0}
        lines = []
        while not (line := zygote.stdout.readline()).startswith("exit "):
            if not line.strip():
                continue
            lines.append(line.strip())
            seen["article" if lines[-1] in ARTICLE_WRITES else "other"] += 1
            if kill_after and seen[kill_after[0]] == kill_after[1]:
                time.sleep(rng.uniform(0, 0.01))  # into the next write's transaction, or between two
                os.kill(pid, signal.SIGKILL)
                kill_after = None
        return int(line.split()[1]), lines

    rng = random.Random(20261130)
    # Ten kills among the 2 x 500 per-file writes (a capture and an article each), one among the
    # matching writes after them.
    plan = [("article", n) for n in sorted(rng.sample(range(1, 1000), 10))] + [("other", rng.randint(1, 100))]
    landed: list[tuple[str, int, int]] = []  # (phase, write, articles stored after the kill)
    started = time.monotonic()
    for kind, after in plan:
        code, _ = ingest((kind, after))
        if code == -signal.SIGKILL:
            landed.append((kind, after, rows(killed, "select count(*) from articles")[0][0]))
    interrupted = time.monotonic() - started
    code, lines = ingest()
    zygote.stdin.close()
    zygote.wait(timeout=60)
    assert baseline.wait(timeout=300) == 0, baseline.stderr.read()
    baseline.stderr.close()
    print(f"\nkill -9: {len(landed)} kills (phase, after write, articles stored): {landed}; "
          f"{interrupted:.0f} s of interrupted runs, {time.monotonic() - started - interrupted:.0f} s to resume")

    assert len(landed) >= 10
    assert code == 0 and lines[-1].startswith("done fetched 500, stored "), lines[-5:]
    assert rows(killed, "PRAGMA integrity_check") == [("ok",)]
    assert rows(killed, "PRAGMA foreign_key_check") == []
    ours, theirs = table_digests(killed), table_digests(reference)
    print("rows compared:", {name: count for name, (count, _) in ours.items()})
    assert ours == theirs
    assert ours["articles"][0] == ours["article_versions"][0] == 500
    assert ours["claims"][0] > 1000 and ours["attributions"][0] > 0 and ours["claim_matches"][0] > 0
    assert rows(killed, "select content_hash from articles order by url") == rows(
        reference, "select content_hash from articles order by url")


# ---- 3: readers during writes -------------------------------------------------------------------


async def test_readers_see_no_errors_while_an_ingest_writes(tmp_path):
    from datasette.app import Datasette

    folder = tmp_path / "files"
    write_corpus(folder, 60, seed=11)
    path = tmp_path / "live.db"
    store.open_db(path).close()
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]

    errors: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()

    def read_raw() -> None:  # what any other tool on the file does: read-only, default timeout
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            while not stop.is_set():
                try:
                    counts.append(conn.execute("select count(*) from articles").fetchone()[0])
                    conn.execute("select a.url, count(c.id) from articles a left join claims c "
                                 "on c.article_id = a.id group by a.id").fetchall()
                except sqlite3.Error as e:
                    errors.append(e)
                stop.wait(0.005)
        finally:
            conn.close()

    reader = threading.Thread(target=read_raw)
    reader.start()
    datasette = Datasette([str(path)])
    await datasette.invoke_startup()
    writer = subprocess.Popen([*CLI, "ingest", str(folder), "--db", str(path)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pages = 0
    try:
        while writer.poll() is None:
            for url in ("/live.json?sql=select+count(*)+from+articles", "/live/claims.json?_size=5",
                        "/live/articles.json?_size=5&_sort_desc=id"):
                response = await datasette.client.get(url)
                if response.status_code != 200:
                    errors.append(AssertionError(f"{url}: {response.status_code} {response.text[:200]}"))
                pages += 1
            await asyncio.sleep(0.01)  # leave the writer a core
    finally:
        stop.set()
        reader.join()
    stdout, stderr = writer.communicate()
    print(f"\nreaders during the ingest: {len(counts)} raw queries, {pages} Datasette pages, "
          f"article counts seen {min(counts)}..{max(counts)}, {len(set(counts))} distinct")
    assert writer.returncode == 0, stderr
    assert errors == []
    assert len(set(counts)) > 2  # the reads really overlapped the writes
    assert counts == sorted(counts)  # and never saw a write half-done or undone


# ---- 4: bad input from files -------------------------------------------------------------------


def warc_pages(first: int, count: int) -> list[Page]:
    return [Page(f"https://news.example/{i}", f"https://news.example/{i}", 200, {"Content-Type": "text/html"},
                 article(f"WARC story {i}", i), "2025-01-01T00:00:00Z") for i in range(first, first + count)]


def member_ends(data: bytes) -> list[int]:
    """Where each gzip member of `data` ends (a .warc.gz holds one member a record)."""
    ends = [0]
    while ends[-1] < len(data):
        inflater = zlib.decompressobj(31)
        inflater.decompress(data[ends[-1]:])
        ends.append(len(data) - len(inflater.unused_data))
    return ends[1:]


def without_header(record: bytes, name: bytes) -> bytes:
    head, sep, rest = record.partition(b"\r\n\r\n")
    return b"\r\n".join(line for line in head.split(b"\r\n") if not line.lower().startswith(name.lower() + b":")) + sep + rest


def test_bad_files_each_get_one_clear_line_and_the_rest_of_the_batch_is_stored(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    # WARCs: one good, one cut inside its third record, one with a damaged second gzip member.
    write_warc(batch / "good.warc.gz", warc_pages(0, 3))
    whole = (batch / "good.warc.gz").read_bytes()
    ends = member_ends(whole)
    (batch / "truncated.warc.gz").write_bytes(whole[: ends[1] + 60])
    damaged = bytearray(whole)
    for i in range(ends[0] + 30, ends[0] + 70):
        damaged[i] ^= 0x5A
    (batch / "corrupt.warc.gz").write_bytes(bytes(damaged))
    # WARC records with a header missing.
    write_warc(tmp_path / "plain.warc", warc_pages(10, 3))
    records = [b"WARC/1.0\r\n" + r for r in (tmp_path / "plain.warc").read_bytes().split(b"WARC/1.0\r\n")[1:]]
    (batch / "no-uri.warc").write_bytes(without_header(records[0], b"WARC-Target-URI") + records[1])
    (batch / "no-type.warc").write_bytes(without_header(records[0], b"WARC-Type"))
    (batch / "no-length.warc").write_bytes(records[0] + without_header(records[1], b"Content-Length") + records[2])
    (batch / "no-date.warc").write_bytes(without_header(records[2], b"WARC-Date"))
    # Files that are not what their names say, or nothing at all.
    (batch / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00IHDR" * 40)
    (batch / "zero.html").write_bytes(b"")
    escaped = batch / "\x1b[31mred\nline.html"
    escaped.write_bytes(b"")
    fifo = tmp_path / "fifo.html"
    os.mkfifo(fifo)
    # Names a shell or a decoder might trip over, holding good articles.
    spaced = batch / "caf\u00e9 \u65b0\u805e story.html"
    spaced.write_bytes(article("Spaces and non-ASCII in the name", 5))
    undecodable = batch / os.fsdecode(b"bytes-\xff\xfe.html")
    undecodable.write_bytes(article("A file name that is not UTF-8", 6))
    # A folder of 10,000 tiny files.
    tiny = batch / "tiny"
    tiny.mkdir()
    for i in range(10_000):
        (tiny / f"{i:05}.txt").write_bytes(b"tiny")

    db = tmp_path / "p.db"
    run = run_measured([*CLI, "ingest", str(batch), str(fifo), "--db", str(db)], tmp_path, timeout=180)
    print(f"\nbad files: exit {run.code}, {run.elapsed:.1f} s, peak RSS {run.peak_rss / 1e6:.0f} MB")

    assert run.code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stdout == "fetched 10010, stored 7, unchanged 3, skipped by robots 0, skipped 0, failed 10009\n"
    lines = run.stderr.splitlines()
    assert len(lines) == 10_009 and all(line.startswith("Error: ") for line in lines)
    tiny_lines = [line for line in lines if f"{tiny}/" in line or file_url(tiny) in line]
    assert len(tiny_lines) == 10_000
    assert tiny_lines[0] == f"Error: {file_url(tiny / '00000.txt')}: no article text found (only 4 characters)"
    corrupt = "Error: {}: truncated or corrupt WARC after {}"
    b = batch
    # What warcio trips over inside a damaged gzip member depends on the bytes there.
    damage = sorted(line for line in lines if ".warc.gz: " in line)
    print("\n".join(damage))
    assert len(damage) == 2
    assert damage[0].startswith(corrupt.format(b / "corrupt.warc.gz", "1 record: "))
    assert damage[1].startswith(corrupt.format(b / "truncated.warc.gz", "2 records: "))
    assert set(lines) - set(tiny_lines) - set(damage) == {
        f"Error: {b / 'binary.html'}: not a text file (binary content)",
        f"Error: {b / 'zero.html'}: empty file",
        f"Error: {safe_text(escaped)}: empty file",
        f"Error: {fifo}: not a regular file",
        corrupt.format(b / "no-uri.warc", "0 records: a record's headers cannot be parsed (missing WARC-Target-URI, or no HTTP status line)"),
        corrupt.format(b / "no-type.warc", "0 records: unreadable record header"),
        corrupt.format(b / "no-length.warc", "1 record: unreadable record header"),
    }
    titles = {title for (title,) in rows(db, "select title from articles")}
    assert titles == {"WARC story 0", "WARC story 1", "WARC story 2", "WARC story 10", "WARC story 12",
                      "Spaces and non-ASCII in the name", "A file name that is not UTF-8"}
    urls = {url for (url,) in rows(db, "select url from articles")}
    assert {file_url(spaced), file_url(undecodable)} <= urls
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


# ---- 6: SSRF ------------------------------------------------------------------------------------


def dial(routes: dict[str, str]):
    """The connect_to seam: vetted address -> 127.0.0.1. Anything else is a test bug, never dialled."""
    def connect_to(address: str) -> str:
        if address not in routes:
            raise AssertionError(f"the fetcher tried to dial {address}")
        return routes[address]
    return connect_to


def resolver(table: dict[str, list[str]]):
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]
    return resolve


NO_PRIVATE = FetchSettings(delay=0.0, retries=0, timeout=(2.0, 2.0))


@pytest.mark.parametrize(("spelling", "shown"), [
    ("127.0.0.1", "127.0.0.1 is a loopback address"),
    ("2130706433", "127.0.0.1 is a loopback address"),
    ("0177.0.0.1", "127.0.0.1 is a loopback address"),
    ("0x7f000001", "127.0.0.1 is a loopback address"),
    ("127.1", "127.0.0.1 is a loopback address"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1 is a loopback address"),
    ("[::]", ":: is an unspecified address"),
    ("0.0.0.0", "0.0.0.0 is an unspecified address"),
    # Full-width digits, which a browser maps to 127.0.0.1: requests will not even parse them.
    ("\uff11\uff12\uff17.\uff10.\uff10.\uff11", "is not a valid IDNA label"),
    ("user@127.0.0.1", "127.0.0.1 is a loopback address"),
    ("localhost", "localhost resolves to 127.0.0.1, a loopback address"),
    ("metadata.test", "metadata.test resolves to 169.254.169.254, a link-local address"),
    ("intranet.test", "intranet.test resolves to 10.20.30.40, a private address"),
    ("v6.test", "v6.test resolves to fd00::1, a private address"),
    ("mapped.test", "mapped.test resolves to ::ffff:c0a8:1, a private address"),
])
def test_a_redirect_from_a_public_host_to_another_loopback_port_is_refused_before_connecting(spelling, shown):
    """news.example is public as far as the guard can tell; it redirects to a second server on
    127.0.0.1 (as an intranet service would be), spelled in every way that reaches it."""
    resolve = resolver({"news.example": [PUBLIC], "localhost": ["127.0.0.1"], "metadata.test": ["169.254.169.254"],
                        "intranet.test": ["10.20.30.40"], "v6.test": ["fd00::1"], "mapped.test": ["::ffff:192.168.0.1"]})
    with FaultServer() as inner:
        target = f"http://{spelling}:{inner.port}/good/1"
        with FaultServer(redirect_to=target) as outer, \
                Fetcher(NO_PRIVATE, resolve=resolve, connect_to=dial({PUBLIC: "127.0.0.1"})) as fetcher:
            result = fetcher.fetch(f"http://news.example:{outer.port}/redirect/loopback")
            outer_saw = outer.paths_requested
        inner_saw = inner.requests
    if shown.endswith("IDNA label"):
        assert result.error.startswith(f"invalid URL {target}: ") and result.error.endswith(shown)
    else:
        assert result.error == f"refused {target}: {shown} {HINT}"
    assert [(a.status, a.error) for a in result.attempts][-2:] == [(302, None), (None, result.error)]
    assert outer_saw == ["/robots.txt", "/redirect/loopback"]
    assert inner_saw == []  # never connected to


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "224.0.0.251", "ff02::1", "240.0.0.1",
                                     "255.255.255.255", "::ffff:10.0.0.1", "100.64.0.1", "198.18.0.1", "fc00::7"])
def test_a_host_resolving_to_any_non_public_range_is_refused_before_any_connection(address):
    with FaultServer() as web, Fetcher(NO_PRIVATE, resolve=resolver({"cdn.test": [address]}),
                                       connect_to=dial({})) as fetcher:
        result = fetcher.fetch(f"http://cdn.test:{web.port}/good/1")
        seen = web.requests
    assert result.error.startswith(f"refused http://cdn.test:{web.port}/good/1: cdn.test resolves to ")
    assert result.error.endswith(HINT)
    assert [(a.status, a.error) for a in result.attempts] == [(None, result.error)]
    assert seen == []


def _system_lookups(monkeypatch) -> list[str]:
    """socket.getaddrinfo, logging host names; rebind.test 'resolves' to 127.0.0.1 there."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        looked_up.append(host)
        return real("127.0.0.1" if host == "rebind.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


def test_connections_go_to_the_vetted_address_never_to_a_second_dns_answer(monkeypatch):
    # DNS rebinding: the guard's lookup says public, a second lookup (urllib3's own) would say
    # 127.0.0.1. The connection must use the address the guard vetted, so no second lookup happens.
    looked_up = _system_lookups(monkeypatch)
    with FaultServer() as web, Fetcher(NO_PRIVATE, resolve=resolver({"rebind.test": [PUBLIC]}),
                                       connect_to=dial({PUBLIC: "127.0.0.1"})) as fetcher:
        result = fetcher.fetch(f"http://rebind.test:{web.port}/good/1")
        hosts = [seen.headers["Host"] for seen in web.requests]
    assert result.page is not None and result.page.body == article("Good page 1", 1)
    assert "rebind.test" not in looked_up
    assert hosts == [f"rebind.test:{web.port}"] * 2  # the name still goes in the Host header


def test_control_with_allow_private_urllib3_resolves_the_name_itself(monkeypatch):
    # The assertion above can fail: unpinned (nothing is vetted with --allow-private), the
    # system resolver is asked for the name at connect time.
    looked_up = _system_lookups(monkeypatch)
    with FaultServer() as web, Fetcher(FetchSettings(allow_private=True, delay=0.0)) as fetcher:
        assert fetcher.fetch(f"http://rebind.test:{web.port}/good/1").page is not None
    assert "rebind.test" in looked_up


def test_https_through_the_pinned_address_still_sends_the_name_and_checks_the_certificate(tmp_path):
    (tmp_path / "server.pem").write_text(NEWS_EXAMPLE_PEM)
    (tmp_path / "ca.pem").write_text(TEST_CA_PEM)
    resolve = resolver({"news.example": [PUBLIC], "other.example": [PUBLIC]})
    with FaultServer(certfile=str(tmp_path / "server.pem")) as web, \
            Fetcher(NO_PRIVATE, resolve=resolve, connect_to=dial({PUBLIC: "127.0.0.1"})) as fetcher:
        fetcher._session.verify = str(tmp_path / "ca.pem")  # trust the test CA only
        good = fetcher.fetch(f"https://news.example:{web.port}/good/2")
        wrong = fetcher.fetch(f"https://other.example:{web.port}/good/2")
        sni = list(web.sni)
    assert good.page is not None and good.page.body == article("Good page 2", 2)
    assert "news.example" in sni and "127.0.0.1" not in sni
    assert wrong.error is not None and wrong.error.startswith("robots.txt unavailable (TLS error: ")
    assert "other.example" in wrong.error or "match" in wrong.error


# ---- 7: untrusted text reaching the terminal ----------------------------------------------------


def test_safe_text_shows_control_characters_instead_of_obeying_them():
    hostile = "Breaking\x1b[2J\x1b[31m news\x07 \x9b6n \u202eevil\u202c\r\nFake line\ttab caf\u00e9 \u65b0\u805e \udcff"
    assert safe_text(hostile) == (
        "Breaking\\x1b[2J\\x1b[31m news\\x07 \\x9b6n \\u202eevil\\u202c\\r\\nFake line\\ttab caf\u00e9 \u65b0\u805e \\udcff")
    assert safe_text("two\nlines\tand\x1b[0m", multiline=True) == "two\nlines\tand\\x1b[0m"
    assert safe_text("Plain title: 3,000 \u201cquoted\u201d \u2014 ok") == "Plain title: 3,000 \u201cquoted\u201d \u2014 ok"


def test_scraped_titles_with_escapes_are_neutralised_in_the_demo_output(tmp_path):
    db = tmp_path / "p.db"
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(f"{ANSI_TITLE}\x9b31m\n\n" + "\n\n".join(
        ["The ministry said on Tuesday that about 3,000 soldiers had been sent to the border region in January.",
         "Officials declined to say how many of the soldiers had combat experience before the deployment began."]),
        encoding="utf-8")
    stored = CliRunner().invoke(cli, ["ingest", str(hostile), "--base-url", "https://hostile.example/x\x1b[5m",
                                      "--db", str(db)], catch_exceptions=False)
    assert stored.exit_code == 0, stored.output
    assert rows(db, "select title from articles") == [(f"{ANSI_TITLE}\x9b31m",)]  # stored as scraped
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\u202c"):
        assert raw not in result.output
    assert "Breaking\\x1b[2J\\x1b[31m news\\x07\\x1b]0;pwned\\x07 \\u202eevil\\u202c\\x9b31m" in result.output
