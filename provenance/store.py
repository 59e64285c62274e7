"""The only module that writes SQLite: schema migrations, idempotent saves, versions, and the queries.

Identity is content (git-history style): an article is keyed by its canonical URL, its text by a
sha256, and a new `article_versions` row is written only when that hash changes. Everything one
article brings (article row, version, links, raw capture) lands in one transaction.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sqlite_utils import Database, Migrations

from .errors import NotOurDatabase, ProvenanceError
from . import match
from .attribute import Attribution, Source
from .claims import Claim, Quantity
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


@migrations()
def m004_matching(db: Database) -> None:
    """The matcher's indexes (numbers, MinHash bands), its runner-up candidates, and which version
    of each article has been matched, so an interrupted run is completed by the next one."""
    db["claim_numbers"].create({"claim_id": int, "value": float, "unit": str}, foreign_keys=[("claim_id", "claims")])
    db["claim_numbers"].create_index(["value"])
    db["claim_numbers"].create_index(["claim_id"])
    db["claim_bands"].create({"band": int, "claim_id": int}, foreign_keys=[("claim_id", "claims")])
    db["claim_bands"].create_index(["band"])
    db["claim_bands"].create_index(["claim_id"])
    db["claim_candidates"].create(
        {"claim_id": int, "candidate_claim_id": int, "score": float, "rank": int},
        pk=("claim_id", "rank"),
        foreign_keys=[("claim_id", "claims"), ("candidate_claim_id", "claims")],
    )
    db["claim_matches"].add_column("basis", str)
    db["claim_matches"].create_index(["origin_claim_id"])
    db["articles"].add_column("matched_version", int)


@migrations()
def m005_discovery(db: Database) -> None:
    """URLs found in outlets' feeds and sitemaps (a URL counts as new until crawled, so an
    interrupted discovery crawls the rest next time), and the one row of `provenance watch`:
    its lock (pid, host, token, heartbeat) and where its schedule stands."""
    db["discovered"].create(
        {"url": str, "outlet": str, "listed_in": str, "published": str, "found_at": str, "crawled_at": str},
        pk="url",
    )
    db["discovered"].create_index(["crawled_at"])
    db["watch"].create(
        {
            "id": int,
            "pid": int,
            "host": str,
            "token": str,
            "started_at": str,
            "heartbeat_at": str,
            "every_seconds": float,
            "cycles": int,
            "cycle_started_at": str,
            "cycle_finished_at": str,
        },
        pk="id",
    )


@migrations()
def m006_matching_speed(db: Database) -> None:
    """The matcher looks up the links inside each claim: without an index that read every link of
    every article once per article matched, so matching slowed down as the database grew."""
    db["links"].create_index(["claim_id"], if_not_exists=True)


@migrations()
def m007_named_outlets(db: Database) -> None:
    """A claim crediting an outlet by name ("..., the Vantage news agency reported") cites that
    outlet's stored articles: looked up by site name, whatever its case."""
    db.execute("create index if not exists idx_articles_site_name_nocase on articles (site_name collate nocase)")


@migrations()
def m008_standfirst(db: Database) -> None:
    """The summary under a headline, kept apart: the outlet's recap of its story is matched to nothing."""
    db["articles"].add_column("standfirst", str)


@dataclass(frozen=True)
class Analysis:
    """What the analysis stages found in one article."""

    claims: list[Claim]
    attributions: list[Attribution]
    # match.bands of each claim, in claim order: hashed with the analysis, in a worker process when
    # ingest runs in parallel, rather than by the one process that writes.
    bands: list[list[int]]


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
    # In WAL mode NORMAL still survives a killed process intact; only a power cut can lose the
    # last commits, which a rerun redoes. About 30% faster ingest than FULL.
    db.execute("PRAGMA synchronous = NORMAL")
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
            "standfirst": article.standfirst,
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
    _insert(db, "claims", rows)
    ids = {
        r["seq"]: r["id"]
        for r in db.query("select id, seq from claims where article_id = ? and version = ?", [article_id, version])
    }
    numbers = [
        {"claim_id": ids[c.seq], "value": q.value, "unit": q.unit or q.noun}
        for c in analysis.claims
        for q in c.quantities
    ]
    _insert(db, "claim_numbers", numbers)
    _insert(db, "claim_bands", [
        {"band": band, "claim_id": ids[c.seq]} for c, keys in zip(analysis.claims, analysis.bands, strict=True) for band in keys
    ])
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
    _insert(db, "attributions", attributions)


def _insert(db: Database, table: str, rows: list[dict], *, ignore: bool = False) -> None:
    """A plain executemany: sqlite-utils' insert_all looks the table up on every call, which cost
    more than the rows themselves for the dozen small batches one article writes."""
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f"[{c}]" for c in columns)
    db.conn.executemany(
        f"insert {'or ignore ' if ignore else ''}into [{table}] ({names}) values ({', '.join('?' * len(columns))})",
        [[row[c] for c in columns] for row in rows],
    )


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
    if row:
        found = row["id"]
    else:
        found = db.execute("insert into sources (name, kind) values (?, ?)", [source.name, str(source.kind)]).lastrowid
    _insert(db, "source_aliases", [{"source_id": found, "alias": n} for n in dict.fromkeys(names)], ignore=True)
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


# --- matching -------------------------------------------------------------------------------

_CURRENT = "join articles a on a.id = c.article_id and c.version = a.version"
_WHEN = "coalesce(a.published, a.first_fetched_at)"


def pending_articles(db: Database) -> list[int]:
    """Articles whose current version has not been matched yet (new, changed, or interrupted)."""
    return [r["id"] for r in db.query("select id from articles where matched_version is not version order by id")]


def any_matched(db: Database) -> bool:
    return next(db.query("select 1 from articles where matched_version is version limit 1"), None) is not None


def mark_matched(db: Database, article_ids: list[int]) -> None:
    with db.atomic():
        for article_id in article_ids:
            db.execute("update articles set matched_version = version where id = ?", [article_id])


def current_claim_ids(db: Database, article_id: int) -> list[int]:
    return [r["id"] for r in db.query(f"select c.id from claims c {_CURRENT} where c.article_id = ? order by c.seq", [article_id])]


_VIEWS_AT_ONCE = 10_000


def claim_views(db: Database, claim_ids: list[int], *, citations: bool = True) -> list[match.ClaimView]:
    """Claims as the matcher sees them: text, numbers, hedges, own source, when, and what they cite.
    A candidate's citations never count, only those of the claim matched: `citations=False` leaves
    them out (and their lookups, half the cost of a free-text trace)."""
    if not claim_ids:
        return []
    if len(claim_ids) > _VIEWS_AT_ONCE:  # SQLite takes at most 32,766 parameters a statement
        return [v for i in range(0, len(claim_ids), _VIEWS_AT_ONCE)
                for v in claim_views(db, claim_ids[i:i + _VIEWS_AT_ONCE], citations=citations)]
    marks = ",".join("?" * len(claim_ids))
    rows = list(
        db.query(
            f"select c.id, c.article_id, c.text, c.seq, c.quantities, c.hedges, {_WHEN} as published, a.site_name as site, "
            f"c.paragraph = 0 and a.standfirst is not null as standfirst, "
            f"s.name as source, s.kind as source_kind, t.cue as cue, "
            # An official body's own site: the article's own source is that body, not a declared origin.
            f"a.declared_origin is null and a.declared_origin_url is null and exists (select 1 from attributions t "
            f" join sources s on s.id = t.source_id where t.claim_id = c.id and t.method = 'article' and s.kind = 'organization') as official "
            f"from claims c join articles a on a.id = c.article_id "
            # Its own source: the first sentence-level attribution, read once for name, kind and cue.
            f"left join attributions t on t.id = (select f.id from attributions f where f.claim_id = c.id and f.method != 'article' "
            f" order by f.id limit 1) "
            f"left join sources s on s.id = t.source_id "
            f"where c.id in ({marks})",
            claim_ids,
        )
    )
    matched: dict[int, set[int]] = {}
    for r in db.query(
        f"select claim_id, origin_claim_id from claim_matches where claim_id in ({marks}) and origin_claim_id is not null", claim_ids
    ):
        matched.setdefault(r["claim_id"], set()).add(r["origin_claim_id"])
    if not citations:
        return [_view(r, frozenset(matched.get(r["id"], set()))) for r in rows]
    named = _NamedSites(db)
    origins = _origin_articles(db, {r["article_id"] for r in rows}, named)
    cited = _cited_articles(db, origins)
    favoured = _favoured_articles(db, {r["article_id"] for r in rows})
    linked: dict[int, set[int]] = {}
    for r in db.query(
        f"select claim_id, target_article_id from links where claim_id in ({marks}) and target_article_id is not null", claim_ids
    ):
        linked.setdefault(r["claim_id"], set()).add(r["target_article_id"])
    # Outlets credited by name: the claim cites their stored articles, and so does its article
    # ("..., the Vantage news agency reported" opens a rewrite of the agency's report).
    articles = {r["article_id"] for r in rows}
    credited = list(db.query(
        f"select distinct c.article_id, s.name from attributions t join sources s on s.id = t.source_id "
        f"join claims c on c.id = t.claim_id {_CURRENT} where c.article_id in ({','.join('?' * len(articles))}) "
        f"and s.kind = 'outlet' and t.method != 'article'",
        list(articles),
    ))
    published = {r["article_id"]: r["published"] for r in rows}

    def outlet_articles(name: str, article_id: int) -> set[int]:
        return named.latest(name, published[article_id]) - {article_id}

    for r in credited:
        cited[r["article_id"]] = cited.get(r["article_id"], frozenset()) | outlet_articles(r["name"], r["article_id"])
    for r in rows:
        # An outlet credited, or a body quoted from its statement ("the authority said in a statement")
        # or credited with reporting ("as HealthWire and others have reported"): its own pages.
        if r["source"] and (
            r["source_kind"] == "outlet"
            or r["source_kind"] == "organization" and (_IN_A_STATEMENT.search(r["text"]) or (r["cue"] or "").startswith("report"))
        ):
            linked.setdefault(r["id"], set()).update(outlet_articles(r["source"], r["article_id"]))
    return [
        _view(
            r,
            frozenset(matched.get(r["id"], set())),
            cited_articles=cited.get(r["article_id"], frozenset()),
            linked_articles=frozenset(linked.get(r["id"], set())),
            origin_articles=origins.get(r["article_id"], frozenset()),
            favoured_article=favoured[r["article_id"]],
        )
        for r in rows
    ]


def _view(r: dict, origin_claims: frozenset[int], **citations: object) -> match.ClaimView:
    return match.ClaimView(
        claim_id=r["id"],
        article_id=r["article_id"],
        text=r["text"],
        published=r["published"],
        quantities=tuple(Quantity(**q) for q in json.loads(r["quantities"] or "[]")),
        hedges=tuple(json.loads(r["hedges"] or "[]")),
        cue=r["cue"],
        source=r["source"],
        source_kind=r["source_kind"],
        origin_claims=origin_claims,
        official=bool(r["official"]),
        heading=r["seq"] == 0 and match.is_heading(r["text"]),
        standfirst=bool(r["standfirst"]),
        site=r["site"],
        **citations,  # type: ignore[arg-type]
    )


_IN_A_STATEMENT = re.compile(r"\b(?:in|according to) (?:a|its|their|the) (?:written |brief |short |separate )?statement\b", re.I)


def _outlet_key(name: str) -> str:
    return re.sub(r"^the\s+", "", name.strip(), flags=re.I).lower()


# A credit names the outlet's recent reporting, not its archive: its latest articles before the
# claim's (a wire's hundredth story of the day must not make every one of them a citation).
NAMED_OUTLET_ARTICLES = 5


class _NamedSites:
    """Sites named in text (a credit, a declared origin) and their latest articles before a time,
    each looked up once for one `claim_views`: many claims name the same few outlets."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sites: dict[str, str | None] = {}
        self._latest: dict[tuple[str, str | None], set[int]] = {}

    def latest(self, name: str, before: str | None) -> set[int]:
        key = _outlet_key(name)
        if key not in self._sites:
            self._sites[key] = _site_named(self.db, key)
        site = self._sites[key]
        if site is None:
            return set()
        if (site, before) not in self._latest:
            self._latest[site, before] = _site_articles(self.db, site, before)
        return self._latest[site, before]


def _site_named(db: Database, key: str) -> str | None:
    """The stored site an outlet's name names: by its site name ("the Vantage news agency" is the
    site "Vantage News Agency"), or by the end of the one site name that ends so ("the Courier",
    once the Financial Courier is stored; none for "the Times" when two sites end so)."""
    row = next(db.query(
        "select site_name from articles where site_name = ? collate nocase or site_name = 'the ' || ? collate nocase limit 1", [key, key]
    ), None)
    if row:
        return row["site_name"]
    found = [r["site_name"] for r in db.query("select distinct site_name from articles where site_name like ? limit 2", [f"% {key}"])]
    return found[0] if len(found) == 1 else None


def _site_articles(db: Database, site: str, before: str | None) -> set[int]:
    """The site's latest stored articles published before `before`, and not more than half a year
    before it: a credit by name ("the Observer reckons") is to its recent reporting, not to its story
    on another transfer two years ago (`match.STALE_DAYS`)."""
    when, params = (
        ("and coalesce(published, first_fetched_at) < ? and coalesce(published, first_fetched_at) >= date(?, ?)",
         [before, before, f"-{match.STALE_DAYS} days"]) if before else ("", [])
    )
    return {
        r["id"]
        for r in db.query(
            f"select id from articles where site_name = ? collate nocase {when} order by coalesce(published, first_fetched_at) desc limit ?",
            [site, *params, NAMED_OUTLET_ARTICLES],
        )
    }


# A declaration that names only a site ("Original Source: kyivindependent.com") points at its home page.
_SITE_HOME = (
    "(l.url = 'https://' || t.domain || '/' or l.url = 'http://' || t.domain || '/' "
    "or l.url = 'https://www.' || t.domain || '/' or l.url = 'http://www.' || t.domain || '/')"
)


def _cited_articles(db: Database, origins: dict[int, frozenset[int]]) -> dict[int, frozenset[int]]:
    """Stored articles each article cites: its link targets and its declared origins (`origins`)."""
    found: dict[int, set[int]] = {a: set(ids) for a, ids in origins.items()}
    if not found:
        return {}
    marks = ",".join("?" * len(found))
    for r in db.query(
        f"select article_id, target_article_id from links where article_id in ({marks}) and target_article_id is not null",
        list(found),
    ):
        found[r["article_id"]].add(r["target_article_id"])
    return {a: frozenset(ids - {a}) for a, ids in found.items()}


def _origin_articles(db: Database, article_ids: set[int], named: _NamedSites) -> dict[int, frozenset[int]]:
    """Stored articles each article declares as its origin: the linked one, every stored article of
    the site when the declaration names only a site's address, or the latest of the site it names."""
    found: dict[int, set[int]] = {a: set() for a in article_ids}
    marks = ",".join("?" * len(article_ids))
    for r in db.query(
        f"select l.article_id, coalesce(l.target_article_id, t.id) as origin from links l left join articles t "
        f"on l.target_article_id is null and {_SITE_HOME} "
        f"where l.kind = 'declared_origin' and l.article_id in ({marks})",
        list(article_ids),
    ):
        if r["origin"] is not None:
            found[r["article_id"]].add(r["origin"])
    # Declared by name only ("Via VitalDaily", "Source: Gadgetry"): that site's latest articles before it.
    for r in db.query(
        f"select a.id, a.declared_origin, {_WHEN} as published from articles a "
        f"where a.id in ({marks}) and a.declared_origin is not null and a.declared_origin_url is null",
        list(article_ids),
    ):
        found[r["id"]] |= named.latest(r["declared_origin"], r["published"])
    return {a: frozenset(ids - {a}) for a, ids in found.items()}


def _favoured_articles(db: Database, article_ids: set[int]) -> dict[int, int | None]:
    """For each article, the article that most of its matched claims were taken from, if it is most
    of them; one query for all (one an article was a thousand queries a free-text trace)."""
    taken: dict[int, dict[int, int]] = {a: {} for a in article_ids}
    for r in db.query(
        "select c.article_id, o.article_id as origin, count(*) as n from claim_matches m join claims c on c.id = m.claim_id "
        "join claims o on o.id = m.origin_claim_id where c.article_id in (select value from json_each(?)) "
        "and m.origin_claim_id is not null group by c.article_id, o.article_id",
        [json.dumps(sorted(article_ids))],
    ):
        taken[r["article_id"]][r["origin"]] = r["n"]
    favoured: dict[int, int | None] = {}
    for article_id, origins in taken.items():
        total = sum(origins.values())
        best = max(origins, key=origins.__getitem__, default=None)
        # Two origins tied for most can never be more than half: ties need no order.
        favoured[article_id] = best if best is not None and total >= 3 and origins[best] * 2 > total else None
    return favoured


# A term in this many current-or-old claims is left out of the full-text search of a larger database
# (see full_text_ids), keeping at least _SELECTIVE_TERMS of the rarest.
_COMMON_TERM = 1000
_SELECTIVE_TERMS = 4


def full_text_ids(
    db: Database,
    text: str,
    *,
    limit: int = 30,
    article_id: int | None = None,
    before: str | None = None,
    after: str | None = None,
    index: FullText | None = None,
    words: int = 12,
) -> list[int]:
    """Current claims ranked by BM25 against the content words of `text`, best first, outside
    `article_id` and published before `before` or after `after`. `index`: the same list, from postings read once for a whole matching run.
    `words`: how many of the text's content words are searched, longest first."""
    terms = match.search_terms(text, words)
    if not terms:
        return []
    selective = _selective_terms(db, terms, index)
    if index is not None and all(_ONE_TOKEN.fullmatch(t) for t in selective):
        return index.ranked(selective, limit=limit, article_id=article_id, before=before, after=after)
    when, params = _published(before, after)
    query = " OR ".join('"' + t.replace('"', "") + '"' for t in selective)
    return [
        r["id"]
        for r in db.query(
            f"select c.id from claims_fts f join claims c on c.rowid = f.rowid {_CURRENT} "
            f"where claims_fts match ? and c.article_id is not ? {when} order by bm25(claims_fts) limit ?",
            [query, article_id, *params, limit],
        )
    ]


def _published(before: str | None, after: str | None) -> tuple[str, list[str]]:
    """The SQL condition (on `a`, the claim's article) and parameters for a publication window."""
    if before is not None:
        return f"and {_WHEN} < ?", [before]
    if after is not None:
        return f"and {_WHEN} > ?", [after]
    return "", []


def _selective_terms(db: Database, terms: list[str], index: FullText | None = None) -> list[str]:
    """`terms` without those in _COMMON_TERM claims or more. FTS5 computes BM25 for every row that
    has any term of the query, so a common word made each search, and so each claim's matching,
    cost in proportion to the database: ingest was quadratic. Counting stops at the cap, so this
    check costs the same at any size."""
    if len(terms) <= _SELECTIVE_TERMS:
        return terms
    counts = index.counts(terms) if index is not None else _term_counts(db, terms)
    rarest = set(sorted(terms, key=lambda t: counts[t])[:_SELECTIVE_TERMS])
    return [t for t in terms if counts[t] < _COMMON_TERM or t in rarest]


def _term_counts(db: Database, terms: list[str]) -> dict[str, int]:
    """Claims (current or old) holding each term, counted up to _COMMON_TERM."""
    return dict(
        db.execute(
            "select value, (select count(*) from (select 1 from claims_fts where claims_fts match "
            "'\"' || replace(value, '\"', '') || '\"' limit ?)) from json_each(?)",
            [_COMMON_TERM, json.dumps(terms)],
        ).fetchall()
    )


# A search term that unicode61 (claims_fts' tokenizer) reads as one token, itself: its rows are the
# term's rows in the index. Others ("3.5" is the phrase "3" "5") are searched by FTS5.
_ONE_TOKEN = re.compile(r"[a-z0-9]+")
# FTS5's bm25() (fts5_aux.c) with its fixed parameters.
_BM25_K1 = 1.2
_BM25_B = 0.75


@dataclass(frozen=True)
class _Postings:
    """The current-or-old claims holding one term, by claim id, with what a search filters on."""

    claims: np.ndarray  # claim ids, ascending
    weights: np.ndarray  # the term's part of each claim's BM25 score
    articles: np.ndarray
    current: np.ndarray  # the claim belongs to its article's current version

    @property
    def size(self) -> int:
        """Bytes kept for it in a FullText's cache."""
        return _POSTINGS_OBJECTS + self.claims.nbytes + self.weights.nbytes + self.articles.nbytes + self.current.nbytes


# The Python objects of a kept list, whatever its length: four array headers, the dataclass, the term
# and its slot in the cache (680 bytes on CPython 3.11, numpy 2). Most terms are in a claim or two:
# in a whole run's cache at 2,000 articles (21k terms) the objects took 14 MiB, the arrays 8.4 MiB.
_POSTINGS_OBJECTS = 700

# The posting lists a FullText keeps, in bytes. A whole run's grow with the database (the arrays
# with its claims, the objects with its vocabulary): 22.5 MiB at 2,000 articles (29k claims), so,
# growing at most in proportion, under 128 MiB below some 10,000 articles: the benchmarks' runs
# still read each term once, and a larger run reads its least recently used terms again instead
# of keeping every list until it ends.
POSTINGS_MAX_BYTES = 128 * 1024 * 1024


class FullText:
    """claims_fts for one matching run, in which no claim is written: each term's rows are read
    once, with the term's part of every row's BM25 score computed as FTS5's bm25() computes it, so
    `ranked` gives full_text_ids' query's list, scores equal to the last bit and ties in claim order.
    FTS5 scored every row sharing a term with the claim, one by one, for every claim: 1,500 rows a
    claim at 15k claims, a number that grows with the database (see benchmarks/README.md). Articles
    stored by another process after the index was opened are left out: they are pending for the next run.
    `max_bytes`: the posting lists kept, least recently used evicted first; an evicted term is read again."""

    def __init__(self, db: Database, max_bytes: int = POSTINGS_MAX_BYTES) -> None:
        self.db = db
        # A count is one int a term, and a run's terms are bounded by the vocabulary: left unbounded.
        self._counts: dict[str, int] = {}
        self._postings: OrderedDict[str, _Postings] = OrderedDict()  # least recently used first
        self._max_bytes = max_bytes
        self._cached_bytes = 0
        # The averages record of FTS5 (rowid 1 of its data table): rows, then tokens of each column;
        # empty until the first claim is stored.
        record = db.execute("select block from claims_fts_data where id = 1").fetchone()
        values = _varints(record[0]) if record else []
        self._rows, tokens = (values[0], sum(values[1:])) if values else (0, 0)
        self._average_length = float(tokens) / float(self._rows) if self._rows else 0.0
        articles = db.execute(f"select id, coalesce(version, -1), {_WHEN} from articles a").fetchall()
        # Publication times by rank: a window is then a range of ranks, and a comparison of ranks
        # is the comparison of texts SQLite makes (code point order is UTF-8 byte order).
        self._times = sorted({when for _, _, when in articles if when is not None})
        rank = {when: i for i, when in enumerate(self._times)}
        size = max((a for a, _, _ in articles), default=0) + 1
        self._versions = np.full(size, -1, dtype=np.int64)
        self._ranks = np.full(size, -1, dtype=np.int64)  # -1: no time (the window keeps none such)
        for article, version, when in articles:
            self._versions[article] = version
            self._ranks[article] = rank.get(when, -1)
        db.execute("create virtual table if not exists temp.claims_fts_instances using fts5vocab(main, 'claims_fts', 'instance')")

    @property
    def cached_bytes(self) -> int:
        """The bytes of the posting lists kept, at most `max_bytes`."""
        return self._cached_bytes

    def counts(self, terms: list[str]) -> dict[str, int]:
        """_term_counts, each term counted once a run."""
        missing = [t for t in terms if t not in self._counts]
        if missing:
            self._counts.update(_term_counts(self.db, missing))
        return {t: self._counts[t] for t in terms}

    def ranked(self, terms: list[str], *, limit: int, article_id: int | None, before: str | None, after: str | None) -> list[int]:
        """Current claims holding any of `terms` (each one token), by BM25 score, then claim id."""
        if not self._rows:
            return []
        postings = [self._read(t) for t in terms]
        claims, first, where = np.unique(np.concatenate([p.claims for p in postings]), return_index=True, return_inverse=True)
        scores = np.zeros(len(claims))
        start = 0
        for p in postings:  # term by term in the query's order, as FTS5 adds them
            scores[where[start:start + len(p.claims)]] += p.weights
            start += len(p.claims)
        articles = np.concatenate([p.articles for p in postings])[first]
        keep = np.concatenate([p.current for p in postings])[first]
        if article_id is not None:
            keep &= articles != article_id
        ranks = self._ranks[articles]
        if before is not None:
            keep &= (ranks >= 0) & (ranks < bisect.bisect_left(self._times, before))
        elif after is not None:
            keep &= ranks >= bisect.bisect_right(self._times, after)
        kept = np.flatnonzero(keep)
        order = np.lexsort((claims[kept], -scores[kept]))[:limit]
        return claims[kept][order].tolist()

    def _read(self, term: str) -> _Postings:
        kept = self._postings.get(term)
        if kept is not None:
            self._postings.move_to_end(term)
            return kept
        rows = self.db.execute(
            "select i.doc, count(*), d.sz, coalesce(c.article_id, 0), coalesce(c.version, -2) from temp.claims_fts_instances i "
            "join claims_fts_docsize d on d.id = i.doc left join claims c on c.id = i.doc "
            "where i.term = ? group by i.doc order by i.doc",
            [term],
        ).fetchall()
        # Every row holding the term counts towards its rarity, as in FTS5, current or not.
        idf = math.log((self._rows - len(rows) + 0.5) / (len(rows) + 0.5))
        if idf <= 0.0:
            idf = 1e-6
        frequency = np.array([r[1] for r in rows], dtype=np.float64)
        length = np.array([_varints(r[2])[0] for r in rows], dtype=np.float64)
        # Operation for operation as fts5Bm25Function, so each part rounds as it does there.
        weights = idf * ((frequency * (_BM25_K1 + 1.0)) / (frequency + _BM25_K1 * (1 - _BM25_B + _BM25_B * length / self._average_length)))
        # An article stored after the run began is outside the arrays: read as article 0, which is none.
        articles = np.array([r[3] if r[3] < len(self._versions) else 0 for r in rows], dtype=np.int64)
        versions = np.array([r[4] for r in rows], dtype=np.int64)
        postings = _Postings(
            claims=np.array([r[0] for r in rows], dtype=np.int64),
            weights=weights,
            articles=articles,
            current=self._versions[articles] == versions,
        )
        if postings.size <= self._max_bytes:  # a larger list would evict every other one, to no use
            self._postings[term] = postings
            self._cached_bytes += postings.size
            while self._cached_bytes > self._max_bytes:
                self._cached_bytes -= self._postings.popitem(last=False)[1].size
        return postings


def _varints(blob: bytes) -> list[int]:
    """SQLite's variable-length integers, as FTS5 writes its sizes."""
    values, i = [], 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i + k]
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
        i += k + 1
    return values


def candidate_ids(
    db: Database,
    view: match.ClaimView,
    *,
    earlier: bool | None = True,
    limit: int = 30,
    full_text: list[int] | None = None,
    index: FullText | None = None,
) -> list[int]:
    """Claims that might be `view`'s origin (earlier=True), its derivatives (False) or either (None):
    full-text hits, shared numbers, shared MinHash bands, and the claims of articles it cites.
    `index`: the run's FullText, for the full-text hits."""
    before = view.published if earlier and view.published else None
    after = view.published if earlier is False and view.published else None
    when, params = _published(before, after)
    other = "and c.article_id is not ?"
    found: dict[int, None] = {}
    if full_text is None:
        # Twice `limit`: on 400 matched pairs the true origin was in the top 30 for 0.88, in the top
        # 60 for 0.91. Always, not only once common terms are left out of the search (as until
        # 2026-11): the candidates, and so the matcher's cost a claim, no longer grow with the database.
        full_text = full_text_ids(db, view.text, limit=2 * limit, article_id=view.article_id, before=before, after=after, index=index)
    found.update(dict.fromkeys(full_text))
    values = sorted({q.value for q in view.quantities if q.value >= 10})
    if values:
        marks = ",".join("?" * len(values))
        for r in db.query(
            f"select distinct c.id from claim_numbers n join claims c on c.id = n.claim_id {_CURRENT} "
            f"where n.value in ({marks}) {other} {when} limit ?",
            [*values, view.article_id, *params, limit],
        ):
            found[r["id"]] = None
    if view.claim_id is not None:  # a stored claim's bands are in the index already
        keys = [r["band"] for r in db.query("select band from claim_bands where claim_id = ?", [view.claim_id])]
    else:
        keys = match.bands(view.text)
    marks = ",".join("?" * len(keys))
    for r in db.query(
        f"select distinct c.id from claim_bands b join claims c on c.id = b.claim_id {_CURRENT} "
        f"where b.band in ({marks}) {other} {when} limit ?",
        [*keys, view.article_id, *params, limit],
    ):
        found[r["id"]] = None
    cited = view.cited_articles | view.linked_articles  # linked: also outlets named, not linked
    if earlier and cited:
        marks = ",".join("?" * len(cited))
        for r in db.query(
            f"select c.id from claims c {_CURRENT} where c.article_id in ({marks}) {when}",
            [*cited, *params],
        ):
            found[r["id"]] = None
    if view.claim_id is not None:
        found.pop(view.claim_id, None)
    return list(found)


def save_matches(db: Database, claim_id: int, matches: list[match.Match], ranked: list[tuple[float, match.ClaimView]], unsupported: bool) -> None:
    """Replace a claim's matches and runner-up candidates in one transaction."""
    with db.atomic():
        db.execute("delete from claim_matches where claim_id = ?", [claim_id])
        db.execute("delete from claim_candidates where claim_id = ?", [claim_id])
        rows = [
            {
                "claim_id": claim_id,
                "origin_claim_id": m.origin_claim_id,
                "score": m.score,
                "relation": str(m.relation),
                "distortions": json.dumps(list(m.distortions)),
                "basis": m.basis,
            }
            for m in matches
        ]
        if unsupported:
            detail = "no earlier article carries this claim and it names no source"
            rows.append({"claim_id": claim_id, "origin_claim_id": None, "score": None, "relation": None,
                         "distortions": json.dumps([{"kind": "unsupported", "detail": detail}]), "basis": None})
        if rows:
            db["claim_matches"].insert_all(rows)
        candidates = [
            {"claim_id": claim_id, "candidate_claim_id": c.claim_id, "score": score, "rank": i}
            for i, (score, c) in enumerate(ranked, 1)
        ]
        if candidates:
            db["claim_candidates"].insert_all(candidates)


def is_derivative(db: Database, article_id: int) -> bool:
    """Is the article a rewrite of others (an aggregator, a newsletter) rather than reporting of its
    own? It declares an origin, or four in five of its claims were found in earlier articles and none
    shows it reporting (an interview of its own, a request for comment: `match.reports_itself`). A
    paper that rewrites a wire story for two thirds of its lines and adds background it knows (a
    player's goals last season) is still reporting: its additions are not unsupported."""
    if next(db.query("select 1 from links where article_id = ? and kind = 'declared_origin'", [article_id]), None) or next(
        db.query("select 1 from articles where id = ? and (declared_origin is not null or declared_origin_url is not null)", [article_id]), None
    ):
        return True
    rows = list(
        db.query(
            f"select c.text, a.site_name, exists(select 1 from claim_matches m where m.claim_id = c.id and m.origin_claim_id is not null) "
            f"as matched from claims c {_CURRENT} where c.article_id = ?",
            [article_id],
        )
    )
    matched = sum(1 for r in rows if r["matched"])
    # A newsletter speaks in its own voice ("Our advice: ...", "Frankly, ..."): those asides were never
    # anyone's report, so only what could have come from elsewhere counts towards the four in five.
    asides = [r for r in rows if not r["matched"] and match.is_opinion(r["text"])]
    voiced = any(match.is_own_voice(r["text"]) for r in asides)
    reported = len(rows) - (len(asides) if voiced else 0)
    if not (reported > 0 and matched * 5 >= reported * 4):
        return False
    # A wire that rewrites a release but interviewed someone itself reports too: what it adds is its own.
    return not any(match.reports_itself(r["text"], r["site_name"]) for r in rows)


def primary_origin(db: Database, claim_id: int) -> int | None:
    """The claim a claim was taken from: an explicit citation first, else the best text match."""
    row = next(
        db.query(
            "select origin_claim_id from claim_matches where claim_id = ? and origin_claim_id is not null "
            "order by basis = 'citation' desc, score desc limit 1",
            [claim_id],
        ),
        None,
    )
    return row["origin_claim_id"] if row else None


def claim_rows(db: Database, claim_ids: list[int]) -> dict[int, dict]:
    """Claims with their article's URL, site and publication time."""
    if not claim_ids:
        return {}
    marks = ",".join("?" * len(claim_ids))
    return {
        r["id"]: r
        for r in db.query(
            f"select c.id, c.text, c.article_id, a.url as article_url, a.site_name, {_WHEN} as published "
            f"from claims c join articles a on a.id = c.article_id where c.id in ({marks})",
            claim_ids,
        )
    }


def claim_matches(db: Database, claim_id: int) -> list[dict]:
    return list(
        db.query(
            "select origin_claim_id, score, relation, distortions, basis from claim_matches where claim_id = ? "
            "order by origin_claim_id is null, basis = 'citation' desc, score desc",
            [claim_id],
        )
    )


def claim_candidates(db: Database, claim_id: int, top: int) -> list[dict]:
    return list(
        db.query(
            "select candidate_claim_id, score from claim_candidates where claim_id = ? order by rank limit ?",
            [claim_id, top],
        )
    )


def count_matches_touching(db: Database, claim_ids: list[int]) -> int:
    """Matches in which any of these claims is the derived or the origin side."""
    if not claim_ids:
        return 0
    marks = ",".join("?" * len(claim_ids))
    return next(
        db.query(
            f"select count(*) as n from claim_matches where origin_claim_id is not null "
            f"and (claim_id in ({marks}) or origin_claim_id in ({marks}))",
            claim_ids + claim_ids,
        )
    )["n"]


def source_follows(db: Database, claim_id: int) -> bool:
    """Does the next sentence of the claim's paragraph name a source of its own? Then the claim is
    a lead-in the writer backs at once ("Evidence of heavy losses mounts. Dalsavin said last week
    that ..."), not a fact stated with no source."""
    return bool(next(db.query(
        "select 1 from claims c join claims n on n.article_id = c.article_id and n.version = c.version "
        "and n.seq = c.seq + 1 and n.paragraph = c.paragraph "
        "join attributions t on t.claim_id = n.id and t.method != 'article' where c.id = ? limit 1",
        [claim_id],
    ), None))


def in_editors_note(db: Database, claim_id: int) -> bool:
    """Is the claim part of a paragraph that opens as an editor's note ("Correction, March 5: ...
    The correct figure is ...")?"""
    row = next(db.query(
        "select p.text from claims c join claims p on p.article_id = c.article_id and p.version = c.version "
        "and p.paragraph = c.paragraph where c.id = ? order by p.seq limit 1",
        [claim_id],
    ), None)
    return bool(row) and match.is_editors_note(row["text"])


def is_unsupported(db: Database, claim_id: int) -> bool:
    return bool(next(db.query("select 1 from claim_matches where claim_id = ? and origin_claim_id is null", [claim_id]), None))


# --- discovery and watching ------------------------------------------------------------------


def known_urls(db: Database, urls: list[str]) -> set[str]:
    """Those of `urls` already stored as an article, or discovered and crawled before."""
    found: set[str] = set()
    for start in range(0, len(urls), 300):  # SQLite caps the number of parameters
        chunk = urls[start : start + 300]
        marks = ",".join("?" * len(chunk))
        found.update(
            r["url"]
            for r in db.query(
                f"select url from article_urls where url in ({marks}) union select url from articles where url in ({marks}) "
                f"union select url from discovered where crawled_at is not null and url in ({marks})",
                chunk * 3,
            )
        )
    return found


def save_discovered(db: Database, rows: list[dict]) -> None:
    """Rows of `discovered` (url, outlet, listed_in, published, found_at); a URL already listed keeps its first row."""
    if rows:
        with db.atomic():
            db["discovered"].insert_all(rows, pk="url", ignore=True)


def pending_discoveries(db: Database) -> list[str]:
    """Discovered URLs not crawled yet and not stored some other way, oldest listing first."""
    return [
        r["url"]
        for r in db.query(
            "select url from discovered where crawled_at is null and url not in (select url from article_urls) "
            "and url not in (select url from articles) order by published is null, published, found_at, url"
        )
    ]


def mark_discovered(db: Database, urls: list[str], crawled_at: str) -> None:
    with db.atomic():
        db.conn.executemany("update discovered set crawled_at = ? where url = ? and crawled_at is null", [(crawled_at, u) for u in urls])


def watch_state(db: Database) -> dict:
    """The watch row (created on first use): lock holder, heartbeat, cycles."""
    with db.atomic():
        db.execute("insert or ignore into watch (id, cycles) values (1, 0)")
    return next(db.query("select * from watch where id = 1"))


def take_watch(db: Database, *, pid: int, host: str, token: str, now: str, every_seconds: float | None, replacing: str | None) -> bool:
    """Take the watch lock from `replacing` (the token seen free or dead), in one statement, so
    of two runs racing for it exactly one wins."""
    with db.atomic():
        cursor = db.execute(
            "update watch set pid = ?, host = ?, token = ?, started_at = ?, heartbeat_at = ?, every_seconds = ? "
            "where id = 1 and token is ?",
            [pid, host, token, now, now, every_seconds, replacing],
        )
    return cursor.rowcount == 1


def watch_heartbeat(db: Database, token: str, now: str) -> bool:
    """Still ours? False when another run took the lock over (it judged this one dead)."""
    with db.atomic():
        cursor = db.execute("update watch set heartbeat_at = ? where id = 1 and token = ?", [now, token])
    return cursor.rowcount == 1


def watch_cycle(db: Database, token: str, *, started_at: str | None = None, finished_at: str | None = None) -> None:
    with db.atomic():
        if started_at:
            db.execute("update watch set cycle_started_at = ? where id = 1 and token = ?", [started_at, token])
        if finished_at:
            db.execute(
                "update watch set cycle_finished_at = ?, cycles = cycles + 1 where id = 1 and token = ?", [finished_at, token]
            )


def release_watch(db: Database, token: str) -> None:
    with db.atomic():
        db.execute("update watch set pid = null, host = null, token = null where id = 1 and token = ?", [token])


def derived_matches(db: Database, origin_claim_ids: list[int]) -> list[dict]:
    """Current claims matched to any of these claims as their origin, with the match and their article."""
    if not origin_claim_ids:
        return []
    # One JSON parameter, not one a claim: a story's frontier may pass SQLite's variable limit.
    return list(
        db.query(
            f"select m.claim_id, m.origin_claim_id, m.score, m.relation, m.distortions, m.basis, c.text, c.seq, "
            f"c.article_id, a.url as article_url, a.site_name, a.title, {_WHEN} as published "
            f"from claim_matches m join claims c on c.id = m.claim_id {_CURRENT} "
            f"where m.origin_claim_id in (select value from json_each(?)) "
            f"order by m.claim_id, m.basis = 'citation' desc, m.score desc",
            [json.dumps(origin_claim_ids)],
        )
    )
