"""Datasette publishing: the project's metadata and canned queries, the plugin, and `provenance serve`.

Reads the database, never writes it. The plugin (registered through the `datasette` entry point,
and by `serve` itself when the package is not installed) adds:

- `/<db>/-/claim/<id>`: a claim's provenance chain, earliest hop first, every hop with its outlet,
  date, text, sources and cue, match score and distortions highlighted inline; `.json` gives the
  same as one entry of `provenance trace --json`'s `claims`, plus the hops in detail.
- `/<db>/-/article/<id>`: an article's claims and where each came from; `.json` gives what
  `provenance trace --json URL` prints for the article's URL, plus the article.
- the chain on both pages is trace.chain's and the JSON is trace's own: the plugin runs the library
  on Datasette's read connection (`Database.execute_fn`), so pages and `provenance trace` agree.
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
from dataclasses import asdict
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
from sqlite_utils import Database

from . import store, trace
from .errors import NotOurDatabase, ProvenanceError

PLUGIN_NAME = "provenance"
TEMPLATE_CLAIM = "provenance_claim.html"
TEMPLATE_ARTICLE = "provenance_article.html"
TEMPLATE_DERIVATIVES = "provenance_derivatives.html"

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
    return _normalize(items if isinstance(items, list) else [items])


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


# ---------------------------------------------------------------------------- reading: trace's answers, for pages
#
# The chain a page draws is trace.chain's, and the JSON is trace's own serialisation: the plugin
# runs the library on Datasette's read connection (`execute_fn`) rather than walking claim_matches
# in SQL of its own, so the page, its JSON and `provenance trace` cannot disagree. The queries below
# only add what a page shows besides: titles, domains, source ids, derivatives.

TOP = 5  # candidate origins listed per claim, as `provenance trace --top` by default

HOPS_SQL = """
select c.id, c.article_id, a.title as article_title, a.domain
from claims c join articles a on a.id = c.article_id
where c.id in ({marks})
"""

# store.claim_sources' rows and order, with the ids and confidences the page links and shows.
SOURCES_SQL = """
select t.claim_id, t.source_id, s.name, s.kind, t.mention, t.cue, t.method, t.confidence, t.role, o.name as organization
from attributions t join sources s on s.id = t.source_id left join sources o on o.id = t.organization_id
where t.claim_id in ({marks})
order by t.claim_id, t.method = 'article', t.id
"""

DERIVATIVES_SQL = """
select m.score, m.relation, m.distortions, m.basis, m.claim_id,
       d.text, a.id as article_id, a.url as article_url, a.title as article_title, a.site_name, a.published
from claim_matches m
join claims d on d.id = m.claim_id
join articles a on a.id = d.article_id
where m.origin_claim_id = :claim_id
order by a.published, m.score desc, m.id
"""

ARTICLE_SQL = "select * from articles where id = :article_id"

ARTICLE_CLAIMS_SQL = "select id, version from claims where article_id = :article_id order by seq, id"

ARTICLE_VERSIONS_SQL = "select count(*) as n from article_versions where article_id = :article_id"

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

UNSUPPORTED_DETAIL = "no earlier article carries this claim and it names no source"

_ours: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def is_provenance(db: Any) -> bool:
    """Does this Datasette database hold our tables? Cached per database object."""
    if db not in _ours:
        _ours[db] = OUR_TABLES <= set(await db.table_names())
    return _ours[db]


def library_db(conn: Any) -> Database:
    """One of Datasette's connections as the sqlite-utils Database the library reads, its settings
    untouched (no PRAGMA, no sqlite-utils plugins)."""
    return Database(conn, recursive_triggers=False, execute_plugins=False)


async def read(db: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """fn(Database, *args) on a Datasette database's read connection, in Datasette's own thread for it."""
    return await db.execute_fn(lambda conn: fn(library_db(conn), *args))


def _in(sql: str, ids: list[int]) -> str:
    return sql.format(marks=",".join("?" * len(ids)))


def claim_trace(db: Database, claim_id: int, top: int = TOP) -> trace.ClaimTrace | None:
    """What `provenance trace` says about a stored claim, None if there is none: the entry that
    `provenance trace --json URL` prints for it (its sources, candidate origins and trace.chain).

    trace.claim_trace is that entry's builder; trace.trace(URL) runs it for each current claim of the
    article, and calling it directly also answers for a claim of an earlier version."""
    if claim_id not in store.claim_rows(db, [claim_id]):
        return None
    return trace.claim_trace(db, claim_id, store.claim_sources(db, [claim_id])[claim_id], top)


def _normalize(items: Iterable[Any]) -> list[dict[str, str]]:
    """Distortions as the matcher stores them ([{kind, detail}]) -> as pages show them."""
    found = []
    for item in items:
        if not isinstance(item, dict):
            item = {"kind": "unknown", "detail": str(item)}
        found.append(distortion(str(item.get("kind") or "unknown"), str(item.get("detail") or "")))
    return found


def _sources(db: Database, claim_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {i: [] for i in claim_ids}
    if claim_ids:
        for row in db.query(_in(SOURCES_SQL, claim_ids), claim_ids):
            found[row["claim_id"]].append(row)
    return found


def _hops(db: Database, chain: list[trace.Hop]) -> list[dict]:
    """trace.chain's hops, earliest first, with what a page shows besides. From the second hop on,
    `match` is the match trace.chain followed from that hop back to the one before it."""
    ids = [hop.claim_id for hop in chain]
    extra = {r["id"]: r for r in db.query(_in(HOPS_SQL, ids), ids)} if ids else {}
    sources = _sources(db, ids)
    hops = []
    for index, hop in enumerate(chain):
        row = extra.get(hop.claim_id, {})
        hops.append(
            {
                "id": hop.claim_id,
                "article_id": row.get("article_id"),
                "article_url": hop.article_url,
                "article_title": row.get("article_title"),
                "site_name": hop.site_name,
                "domain": row.get("domain"),
                "published": hop.published,
                "when": when(hop.published),
                "article_link": web_url(hop.article_url),
                "text": hop.text,
                "sources": sources[hop.claim_id],
                "match": None
                if index == 0
                else {
                    "origin_claim_id": chain[index - 1].claim_id,
                    "score": hop.score,
                    "relation": hop.relation,
                    "distortions": _normalize(hop.distortions),
                },
            }
        )
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


def _unsupported(db: Database, traced: trace.ClaimTrace) -> dict | None:
    """The matcher's 'unsupported' verdict on a claim (its claim_matches row with no origin), as a distortion."""
    if not traced.unsupported or traced.claim_id is None:
        return None
    for row in store.claim_matches(db, traced.claim_id):
        if row["origin_claim_id"] is None:
            for found in parse_distortions(row["distortions"]):
                if found["kind"] == "unsupported":
                    return found
    return distortion("unsupported", UNSUPPORTED_DETAIL)


def _candidates(db: Database, traced: trace.ClaimTrace, followed: int | None) -> list[dict]:
    """trace's candidate origins other than the one the chain follows: the other origins the matcher
    chose (relation set) and the runners-up it ranked (claim_candidates), best first."""
    rows = store.claim_rows(db, [m.claim_id for m in traced.matches])
    return [
        {
            "claim_id": m.claim_id,
            "text": m.text,
            "site_name": rows[m.claim_id]["site_name"] if m.claim_id in rows else None,
            "published": m.published,
            "when": when(m.published),
            "score": m.score,
            "relation": m.relation,
            "chosen": m.relation is not None,
            "distortions": _normalize(m.distortions),
        }
        for m in traced.matches
        if m.claim_id != followed
    ]


def _outlets(hops: list[dict]) -> list[str]:
    names: list[str] = []
    for hop in hops:
        name = hop["site_name"] or hop["domain"] or "?"
        if not names or names[-1] != name:
            names.append(name)
    return names


def claim_report(db: Database, claim_id: int, top: int = TOP) -> dict | None:
    """Everything the chain page and its JSON show for one claim, None if there is no such claim."""
    traced = claim_trace(db, claim_id, top)
    if traced is None:
        return None
    hops = _hops(db, traced.chain)
    derivatives = [dict(r) for r in db.query(DERIVATIVES_SQL, {"claim_id": claim_id})]
    for derivative in derivatives:
        derivative["distortions"] = parse_distortions(derivative["distortions"])
        derivative["when"] = when(derivative["published"])
    return {
        "traced": traced,
        "claim": hops[-1],
        "hops": hops,
        "earliest": hops[0],
        "unsupported": _unsupported(db, traced),
        "candidates": _candidates(db, traced, hops[-2]["id"] if len(hops) > 1 else None),
        "derivatives": derivatives,
        "distortions": [d for hop in hops if hop["match"] for d in hop["match"]["distortions"]],
        "outlets": _outlets(hops),
    }


def article_report(db: Database, article_id: int, top: int = TOP) -> dict | None:
    """An article and, for each claim of its latest analysed version, trace's answer about it."""
    article = next(db.query(ARTICLE_SQL, {"article_id": article_id}), None)
    if article is None:
        return None
    article["when"] = when(article.get("published"))
    article["link"] = web_url(article.get("url"))
    article["declared_origin_link"] = web_url(article.get("declared_origin_url"))
    article["declared_origin_article"] = next(db.query(ARTICLE_DECLARED_ORIGIN_SQL, {"article_id": article_id}), None)
    article["versions"] = next(db.query(ARTICLE_VERSIONS_SQL, {"article_id": article_id}))["n"]
    claims = list(db.query(ARTICLE_CLAIMS_SQL, {"article_id": article_id}))
    shown_version = None
    if claims:
        versions = {c["version"] for c in claims}
        shown_version = article.get("version") if article.get("version") in versions else max(v or 0 for v in versions)
        claims = [c for c in claims if (c["version"] or 0) == (shown_version or 0)]
    entries, traces = [], []
    for claim in claims:
        traced = claim_trace(db, claim["id"], top)
        if traced is None:
            continue
        hops = _hops(db, traced.chain)
        entry = hops[-1]
        entry["origin"] = hops[-2] if len(hops) > 1 else None
        entry["earliest"] = hops[0] if len(hops) > 1 else None
        entry["hops_count"] = len(hops)
        entry["unsupported"] = _unsupported(db, traced)
        entries.append(entry)
        traces.append(traced)
    derivatives = list(db.query(ARTICLE_DERIVATIVES_SQL, {"article_id": article_id}))
    for derivative in derivatives:
        derivative["when"] = when(derivative["published"])
    return {
        "article": article,
        "claims": entries,
        "answer": trace.Answer(article["url"], traces),
        "shown_version": shown_version,
        "derivatives": derivatives,
        "unsourced": sum(1 for e in entries if not e["sources"] and not e["match"]),
        "unsupported": sum(1 for e in entries if e["unsupported"]),
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


def claim_json(report: dict, urls: dict[str, str] | None = None) -> dict:
    """trace's entry for the claim, as `provenance trace --json` prints it (DESIGN.md: claim_id,
    article_url, text, sources, matches, chain), plus `unsupported`, `hops` in detail and page links."""
    out = trace.Answer(report["claim"]["article_url"], [report["traced"]]).as_json()["claims"][0]
    out["unsupported"] = _distortions_json([report["unsupported"]])[0] if report["unsupported"] else None
    out["hops"] = [
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
                "origin_claim_id": h["match"]["origin_claim_id"],
                "score": h["match"]["score"],
                "relation": h["match"]["relation"],
                "distortions": _distortions_json(h["match"]["distortions"]),
            },
        }
        for h in report["hops"]
    ]
    if urls:
        out["urls"] = urls
    return out


def article_json(report: dict, urls: dict[str, str] | None = None) -> dict:
    """What `provenance trace --json URL` prints for the article's URL, plus the article."""
    out = report["answer"].as_json()
    out["article"] = {k: v for k, v in report["article"].items() if k not in ("text", "link", "declared_origin_link", "when")}
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
        (r"^/(?P<database>[^/]+)/-/derivatives/(?P<article_id>\d+)(?P<format>\.json)?$", derivatives_view),
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


def derivatives_path(datasette: Any, database: str, article_id: Any) -> str:
    return f"{datasette.urls.database(database)}/-/derivatives/{int(article_id)}"


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


async def _report_page(
    request: Any,
    datasette: Any,
    *,
    table: str,
    noun: str,
    build: Callable[..., Any],
    path: Callable[[Any, str, int], str],
    to_json: Callable[[Any, str, str, int, str], Any],
    template: str,
    view_name: str,
    extra: dict | None = None,
) -> Response:
    """A plugin page and its `.json` twin: one report from the library, rendered or serialised."""
    db, database = await _database(datasette, request, table)
    key = int(request.url_vars[f"{noun}_id"])
    report = await read(db, build, key)
    as_json = bool(request.url_vars.get("format"))
    if report is None:
        if as_json:
            return _json_response(datasette, {"ok": False, "error": f"{noun.title()} {key} not found"}, status=404)
        raise NotFound(f"{noun.title()} {key} not found in {database}")
    page = path(datasette, database, key)
    if as_json:
        return _json_response(datasette, to_json(report, request, database, key, page))
    context = {
        "database": database,
        "report": report,
        "page": page,
        "json_url": page + ".json",
        "labels": DISTORTION_LABELS,
        **(extra or {}),
        **_link_helpers(datasette, database),
    }
    return Response.html(await datasette.render_template(template, context, request=request, view_name=view_name))


async def claim_view(request: Any, datasette: Any) -> Response:
    def to_json(report: Any, request: Any, database: str, claim_id: int, page: str) -> Any:
        row = row_path(datasette, database, "claims", claim_id)
        return claim_json(report, {"html": datasette.absolute_url(request, page), "row": datasette.absolute_url(request, row)})

    return await _report_page(
        request, datasette, table="claims", noun="claim", build=claim_report, path=claim_path, to_json=to_json,
        template=TEMPLATE_CLAIM, view_name="provenance_claim", extra={"verbs": RELATION_VERBS},
    )


async def article_view(request: Any, datasette: Any) -> Response:
    def to_json(report: Any, request: Any, database: str, article_id: int, page: str) -> Any:
        return article_json(report, {"html": datasette.absolute_url(request, page)})

    return await _report_page(
        request, datasette, table="articles", noun="article", build=article_report, path=article_path, to_json=to_json,
        template=TEMPLATE_ARTICLE, view_name="provenance_article",
    )


async def derivatives_view(request: Any, datasette: Any) -> Response:
    """`provenance trace --derivatives` for a stored article, as a page and as its JSON: every later
    claim derived from it, all hops, under its article, newest last."""
    return await _report_page(
        request, datasette, table="articles", noun="article", build=derivatives_report, path=derivatives_path,
        to_json=lambda report, request, database, article_id, page: report["found"].as_json(),
        template=TEMPLATE_DERIVATIVES, view_name="provenance_derivatives",
    )


def derivatives_report(db: Database, article_id: int) -> dict | None:
    """The derivatives page: the article, then each later article and the claims it took, each with
    the claim it was taken from and what changed; None if there is no such article."""
    row = next(db.query(ARTICLE_SQL, {"article_id": article_id}), None)
    if row is None:
        return None
    found = trace.derivatives(db, row["url"])
    ids = {r["url"]: r["id"] for r in db.query(
        "select id, url from articles where url in (select value from json_each(?))",
        [json.dumps(sorted({d.article_url for d in found.derivatives}))],
    )}
    articles: list[dict] = []
    for d in found.derivatives:
        if not articles or articles[-1]["url"] != d.article_url:
            articles.append({"url": d.article_url, "id": ids.get(d.article_url), "site_name": d.site_name,
                             "when": when(d.published), "claims": []})
        articles[-1]["claims"].append({
            "claim_id": d.claim_id, "text": d.text, "hops": d.hops,
            "derived_from": [{**asdict(s), "distortions": _normalize(s.distortions)} for s in d.derived_from],
        })
    return {
        "article": {**dict(row), "when": when(row["published"])},
        "found": found,
        "articles": articles,
        "tally": [(distortion(kind, ""), n) for kind, n in found.distortion_counts().items()],
    }


def _link_helpers(datasette: Any, database: str) -> dict:
    return {
        "claim_page": lambda claim_id: claim_path(datasette, database, claim_id),
        "article_page": lambda article_id: article_path(datasette, database, article_id),
        "derivatives_page": lambda article_id: derivatives_path(datasette, database, article_id),
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
