"""The only module that writes SQLite: schema migrations, idempotent saves, versions, and the queries.

Identity is content (git-history style): an article is keyed by its canonical URL, its text by a
sha256, and a new `article_versions` row is written only when that hash changes. Everything one
article brings (article row, version, links, raw capture) lands in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlite_utils import Database, Migrations

from .errors import NotOurDatabase, ProvenanceError
from .attribute import Attribution, Source
from .claims import Claim
from .extract import Article
from .fetch import Attempt, Page

MIGRATION_SET = "news-provenance"
TABLES = (
    "articles",
    "article_urls",
    "article_versions",
    "links",
    "sources",
    "source_aliases",
    "claims",
    "attributions",
    "claim_matches",
    "fetches",
    "captures",
    "capture_bodies",
)

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_schema(db: Database) -> None:
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "domain": str,
            "site_name": str,
            "title": str,
            "author": str,
            "published": str,
            "language": str,
            "description": str,
            "fetched_at": str,
            "first_fetched_at": str,
            "checked_at": str,
            "content_hash": str,
            "text": str,
            "declared_origin_url": str,
            "declared_origin": str,
            "fetched_url": str,
            "raw_sha256": str,
            "etag": str,
            "last_modified": str,
            "version": int,
        },
        pk="id",
        not_null={"url", "content_hash", "text"},
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["domain"])
    db["articles"].create_index(["declared_origin_url"])
    db["article_urls"].create({"url": str, "article_id": int}, pk="url", foreign_keys=[("article_id", "articles")])
    db["article_urls"].create_index(["article_id"])
    db["article_versions"].create(
        {"id": int, "article_id": int, "version": int, "fetched_at": str, "content_hash": str, "title": str, "text": str, "raw_sha256": str},
        pk="id",
        foreign_keys=[("article_id", "articles")],
    )
    db["article_versions"].create_index(["article_id", "version"], unique=True)
    db["sources"].create({"id": int, "name": str, "kind": str}, pk="id", not_null={"name", "kind"})
    db["sources"].create_index(["name", "kind"], unique=True)
    db["source_aliases"].create(
        {"source_id": int, "alias": str}, pk=("source_id", "alias"), foreign_keys=[("source_id", "sources")]
    )
    db["claims"].create(
        {
            "id": int,
            "article_id": int,
            "version": int,
            "seq": int,
            "text": str,
            "start": int,
            "end": int,
            "paragraph": int,
            "content_hash": str,
            "quantities": str,
            "hedges": str,
            "quotes": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles")],
    )
    # Claims belong to one version of an article's text, so matches to an old version stay valid.
    db["claims"].create_index(["article_id", "version", "seq"], unique=True)
    db["claims"].create_index(["content_hash"])
    db["links"].create(
        {
            "id": int,
            "article_id": int,
            "claim_id": int,
            "url": str,
            "anchor_text": str,
            "start": int,
            "end": int,
            "kind": str,
            "target_article_id": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles"), ("claim_id", "claims"), ("target_article_id", "articles")],
    )
    db["links"].create_index(["article_id"])
    db["links"].create_index(["url"])
    db["attributions"].create(
        {
            "id": int,
            "claim_id": int,
            "source_id": int,
            "mention": str,
            "cue": str,
            "method": str,
            "confidence": float,
            "role": str,
            "organization_id": int,
        },
        pk="id",
        foreign_keys=[("claim_id", "claims"), ("source_id", "sources"), ("organization_id", "sources")],
    )
    db["attributions"].create_index(["claim_id"])
    db["attributions"].create_index(["source_id"])
    db["source_aliases"].create_index(["alias"])
    db["claim_matches"].create(
        {"id": int, "claim_id": int, "origin_claim_id": int, "score": float, "relation": str, "distortions": str},
        pk="id",
        foreign_keys=[("claim_id", "claims"), ("origin_claim_id", "claims")],
    )
    db["claim_matches"].create_index(["claim_id"])
    db["fetches"].create(
        {"id": int, "url": str, "status": int, "error": str, "fetched_at": str, "elapsed_ms": int, "bytes": int},
        pk="id",
    )
    db["fetches"].create_index(["url"])
    db["capture_bodies"].create({"sha256": str, "body": bytes}, pk="sha256")
    db["captures"].create(
        {"id": int, "url": str, "final_url": str, "status": int, "headers": str, "fetched_at": str, "sha256": str},
        pk="id",
        foreign_keys=[("sha256", "capture_bodies")],
    )
    db["captures"].create_index(["url", "sha256"], unique=True)


@migrations()
def m_publish_full_text_search(db: Database) -> None:
    """FTS5 on articles (title, text) and claims (text), kept in sync by triggers; Datasette's search box uses them.

    Another stage (the matcher) may have created claims_fts already: keep it rather than fight over it.
    """
    for table, columns in (("articles", ["title", "text"]), ("claims", ["text"])):
        if not db[f"{table}_fts"].exists():
            db[table].enable_fts(columns, create_triggers=True)


@migrations()
def m_publish_distortions_view(db: Database) -> None:
    """One row per distortion of a claim match, so that Datasette can facet by distortion kind."""
    db.create_view(
        "distortions",
        """select m.id as match_id, json_extract(d.value, '$.kind') as kind, json_extract(d.value, '$.detail') as detail,
       m.claim_id, m.origin_claim_id, m.score, m.relation
from claim_matches m, json_each(case when json_valid(m.distortions) then m.distortions else '[]' end) d""",
        ignore=True,
    )


@dataclass(frozen=True)
class Analysis:
    """What the analysis stages found in one article."""

    claims: list[Claim]
    attributions: list[Attribution]


@dataclass(frozen=True)
class Saved:
    article_id: int
    changed: bool  # False when the text was already stored: nothing was written but the check time
    version: int


@dataclass(frozen=True)
class Stored:
    """What recrawl needs to ask a server "has this changed?"."""

    article_id: int
    url: str
    fetched_url: str
    etag: str | None
    last_modified: str | None


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) a provenance database and bring its schema up to date."""
    path = Path(path)
    if path.is_dir():
        raise ProvenanceError(f"{path} is a folder, not a database file")
    if path.exists() and path.stat().st_size > 0:
        _check_ours(path)
    db = Database(path)
    db.enable_wal()  # readers (Datasette) keep working while a crawl writes
    db.execute("PRAGMA busy_timeout = 10000")
    migrations.apply(db)
    return db


def open_existing(path: str | Path) -> Database:
    """Open a database that must already exist (for commands that only read)."""
    path = Path(path)
    if not path.exists():
        raise ProvenanceError(f"{path} does not exist (run `provenance crawl` or `provenance ingest` first)")
    return open_db(path)


def _check_ours(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
            ours = "_sqlite_migrations" in tables and conn.execute(
                "select 1 from _sqlite_migrations where migration_set = ?", [MIGRATION_SET]
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise NotOurDatabase(f"{path} is not a news-provenance database") from e
    if tables and not ours:
        raise NotOurDatabase(f"{path} is not a news-provenance database")


def record_attempts(db: Database, attempts: Iterable[Attempt]) -> None:
    rows = [
        {"url": a.url, "status": a.status, "error": a.error, "fetched_at": a.fetched_at, "elapsed_ms": a.elapsed_ms, "bytes": a.bytes}
        for a in attempts
    ]
    if rows:
        with db.atomic():
            db["fetches"].insert_all(rows)


def note_failure(db: Database, attempt: Attempt, error: str) -> None:
    """A page fetched fine but held no article: say so on its fetch row."""
    with db.atomic():
        db.execute(
            "update fetches set error = ? where id = (select max(id) from fetches where url = ? and fetched_at = ?)",
            [error, attempt.url, attempt.fetched_at],
        )


def save_capture(db: Database, page: Page) -> None:
    """Keep the raw bytes once per (url, content) so that export-warc can give them back."""
    with db.atomic():
        db["capture_bodies"].insert({"sha256": page.sha256, "body": page.body}, pk="sha256", ignore=True)
        db["captures"].insert(
            {
                "url": page.url,
                "final_url": page.final_url,
                "status": page.status,
                "headers": json.dumps(page.headers, sort_keys=True),
                "fetched_at": page.fetched_at,
                "sha256": page.sha256,
            },
            ignore=True,
        )


def save_article(db: Database, article: Article, page: Page | None = None, analysis: Analysis | None = None) -> Saved:
    """Store an article, its version, links, claims and attributions in one transaction;
    unchanged text writes nothing but the time it was checked."""
    digest = article.content_hash
    with db.atomic():
        if page is not None:
            save_capture(db, page)
        urls = sorted({article.url, article.fetched_url, article.requested_url})
        existing = _article_for(db, urls)
        if existing and existing["content_hash"] == digest:
            db["articles"].update(existing["id"], {"checked_at": article.fetched_at, **_validators(page)})
            _claim_urls(db, existing["id"], urls)
            return Saved(existing["id"], False, existing["version"])
        version = (existing["version"] if existing else 0) + 1
        row = {
            "url": existing["url"] if existing else article.url,
            "domain": article.domain,
            "site_name": article.site_name,
            "title": article.title,
            "author": article.author,
            "published": article.published,
            "language": article.language,
            "description": article.description,
            "fetched_at": article.fetched_at,
            "first_fetched_at": existing["first_fetched_at"] if existing else article.fetched_at,
            "checked_at": article.fetched_at,
            "content_hash": digest,
            "text": article.text,
            "declared_origin_url": article.declared_origin_url,
            "declared_origin": article.declared_origin,
            "fetched_url": article.fetched_url,
            "raw_sha256": article.raw_sha256,
            "version": version,
            **_validators(page),
        }
        if existing:
            article_id = existing["id"]
            db["articles"].update(article_id, row)
        else:
            article_id = db["articles"].insert(row).last_pk
        db["article_versions"].insert(
            {
                "article_id": article_id,
                "version": version,
                "fetched_at": article.fetched_at,
                "content_hash": digest,
                "title": article.title,
                "text": article.text,
                "raw_sha256": article.raw_sha256,
            }
        )
        _claim_urls(db, article_id, urls)
        _replace_links(db, article_id, article)
        if analysis is not None:
            _save_claims(db, article_id, version, analysis)
    return Saved(article_id, True, version)


def _save_claims(db: Database, article_id: int, version: int, analysis: Analysis) -> None:
    rows = [
        {
            "article_id": article_id,
            "version": version,
            "seq": claim.seq,
            "text": claim.text,
            "start": claim.start,
            "end": claim.end,
            "paragraph": claim.paragraph,
            "content_hash": hashlib.sha256(" ".join(claim.text.split()).encode("utf-8")).hexdigest(),
            "quantities": json.dumps([asdict(q) for q in claim.quantities]),
            "hedges": json.dumps(list(claim.hedges)),
            "quotes": json.dumps(list(claim.quotes)),
        }
        for claim in analysis.claims
    ]
    if not rows:
        return
    db["claims"].insert_all(rows)
    ids = {
        r["seq"]: r["id"]
        for r in db.query("select id, seq from claims where article_id = ? and version = ?", [article_id, version])
    }
    db.execute(
        "update links set claim_id = (select c.id from claims c where c.article_id = links.article_id and c.version = ? "
        "and links.start >= c.start and links.start < c.end) where article_id = ? and start is not null",
        [version, article_id],
    )
    sources: dict[Source, int] = {}  # the article-level source is on every claim: look it up once

    def known(source: Source) -> int:
        if source not in sources:
            sources[source] = source_id(db, source)
        return sources[source]

    attributions = [
        {
            "claim_id": ids[a.claim_seq],
            "source_id": known(a.source),
            "mention": a.mention,
            "cue": a.cue,
            "method": str(a.method),
            "confidence": a.confidence,
            "role": a.role,
            "organization_id": known(a.organization) if a.organization else None,
        }
        for a in analysis.attributions
    ]
    if attributions:
        db["attributions"].insert_all(attributions)


def source_id(db: Database, source: Source) -> int:
    """Get-or-create a source; any of its names already known for that kind finds the same row."""
    names = [source.name, *source.aliases]
    marks = ",".join("?" * len(names))
    row = next(
        db.query(
            f"select s.id from sources s left join source_aliases a on a.source_id = s.id "
            f"where s.kind = ? and (s.name in ({marks}) or a.alias in ({marks})) order by s.id limit 1",
            [str(source.kind), *names, *names],
        ),
        None,
    )
    found = row["id"] if row else db["sources"].insert({"name": source.name, "kind": str(source.kind)}).last_pk
    db["source_aliases"].insert_all([{"source_id": found, "alias": n} for n in names], ignore=True)
    return found


def _validators(page: Page | None) -> dict[str, str | None]:
    if page is None:
        return {}
    return {"etag": page.etag, "last_modified": page.last_modified}


def _article_for(db: Database, urls: list[str]) -> dict | None:
    marks = ",".join("?" * len(urls))
    rows = list(
        db.query(
            f"select a.* from articles a join article_urls u on u.article_id = a.id where u.url in ({marks}) "
            f"union select * from articles where url in ({marks}) limit 1",
            urls + urls,
        )
    )
    return rows[0] if rows else None


def _claim_urls(db: Database, article_id: int, urls: list[str]) -> None:
    """Every URL the article is known by points at it, and links waiting for it are resolved."""
    db["article_urls"].upsert_all([{"url": u, "article_id": article_id} for u in urls], pk="url")
    marks = ",".join("?" * len(urls))
    db.execute(
        f"update links set target_article_id = ? where url in ({marks}) and target_article_id is not ?",
        [article_id, *urls, article_id],
    )


def _replace_links(db: Database, article_id: int, article: Article) -> None:
    db.execute("delete from links where article_id = ?", [article_id])
    rows = [
        {"article_id": article_id, "url": link.url, "anchor_text": link.anchor_text, "start": link.start, "end": link.end, "kind": "body"}
        for link in article.links
    ]
    if article.declared_origin_url:
        rows.append(
            {"article_id": article_id, "url": article.declared_origin_url, "anchor_text": article.declared_origin, "kind": "declared_origin"}
        )
    if not rows:
        return
    db["links"].insert_all(rows)
    db.execute(
        "update links set target_article_id = (select article_id from article_urls u where u.url = links.url) "
        "where article_id = ?",
        [article_id],
    )


def stored_articles(db: Database, checked_before: str | None = None) -> list[Stored]:
    where, params = ("where coalesce(checked_at, fetched_at) < ?", [checked_before]) if checked_before else ("", [])
    return [
        Stored(r["id"], r["url"], r["fetched_url"] or r["url"], r["etag"], r["last_modified"])
        for r in db.query(f"select id, url, fetched_url, etag, last_modified from articles {where} order by id", params)
    ]


def mark_checked(db: Database, article_id: int, checked_at: str) -> None:
    with db.atomic():
        db["articles"].update(article_id, {"checked_at": checked_at})


def captures(db: Database) -> Iterator[Page]:
    for row in db.query(
        "select c.url, c.final_url, c.status, c.headers, c.fetched_at, b.body from captures c "
        "join capture_bodies b on b.sha256 = c.sha256 order by c.id"
    ):
        yield Page(
            url=row["url"],
            final_url=row["final_url"],
            status=row["status"],
            headers=json.loads(row["headers"]),
            body=row["body"],
            fetched_at=row["fetched_at"],
        )


def row_counts(db: Database) -> dict[str, int]:
    return {t: db[t].count for t in TABLES}


def article_overview(db: Database) -> list[dict]:
    """Each stored article with how many links it has and how many of them reach a stored article."""
    return list(
        db.query(
            "select a.id, a.url, a.site_name, a.title, a.published, a.declared_origin_url, "
            "count(l.id) as links, count(l.target_article_id) as resolved "
            "from articles a left join links l on l.article_id = a.id group by a.id order by a.published, a.id"
        )
    )


def article_links(db: Database, article_id: int) -> list[dict]:
    """An article's links, each with the title of the stored article it reaches (None if not stored)."""
    return list(
        db.query(
            "select l.kind, l.url, l.anchor_text, t.title as target_title from links l "
            "left join articles t on t.id = l.target_article_id where l.article_id = ? order by l.id",
            [article_id],
        )
    )


def find_article(db: Database, url: str) -> dict | None:
    """A stored article by any URL it is known by."""
    return _article_for(db, [url])


def current_claims(db: Database, article_id: int) -> list[dict]:
    return list(
        db.query(
            "select c.*, a.url as article_url, a.published from claims c join articles a on a.id = c.article_id "
            "where c.article_id = ? and c.version = a.version order by c.seq",
            [article_id],
        )
    )


def claim_sources(db: Database, claim_ids: list[int]) -> dict[int, list[dict]]:
    """Each claim's attributions, with source names and kinds, explicit ones first."""
    found: dict[int, list[dict]] = {i: [] for i in claim_ids}
    if not claim_ids:
        return found
    marks = ",".join("?" * len(claim_ids))
    for row in db.query(
        f"select t.claim_id, s.name, s.kind, t.mention, t.cue, t.method, t.confidence, t.role, o.name as organization "
        f"from attributions t join sources s on s.id = t.source_id left join sources o on o.id = t.organization_id "
        f"where t.claim_id in ({marks}) order by t.claim_id, t.method = 'article', t.id",
        claim_ids,
    ):
        found[row["claim_id"]].append(row)
    return found
