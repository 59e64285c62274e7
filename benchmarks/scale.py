"""Single-machine speed at growing size, every figure a ratio against a baseline measured in the
same run (the machine is shared, so absolute times drift between runs, ratios much less):

- ingest throughput / bare `trafilatura.extract` throughput on the same pages (target >= 0.5),
  with matching and without it (the ingest's `match_pending` timed apart);
- time(4N) / time(N) of ingest with matching (target <= 4.4);
- `trace -` latency per free-text query, in ONE `provenance trace - --json` process fed every query
  on stdin, on the N and 4N databases (targets at ~15k and ~60k claims: p50 < 50 ms, p99 < 250 ms);
- database bytes per article and the peak RSS of each ingest and trace process.

The corpus is `corpus.py`'s seeded news web, written as WARC files to a temporary folder.

    python benchmarks/scale.py                  # N = 1,000 and 4N = 4,000 articles (about 15k and 60k claims)
    python benchmarks/scale.py --quick          # N = 500 and 2,000 (7k and 29k claims): a few minutes
    python benchmarks/scale.py --sizes 500,2000,8000 [--queries 200] [--seed 8] [--work DIR] [--profile N]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from checkthat import fingerprint, percentile, run_trace, wait_rusage  # noqa: E402

import corpus  # noqa: E402


@dataclass
class Ingested:
    articles: int
    claims: int
    seconds: float  # wall, the whole ingest
    cpu_seconds: float
    match_seconds: float  # wall, match_pending alone
    match_cpu_seconds: float
    max_rss_mb: float
    db_bytes: int


def child_ingest(folder: Path, db_path: Path) -> None:
    """Run in a child process: library ingest with match_pending timed apart; one JSON line out."""
    from provenance import outlets, pipeline, store

    timed = {"wall": 0.0, "cpu": 0.0}
    matcher = pipeline.match_pending

    def match_pending(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return matcher(*args, **kwargs)
        finally:
            timed["wall"] += time.perf_counter() - wall
            timed["cpu"] += time.process_time() - cpu

    pipeline.match_pending = match_pending
    wall, cpu = time.perf_counter(), time.process_time()
    db = store.open_db(db_path)
    summary = pipeline.ingest(db, [folder], outlets=outlets.load())
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the database's size, not its journal's
    print(json.dumps({"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                      "match_seconds": timed["wall"], "match_cpu": timed["cpu"], "summary": summary.line()}))


def run_ingest(folder: Path, db_path: Path) -> Ingested:
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, __file__, "--child-ingest", str(folder), str(db_path)], stdout=out)
        code, rss, _ = wait_rusage(proc)
        out.seek(0)
        text = out.read()
    if code != 0:
        raise SystemExit(f"ingest of {folder} failed ({code}): {text[-2000:]}")
    figures = json.loads(text.strip().splitlines()[-1])
    conn = sqlite3.connect(db_path)
    articles, claims = conn.execute("select (select count(*) from articles), (select count(*) from claims)").fetchone()
    conn.close()
    size = sum(p.stat().st_size for p in (db_path, Path(f"{db_path}-wal")) if p.exists())
    return Ingested(articles, claims, figures["seconds"], figures["cpu"], figures["match_seconds"], figures["match_cpu"], rss, size)


def largest_tables(db_path: Path, count: int = 5) -> str:
    """Where the bytes go: the largest tables and indexes, as shares of the file (SQLite's dbstat)."""
    conn = sqlite3.connect(db_path)
    try:
        sizes = conn.execute("select name, sum(pgsize) from dbstat group by name order by 2 desc").fetchall()
    except sqlite3.OperationalError:  # an SQLite built without dbstat
        return "(no dbstat)"
    finally:
        conn.close()
    total = sum(size for _, size in sizes) or 1
    return ", ".join(f"{name} {size / total:.0%}" for name, size in sizes[:count])


def extract_baseline(folder: Path) -> tuple[int, float, float]:
    """Bare trafilatura.extract over the same pages: (pages, wall seconds, CPU seconds), reading excluded."""
    import trafilatura

    from provenance import fetch

    pages = [p for p in fetch.read_paths([folder]) if isinstance(p, fetch.Page)]
    wall, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        trafilatura.extract(page.body, url=page.final_url)
    return len(pages), time.perf_counter() - wall, time.process_time() - cpu


def queries(articles: list[corpus.Article], count: int, seed: int) -> list[str]:
    """What a journalist would type: a stored statement reworded, its number sometimes changed, and
    one in five a statement of a story nobody stored."""
    rng = random.Random(seed)
    stored = [f for a in articles for f in a.facts]
    unrelated = corpus.generate(count, seed + 1)  # the same shapes, other names and places
    lines = []
    for i in range(count):
        if i % 5 == 4:
            fact = rng.choice(unrelated[i].facts)
        else:
            fact = rng.choice(stored)
            fact = corpus.Fact(fact.kind, fact.variant + 1, fact.slots, fact.number + (fact.number // 3 if i % 3 == 0 else 0), None, "said")
        lines.append(fact.render())
    return lines


def profile(folder: Path, db_path: Path, lines: list[str], top_entries: int = 30) -> None:
    from provenance import outlets, pipeline, store
    from provenance import trace as trace_mod

    db = store.open_db(db_path)
    for name, fn in (
        (f"library ingest of {folder}", lambda: pipeline.ingest(db, [folder], outlets=outlets.load())),
        (f"trace of {len(lines)} queries", lambda: [trace_mod.trace(db, q, top=5) for q in lines]),
    ):
        prof = cProfile.Profile()
        started = time.perf_counter()
        prof.runcall(fn)
        print(f"\n== profile: {name}: {time.perf_counter() - started:.1f} s")
        for order in ("cumulative", "tottime"):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats(order).print_stats(top_entries)
            print("\n".join(line for line in buf.getvalue().splitlines() if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,4000", help="article counts, comma-separated; ratios between neighbours")
    parser.add_argument("--quick", action="store_true", help="the same as --sizes 500,2000")
    parser.add_argument("--queries", type=int, default=200, help="free-text queries per trace process")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--work", type=Path, help="folder for the corpus and databases (default: a temporary one)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="instead: cProfile library ingest of N articles and trace")
    parser.add_argument("--child-ingest", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        child_ingest(*args.child_ingest)
        return

    sizes = [500, 2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="scale-"))
    print(f"code: {fingerprint()}; work folder {work}; {os.cpu_count()} CPUs")
    if args.profile:
        articles = corpus.generate(args.profile, args.seed)
        folder = work / f"corpus-{args.profile}"
        corpus.write(articles, folder)
        db_path = work / f"profile-{args.profile}.db"
        db_path.unlink(missing_ok=True)
        profile(folder, db_path, queries(articles, args.queries, args.seed))
        return

    results: dict[int, Ingested] = {}
    for n in sizes:
        articles = corpus.generate(n, args.seed)
        folder = work / f"corpus-{n}"
        corpus.write(articles, folder)
        pages, ex_wall, ex_cpu = extract_baseline(folder)
        db_path = work / f"scale-{n}.db"
        for stale in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            stale.unlink(missing_ok=True)
        got = results[n] = run_ingest(folder, db_path)
        bare = got.seconds - got.match_seconds
        bare_cpu = got.cpu_seconds - got.match_cpu_seconds
        print(f"\nN = {n:,}: {got.articles:,} articles, {got.claims:,} claims stored of {pages:,} pages")
        print(f"  trafilatura.extract alone  {ex_wall:7.1f} s wall {ex_cpu:7.1f} s CPU  ({pages / ex_wall:.1f} pages/s)")
        print(f"  ingest with matching       {got.seconds:7.1f} s wall {got.cpu_seconds:7.1f} s CPU  ({pages / got.seconds:.1f} pages/s); "
              f"matching {got.match_seconds:.1f} s wall ({got.match_seconds / got.seconds:.0%}), "
              f"{got.match_cpu_seconds:.1f} s CPU ({got.match_cpu_seconds / got.cpu_seconds:.0%})")
        print(f"  throughput ratio ingest/extract: with matching {ex_wall / got.seconds:.2f} wall, {ex_cpu / got.cpu_seconds:.2f} CPU; "
              f"without matching {ex_wall / bare:.2f} wall, {ex_cpu / bare_cpu:.2f} CPU  (target >= 0.5)")
        print(f"  database {got.db_bytes / 1e6:.1f} MB, {got.db_bytes / max(1, got.articles) / 1024:.1f} KiB an article; "
              f"ingest peak RSS {got.max_rss_mb:.0f} MB")
        print(f"  largest: {largest_tables(db_path)}")
        traced = run_trace(queries(articles, args.queries, args.seed), db_path, 5)
        if traced.finished.returncode != 0 or len(traced.answers) != args.queries:
            raise SystemExit(f"trace answered {len(traced.answers)} of {args.queries} (exit {traced.finished.returncode}):\n"
                             f"{traced.finished.stderr[-2000:]}")
        gaps = [b - a for a, b in zip(traced.stamps, traced.stamps[1:])]
        chained = sum(1 for a in traced.answers if a["claims"] and a["claims"][0]["chain"])
        print(f"  trace - at {got.claims:,} claims: {args.queries} queries, p50 {percentile(gaps, 0.5) * 1000:.0f} ms, "
              f"p99 {percentile(gaps, 0.99) * 1000:.0f} ms, max {max(gaps, default=0) * 1000:.0f} ms (start-up + first "
              f"{traced.stamps[0]:.2f} s); {chained} answered with a chain; peak RSS {traced.finished.max_rss_mb:.0f} MB  "
              f"(target p50 < 50 ms, p99 < 250 ms)")
    print()
    for small, big in zip(sizes, sizes[1:]):
        a, b = results[small], results[big]
        print(f"time({big:,}) / time({small:,}) = {b.seconds / a.seconds:.2f} wall, {b.cpu_seconds / a.cpu_seconds:.2f} CPU "
              f"(x{big / small:g} articles; target <= {1.1 * big / small:.1f}); matching alone "
              f"{b.match_cpu_seconds / a.match_cpu_seconds:.2f} CPU")


if __name__ == "__main__":
    main()
