"""The pure analysis stages run elsewhere, their results handed back in input order to one writer.

Two engines: worker processes on this machine (`ordered_map`, for `ingest --jobs`) and a Dask
cluster over WARC shards (`map_shards`, for `ingest --dask`). Neither touches the database: the
caller stores each result in the order the inputs were given, so every id is the one a serial run
gives. Dask is an optional extra, imported only when `map_shards` is called.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import islice
from types import ModuleType
from typing import Any, TypeVar

from .errors import ParallelError

T = TypeVar("T")
R = TypeVar("R")

# Items in flight per worker: enough that a worker never waits for the writer, few enough that
# memory stays flat however large the input is.
IN_FLIGHT_PER_WORKER = 4
# Shards handed out per worker thread ahead of the writer: one running, one waiting its turn.
SHARDS_AHEAD_PER_WORKER = 2
DASK_MISSING = "--dask needs Dask, an optional extra: pip install 'news-provenance[dask]'"
_CONNECT_TIMEOUT = "10s"

_work: Callable[[Any], Any] | None = None


def _install(fn: Callable[[Any], Any]) -> None:
    global _work
    # Ctrl-C reaches the whole process group; the parent alone decides to stop, and cancels the
    # pool, so workers print no traceback of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    _work = fn


def _exit_with(parent: int) -> None:
    # A parent killed outright (kill -9, out of memory) never shuts its pool down: its workers
    # would wait on their queue for ever.
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _call(item: Any) -> Any:
    assert _work is not None
    return _work(item)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, jobs: int) -> Iterator[R]:
    """`fn` over `items` in `jobs` worker processes (in this one when `jobs` is 1), yielding results
    in input order. `fn` is sent to each worker once; items are read from `items` only as results
    are taken. Stopping early (an exception, Ctrl-C) cancels what is queued and waits for what runs."""
    if jobs <= 1:
        yield from map(fn, items)
        return
    with ProcessPoolExecutor(jobs, initializer=_install, initargs=(fn,)) as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(_call, item))
                if len(pending) >= jobs * IN_FLIGHT_PER_WORKER:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as e:
            raise ParallelError(
                "a worker process died (out of memory?); what was stored before it is kept, "
                "so running again resumes; fewer --jobs use less memory"
            ) from e
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def map_shards(
    fn: Callable[[str], R], shards: Sequence[str], *, scheduler: str | None, workers: int
) -> Iterator[R]:
    """`fn` over each shard on Dask, as a bag with one partition a shard, yielding results in shard
    order. `scheduler` is a running scheduler's address; None starts a LocalCluster of `workers`
    processes for the call. The caller holds one shard's result at a time, and the cluster only
    those of the next few shards: a shard is handed out when the writer has taken an earlier one,
    so a slow writer never leaves a whole archive's results waiting in the workers' memory."""
    bag, distributed = _dask()
    with _client(distributed, scheduler, workers) as client:
        partitions = iter(bag.from_sequence(list(shards), npartitions=len(shards)).map(fn).to_delayed())
        ahead = SHARDS_AHEAD_PER_WORKER * max(1, sum(client.nthreads().values()))
        pending = deque(client.compute(p) for p in islice(partitions, ahead))
        while pending:
            future = pending.popleft()
            try:
                results = future.result()
            except distributed.KilledWorker as e:
                raise ParallelError(
                    f"Dask workers died on a shard ({e}); what was stored before it is kept, so running again "
                    "resumes; a worker needs about 80 MB plus 2.5 times its uncompressed shard"
                ) from e
            except OSError as e:  # the scheduler went away mid-run (distributed's CommClosedError)
                raise ParallelError(f"lost the Dask scheduler during the run: {e}; running again resumes") from e
            future.release()
            pending.extend(client.compute(p) for p in islice(partitions, 1))
            yield from results


def _dask() -> tuple[ModuleType, ModuleType]:
    try:
        import dask.bag
        import distributed
    except ImportError as e:
        raise ParallelError(DASK_MISSING) from e
    return dask.bag, distributed


@contextmanager
def _client(distributed: ModuleType, scheduler: str | None, workers: int) -> Iterator[Any]:
    if scheduler is None:
        # One single-threaded process a worker: extraction holds the GIL. No dashboard, and only
        # errors from the cluster's own loggers, so a local run prints what a plain ingest prints.
        # The workers start with Ctrl-C ignored (they inherit it), so that it stops this process
        # alone, which then closes the cluster, rather than each worker with a traceback.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR,
            )
        finally:
            signal.signal(signal.SIGINT, interrupt)
        with cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=_CONNECT_TIMEOUT)
    except (OSError, ValueError) as e:
        raise ParallelError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from e
    with client:
        yield client
