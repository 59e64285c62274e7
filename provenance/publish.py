"""Datasette publishing: the project's metadata and canned queries, the plugin, and `provenance serve`.

Reads the database, never writes it. The plugin (registered through the `datasette` entry point,
and by `serve` itself when the package is not installed) adds:

- `/<db>/-/claim/<id>`: a claim's provenance chain, earliest hop first, every hop with its outlet,
  date, text, sources and cue, match score and distortions highlighted inline; `.json` gives the
  same as one entry of `provenance trace --json`'s `claims`, plus the hops in detail.
- `/<db>/-/article/<id>`: an article's claims and where each came from; `.json` gives what
  `provenance trace --json URL` prints for the article's URL, plus the article.
- links from Datasette's table, row and query pages to those pages (`render_cell`), distortion
  badges, word diffs for `provenance_diff()` (a SQL function the "changed articles" query uses).

Everything is rendered by Datasette's Jinja environment with autoescaping: titles and texts come
from the web and are untrusted. Markup built here escapes every value it interpolates, and only
http(s) URLs ever become links.
"""

from __future__ import annotations

import difflib
import json
import mimetypes
import re
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from . import store
from .errors import NotOurDatabase, ProvenanceError

PLUGIN_NAME = "provenance"
TEMPLATE_CLAIM = "provenance_claim.html"
TEMPLATE_ARTICLE = "provenance_article.html"
MAX_HOPS = 50  # a chain longer than this is a cycle the matcher let through; stop there

# Datasette settings for `provenance serve`: article texts are long, and the cluster query recurses.
SERVE_SETTINGS = {"truncate_cells_html": 400, "sql_time_limit_ms": 3000}

RELATION_VERBS = {"copy": "copied", "paraphrase": "paraphrased", "summary": "summarised", "partial": "partly reused"}
DISTORTION_LABELS = {
    "number_changed": "number changed",
    "hedge_dropped": "hedge dropped",
    "attribution_dropped": "attribution dropped",
    "attribution_strengthened": "attribution strengthened",
    "unsupported": "unsupported",
}
OUR_TABLES = {"articles", "claims", "attributions", "sources", "claim_matches"}


# ---------------------------------------------------------------------------- shipped files


def data_dir() -> Traversable:
    """`db/` in the checkout, `provenance/_db` in the wheel."""
    return resources.files("provenance") / "_db"


def templates_dir() -> str:
    return str(data_dir() / "templates")


def parse_query(text: str) -> dict[str, str]:
    """A canned query file: leading `-- key: value` comment lines (continued by further `--` lines), then SQL."""
    fields: dict[str, str] = {}
    lines = text.splitlines()
    key = None
    body_from = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("--"):
            body_from = i
            break
        comment = stripped[2:].strip()
        found = re.match(r"^([a-z_]+):\s*(.*)$", comment)
        if found and found.group(1) in ("title", "description"):
            key = found.group(1)
            fields[key] = found.group(2)
        elif key and comment:
            fields[key] += " " + comment
    fields["sql"] = "\n".join(lines[body_from:]).strip()
    return fields


def canned_queries() -> dict[str, dict[str, str]]:
    """`db/queries/*.sql`, by file stem, as Datasette's metadata `queries`."""
    folder = data_dir() / "queries"
    return {
        entry.name.removesuffix(".sql"): parse_query(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".sql")
    }


def metadata(database: str) -> dict:
    """Datasette metadata for a database named `database` (Datasette names a database by its file stem)."""
    shipped = json.loads((data_dir() / "metadata.json").read_text(encoding="utf-8"))
    tables = shipped.pop("tables")
    return {**shipped, "databases": {database: {"tables": tables, "queries": canned_queries()}}}


# ---------------------------------------------------------------------------- pure helpers


def when(iso: str | None) -> str:
    """'2025-03-04T01:30:00Z' -> '4 Mar 2025, 01:30 UTC'; a bare date stays a date; anything else as given."""
    if not iso:
        return "undated"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    day = f"{moment.day} {moment:%b %Y}"
    if len(iso) <= 10:
        return day
    zone = "UTC" if moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0 else moment.strftime("%z")
    return f"{day}, {moment:%H:%M} {zone}".strip()


def web_url(url: str | None) -> str | None:
    """The URL if it may become a link (http or https only), else None: no javascript:, data: or file:."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def parse_distortions(raw: str | None) -> list[dict[str, str]]:
    """claim_matches.distortions -> [{kind, detail, label, css}]; unreadable JSON is shown, not hidden."""
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except (TypeError, ValueError):
        items = [{"kind": "unknown", "detail": str(raw)}]
    if not isinstance(items, list):
        items = [items]
    found = []
    for item in items:
        if not isinstance(item, dict):
            item = {"kind": "unknown", "detail": str(item)}
        found.append(distortion(str(item.get("kind") or "unknown"), str(item.get("detail") or "")))
    return found


def distortion(kind: str, detail: str) -> dict[str, str]:
    """A distortion as pages show it. The CSS class comes from a closed list: the kind is untrusted data."""
    old, new = distortion_sides(detail) if _ARROW.search(detail) else (None, None)
    return {
        "kind": kind,
        "detail": detail,
        "label": DISTORTION_LABELS.get(kind, kind.replace("_", " ")),
        "css": f"pv-d-{kind}" if kind in DISTORTION_LABELS else "pv-d-other",
        "old": old,  # the two sides, when the detail has them ("3,000 -> 5,000"), for display
        "new": new,
    }


_ARROW = re.compile(r"\s*(?:->|→|=>|⇒)\s*")
_QUOTED = re.compile(r"[\"“”‘’']([^\"“”‘’']+)[\"“”‘’']")
_NOTHING = {"", "none", "nothing", "-", "—", "(none)", "null", "∅"}


def distortion_sides(detail: str) -> tuple[str | None, str | None]:
    """'"up to 12,000" -> "12,000"' -> ('up to 12,000', '12,000'): the earlier wording and the later one.

    Without an arrow, a quoted phrase (or the whole detail) is returned as both sides; the caller
    highlights it wherever it occurs.
    """
    if not detail:
        return None, None
    parts = _ARROW.split(detail, maxsplit=1)
    if len(parts) == 2:
        old, new = (_unquote(p) for p in parts)
        return old, new
    quoted = _QUOTED.findall(detail)
    phrase = quoted[0] if quoted else detail.strip()
    return phrase, phrase


def _unquote(side: str) -> str | None:
    side = side.strip().strip("\"“”‘’'").strip()
    return None if side.lower() in _NOTHING else side


def _find(text: str, needle: str) -> tuple[int, int] | None:
    if not needle or not text:
        return None
    pattern = re.escape(needle)
    if needle[0].isalnum():
        pattern = r"(?<![\w])" + pattern
    if needle[-1].isalnum():
        pattern += r"(?![\w])"
    found = re.search(pattern, text, flags=re.IGNORECASE)
    return found.span() if found else None


def highlight(text: str, marks: Iterable[tuple[str | None, dict[str, str]]], role: str = "changed") -> list[dict[str, Any]]:
    """Split `text` into segments, marking where each needle occurs (its first occurrence).

    `marks` holds (needle, distortion) pairs. Each segment is {text, marks: [distortion...], css,
    title}; the template escapes the text. Overlapping marks split into pieces, each carrying every
    distortion that covers it ("another 5,000 soldiers" with "5,000" inside). `role` is "changed" for
    the later claim (the new wording) and "was" for the earlier one (the wording that was changed).
    """
    spans = []
    for needle, change in marks:
        span = _find(text, needle) if needle else None
        if span and span[1] > span[0]:
            spans.append((span[0], span[1], change))
    cuts = sorted({0, len(text), *(s[0] for s in spans), *(s[1] for s in spans)})
    segments: list[dict[str, Any]] = []
    for start, end in zip(cuts, cuts[1:]):
        covering = []
        for s_start, s_end, change in spans:
            if s_start <= start and end <= s_end and change not in covering:
                covering.append(change)
        if not covering:
            if segments and not segments[-1]["marks"]:
                segments[-1]["text"] += text[start:end]
            else:
                segments.append({"text": text[start:end], "marks": []})
            continue
        labels = "; ".join(f"{d['label']}: {d['detail']}" if d["detail"] else d["label"] for d in covering)
        segments.append(
            {
                "text": text[start:end],
                "marks": covering,
                "css": " ".join(sorted({d["css"] for d in covering})) + f" pv-{role}",
                "title": ("changed here: " if role == "changed" else "changed in the next hop: ") + labels,
            }
        )
    return segments or [{"text": text, "marks": []}]


def word_diff(old: str | None, new: str | None, context: int = 8) -> str:
    """A word diff, git --word-diff=plain style: [-removed-] {+added+}, unchanged runs cut to `context` words a side."""
    a = re.findall(r"\S+|\s+", old or "")
    b = re.findall(r"\S+|\s+", new or "")
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    out = []
    keep = context * 2  # tokens: words and the spaces between them
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            run = a[i1:i2]
            first, last = index == 0, index == len(opcodes) - 1
            if len(opcodes) == 1:
                return ""
            if first and len(run) > keep:
                run = ["… "] + run[-keep:]
            elif last and len(run) > keep:
                run = run[:keep] + [" …"]
            elif not first and not last and len(run) > 2 * keep:
                run = run[:keep] + [" … "] + run[-keep:]
            out.append("".join(run))
            continue
        raw_removed, raw_added = "".join(a[i1:i2]), "".join(b[j1:j2])
        removed, added = raw_removed.strip(), raw_added.strip()
        raw = raw_added or raw_removed
        if raw[:1].isspace() and out and not out[-1][-1:].isspace():
            out.append(" ")  # keep words apart where the change began with a space or a paragraph break
        if removed:
            out.append(f"[-{removed}-]")
        if removed and added:
            out.append(" ")
        if added:
            out.append(f"{{+{added}+}}")
        if raw[-1:].isspace():
            out.append(" ")
    return re.sub(r" {2,}", " ", "".join(out)).strip()


_DIFF_PART = re.compile(r"(\[-.*?-\]|\{\+.*?\+\})", re.DOTALL)


def diff_markup(diff: str) -> Markup:
    """word_diff text -> <del>/<ins> HTML, every piece escaped."""
    html = []
    for part in _DIFF_PART.split(diff):
        if part.startswith("[-") and part.endswith("-]"):
            html.append(Markup('<del class="pv-del">{}</del>').format(part[2:-2]))
        elif part.startswith("{+") and part.endswith("+}"):
            html.append(Markup('<ins class="pv-ins">{}</ins>').format(part[2:-2]))
        else:
            html.append(escape(part))
    return Markup('<div class="pv-diff">{}</div>').format(Markup("").join(html))


# ---------------------------------------------------------------------------- reading through Datasette

CLAIM_SQL = """
select c.*, a.url as article_url, a.title as article_title, a.site_name, a.domain, a.published,
       a.version as article_version
from claims c join articles a on a.id = c.article_id
where c.id = :claim_id
"""

SOURCES_SQL = """
select t.*, s.name, s.kind
from attributions t join sources s on s.id = t.source_id
where t.claim_id = :claim_id
order by t.confidence desc, t.id
"""

SOURCE_NAME_SQL = "select name from sources where id = :id"

MATCHES_SQL = """
select m.id as match_id, m.score, m.relation, m.distortions, m.origin_claim_id as claim_id,
       o.text, a.id as article_id, a.url as article_url, a.title as article_title, a.site_name, a.published
from claim_matches m
join claims o on o.id = m.origin_claim_id
join articles a on a.id = o.article_id
where m.claim_id = :claim_id
order by m.basis = 'citation' desc, m.score desc, m.id
"""

DERIVATIVES_SQL = """
select m.id as match_id, m.score, m.relation, m.distortions, m.claim_id,
       d.text, a.id as article_id, a.url as article_url, a.title as article_title, a.site_name, a.published
from claim_matches m
join claims d on d.id = m.claim_id
join articles a on a.id = d.article_id
where m.origin_claim_id = :claim_id
order by a.published, m.score desc, m.id
"""

ARTICLE_SQL = "select * from articles where id = :article_id"

ARTICLE_CLAIMS_SQL = "select * from claims where article_id = :article_id order by seq, id"

ARTICLE_VERSIONS_SQL = "select count(*) from article_versions where article_id = :article_id"

ARTICLE_DECLARED_ORIGIN_SQL = """
select t.id, t.title, t.site_name from links l join articles t on t.id = l.target_article_id
where l.article_id = :article_id and l.kind = 'declared_origin'
limit 1
"""

ARTICLE_DERIVATIVES_SQL = """
select a.id, a.title, a.site_name, a.published, a.url, count(distinct m.claim_id) as claims
from claim_matches m
join claims o on o.id = m.origin_claim_id
join claims d on d.id = m.claim_id
join articles a on a.id = d.article_id
where o.article_id = :article_id and d.article_id != :article_id
group by a.id
order by a.published, a.id
"""

_ours: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def is_provenance(db: Any) -> bool:
    """Does this Datasette database hold our tables? Cached per database object."""
    if db not in _ours:
        _ours[db] = OUR_TABLES <= set(await db.table_names())
    return _ours[db]


async def _rows(db: Any, sql: str, params: dict) -> list[dict]:
    return [dict(row) for row in (await db.execute(sql, params)).rows]


async def _sources(db: Any, claim_id: int) -> list[dict]:
    sources = await _rows(db, SOURCES_SQL, {"claim_id": claim_id})
    for source in sources:
        organization_id = source.get("organization_id")
        if organization_id:
            found = await _rows(db, SOURCE_NAME_SQL, {"id": organization_id})
            source["organization"] = found[0]["name"] if found else None
    return sources


async def _claim(db: Any, claim_id: int) -> dict | None:
    found = await _rows(db, CLAIM_SQL, {"claim_id": claim_id})
    if not found:
        return None
    claim = found[0]
    claim["when"] = when(claim["published"])
    claim["article_link"] = web_url(claim["article_url"])
    claim["sources"] = await _sources(db, claim_id)
    return claim


async def _matches(db: Any, sql: str, claim_id: int) -> list[dict]:
    matches = await _rows(db, sql, {"claim_id": claim_id})
    for match in matches:
        match["distortions"] = parse_distortions(match["distortions"])
        match["when"] = when(match["published"])
    return matches


async def chain(db: Any, claim_id: int) -> list[dict]:
    """Hops from the earliest claim to this one, following each claim's primary match (an explicit
    citation first, then the best score: the rule of trace.chain and store.primary_origin).

    Each hop is a claim (with its article fields and sources); from the second hop on, `match` is
    the match that links it to the hop before it.
    """
    hops: list[dict] = []
    seen: set[int] = set()
    current: int | None = claim_id
    match = None
    while current is not None and current not in seen and len(hops) < MAX_HOPS:
        seen.add(current)
        claim = await _claim(db, current)
        if claim is None:
            break
        matches = await _matches(db, MATCHES_SQL, current)
        claim["match"] = matches[0] if matches else None
        claim["candidates"] = matches
        hops.append(claim)
        match = claim["match"]
        current = match["claim_id"] if match else None
    hops.reverse()
    _mark_hops(hops)
    return hops


def _mark_hops(hops: list[dict]) -> None:
    """Each hop's text as segments: what changed here marked, and, dimmer, the wording the next hop changed."""
    for index, hop in enumerate(hops):
        changed = []
        if hop["match"]:
            changed = [(distortion_sides(d["detail"])[1], d) for d in hop["match"]["distortions"]]
        was = []
        if index + 1 < len(hops) and hops[index + 1]["match"]:
            was = [(distortion_sides(d["detail"])[0], d) for d in hops[index + 1]["match"]["distortions"]]
        segments = highlight(hop["text"], changed, "changed")
        if was:
            # mark the "was" wording only inside unmarked stretches, so a hop changed twice stays readable
            marked = []
            for segment in segments:
                marked.extend(highlight(segment["text"], was, "was") if not segment["marks"] else [segment])
            segments = marked
        hop["segments"] = segments


async def claim_report(db: Any, claim_id: int) -> dict | None:
    """Everything the chain page and its JSON show for one claim."""
    hops = await chain(db, claim_id)
    if not hops or hops[-1]["id"] != claim_id:
        return None
    claim = hops[-1]
    derivatives = await _matches(db, DERIVATIVES_SQL, claim_id)
    distortions = [d for hop in hops if hop["match"] for d in hop["match"]["distortions"]]
    return {
        "claim": claim,
        "hops": hops,
        "earliest": hops[0],
        "derivatives": derivatives,
        "distortions": distortions,
        "outlets": _outlets(hops),
    }


def _outlets(hops: list[dict]) -> list[str]:
    names: list[str] = []
    for hop in hops:
        name = hop["site_name"] or hop["domain"] or "?"
        if not names or names[-1] != name:
            names.append(name)
    return names


async def article_report(db: Any, article_id: int) -> dict | None:
    found = await _rows(db, ARTICLE_SQL, {"article_id": article_id})
    if not found:
        return None
    article = found[0]
    article["when"] = when(article.get("published"))
    article["link"] = web_url(article.get("url"))
    article["declared_origin_link"] = web_url(article.get("declared_origin_url"))
    origin = await _rows(db, ARTICLE_DECLARED_ORIGIN_SQL, {"article_id": article_id})
    article["declared_origin_article"] = origin[0] if origin else None
    article["versions"] = (await db.execute(ARTICLE_VERSIONS_SQL, {"article_id": article_id})).first()[0]
    claims = await _rows(db, ARTICLE_CLAIMS_SQL, {"article_id": article_id})
    shown_version = None
    if claims and "version" in claims[0]:
        versions = {c["version"] for c in claims}
        shown_version = article.get("version") if article.get("version") in versions else max(v or 0 for v in versions)
        claims = [c for c in claims if (c["version"] or 0) == (shown_version or 0)]
    entries = []
    for claim in claims:
        hops = await chain(db, claim["id"])
        entry = hops[-1] if hops else claim
        entry["earliest"] = hops[0] if len(hops) > 1 else None
        entry["hops_count"] = len(hops)
        entry["origin"] = hops[-2] if len(hops) > 1 else None
        entry["chain"] = hops
        entries.append(entry)
    derivatives = await _rows(db, ARTICLE_DERIVATIVES_SQL, {"article_id": article_id})
    for derivative in derivatives:
        derivative["when"] = when(derivative["published"])
    return {
        "article": article,
        "claims": entries,
        "shown_version": shown_version,
        "derivatives": derivatives,
        "unsourced": sum(1 for e in entries if not e["sources"] and not e["match"]),
    }


# ---------------------------------------------------------------------------- JSON (trace --json shape)


def _source_json(source: dict) -> dict:
    out = {k: source.get(k) for k in ("name", "kind", "mention", "cue", "method", "confidence")}
    for extra in ("role", "organization"):
        if source.get(extra):
            out[extra] = source[extra]
    out["source_id"] = source.get("source_id")
    return out


def _distortions_json(distortions: list[dict]) -> list[dict]:
    return [{"kind": d["kind"], "detail": d["detail"]} for d in distortions]


def claim_json(hops: list[dict], urls: dict[str, str] | None = None) -> dict:
    """One entry of `trace --json`'s `claims` (DESIGN.md), plus `hops` in detail and page links."""
    claim = hops[-1]
    out = {
        "claim_id": claim["id"],
        "article_url": claim["article_url"],
        "text": claim["text"],
        "sources": [_source_json(s) for s in claim["sources"]],
        "matches": [
            {
                "claim_id": m["claim_id"],
                "article_url": m["article_url"],
                "published": m["published"],
                "text": m["text"],
                "score": m["score"],
                "relation": m["relation"],
                "distortions": _distortions_json(m["distortions"]),
            }
            for m in claim["candidates"]
        ],
        "chain": [
            {"claim_id": h["id"], "article_url": h["article_url"], "published": h["published"], "text": h["text"]}
            for h in hops
        ],
        "hops": [
            {
                "claim_id": h["id"],
                "article_id": h["article_id"],
                "article_url": h["article_url"],
                "article_title": h["article_title"],
                "outlet": h["site_name"],
                "published": h["published"],
                "text": h["text"],
                "sources": [_source_json(s) for s in h["sources"]],
                "match": None
                if not h["match"]
                else {
                    "match_id": h["match"]["match_id"],
                    "origin_claim_id": h["match"]["claim_id"],
                    "score": h["match"]["score"],
                    "relation": h["match"]["relation"],
                    "distortions": _distortions_json(h["match"]["distortions"]),
                },
            }
            for h in hops
        ],
    }
    if urls:
        out["urls"] = urls
    return out


# ---------------------------------------------------------------------------- the plugin


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    """Our templates (db/templates) after Datasette's own: a --template-dir can still override them."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    env.loader = ChoiceLoader([env.loader, FileSystemLoader(templates_dir())])


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("provenance_diff", 2, word_diff, deterministic=True)


@hookimpl
def register_routes() -> list:
    return [
        (r"^/(?P<database>[^/]+)/-/claim/(?P<claim_id>\d+)(?P<format>\.json)?$", claim_view),
        (r"^/(?P<database>[^/]+)/-/article/(?P<article_id>\d+)(?P<format>\.json)?$", article_view),
        (r"^/-/provenance/(?P<filename>[A-Za-z0-9_-]+\.(?:css|js|svg|png))$", static_view),
    ]


@hookimpl
def extra_css_urls(database: str | None, datasette: Any) -> list[str]:
    # Only where our cells or pages can appear: pages about a database (tables, rows, queries, ours).
    return [datasette.urls.path("/-/provenance/provenance.css")] if database else []


def claim_path(datasette: Any, database: str, claim_id: Any) -> str:
    return f"{datasette.urls.database(database)}/-/claim/{int(claim_id)}"


def article_path(datasette: Any, database: str, article_id: Any) -> str:
    return f"{datasette.urls.database(database)}/-/article/{int(article_id)}"


def row_path(datasette: Any, database: str, table: str, pk: Any) -> str:
    return datasette.urls.row(database, table, str(int(pk)))


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Links to claim and article pages, distortion badges, word diffs. Quiet on anything else."""
    kind = _cell_kind(row, column, table, value)
    if kind is None:
        return None

    async def inner() -> Markup | None:
        try:
            db = datasette.get_database(database)
        except KeyError:
            return None
        if not await is_provenance(db):
            return None
        return _render(kind, row, value, column, database, datasette)

    return inner()


def _cell_kind(row: Any, column: str, table: str | None, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if table == "claims" and column == "text":
        return "claim_text"
    if table == "articles" and column == "title":
        return "article_title"
    if table in ("claim_matches", None) and column == "distortions":
        return "distortions"
    if column == "kind" and (table == "distortions" or (table is None and _row_get(row, "detail") is not None)):
        return "kind"
    if table in (None, "distortions") and column in ("claim_id", "origin_claim_id") and _is_int(value):
        return "claim_link"
    if table is None and column in ("article_id", "origin_article_id") and _is_int(value):
        return "article_link"
    if table is None and column == "source_id" and _is_int(value):
        return "source_link"
    if table is None and column == "diff" and isinstance(value, str):
        return "diff"
    if table is None and column in ("claim", "origin_claim") and isinstance(value, str):
        return "quoted_claim"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _row_get(row: Any, key: str) -> Any:
    try:
        return row[key]
    except (KeyError, IndexError, TypeError):
        return None


def _render(kind: str, row: Any, value: Any, column: str, database: str, datasette: Any) -> Markup | None:
    if kind == "claim_text":
        claim_id = _row_get(row, "id")
        if not _is_int(claim_id):
            return None
        return Markup('{} <a class="pv-cell-link" href="{}" title="Provenance chain of this claim">chain&nbsp;→</a>').format(
            value, claim_path(datasette, database, claim_id)
        )
    if kind == "article_title":
        article_id = _row_get(row, "id")
        if not _is_int(article_id):
            return None
        return Markup('{} <a class="pv-cell-link" href="{}" title="This article\'s claims and where each came from">claims&nbsp;&amp;&nbsp;origins&nbsp;→</a>').format(
            value, article_path(datasette, database, article_id)
        )
    if kind == "distortions":
        if not isinstance(value, str):
            return None
        return _badges(parse_distortions(value)) or Markup('<span class="pv-none">none</span>')
    if kind == "kind":
        detail = _row_get(row, "detail")
        return _badges([distortion(str(value), detail if isinstance(detail, str) else "")])
    if kind == "claim_link":
        return Markup('<a href="{}">{}</a> <a class="pv-cell-link" href="{}">chain&nbsp;→</a>').format(
            row_path(datasette, database, "claims", value), value, claim_path(datasette, database, value)
        )
    if kind == "article_link":
        return Markup('<a href="{}">{}</a> <a class="pv-cell-link" href="{}">claims&nbsp;→</a>').format(
            row_path(datasette, database, "articles", value), value, article_path(datasette, database, value)
        )
    if kind == "source_link":
        return Markup('<a href="{}">{}</a>').format(row_path(datasette, database, "sources", value), value)
    if kind == "diff":
        return diff_markup(value)
    if kind == "quoted_claim":
        detail = _row_get(row, "detail")
        if not isinstance(detail, str):
            return None
        change = distortion(str(_row_get(row, "kind") or ""), detail)
        old, new = distortion_sides(detail)
        role, needle = ("changed", new) if column == "claim" else ("was", old)
        segments = highlight(value, [(needle, change)], role)
        return Markup("").join(
            Markup('<mark class="pv-mark {}" title="{}">{}</mark>').format(s["css"], s["title"], s["text"]) if s["marks"] else escape(s["text"])
            for s in segments
        )
    return None


def _badges(distortions: list[dict]) -> Markup:
    return Markup(" ").join(
        Markup('<span class="pv-badge {}" title="{}">{}</span>').format(d["css"], d["detail"], d["label"])
        for d in distortions
    )


# ---------------------------------------------------------------------------- views


async def _database(datasette: Any, request: Any, table: str) -> tuple[Any, str]:
    route = tilde_decode(request.url_vars["database"])
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise NotFound(f"Database not found: {route}")
    await datasette.ensure_permissions(
        request.actor, [("view-table", (db.name, table)), ("view-database", db.name), "view-instance"]
    )
    if not await is_provenance(db):
        raise NotFound(f"{db.name} is not a news-provenance database")
    return db, db.name


def _json_response(datasette: Any, body: Any, status: int = 200) -> Response:
    headers = {"Access-Control-Allow-Origin": "*"} if datasette.cors else {}
    return Response.json(body, status=status, headers=headers, default=str)


async def claim_view(request: Any, datasette: Any) -> Response:
    db, database = await _database(datasette, request, "claims")
    claim_id = int(request.url_vars["claim_id"])
    report = await claim_report(db, claim_id)
    as_json = bool(request.url_vars.get("format"))
    if report is None:
        if as_json:
            return _json_response(datasette, {"ok": False, "error": f"Claim {claim_id} not found"}, status=404)
        raise NotFound(f"Claim {claim_id} not found in {database}")
    page = claim_path(datasette, database, claim_id)
    if as_json:
        urls = {"html": datasette.absolute_url(request, page), "row": datasette.absolute_url(request, row_path(datasette, database, "claims", claim_id))}
        return _json_response(datasette, claim_json(report["hops"], urls))
    context = {
        "database": database,
        "report": report,
        "page": page,
        "json_url": page + ".json",
        "labels": DISTORTION_LABELS,
        "verbs": RELATION_VERBS,
        **_link_helpers(datasette, database),
    }
    return Response.html(await datasette.render_template(TEMPLATE_CLAIM, context, request=request, view_name="provenance_claim"))


async def article_view(request: Any, datasette: Any) -> Response:
    db, database = await _database(datasette, request, "articles")
    article_id = int(request.url_vars["article_id"])
    report = await article_report(db, article_id)
    as_json = bool(request.url_vars.get("format"))
    if report is None:
        if as_json:
            return _json_response(datasette, {"ok": False, "error": f"Article {article_id} not found"}, status=404)
        raise NotFound(f"Article {article_id} not found in {database}")
    page = article_path(datasette, database, article_id)
    if as_json:
        article = {k: v for k, v in report["article"].items() if k not in ("text", "link", "declared_origin_link", "when")}
        return _json_response(
            datasette,
            {
                "query": report["article"]["url"],
                "claims": [claim_json(entry["chain"]) for entry in report["claims"]],
                "article": article,
                "urls": {"html": datasette.absolute_url(request, page)},
            },
        )
    context = {
        "database": database,
        "report": report,
        "page": page,
        "json_url": page + ".json",
        "labels": DISTORTION_LABELS,
        **_link_helpers(datasette, database),
    }
    return Response.html(await datasette.render_template(TEMPLATE_ARTICLE, context, request=request, view_name="provenance_article"))


def _link_helpers(datasette: Any, database: str) -> dict:
    return {
        "claim_page": lambda claim_id: claim_path(datasette, database, claim_id),
        "article_page": lambda article_id: article_path(datasette, database, article_id),
        "row_page": lambda table, pk: row_path(datasette, database, table, pk),
        "table_page": lambda table: datasette.urls.table(database, table),
        "query_page": lambda name: datasette.urls.query(database, name),
    }


async def static_view(request: Any, datasette: Any) -> Response:
    filename = request.url_vars["filename"]
    folder = data_dir() / "static"
    names = {entry.name for entry in folder.iterdir()} if folder.is_dir() else set()
    if filename not in names:
        raise NotFound(f"No such file: {filename}")
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    return Response((folder / filename).read_bytes(), content_type=content_type, headers={"Cache-Control": "max-age=3600"})


# ---------------------------------------------------------------------------- serve


def ensure_registered() -> None:
    """Register this module as the `provenance` Datasette plugin unless the entry point already did."""
    from datasette.plugins import pm

    module = sys.modules[__name__]
    if pm.get_plugin(PLUGIN_NAME) is None and not pm.is_registered(module):
        pm.register(module, name=PLUGIN_NAME)


def _checkpoint(database: Any, db_path: Path) -> None:
    """Move everything from the -wal file into the database file: an immutable reader sees only the latter.

    `provenance demo` still holds its connection when it serves, so closing ours alone would leave
    the whole crawl in the WAL and Datasette would see an empty file.
    """
    busy, _, _ = database.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise ProvenanceError(
            f"{db_path} is being written by another process; serve it when that finishes, or with --writable"
        )


def describe(db_path: str | Path, host: str, port: int, writable: bool = False) -> str:
    """Where to go on the site `serve` is about to start."""
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{port}/{Path(db_path).stem}"
    mode = "read-write" if writable else "read-only"
    lines = [f"Serving {db_path} ({mode}) at {base}", f"  claim chains: {base}/-/claim/ID (and .json); articles: {base}/-/article/ID"]
    lines += [f"  {name}: {base}/{name}" for name in canned_queries()]
    return "\n".join(lines)


def serve(
    db_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    open_browser: bool = False,
    writable: bool = False,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Run Datasette on the database with our metadata and plugin until interrupted; immutable unless `writable`.

    `announce` receives describe()'s text once the database has been checked, before Datasette starts.
    """
    from datasette.cli import cli as datasette_cli

    db_path = Path(db_path)
    if db_path.is_file() and db_path.stat().st_size == 0:
        raise NotOurDatabase(f"{db_path} is empty, not a news-provenance database (run `provenance crawl` or `provenance ingest` first)")
    # A missing file or one that is not ours is refused with a clear error; an older one gets the current schema.
    database = store.open_existing(db_path)
    try:
        if not writable:
            _checkpoint(database, db_path)
    finally:
        database.close()
    ensure_registered()
    if announce:
        announce(describe(db_path, host, port, writable))
    with tempfile.TemporaryDirectory(prefix="provenance-serve-") as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(db_path.stem)), encoding="utf-8")
        args = ["serve", "--metadata", str(meta), "--host", host, "--port", str(port)]
        for name, value in SERVE_SETTINGS.items():
            args += ["--setting", name, str(value)]
        args += [str(db_path)] if writable else ["-i", str(db_path)]
        if open_browser:
            args.append("--open")
        datasette_cli.main(args, prog_name="provenance serve", standalone_mode=False)
