"""What `provenance trace` answers: for each claim of a stored article, its sources and where it came from.

The shape follows DESIGN.md's `trace --json` contract; the human form is rendered from the same records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from . import store
from .errors import ProvenanceError
from .extract import normalize_url


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


@dataclass(frozen=True)
class ClaimTrace:
    claim_id: int | None
    article_url: str | None
    text: str
    sources: list[SourceRef] = field(default_factory=list)
    matches: list[dict] = field(default_factory=list)
    chain: list[Hop] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    query: str
    claims: list[ClaimTrace]

    def as_json(self) -> dict:
        return {"query": self.query, "claims": [asdict(c) for c in self.claims]}


def trace(db: Database, query: str) -> Answer:
    """Answer a stored article's URL with each of its claims, their sources and chains."""
    query = query.strip()
    if not query.lower().startswith(("http://", "https://", "file://")):
        raise ProvenanceError(f"{query!r} is not a URL of a stored article (free-text claims need the matcher)")
    article = store.find_article(db, normalize_url(query)) or store.find_article(db, query)
    if article is None:
        raise ProvenanceError(f"{query} is not a stored article (crawl or ingest it first)")
    rows = store.current_claims(db, article["id"])
    sources = store.claim_sources(db, [r["id"] for r in rows])
    return Answer(
        query,
        [
            ClaimTrace(
                claim_id=r["id"],
                article_url=r["article_url"],
                text=r["text"],
                sources=[
                    SourceRef(s["name"], s["kind"], s["mention"], s["cue"], s["method"], s["role"], s["organization"])
                    for s in sources[r["id"]]
                ],
                chain=[Hop(r["id"], r["article_url"], r["published"], r["text"])],
            )
            for r in rows
        ],
    )


def render(answer: Answer) -> str:
    """The human form: each claim, then its sources, one per line."""
    lines = [answer.query]
    for number, claim in enumerate(answer.claims, 1):
        lines.append(f"\n{number}. {claim.text}")
        if not claim.sources:
            lines.append("   source: none given")
        for s in claim.sources:
            how = {"explicit": "", "inherited": ", inherited", "article": ", whole article", "hyperlink": ", linked"}.get(s.method, f", {s.method}")
            role = f" ({s.role})" if s.role and s.kind == "person" else ""
            org = f" of {s.organization}" if s.organization else ""
            cue = f' "{s.cue}"' if s.cue else ""
            lines.append(f"   source: {s.name}{role}{org} [{s.kind}{how}]{cue}")
    return "\n".join(lines)
