import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance import fetch, outlets, parallel, pipeline, store
from provenance.cli import cli
from provenance.errors import ParallelError
from provenance.fetch import Page

OUTLETS = outlets.load()
# Statements that several outlets repeat, so the databases compared hold matches too.
SHARED = [
    "The regional council said on Monday that {n} homes in Varnholt had been without running water since the storm.",
    "According to the port authority, about {n} containers were held at the Selmar terminal last week.",
    "Health minister Dora Kell told reporters that {n} patients had been moved from the Brisk hospital.",
    "Police said {n} people were arrested after the protest outside the Lund court on Friday evening.",
    "The weather service estimated that up to {n} millimetres of rain fell on the coast in two days.",
]
OWN = "Residents of district {i} described long queues at the only open shop, where staff counted {n} visitors by noon."


def news_page(i: int) -> Page:
    """The i-th page: a sentence of its own and two shared ones, some with a number changed."""
    paragraphs = [
        OWN.format(i=i, n=100 + i),
        SHARED[i % len(SHARED)].format(n=4000 if i % 3 else 4500),
        SHARED[(i + 2) % len(SHARED)].format(n=120),
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f'<!DOCTYPE html><html lang="en"><head><title>Report {i}</title><meta property="article:published_time" '
            f'content="2025-03-{1 + i % 28:02}T{i % 24:02}:00:00Z"></head><body><article><h1>Report {i}</h1>{body}'
            f"</article></body></html>").encode()
    url = f"https://outlet{i % 4}.example/news/report-{i}"
    return Page(url, url, 200, {"Content-Type": "text/html; charset=utf-8"}, html, f"2025-03-{1 + i % 28:02}T12:00:00Z")


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    """Four WARC shards of eight pages, one of them a page with no article text."""
    folder = tmp_path_factory.mktemp("shards")
    paths = []
    for s in range(4):
        pages = [news_page(s * 8 + k) for k in range(8)]
        if s == 2:
            empty = "https://outlet2.example/news/empty"
            pages[3] = Page(empty, empty, 200, {"Content-Type": "text/html"}, b"<html><body>Soon.</body></html>", "2025-03-05T00:00:00Z")
        paths.append(folder / f"shard-{s}.warc.gz")
        fetch.write_warc(paths[-1], pages)
    return paths


@pytest.fixture(scope="module")
def plain(shards, tmp_path_factory) -> tuple[Path, pipeline.Summary]:
    """The reference: a plain, serial ingest of the four shards."""
    path = tmp_path_factory.mktemp("plain") / "plain.db"
    return path, pipeline.ingest(store.open_db(path), shards, outlets=OUTLETS)


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of ours, ids included, in id order (rowid for tables without one)."""
    conn = sqlite3.connect(path)
    try:
        tables = conn.execute("select name, coalesce(sql, '') from sqlite_master where type = 'table'").fetchall()
        virtual = [name for name, sql in tables if sql.upper().startswith("CREATE VIRTUAL")]
        return {
            name: conn.execute(f"select * from [{name}] order by rowid").fetchall()
            for name, _ in sorted(tables)
            if not name.startswith(("sqlite_", "_")) and not any(name == v or name.startswith(f"{v}_") for v in virtual)
        }
    finally:
        conn.close()


def test_the_reference_holds_articles_claims_attributions_and_matches(plain):
    path, summary = plain
    rows = {name: len(found) for name, found in contents(path).items()}
    assert (summary.fetched, summary.stored, summary.failed) == (32, 31, 1)
    assert rows["articles"] == 31 and rows["claims"] == 93
    assert rows["attributions"] > 0 and rows["claim_matches"] > 0


def test_jobs_2_builds_the_database_jobs_1_builds(shards, plain, tmp_path):
    path = tmp_path / "jobs2.db"
    summary = pipeline.ingest(store.open_db(path), shards, outlets=OUTLETS, jobs=2)
    assert summary == plain[1]
    assert contents(path) == contents(plain[0])


def test_dask_on_a_local_cluster_builds_the_database_a_plain_ingest_builds(shards, plain, tmp_path):
    path = tmp_path / "dask.db"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["ingest", "--dask", *map(str, shards), "--jobs", "2", "--db", str(path)],
                                catch_exceptions=False)
    print(f"\ningest --dask, 2 local workers, 4 shards: {time.monotonic() - started:.1f} s")
    assert result.exit_code == 1  # the page with no article text
    assert result.output == f"Error: {plain[1].errors[0]}\n{plain[1].line()}\n"
    assert contents(path) == contents(plain[0])


def test_dask_missing_is_a_clear_error(monkeypatch, shards, tmp_path):
    for name in ("dask", "dask.bag", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # import now fails, as when it is not installed
    result = CliRunner().invoke(cli, ["ingest", "--dask", str(shards[0]), "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 1
    assert result.output == "Error: --dask needs Dask, an optional extra: pip install 'news-provenance[dask]'\n"


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch, shards, tmp_path):
    monkeypatch.setattr(parallel, "_CONNECT_TIMEOUT", "1s")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    result = CliRunner().invoke(cli, ["ingest", "--dask", address, str(shards[0]), "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot reach the Dask scheduler at {address}: ")


def test_base_url_is_refused_with_dask(shards, tmp_path):
    result = CliRunner().invoke(cli, ["ingest", "--dask", "--base-url", "https://x.example/", str(shards[0])])
    assert result.exit_code == 2
    assert result.output.endswith("Error: --base-url names a lone file; the WARC shards of --dask carry their own URLs\n")


def _slow_square(n: int) -> int:
    time.sleep(0.02 * (n % 3))  # later items often finish first
    return n * n


def _die_on_seven(n: int) -> int:
    if n == 7:
        os._exit(3)
    return n


def test_ordered_map_keeps_input_order():
    assert list(parallel.ordered_map(_slow_square, range(40), jobs=3)) == [n * n for n in range(40)]


def test_a_worker_that_dies_stops_the_run_with_a_clear_error():
    with pytest.raises(ParallelError, match=r"^a worker process died \(out of memory\?\); what was stored before it is kept"):
        list(parallel.ordered_map(_die_on_seven, range(100), jobs=2))


def test_stopping_early_cancels_what_is_queued():
    started = time.monotonic()
    results = parallel.ordered_map(_slow_square, range(10_000), jobs=2)
    assert next(results) == 0
    results.close()
    assert time.monotonic() - started < 10  # the whole input would take over two minutes


def test_map_shards_keeps_shard_order_when_handing_out_a_few_at_a_time(monkeypatch):
    monkeypatch.setattr(parallel, "SHARDS_AHEAD_PER_WORKER", 1)  # one shard out at a time
    shards = [f"shard-{'x' * n}" for n in (3, 0, 5, 1, 4, 2, 6)]
    assert list(parallel.map_shards(len, shards, scheduler=None, workers=1)) == [len(s) for s in shards]


ORPHAN_SCRIPT = """
import multiprocessing, sys, time
from provenance import parallel
results = parallel.ordered_map(time.sleep, [0.5] * 1000, jobs=2)
next(results)
print(*(p.pid for p in multiprocessing.active_children()), flush=True)
time.sleep(60)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; reaping it is its new parent's business


def test_workers_exit_when_the_writer_is_killed_outright():
    writer = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in writer.stdout.readline().split()]
    assert len(workers) == 2 and all(map(_running, workers))
    writer.kill()
    writer.wait()
    deadline = time.monotonic() + 10
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_running, workers))


def _die(shard: str) -> list:
    os._exit(1)  # a worker killed mid-shard, as the kernel's OOM killer would


def test_a_shard_that_kills_its_workers_is_a_clear_error():
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with pytest.raises(ParallelError) as e:
            list(parallel.map_shards(_die, ["shard-1.warc.gz"], scheduler=None, workers=1))
    assert str(e.value).startswith("Dask workers died on a shard (")
    assert str(e.value).endswith("a worker needs about 80 MB plus 2.5 times its uncompressed shard")
