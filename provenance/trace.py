"""What `provenance trace` answers: for each claim, its sources, the earlier claims it may come
from, and its chain hop by hop back to the earliest article that carries it.

The shape follows DESIGN.md's `trace --json` contract; the human form is rendered from the same records.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from . import claims as claims_stage
from . import match as match_stage
from . import store
from .errors import ProvenanceError
from .extract import normalize_url

FREE_TEXT_WORDS = 30


@dataclass(frozen=True)
class SourceRef:
    name: str
    kind: str
    mention: str
    cue: str | None
    method: str
    role: str | None = None
    organization: str | None = None


@dataclass(frozen=True)
class Hop:
    claim_id: int
    article_url: str
    published: str | None
    text: str
    site_name: str | None = None
    score: float | None = None  # how well this hop matches the one before it
    relation: str | None = None
    distortions: list[dict] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    claim_id: int
    article_url: str
    published: str | None
    text: str
    score: float
    relation: str | None
    distortions: list[dict]


@dataclass(frozen=True)
class ClaimTrace:
    claim_id: int | None
    article_url: str | None
    text: str
    sources: list[SourceRef] = field(default_factory=list)
    matches: list[Candidate] = field(default_factory=list)
    chain: list[Hop] = field(default_factory=list)
    unsupported: bool = False


@dataclass(frozen=True)
class Answer:
    query: str
    claims: list[ClaimTrace]

    def as_json(self) -> dict:
        return {
            "query": self.query,
            "claims": [
                {
                    "claim_id": c.claim_id,
                    "article_url": c.article_url,
                    "text": c.text,
                    "sources": [asdict(s) for s in c.sources],
                    "matches": [asdict(m) for m in c.matches],
                    "chain": [{k: v for k, v in asdict(h).items() if k in ("claim_id", "article_url", "published", "text")} for h in c.chain],
                }
                for c in self.claims
            ],
        }


def trace(db: Database, query: str, *, top: int = 5, settings: match_stage.MatchSettings = match_stage.MatchSettings()) -> Answer:
    """A stored article's URL: each of its claims. Anything else: the text of one claim, matched
    against every stored claim."""
    query = query.strip()
    if not query:
        raise ProvenanceError("an empty query: give a stored article's URL or the text of a claim")
    if query.lower().startswith(("http://", "https://", "file://")) and " " not in query:
        article = _stored_article(db, query)
        ids = [r["id"] for r in store.current_claims(db, article["id"])]
        sources = store.claim_sources(db, ids)
        return Answer(query, [claim_trace(db, claim_id, sources[claim_id], top) for claim_id in ids])
    return Answer(query, [_free_text(db, query, top, settings)])


def _stored_article(db: Database, url: str) -> dict:
    article = store.find_article(db, normalize_url(url)) or store.find_article(db, url)
    if article is None:
        raise ProvenanceError(f"{url} is not a stored article (crawl or ingest it first)")
    return article


def _source_refs(rows: list[dict]) -> list[SourceRef]:
    return [SourceRef(s["name"], s["kind"], s["mention"], s["cue"], s["method"], s["role"], s["organization"]) for s in rows]


def claim_trace(db: Database, claim_id: int, sources: list[dict], top: int) -> ClaimTrace:
    """One stored claim's entry: its sources, its chosen and runner-up origins, its chain."""
    matches = store.claim_matches(db, claim_id)
    chosen = {m["origin_claim_id"]: m for m in matches if m["origin_claim_id"] is not None}
    candidates = store.claim_candidates(db, claim_id, top)
    rows = store.claim_rows(db, [claim_id, *[c["candidate_claim_id"] for c in candidates]])
    listed = [
        Candidate(
            claim_id=c["candidate_claim_id"],
            article_url=rows[c["candidate_claim_id"]]["article_url"],
            published=rows[c["candidate_claim_id"]]["published"],
            text=rows[c["candidate_claim_id"]]["text"],
            score=c["score"],
            relation=chosen[c["candidate_claim_id"]]["relation"] if c["candidate_claim_id"] in chosen else None,
            distortions=json.loads(chosen[c["candidate_claim_id"]]["distortions"]) if c["candidate_claim_id"] in chosen else [],
        )
        for c in candidates
    ]
    # The chosen origins first, in their stored order (citation before text), then the runners-up by score.
    order = {m["origin_claim_id"]: i for i, m in reversed(list(enumerate(matches)))}
    listed.sort(key=lambda c: (c.claim_id not in chosen, order.get(c.claim_id, 0), -c.score))
    me = rows[claim_id]
    return ClaimTrace(
        claim_id=claim_id,
        article_url=me["article_url"],
        text=me["text"],
        sources=_source_refs(sources),
        matches=listed,
        chain=chain(db, claim_id),
        unsupported=any(m["origin_claim_id"] is None for m in matches),
    )


def chain(db: Database, claim_id: int) -> list[Hop]:
    """From the earliest claim that carries it to the claim itself, one entry a hop; a cycle stops it."""
    path = [claim_id]
    while (origin := store.primary_origin(db, path[-1])) is not None and origin not in path:
        path.append(origin)
    rows = store.claim_rows(db, path)
    sources = store.claim_sources(db, path)
    hops = []
    for i, cid in enumerate(path):
        match = next((m for m in store.claim_matches(db, cid) if i + 1 < len(path) and m["origin_claim_id"] == path[i + 1]), None)
        row = rows[cid]
        hops.append(
            Hop(
                claim_id=cid,
                article_url=row["article_url"],
                published=row["published"],
                text=row["text"],
                site_name=row["site_name"],
                score=match["score"] if match else None,
                relation=match["relation"] if match else None,
                distortions=json.loads(match["distortions"]) if match else [],
                sources=_source_refs(sources[cid]),
            )
        )
    return hops[::-1]


def _free_text(db: Database, text: str, top: int, settings: match_stage.MatchSettings) -> ClaimTrace:
    view = match_stage.ClaimView(
        claim_id=None, article_id=None, text=text, quantities=claims_stage.quantities(text), hedges=claims_stage.hedges(text)
    )
    # A pasted paragraph or post has more telling words than a claim: search all of them (common
    # ones are left out anyway), up to a bound on the query's cost.
    full_text = store.full_text_ids(db, text, limit=50, words=FREE_TEXT_WORDS)
    candidates = store.claim_views(db, store.candidate_ids(db, view, earlier=None, limit=50, full_text=full_text), citations=False)
    text_rank = {claim_id: position for position, claim_id in enumerate(full_text)}
    ranked = match_stage.rank(view, candidates, settings, floor=settings.free_text_floor, text_rank=text_rank)[:top]
    rows = store.claim_rows(db, [c.claim_id for _, c in ranked])
    listed = [
        Candidate(
            claim_id=c.claim_id,
            article_url=rows[c.claim_id]["article_url"],
            published=rows[c.claim_id]["published"],
            text=c.text,
            score=score,
            relation=str(match_stage.relation(view, c)),
            distortions=match_stage.distortions(view, c),
        )
        for score, c in ranked
    ]
    # The full-text rank orders near-ties; only the words themselves can make a claim traceable.
    traceable = ranked and match_stage.similarity(view, ranked[0][1], settings.places) >= settings.threshold
    best = chain(db, ranked[0][1].claim_id) if traceable else []
    return ClaimTrace(claim_id=None, article_url=None, text=text, matches=listed, chain=best)


def render(answer: Answer) -> str:
    """The human form: each claim, its sources, then its chain as an indented list, earliest first."""
    lines = [answer.query]
    for number, claim in enumerate(answer.claims, 1):
        lines.append(f"\n{number}. {claim.text}")
        if claim.claim_id is not None and not any(s.method != "article" for s in claim.sources):
            lines.append("   source: none given")
        for s in claim.sources:
            how = {"explicit": "", "inherited": ", inherited", "article": ", whole article", "hyperlink": ", linked"}.get(s.method, f", {s.method}")
            role = f" ({s.role})" if s.role and s.kind == "person" else ""
            org = f" of {s.organization}" if s.organization else ""
            cue = f' "{s.cue}"' if s.cue else ""
            lines.append(f"   source: {s.name}{role}{org} [{s.kind}{how}]{cue}")
        if claim.unsupported:
            lines.append("   unsupported: no earlier article carries it and it names no source")
        if len(claim.chain) > 1 or (claim.claim_id is None and claim.chain):
            lines.append("   chain, earliest first:")
            for depth, hop in enumerate(claim.chain):
                where = f"{hop.site_name or hop.article_url} {(hop.published or 'undated')[:10]}"
                lines.append(f"   {'  ' * depth}- {where}: {hop.text}")
                # Under the hop that made them: what it changed of the one above.
                if depth and hop.score is not None:
                    lines.append(f"   {'  ' * depth}    ({hop.relation} of the above, score {hop.score:.2f}; {_changes(hop.distortions)})")
        if claim.claim_id is None and claim.chain:
            first = claim.chain[0]
            said = ", ".join(dict.fromkeys(f"{s.name} [{s.kind}]" for s in first.sources)) or "no source named"
            lines.append(f"   earliest: {first.site_name or first.article_url} {(first.published or 'undated')[:10]}, source: {said}")
            for m in claim.matches:
                lines.append(f"   match {m.score:.2f} {(m.published or 'undated')[:10]} {m.article_url}: {m.text}")
        elif claim.claim_id is None:
            lines.append("   no stored claim matches this" + (" well enough to trace; nearest candidates:" if claim.matches else ""))
            for m in claim.matches:
                lines.append(f"   candidate {m.score:.2f} {(m.published or 'undated')[:10]} {m.article_url}: {m.text}")
    return "\n".join(lines)


# --- forward: what later articles made of an article's claims ---------------------------------


@dataclass(frozen=True)
class Source:
    """The claim a derivative claim was matched to, and what changed between them."""

    claim_id: int
    article_url: str
    text: str
    score: float
    relation: str | None
    distortions: list[dict]


@dataclass(frozen=True)
class Derivative:
    claim_id: int
    article_url: str
    site_name: str | None
    published: str | None
    text: str
    hops: int  # 1: taken from the article itself; 2: from one of its derivatives; ...
    derived_from: list[Source]


@dataclass(frozen=True)
class Derivatives:
    query: str
    article_url: str
    site_name: str | None
    published: str | None
    derivatives: list[Derivative]  # newest last

    def distortion_counts(self) -> dict[str, int]:
        """How often each kind of distortion occurs on the way to the derivatives, by kind."""
        changed = [x["kind"] for d in self.derivatives for s in d.derived_from for x in s.distortions]
        return {kind: changed.count(kind) for kind in sorted(set(changed))}

    def as_json(self) -> dict:
        return {
            "query": self.query,
            "article_url": self.article_url,
            "derivatives": [asdict(d) for d in self.derivatives],
        }


def derivatives(db: Database, url: str) -> Derivatives:
    """The later claims that derive from the stored article at `url`: matched to one of its claims,
    or to a claim matched so, and so on; each with every match that leads back, newest last."""
    url = url.strip()  # a line read from stdin keeps its newline
    article = _stored_article(db, url)
    own = store.current_claims(db, article["id"])
    reached = {r["id"]: 0 for r in own}
    texts = {r["id"]: r["text"] for r in own}
    urls = dict.fromkeys(reached, article["url"])
    found: dict[int, dict] = {}
    edges: dict[int, list[dict]] = {}
    frontier = list(reached)
    while frontier:
        rows = [r for r in store.derived_matches(db, frontier) if r["article_id"] != article["id"]]
        frontier = []
        for row in rows:
            edges.setdefault(row["claim_id"], []).append(row)
            if row["claim_id"] not in reached:
                reached[row["claim_id"]] = reached[row["origin_claim_id"]] + 1
                found[row["claim_id"]] = row
                texts[row["claim_id"]], urls[row["claim_id"]] = row["text"], row["article_url"]
                frontier.append(row["claim_id"])
    listed = [
        Derivative(
            claim_id=cid,
            article_url=row["article_url"],
            site_name=row["site_name"],
            published=row["published"],
            text=row["text"],
            hops=reached[cid],
            derived_from=[
                Source(e["origin_claim_id"], urls[e["origin_claim_id"]], texts[e["origin_claim_id"]], e["score"], e["relation"],
                       json.loads(e["distortions"] or "[]"))
                for e in edges[cid]
                if e["origin_claim_id"] in reached
            ],
        )
        for cid, row in found.items()
    ]
    listed.sort(key=lambda d: (d.published or "", found[d.claim_id]["article_id"], found[d.claim_id]["seq"]))
    return Derivatives(url, article["url"], article["site_name"], article["published"], listed)


def render_derivatives(answer: Derivatives) -> str:
    """The human form: each later article, newest last, its derived claims and where each came from."""
    lines = [f"Derivatives of {answer.article_url} ({answer.site_name or 'unknown site'}, {(answer.published or 'undated')[:10]}), newest last:"]
    if not answer.derivatives:
        lines.append("  none stored: no later claim was matched to this article's claims")
    article = None
    for d in answer.derivatives:
        if d.article_url != article:
            article = d.article_url
            lines.append(f"\n{(d.published or 'undated')[:10]}  {d.site_name or '?'}: {d.article_url}")
        lines.append(f"  - {d.text}")
        for s in d.derived_from:
            lines.append(f"      from {s.article_url}: {s.text}")
            lines.append(f"      ({s.relation}, score {s.score:.2f}; {_changes(s.distortions)})")
    articles = len({d.article_url for d in answer.derivatives})
    tally = ", ".join(f"{kind} {n}" for kind, n in answer.distortion_counts().items()) or "none"
    lines.append(f"\n{len(answer.derivatives)} derived claims in {articles} later articles; distortions: {tally}")
    return "\n".join(lines)


def _changes(distortions: list[dict]) -> str:
    return "; ".join(f"{d['kind']}: {d['detail']}" for d in distortions) or "no change found"
