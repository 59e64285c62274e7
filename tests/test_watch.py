"""`provenance watch` as a real process on a real database: cycles, SIGTERM, the lock."""

from __future__ import annotations

import os
import platform
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner

from provenance import fetch, outlets, pipeline, store, watch
from provenance.cli import cli
from provenance.errors import Busy
from provenance.fetch import FetchSettings

CLI = [sys.executable, "-c", "from provenance.cli import cli; cli()"]
HP = "http://www.harbourpost.example"
OUTLET = f"""name = "Harbour Post"
domains = ["harbourpost.example"]
feeds = ["{HP}/rss.xml"]
article_patterns = ['^/news/[a-z0-9-]+$']
"""
PARAGRAPH = (
    "The harbour authority said on Tuesday that about {n} litres of diesel had leaked into the outer basin "
    "overnight, and that booms had been laid around the fishing quay before the morning tide came in."
)


def story(slug: str, n: int) -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><title>{slug}</title></head><body><article><h1>{slug}</h1>
<p>{PARAGRAPH.format(n=n)}</p><p>Fishermen were told to keep their boats in the inner harbour until the crews had finished.</p>
</article></body></html>""".encode()


def feed(*slugs: str) -> bytes:
    items = "".join(f"<item><title>{s}</title><link>{HP}/news/{s}</link></item>" for s in slugs)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>HP</title>{items}</channel></rss>'.encode()


@pytest.fixture
def harbour(site, tmp_path):
    site.serve(f"{HP}/robots.txt", b"User-agent: *\nAllow: /\n", content_type="text/plain")
    site.serve(f"{HP}/rss.xml", feed("spill-in-outer-basin"), content_type="application/rss+xml")
    site.serve(f"{HP}/news/spill-in-outer-basin", story("spill-in-outer-basin", 2000))
    site.serve(f"{HP}/news/booms-laid-at-quay", story("booms-laid-at-quay", 3000))
    folder = tmp_path / "scrapers"
    folder.mkdir()
    (folder / "harbour.toml").write_text(OUTLET)
    return site, folder


def args(site, folder, path, *extra: str) -> list[str]:
    return ["watch", "Harbour Post", "--scrapers", str(folder), "--db", str(path), "--allow-private", "--proxy", site.url(""),
            "--delay", "0", "--retries", "0", *extra]


def row(path) -> dict:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        found = conn.execute("select * from watch where id = 1").fetchone()
        return dict(found) if found else {}
    except sqlite3.OperationalError:  # not migrated yet
        return {}
    finally:
        conn.close()


def wait_for(check, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def test_two_cycles_then_sigterm_with_a_second_watch_refused(harbour, tmp_path):
    site, folder = harbour
    path = tmp_path / "p.db"
    # Three seconds between cycles: the new story must be served after the first cycle ends and
    # before the second lists the feed, which on a loaded machine one second did not always leave.
    proc = subprocess.Popen([*CLI, *args(site, folder, path, "--every", "3s")], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (row(path).get("cycles") or 0) >= 1)
        site.serve(f"{HP}/rss.xml", feed("booms-laid-at-quay", "spill-in-outer-basin"), content_type="application/rss+xml")
        wait_for(lambda: (row(path).get("cycles") or 0) >= 2)

        held = row(path)
        assert held["pid"] == proc.pid and held["host"] == platform.node()
        second = CliRunner().invoke(cli, args(site, folder, path, "--every", "1s"))
        assert second.exit_code == 1
        assert second.output == (
            f"Error: {path} is already being watched by process {proc.pid} on {platform.node()} "
            f"(since {held['started_at']}); stop it first\n"
        )
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "cycle 1 started" in out and "cycle 2 started" in out
    assert "listed 1 article URLs, 1 new" in out and "listed 2 article URLs, 1 new" in out  # each cycle: one new story
    assert out.rstrip().splitlines()[-1].endswith("(a stop was asked for)")
    conn = sqlite3.connect(path)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert {u for (u,) in conn.execute("select url from articles")} == {f"{HP}/news/spill-in-outer-basin", f"{HP}/news/booms-laid-at-quay"}
    assert conn.execute("select count(*) from discovered where crawled_at is null").fetchone()[0] == 0
    state = row(path)
    assert state["token"] is None and state["cycles"] >= 2  # the lock is released


def test_a_killed_watch_leaves_a_lock_the_next_run_takes_over(harbour, tmp_path):
    site, folder = harbour
    path = tmp_path / "p.db"
    proc = subprocess.Popen([*CLI, *args(site, folder, path, "--every", "1h")], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (row(path).get("cycles") or 0) >= 1)
    finally:
        proc.kill()
        proc.wait()
    assert row(path)["pid"] == proc.pid  # never released: the process had no chance
    result = CliRunner().invoke(cli, args(site, folder, path, "--every", "1s", "--cycles", "1"), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("stopped after 1 cycles")
    assert row(path)["cycles"] == 2 and row(path)["token"] is None


def test_a_stop_between_items_ends_the_cycle_and_the_next_run_resumes(harbour, tmp_path):
    site, folder = harbour
    site.serve(f"{HP}/rss.xml", feed("spill-in-outer-basin", "booms-laid-at-quay"), content_type="application/rss+xml")
    db = store.open_db(tmp_path / "p.db")
    loaded = outlets.load([folder])
    settings = FetchSettings(proxy=site.url(""), allow_private=True, delay=0.0, retries=0)
    stop = threading.Event()
    seen = []

    def progress(event) -> None:
        seen.append(event.outcome)
        if event.outcome == "stored":
            stop.set()  # as SIGTERM's handler would, while the first article is in hand

    with watch.locked(db, "p.db", timedelta(hours=1)) as token:
        done = watch.watch(db, token=token, outlets=loaded, every=timedelta(hours=1), stop=stop, settings=settings, progress=progress)
    assert done == 0 and seen.count("stored") == 1 and db["articles"].count == 1
    state = store.watch_state(db)
    assert state["cycle_started_at"] and state["cycle_finished_at"] is None
    with watch.locked(db, "p.db", timedelta(hours=1)) as token:  # due at once: the last cycle was cut short
        done = watch.watch(db, token=token, outlets=loaded, every=timedelta(hours=1), stop=threading.Event(), cycles=1, settings=settings)
    assert done == 1 and db["articles"].count == 2


def test_the_lock_is_refused_while_held_in_this_process(tmp_path):
    db = store.open_db(tmp_path / "p.db")
    with watch.locked(db, "p.db", timedelta(minutes=1)):
        with pytest.raises(Busy, match=r"^p\.db is already being watched by process \d+ on "):
            with watch.locked(db, "p.db", timedelta(minutes=1)):
                pass
    with watch.locked(db, "p.db", timedelta(minutes=1)):  # released: free again
        pass


def test_discover_and_watch_exclude_each_other(harbour, tmp_path):
    site, folder = harbour
    path = tmp_path / "p.db"
    db = store.open_db(path)
    discover_args = ["discover", "Harbour Post", "--scrapers", str(folder), "--db", str(path), "--allow-private",
                     "--proxy", site.url(""), "--delay", "0", "--retries", "0"]
    with watch.locked(db, str(path), timedelta(hours=1)):
        result = CliRunner().invoke(cli, discover_args)
        held = store.watch_state(db)
    assert result.exit_code == 1 and db["articles"].count == 0
    assert result.output == (f"Error: {path} is already being watched by process {held['pid']} on {platform.node()} "
                             f"(since {held['started_at']}); stop it first\n")
    with watch.locked(db, str(path)):  # a discover run (no interval) holds it
        result = CliRunner().invoke(cli, args(site, folder, path, "--cycles", "1"))
        held = store.watch_state(db)
    assert result.output == (f"Error: {path} is in use by `provenance discover` (process {held['pid']} on {platform.node()}, "
                             f"since {held['started_at']}); wait for it to finish\n")
    result = CliRunner().invoke(cli, discover_args, catch_exceptions=False)
    assert result.exit_code == 0 and db["articles"].count == 1 and store.watch_state(db)["token"] is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start times come from /proc")
def test_a_lock_whose_process_id_now_belongs_to_a_newer_process_is_taken_over(tmp_path):
    # A killed watch in a container that restarted: the next run has the same pid (1) as the dead
    # holder. Here the id is this test's own process, alive, but started after the lock's date.
    db = store.open_db(tmp_path / "p.db")
    store.watch_state(db)
    assert store.take_watch(db, pid=os.getpid(), host=platform.node(), token="dead", now="2001-01-01T00:00:00Z",
                            every_seconds=60.0, replacing=None)
    with watch.locked(db, "p.db", timedelta(minutes=1)) as token:
        assert store.watch_state(db)["token"] == token != "dead"
    # The same id with a lock taken after the process started is the live holder: refused.
    assert store.take_watch(db, pid=os.getpid(), host=platform.node(), token="live", now=fetch.utc_iso(watch._now()),
                            every_seconds=60.0, replacing=None)
    with pytest.raises(Busy, match=rf"^p\.db is already being watched by process {os.getpid()} on "):
        with watch.locked(db, "p.db", timedelta(minutes=1)):
            pass


def test_a_one_shot_run_proves_itself_alive_while_it_works(tmp_path, monkeypatch):
    monkeypatch.setattr(watch, "HEARTBEAT", timedelta(0))  # beat at every event, not every 5 s
    db = store.open_db(tmp_path / "p.db")
    seen = []
    with watch.locked(db, "p.db") as token:
        taken = store.watch_state(db)["heartbeat_at"]
        progress = watch.heartbeating(db, token, seen.append)
        time.sleep(1.1)  # the lock's times are to the second
        progress(pipeline.Event("http://example.test/a", "stored"))
        assert store.watch_state(db)["heartbeat_at"] > taken
    assert [e.outcome for e in seen] == ["stored"]
