"""Scoring the analysis against hand-written gold (tests/gold/): precision, recall and F1 of
sources and cues, inherited-resolution and alias accuracy, and the seed article's worked example.

Shared by the quality gate (tests/test_quality.py) and benchmarks/eval_attribution.py, so the two
can't drift. Gold format: tests/gold/README.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from . import attribute, claims, extract, pipeline, store
from .demo import sample_root, sample_web
from .fetch import FetchSettings, Page
from .outlets import Outlets

KINDS = {k.value for k in attribute.SourceKind}
METHODS = {m.value for m in attribute.Method}


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"


@dataclass
class Ratio:
    right: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0

    def line(self) -> str:
        return f"{self.value:.3f}  ({self.right}/{self.total})"


@dataclass
class Report:
    sources: PRF = field(default_factory=PRF)
    cues: PRF = field(default_factory=PRF)
    kinds: Ratio = field(default_factory=Ratio)
    inherited: Ratio = field(default_factory=Ratio)
    aliases: Ratio = field(default_factory=Ratio)
    article_sources: Ratio = field(default_factory=Ratio)
    seed: Ratio = field(default_factory=Ratio)
    misses: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(
            [
                f"source        {self.sources.line()}",
                f"cue           {self.cues.line()}",
                f"kind          {self.kinds.line()}",
                f"inherited     {self.inherited.line()}",
                f"alias         {self.aliases.line()}",
                f"article-level {self.article_sources.line()}",
                f"seed table    {self.seed.right}/{self.seed.total}",
            ]
        )

    def figures(self) -> dict[str, float]:
        return {
            "source_f1": round(self.sources.f1, 4),
            "source_precision": round(self.sources.precision, 4),
            "source_recall": round(self.sources.recall, 4),
            "cue_f1": round(self.cues.f1, 4),
            "kind_accuracy": round(self.kinds.value, 4),
            "inherited_accuracy": round(self.inherited.value, 4),
            "alias_accuracy": round(self.aliases.value, 4),
            "article_accuracy": round(self.article_sources.value, 4),
            "seed_rows": self.seed.right,
        }


def load(path: str | Path) -> list[dict]:
    entries = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    for entry in entries:
        validate(entry)
    return entries


def validate(entry: dict) -> None:
    """Reject a malformed gold entry loudly rather than score against it."""
    where = entry.get("id", "?")
    text = entry["text"]
    for c in entry["claims"]:
        if c["text"] not in text:
            raise ValueError(f"gold {where}: claim not in text: {c['text'][:60]!r}")
        for s in c["sources"]:
            if s["kind"] not in KINDS or s["method"] not in METHODS:
                raise ValueError(f"gold {where}: bad kind/method {s['kind']}/{s['method']}")


def _key(name: str) -> str:
    return attribute._key(name)


def _tokens(text: str) -> set[str]:
    return set(_key(text).split())


def same_source(predicted: attribute.Attribution, gold: dict) -> bool:
    """Names agree, or one is an alias of the other, or the gold name is spelled out in the
    predicted mention (and vice versa): "Joint Chiefs of Staff" in "South Korea's Joint Chiefs of Staff"."""
    pred_names = {_key(n) for n in (predicted.source.name, *predicted.source.aliases)}
    gold_names = {_key(n) for n in (gold["name"], *gold.get("aliases", []))}
    if pred_names & gold_names:
        return True
    gold_tokens, pred_tokens = _tokens(gold["name"]), _tokens(predicted.source.name)
    return bool(gold_tokens) and (gold_tokens <= _tokens(predicted.mention) or gold_tokens <= pred_tokens or pred_tokens <= gold_tokens and len(pred_tokens) >= 2)


def same_cue(predicted: str | None, gold: str | None) -> bool:
    if not predicted or not gold:
        return predicted == gold
    p, g = re.sub(r"\s+", " ", predicted.lower()), re.sub(r"\s+", " ", gold.lower())
    return p == g or p in g or g in p


def analyse(entry: dict, outlets: Outlets) -> tuple[str, list[claims.Claim], list[attribute.Attribution]]:
    """Run claims and attribution on a gold passage: a demo page through extract (links and all),
    any other passage as article text with its declared origin read the way extract reads it."""
    if entry.get("url"):
        host, _, path = entry["url"].split("://", 1)[1].partition("/")
        body = (sample_root() / host / (path + ".html")).read_bytes()
        page = Page(url=entry["url"], final_url=entry["url"], status=200, headers={"Content-Type": "text/html"}, body=body, fetched_at="2026-01-01T00:00:00Z")
        article = extract.extract(page, outlets)
        text, links, origin, origin_url = article.text, article.links, article.declared_origin, article.declared_origin_url
    else:
        text, links = entry["text"], ()
        origin, origin_url = extract.declared_origin(text.split("\n\n"), (), outlets, "")
    found = claims.split(text, outlets.dateline_patterns)
    site = outlets.for_host(entry["url"].split("/")[2]) if entry.get("url") else None
    return text, found, attribute.attribute(
        found, outlets, links=links, declared_origin=origin, declared_origin_url=origin_url,
        credit=claims.dateline(text, outlets.dateline_patterns), site=site,
    )


def score(entries: Iterable[dict], outlets: Outlets) -> Report:
    report = Report()
    for entry in entries:
        text, found, attributions = analyse(entry, outlets)
        _score_entry(entry, text, found, attributions, report)
        if entry["id"] == "seed":
            _score_seed(entry, found, attributions, report)
    return report


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / max(1, min(a[1] - a[0], b[1] - b[0]))


def _score_entry(entry: dict, text: str, found: list[claims.Claim], attributions: list[attribute.Attribution], report: Report) -> None:
    by_claim: dict[int, list[attribute.Attribution]] = {}
    for a in attributions:
        by_claim.setdefault(a.claim_seq, []).append(a)
    used: set[int] = set()
    for gold_claim in entry["claims"]:
        start = text.find(gold_claim["text"])
        span = (start, start + len(gold_claim["text"]))
        mine = [c for c in found if start >= 0 and _overlap((c.start, c.end), span) >= 0.5]
        used.update(c.seq for c in mine)
        predicted = [a for c in mine for a in by_claim.get(c.seq, []) if a.method != attribute.Method.ARTICLE]
        matched: set[int] = set()
        for gold in gold_claim["sources"]:
            hit = next((i for i, p in enumerate(predicted) if i not in matched and same_source(p, gold)), None)
            if hit is None:
                report.sources.fn += 1
                report.cues.fn += 1
                report.misses.append(f"{entry['id']}: missed {gold['name']} ({gold['method']}) in {gold_claim['text'][:70]!r}")
                if gold["method"] == "inherited":
                    report.inherited.total += 1
                if _is_alias_mention(gold):
                    report.aliases.total += 1
                continue
            matched.add(hit)
            p = predicted[hit]
            report.sources.tp += 1
            report.kinds.total += 1
            report.kinds.right += p.source.kind == gold["kind"]
            if p.source.kind != gold["kind"]:
                report.misses.append(f"{entry['id']}: kind of {gold['name']} is {gold['kind']}, not {p.source.kind}")
            if same_cue(p.cue, gold.get("cue")):
                report.cues.tp += 1
            else:
                report.cues.fp += 1
                report.cues.fn += 1
            if gold["method"] == "inherited":
                report.inherited.total += 1
                report.inherited.right += p.method == attribute.Method.INHERITED
            if _is_alias_mention(gold):
                report.aliases.total += 1
                report.aliases.right += _key(p.source.name) == _key(gold["name"])
        for i, p in enumerate(predicted):
            if i not in matched:
                report.sources.fp += 1
                report.cues.fp += 1
                report.misses.append(f"{entry['id']}: extra {p.source.name} ({p.method}) in {gold_claim['text'][:70]!r}")
    for c in found:  # sources on sentences the gold calls furniture, or that the gold doesn't split the same way
        if c.seq in used:
            continue
        for p in by_claim.get(c.seq, []):
            if p.method != attribute.Method.ARTICLE:
                report.sources.fp += 1
                report.cues.fp += 1
                report.misses.append(f"{entry['id']}: extra {p.source.name} on non-claim {c.text[:70]!r}")
    gold_article = entry.get("article_source")
    predicted_article = {a.source.name for a in attributions if a.method == attribute.Method.ARTICLE}
    if gold_article or predicted_article:
        report.article_sources.total += 1
        right = bool(gold_article) and any(_key(n) == _key(gold_article["name"]) or _tokens(gold_article["name"]) <= _tokens(n) for n in predicted_article)
        report.article_sources.right += right
        if not right:
            report.misses.append(f"{entry['id']}: article-level source {gold_article and gold_article['name']}, predicted {sorted(predicted_article)}")


def _is_alias_mention(gold: dict) -> bool:
    """A named (not pronoun) mention that differs from the canonical name: "the JCS", "Budanov"."""
    if gold["method"] != "explicit":
        return False
    mention = re.sub(r"^(?:the|a|an)\s+", "", _key(gold["mention"]))
    return bool(mention) and mention != _key(gold["name"]) and not set(_key(gold["name"]).split()) <= set(mention.split())


def _score_seed(entry: dict, found: list[claims.Claim], attributions: list[attribute.Attribution], report: Report) -> None:
    """DESIGN.md's worked example, row by row."""
    def sources_of(fragment: str) -> list[attribute.Attribution]:
        seqs = {c.seq for c in found if fragment in c.text}
        return [a for a in attributions if a.claim_seq in seqs and a.method != attribute.Method.ARTICLE]

    rows = [
        any(a.source.name == "Joint Chiefs of Staff" and a.cue == "as reported by" and "JCS" in a.source.aliases for a in sources_of("3,000 additional soldiers")),
        any(a.source.name == "Volodymyr Zelensky" and a.source.kind == "person" for a in sources_of("4,000 casualties")),
        any(a.source.name == "Kyrylo Budanov" and a.organization is not None and "intelligence" in a.organization.name.lower() for a in sources_of("lack of combat experience")),
        any(a.source.name == "Joint Chiefs of Staff" and a.method == attribute.Method.INHERITED for a in sources_of("170 mm")),
        sources_of("12,000 North Korean troops") == [] and any("12,000" in c.text for c in found),
        any(a.method == attribute.Method.ARTICLE and a.source.name == "Kyiv Independent" for a in attributions),
    ]
    report.seed.total += len(rows)
    report.seed.right += sum(rows)


# --- origins: matching and chains -----------------------------------------------------------


@dataclass
class OriginReport:
    via: Ratio = field(default_factory=Ratio)
    chain: Ratio = field(default_factory=Ratio)
    earliest: Ratio = field(default_factory=Ratio)
    distortions: dict[str, PRF] = field(default_factory=dict)
    unrelated_matches: int = 0
    misses: list[str] = field(default_factory=list)

    def distortion_totals(self) -> PRF:
        total = PRF()
        for prf in self.distortions.values():
            total.tp, total.fp, total.fn = total.tp + prf.tp, total.fp + prf.fp, total.fn + prf.fn
        return total

    def text(self) -> str:
        lines = [
            f"via           {self.via.line()}",
            f"chain exact   {self.chain.line()}",
            f"earliest      {self.earliest.line()}",
            f"distortions   {self.distortion_totals().line()}",
        ]
        lines += [f"  {kind:<24}{prf.line()}" for kind, prf in sorted(self.distortions.items())]
        lines.append(f"false matches on unrelated pages: {self.unrelated_matches}")
        return "\n".join(lines)

    def figures(self) -> dict[str, float]:
        total = self.distortion_totals()
        return {
            "via_accuracy": round(self.via.value, 4),
            "chain_accuracy": round(self.chain.value, 4),
            "earliest_accuracy": round(self.earliest.value, 4),
            "distortion_precision": round(total.precision, 4),
            "distortion_recall": round(total.recall, 4),
        }


def web_root(web: str, webs: Path) -> object:
    return sample_root() if web == "sample" else webs / web


def build(db_path: str | Path, root: object, outlets: Outlets) -> Database:
    """Crawl every page of a web (served on 127.0.0.1) into a fresh database, then match."""
    db = store.open_db(db_path)
    with sample_web(root) as web:
        settings = FetchSettings(proxy=web.proxy_url, allow_private=True, delay=0.0, retries=0)
        pipeline.crawl(db, web.pages, outlets=outlets, depth=0, settings=settings)
    return db


def score_origins(db: Database, entries: Iterable[dict]) -> OriginReport:
    from .trace import chain

    report = OriginReport()
    for entry in entries:
        if "unrelated" in entry:
            article = store.find_article(db, entry["unrelated"])
            ids = store.current_claim_ids(db, article["id"]) if article else []
            report.unrelated_matches += store.count_matches_touching(db, ids)
            continue
        article = store.find_article(db, entry["article"])
        claim_id = next((r["id"] for r in store.current_claims(db, article["id"]) if r["text"] == entry["claim"]), None) if article else None
        if claim_id is None:
            report.misses.append(f"not stored as a claim: {entry['claim'][:70]!r}")
            report.via.total += 1
            continue
        hops = chain(db, claim_id)
        predicted_chain = [h.article_url for h in hops[:-1]]
        predicted_via = predicted_chain[-1] if predicted_chain else None
        report.via.total += 1
        report.via.right += predicted_via == entry["via"]
        if predicted_via != entry["via"]:
            report.misses.append(f"via {predicted_via} != {entry['via']} for {entry['claim'][:70]!r}")
        if entry["via"]:
            report.chain.total += 1
            report.chain.right += predicted_chain == entry["chain"]
            report.earliest.total += 1
            report.earliest.right += bool(predicted_chain) and predicted_chain[0] == entry["chain"][0]
            if predicted_chain != entry["chain"] and predicted_via == entry["via"]:
                report.misses.append(f"chain {predicted_chain} != {entry['chain']} for {entry['claim'][:60]!r}")
        gold = {d["kind"] for d in entry.get("distortions", [])}
        found = {d["kind"] for d in hops[-1].distortions} if len(hops) > 1 else set()
        if store.is_unsupported(db, claim_id):
            found.add("unsupported")
        for kind in gold | found:
            prf = report.distortions.setdefault(kind, PRF())
            if kind in gold and kind in found:
                prf.tp += 1
            elif kind in found:
                prf.fp += 1
                report.misses.append(f"extra {kind} on {entry['claim'][:70]!r}")
            else:
                prf.fn += 1
                report.misses.append(f"missed {kind} on {entry['claim'][:70]!r}")
    return report


def origins(gold: Path, webs: Path, work: Path, outlets: Outlets) -> OriginReport:
    """Crawl each web of the gold into its own database and score every line against it."""
    entries = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = OriginReport()
    for web in sorted({e["web"] for e in entries}):
        db = build(work / f"{web}.db", web_root(web, webs), outlets)
        part = score_origins(db, [e for e in entries if e["web"] == web])
        report.via.right += part.via.right
        report.via.total += part.via.total
        report.chain.right += part.chain.right
        report.chain.total += part.chain.total
        report.earliest.right += part.earliest.right
        report.earliest.total += part.earliest.total
        for kind, prf in part.distortions.items():
            mine = report.distortions.setdefault(kind, PRF())
            mine.tp, mine.fp, mine.fn = mine.tp + prf.tp, mine.fp + prf.fp, mine.fn + prf.fn
        report.unrelated_matches += part.unrelated_matches
        report.misses += [f"{web}: {m}" for m in part.misses]
    return report
