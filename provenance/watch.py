"""`provenance watch`: discover + recrawl on a schedule, one run per database at a time.

Everything a run needs to resume is in the database: the `watch` row (its lock, heartbeat and
where the schedule stands) and the `discovered` table (URLs listed but not crawled yet). A stop
asked for by SIGINT or SIGTERM takes effect after the item in hand is stored, so the database is
always as consistent as after a finished item; matching left undone is done by the next run.
"""

from __future__ import annotations

import os
import platform
import secrets
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from . import discover, pipeline, store
from .errors import Busy, ProvenanceError
from .fetch import FetchSettings, utc_iso
from .outlets import Outlets

# How often a waiting run proves it is alive; a lock on another machine is presumed dead after
# STALE without a heartbeat (on this machine the process id says so at once).
HEARTBEAT = timedelta(seconds=5)
STALE = timedelta(minutes=10)
# A process's start time is known to a clock tick, its boot time to a second.
_CLOCK_SLACK = timedelta(seconds=2)


@dataclass(frozen=True)
class Cycle:
    number: int  # counted over every run on this database
    started_at: str
    discovery: discover.Discovery
    recrawled: pipeline.Summary


class _Stopped(Exception):
    """A stop was asked for; raised between items."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _alive(holder: dict) -> bool:
    if holder["token"] is None:
        return False
    if holder["host"] == platform.node():
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # someone else's process, but there
        # The id may belong to a newer process: after a container restart the next run is pid 1
        # again, as the killed one was. A process started after the lock was taken never took it.
        started = process_started(holder["pid"])
        return started is None or started <= datetime.fromisoformat(holder["started_at"]) + _CLOCK_SLACK
    heartbeat = datetime.fromisoformat(holder["heartbeat_at"])
    return _now() - heartbeat < STALE


def process_started(pid: int) -> datetime | None:
    """When process `pid` started (UTC), where /proc tells (Linux); None elsewhere or if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, after the command name
        with open("/proc/stat", encoding="ascii") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), timezone.utc)


@contextmanager
def locked(db: Database, path: str, every: timedelta | None = None) -> Iterator[str]:
    """Hold the database's lock for the block: a watch (`every` given) or a one-shot discover,
    so that a cron run never overlaps a watch or the run before it. Busy when a live run holds
    it; a lock left by a killed run (its process gone or its id reused by a newer one, or silent
    for STALE on another machine) is taken over."""
    holder = store.watch_state(db)
    token = secrets.token_hex(8)
    taken = not _alive(holder) and store.take_watch(
        db, pid=os.getpid(), host=platform.node(), token=token, now=utc_iso(_now()),
        every_seconds=every.total_seconds() if every else None, replacing=holder["token"],
    )
    if not taken:
        holder = store.watch_state(db)  # the winner of a race, if that is why we lost
        who = f"process {holder['pid']} on {holder['host']}"
        if holder["every_seconds"] is None:
            raise Busy(f"{path} is in use by `provenance discover` ({who}, since {holder['started_at']}); wait for it to finish")
        raise Busy(f"{path} is already being watched by {who} (since {holder['started_at']}); stop it first")
    try:
        yield token
    finally:
        store.release_watch(db, token)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by the first SIGINT or SIGTERM; a second one of either acts as usual."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def asked(signum: int, frame: object) -> None:
        stop.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, asked)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def watch(
    db: Database,
    *,
    token: str,
    outlets: Outlets,
    every: timedelta,
    stop: threading.Event,
    names: Sequence[str] = (),
    cycles: int | None = None,
    depth: int = 0,
    since: datetime | None = None,
    settings: FetchSettings = FetchSettings(),
    resolve: Callable[[str], list[str]] | None = None,
    progress: pipeline.Progress = lambda event: None,
    report: Callable[[Cycle], None] = lambda cycle: None,
) -> int:
    """Run a cycle (discover, then recrawl what was last checked `every` ago) when one is due, until
    `stop` is set or `cycles` have run; returns the cycles finished. The first cycle is due `every`
    after the last one finished on this database, at once if none did or one was cut short."""
    if every <= timedelta(0):
        raise ProvenanceError("--every must be longer than 0 seconds")
    beat = {"at": _now()}
    beating = heartbeating(db, token, progress)

    def guarded(event: pipeline.Event) -> None:
        beating(event)
        if stop.is_set():
            raise _Stopped

    done = 0
    while not stop.is_set() and (cycles is None or done < cycles):
        if not _wait_until(_due(store.watch_state(db), every), db, token, beat, stop):
            break
        started = utc_iso(_now())
        store.watch_cycle(db, token, started_at=started)
        try:
            found = discover.discover(db, outlets=outlets, names=names, since=since, depth=depth, settings=settings, resolve=resolve, progress=guarded)
            recrawled = pipeline.recrawl(db, outlets=outlets, older_than=every, settings=settings, resolve=resolve, progress=guarded)
        except _Stopped:
            break
        store.watch_cycle(db, token, finished_at=utc_iso(_now()))
        done += 1
        report(Cycle(store.watch_state(db)["cycles"], started, found, recrawled))
    return done


def _due(state: dict, every: timedelta) -> datetime:
    finished, started = state["cycle_finished_at"], state["cycle_started_at"]
    if finished is None or (started is not None and started > finished):
        return _now()
    return datetime.fromisoformat(finished) + every


def _wait_until(due: datetime, db: Database, token: str, beat: dict, stop: threading.Event) -> bool:
    """Sleep until `due`, beating the heart; False when a stop came first."""
    while (left := (due - _now()).total_seconds()) > 0:
        if stop.wait(min(left, HEARTBEAT.total_seconds())):
            return False
        _heartbeat(db, token, beat)
    return not stop.is_set()


def heartbeating(db: Database, token: str, progress: pipeline.Progress) -> pipeline.Progress:
    """`progress` that also proves the lock's holder alive (at most every HEARTBEAT), for a one-shot
    run: a discover crawling for longer than STALE must not look dead to a watch on another machine."""
    beat = {"at": _now()}

    def beating(event: pipeline.Event) -> None:
        progress(event)
        _heartbeat(db, token, beat)

    return beating


def _heartbeat(db: Database, token: str, beat: dict) -> None:
    now = _now()
    if now - beat["at"] < HEARTBEAT:
        return
    beat["at"] = now
    if not store.watch_heartbeat(db, token, utc_iso(now)):
        raise Busy("another run took over this database's watch lock (it found this one silent); stopping")
