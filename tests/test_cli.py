"""The real CLI on real files: exit codes, exact messages, and the demo end to end."""

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance import demo as demo_mod
from provenance.cli import cli

SEED = Path(__file__).parent / "pages" / "seed.txt"  # the article the project was created from


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_demo_stores_every_page_with_titles_dates_site_names_and_links(tmp_path):
    db = tmp_path / "demo.db"
    result = run("demo", "--no-serve", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("fetched 8, stored 8, unchanged 0, skipped by robots 1, skipped 0, failed 0\n")
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    with demo_mod.sample_web() as web:
        pages = set(web.pages)
    rows = {r["url"]: r for r in conn.execute("select * from articles")}
    assert set(rows) == pages
    blog = rows["http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in"]
    assert blog["title"] == "Kestria is all in: 5,000 more troops and a mounting body count"
    assert blog["site_name"] == "The Frontline Ledger"
    assert blog["published"] == "2025-03-06T19:30:00Z"
    official = rows["http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment"]
    assert official["published"] == "2025-03-04T01:30:00Z"  # from <time datetime="...+09:00">
    aggregator = rows["http://www.pulsebriefs.example/world/kestria-increases-military-support-to-morvania-amid-velmora-conflict"]
    assert aggregator["declared_origin_url"] == "https://stavorskindependent.example/"
    assert all(r["published"] and r["site_name"] and r["title"] for r in rows.values())
    # every body link between sample articles points at the stored article
    unresolved = conn.execute(
        "select l.url from links l where l.kind = 'body' and l.target_article_id is null"
    ).fetchall()
    assert [u for (u,) in unresolved] == ["http://www.meridianwire.example/pro/analysis/2025/03/04/kestria-order-of-battle"]
    assert conn.execute("select count(*) from links where target_article_id is not null").fetchone()[0] >= 8
    assert "-> link \"Meridian Wire reported\"" in result.output


def test_crawl_exits_1_and_prints_the_error_for_a_refused_address(tmp_path, site):
    site.serve("/a", b"<html><body><p>hello</p></body></html>")
    result = run("crawl", site.url("/a"), "--db", str(tmp_path / "p.db"), "--retries", "0")
    assert result.exit_code == 1
    assert f"Error: {site.url('/a')}: refused" in result.output
    assert site.paths_requested == []


def test_ingest_the_seed_text(tmp_path):
    db = tmp_path / "p.db"
    result = run("ingest", str(SEED), "--base-url", "https://aggregator.example/nk-troops", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.output == "fetched 1, stored 1, unchanged 0, skipped by robots 0, skipped 0, failed 0\n"
    row = sqlite3.connect(db).execute("select url, title, declared_origin_url from articles").fetchone()
    assert row == ("https://aggregator.example/nk-troops", "North Korea Increases Military Support to Russia Amid Ukraine Conflict",
                   "https://kyivindependent.com/")


def test_ingest_reports_bad_files_and_exits_1(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = run("ingest", str(empty), str(SEED), "--db", str(tmp_path / "p.db"))
    assert result.exit_code == 1
    assert f"Error: {empty}: empty file" in result.output
    assert "stored 1" in result.output


def test_a_database_that_is_not_ours_is_refused_with_exit_1(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list")
    result = run("ingest", str(SEED), "--db", str(path))
    assert result.exit_code == 1
    assert result.output == f"Error: {path} is not a news-provenance database\n"


def test_db_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_DB", str(tmp_path / "env.db"))
    assert run("ingest", str(SEED)).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_export_warc_writes_the_captures(tmp_path):
    db = str(tmp_path / "p.db")
    run("ingest", str(SEED), "--db", db)
    out = tmp_path / "out.warc.gz"
    result = run("export-warc", str(out), "--db", db)
    assert result.output == f"wrote 1 records to {out}\n"
    assert out.stat().st_size > 0


def test_export_warc_needs_a_database(tmp_path):
    result = run("export-warc", str(tmp_path / "o.warc"), "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'missing.db'} does not exist (run `provenance crawl` or `provenance ingest` first)\n"


def test_serve_refuses_a_missing_database(tmp_path):
    result = run("serve", "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 1 and "does not exist" in result.output


def test_outlets_lists_and_validates(tmp_path):
    result = run("outlets")
    assert result.exit_code == 0 and "Reuters\treuters.com" in result.output
    (tmp_path / "bad.toml").write_text('name = "Bad"\n')
    result = run("outlets", "--scrapers", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'bad.toml'}: an outlet needs a name and at least one domain\n"


def test_recrawl_bad_duration_is_an_error(tmp_path):
    result = run("recrawl", "--older-than", "soon", "--db", str(tmp_path / "p.db"))
    assert result.exit_code == 1
    assert result.output == "Error: 'soon' is not a duration (use a number and s, m, h, d or w, such as 6h)\n"


@pytest.mark.parametrize("args", [["crawl"], ["crawl", "--depth", "-1", "http://x.example/"], ["nope"]])
def test_usage_errors_exit_2(args):
    assert CliRunner().invoke(cli, args).exit_code == 2
