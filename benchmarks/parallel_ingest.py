"""What `ingest --jobs 2` gains over `--jobs 1` on extraction-bound work, and what one Dask shard
costs, so that a cluster can be sized.

    python benchmarks/parallel_ingest.py [--articles 400] [--per-shard 100] [--rounds 3] [--dask]

Each round ingests the same generated WARC shards with --jobs 1 and --jobs 2 (interleaved, so load
from elsewhere on the machine falls on both alike) and times a control beside them: a pure-Python
loop over the same number of items in 1 and 2 worker processes. The control's ratio is the most any
code could gain on this machine at that moment; on an idle 2-core machine it is close to 2. On a
shared machine the CPU seconds of the writer and of the workers give a steadier figure: the wall
time two idle cores would need is the larger of the writer's CPU and half of all CPU. The
claim matching that ends an ingest is left out: it is serial, the same for both (scale.py times it).
Then one shard is analysed in a fresh worker process: its time, the worker's peak RSS, and the size
of the result it sends back to the writer.
"""

from __future__ import annotations

import argparse
import pickle
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate, write  # noqa: E402  (benchmarks/ is not a package)

from provenance import outlets, parallel, pipeline, store  # noqa: E402
from provenance.extract import ExtractOptions  # noqa: E402
from provenance.fetch import read_paths  # noqa: E402

_SPIN = 400_000  # loop steps of the control: about as long as one page's analysis


def _spin(steps: int) -> int:
    total = 0
    for i in range(steps):
        total += i
    return total


def control(items: int, jobs: int) -> float:
    start = time.perf_counter()
    for _ in parallel.ordered_map(_spin, [_SPIN] * items, jobs=jobs):
        pass
    return time.perf_counter() - start


@contextmanager
def without_matching() -> Iterator[None]:
    """pipeline's ingests with the matching that ends them left out."""
    matching, pipeline.match_pending = pipeline.match_pending, lambda *args, **kwargs: 0
    try:
        yield
    finally:
        pipeline.match_pending = matching


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def analyse_and_store(shards: list[Path], db: Path, jobs: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of this process, CPU seconds of its workers)."""
    start, own, workers = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    with without_matching():
        pipeline.ingest(store.open_db(db), shards, outlets=outlets.load(), jobs=jobs)
    return (time.perf_counter() - start, _cpu(resource.RUSAGE_SELF) - own,
            _cpu(resource.RUSAGE_CHILDREN) - workers)  # the pool's workers have exited: counted


def writer_alone(shards: list[Path], db: Path) -> tuple[float, float]:
    """(seconds to analyse, seconds to store) every page, apart: the store's share is the part
    that stays serial however many workers analyse."""
    loaded = outlets.load()
    start = time.perf_counter()
    results = [r for r in (pipeline.analysed(i, loaded, ExtractOptions()) for i in read_paths(shards))
               if isinstance(r, pipeline.Analysed) and r.article is not None and r.analysis is not None]
    analysed = time.perf_counter() - start
    database = store.open_db(db)
    start = time.perf_counter()
    for r in results:
        store.save_article(database, r.article, r.page, r.analysis)
    return analysed, time.perf_counter() - start


def _shard_in_worker(shard: str) -> tuple[float, int, int, int]:
    """(seconds, RSS in KB before and after, pickled result bytes) of one shard in this process."""
    loaded = outlets.load()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = pipeline.analysed_shard(shard, loaded, ExtractOptions())
    seconds = time.perf_counter() - start
    return seconds, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(pickle.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--per-shard", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="Also time ingest --dask on a 2-worker LocalCluster.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shards = write(generate(args.articles, seed=8), work / "shards", per_file=args.per_shard)
        mb = sum(s.stat().st_size for s in shards) / 1e6
        print(f"{args.articles} articles in {len(shards)} WARC shards, {mb:.1f} MB")
        ratios, controls, serial, writers, workers = [], [], [], [], []
        for r in range(args.rounds):
            runs = {jobs: analyse_and_store(shards, work / f"r{r}-j{jobs}.db", jobs) for jobs in (1, 2)}
            spin = {jobs: control(args.articles, jobs) for jobs in (1, 2)}
            ratios.append(runs[1][0] / runs[2][0])
            controls.append(spin[1] / spin[2])
            serial.append(sum(runs[1][1:]))
            writers.append(runs[2][1])
            workers.append(runs[2][2])
            print(f"  round {r + 1}: analyse+store --jobs 1 {runs[1][0]:.2f} s ({args.articles / runs[1][0]:.0f} pages/s), "
                  f"--jobs 2 {runs[2][0]:.2f} s ({args.articles / runs[2][0]:.0f} pages/s): {ratios[-1]:.2f}x, "
                  f"control {controls[-1]:.2f}x; CPU --jobs 1 {serial[-1]:.1f} s, --jobs 2 writer {writers[-1]:.1f} s "
                  f"+ workers {workers[-1]:.1f} s")
        best = max(range(args.rounds), key=lambda i: controls[i])
        # On two idle cores the writer's CPU and half of all CPU bound the wall time. Load elsewhere
        # inflates CPU seconds too (shared caches), unevenly from round to round: the median round.
        idle = sorted(serial[i] / max(writers[i], (writers[i] + workers[i]) / 2) for i in range(args.rounds))
        print(f"speed-up --jobs 2 / --jobs 1: {ratios[best]:.2f}x in the round the machine was freest "
              f"(control {controls[best]:.2f}x); all rounds {', '.join(f'{x:.2f}' for x in ratios)}; "
              f"from CPU seconds, {idle[len(idle) // 2]:.2f}x on two idle cores (rounds {', '.join(f'{x:.2f}' for x in idle)})")
        analysing, storing = writer_alone(shards, work / "alone.db")
        print(f"in one process, apart: analysis {args.articles / analysing:.0f} pages/s, the writer {args.articles / storing:.0f} "
              f"pages/s, so at most {(analysing + storing) / storing:.1f}x with enough workers")
        with ProcessPoolExecutor(1) as fresh:
            seconds, before, peak, sent = fresh.submit(_shard_in_worker, str(shards[0])).result()
        pages = min(args.per_shard, args.articles)
        size = shards[0].stat().st_size / 1e6
        print(f"one shard of {pages} pages ({size:.2f} MB of WARC) in one worker: {seconds:.2f} s "
              f"({seconds / pages * 1000:.0f} ms a page); RSS {before / 1e3:.0f} MB after imports, peak {peak / 1e3:.0f} MB; "
              f"result sent to the writer {sent / 1e6:.2f} MB ({sent / 1e6 / size:.1f}x the WARC)")
        if args.dask:
            start = time.perf_counter()
            with without_matching():
                pipeline.ingest_shards(store.open_db(work / "dask.db"), shards, outlets=outlets.load(), workers=2)
            print(f"ingest --dask on a 2-worker LocalCluster, its start included: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
