import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from sqlite_utils import Database

from provenance import outlets, store
from provenance.errors import NotOurDatabase
from provenance.extract import extract
from provenance.fetch import Attempt, Page

PAGES = Path(__file__).parent / "pages"
OUTLETS = outlets.load()


def article(name: str, url: str, body: bytes | None = None):
    data = body if body is not None else (PAGES / name).read_bytes()
    page = Page(url=url, final_url=url, status=200, headers={"Content-Type": "text/html", "ETag": '"v1"'}, body=data, fetched_at="2026-01-01T00:00:00Z")
    return extract(page, OUTLETS), page


@pytest.fixture
def db(tmp_path):
    return store.open_db(tmp_path / "p.db")


def test_schema_has_the_contract_tables_and_migrations_run_once(tmp_path):
    path = tmp_path / "p.db"
    db = store.open_db(path)
    for table in store.TABLES:
        assert db[table].exists()
    assert {"id", "url", "domain", "site_name", "title", "author", "published", "fetched_at", "content_hash", "text",
            "declared_origin_url"} <= set(db["articles"].columns_dict)
    applied = db["_sqlite_migrations"].count
    db.close()
    assert store.open_db(path)["_sqlite_migrations"].count == applied
    assert store.open_db(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_saving_the_same_text_twice_changes_nothing(db):
    a, page = article("harbour-troops.html", "https://www.harbourpost.example/a")
    first = store.save_article(db, a, page)
    before = store.row_counts(db)
    again = store.save_article(db, replace(a, fetched_at="2026-02-01T00:00:00Z"), page)
    assert first.changed and not again.changed and again.article_id == first.article_id
    assert store.row_counts(db) == before
    assert before["article_versions"] == 1 and before["captures"] == 1


def test_changed_text_adds_exactly_one_version(db):
    a, page = article("harbour-troops.html", "https://www.harbourpost.example/a")
    store.save_article(db, a, page)
    changed_html = (PAGES / "harbour-troops.html").read_bytes().replace(b"3,000 additional", b"4,000 additional")
    b, page2 = article("", "https://www.harbourpost.example/a", changed_html)
    saved = store.save_article(db, b, page2)
    assert saved.changed and saved.version == 2
    assert db["articles"].count == 1
    rows = list(db.query("select version, content_hash from article_versions order by version"))
    assert [r["version"] for r in rows] == [1, 2] and rows[0]["content_hash"] != rows[1]["content_hash"]
    assert "4,000 additional" in db["articles"].get(saved.article_id)["text"]


def test_link_targets_are_filled_when_the_target_arrives_later(db):
    derivative, page = article("harbour-troops.html", "https://www.harbourpost.example/world/2025/03/05/norland-troops")
    store.save_article(db, derivative, page)
    link = next(db.query("select * from links where url like '%meridianwire%'"))
    assert link["target_article_id"] is None
    origin_html = (PAGES / "wire-dateline.html").read_bytes()
    origin, page2 = article("", "https://www.meridianwire.example/world/2025/03/04/norland-troops", origin_html)
    saved = store.save_article(db, origin, page2)
    link = next(db.query("select * from links where url like '%meridianwire%'"))
    assert link["target_article_id"] == saved.article_id


def test_a_target_stored_first_is_linked_at_once(db):
    origin, page = article("wire-dateline.html", "https://www.meridianwire.example/world/2025/03/04/norland-troops")
    origin_id = store.save_article(db, origin, page).article_id
    derivative, page2 = article("harbour-troops.html", "https://www.harbourpost.example/world/2025/03/05/norland-troops")
    store.save_article(db, derivative, page2)
    assert [r["target_article_id"] for r in db.query("select target_article_id from links where url like '%meridianwire%'")] == [origin_id]


def test_declared_origin_is_a_link_too(db):
    a, page = article("digest-footer.html", "https://dailydigest.example/n")
    store.save_article(db, a, page)
    row = next(db.query("select * from links where kind = 'declared_origin'"))
    assert row["url"] == "https://northernherald.example/" and row["anchor_text"] == "northernherald.example"


def test_captures_give_back_the_raw_bytes(db):
    a, page = article("harbour-troops.html", "https://www.harbourpost.example/a")
    store.save_article(db, a, page)
    (captured,) = list(store.captures(db))
    assert captured.body == page.body and captured.url == page.url and captured.headers["ETag"] == '"v1"'


def test_fetch_attempts_and_failures_are_recorded(db):
    attempt = Attempt(url="https://x.example/a", status=200, error=None, fetched_at="2026-01-01T00:00:00Z", elapsed_ms=5, bytes=10)
    store.record_attempts(db, [attempt])
    store.note_failure(db, attempt, "https://x.example/a: no article text found")
    assert [dict(r) for r in db.query("select status, error from fetches")] == [
        {"status": 200, "error": "https://x.example/a: no article text found"}
    ]


def test_a_file_that_is_not_ours_is_refused(tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_text("shopping list")
    with pytest.raises(NotOurDatabase) as e:
        store.open_db(junk)
    assert str(e.value) == f"{junk} is not a news-provenance database"
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.commit()
    with pytest.raises(NotOurDatabase):
        store.open_db(other)


def test_open_existing_needs_the_file(tmp_path):
    with pytest.raises(Exception, match="does not exist"):
        store.open_existing(tmp_path / "missing.db")


def test_derived_matches_take_a_frontier_past_sqlites_variable_limit(provenance_db):
    db = Database(provenance_db)
    origins = [r["origin_claim_id"] for r in db.query("select distinct origin_claim_id from claim_matches where origin_claim_id is not null")]
    found = store.derived_matches(db, origins)
    assert found and {r["origin_claim_id"] for r in found} <= set(origins)
    assert store.derived_matches(db, origins + list(range(10**7, 10**7 + 40_000))) == found


def test_a_runs_full_text_index_ranks_as_the_fts5_query_does(provenance_db):
    # Equal scores to the last bit and ties in claim order: the very lists, for every stored claim
    # (old versions among them) searched before, after and whenever it was published.
    db = Database(provenance_db)
    index = store.FullText(db)
    compared = 0
    for view in store.claim_views(db, [r["id"] for r in db.query("select id from claims")]):
        for window in ({"before": view.published}, {"after": view.published}, {}):
            expected = store.full_text_ids(db, view.text, limit=8, article_id=view.article_id, **window)
            assert store.full_text_ids(db, view.text, limit=8, article_id=view.article_id, index=index, **window) == expected
            compared += len(expected) > 1
    assert compared > 100


def test_a_full_text_index_evicting_postings_ranks_as_one_keeping_them_all(provenance_db):
    # A cap of a fifth of what the searches read evicts and reads again; under a cap of 0 every list
    # is too large to keep and is returned all the same.
    db = Database(provenance_db)
    views = store.claim_views(db, [r["id"] for r in db.query("select id from claims")])
    searches = [(v, w) for v in views for w in ({"before": v.published}, {"after": v.published}, {})]
    whole = store.FullText(db)
    expected = [store.full_text_ids(db, v.text, limit=8, article_id=v.article_id, index=whole, **w) for v, w in searches]
    assert sum(len(ids) > 1 for ids in expected) > 100
    for max_bytes in (whole.cached_bytes // 5, 0):
        index = store.FullText(db, max_bytes=max_bytes)
        for (view, window), ids in zip(searches, expected):
            assert store.full_text_ids(db, view.text, limit=8, article_id=view.article_id, index=index, **window) == ids
            assert index.cached_bytes <= max_bytes


def test_a_full_text_index_of_a_database_without_claims_finds_nothing(db):
    # FTS5 keeps an empty totals record until the first claim: a run over articles without a claim.
    assert store.FullText(db).ranked(["troops"], limit=5, article_id=None, before=None, after=None) == []
