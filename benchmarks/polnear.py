"""Score the attribution stage on PolNeAR (real political news, 2016) as the BBC Citron paper
scores PARC 3.0: source and cue spans, exact and by token overlap.

    python benchmarks/polnear.py ../shared/eval/polnear-dev [--split dev|train] [--misses N]

The data stays where it is (it ships without a licence); this script only reads it by path.
Published reference (Citron on PARC 3.0): source F1 0.820 exact, 0.853 overlap; cue F1 0.823.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from provenance import attribute, claims, outlets
from provenance.evaluate import PRF


def spans_of(field: dict | None) -> list[tuple[int, int]]:
    return [tuple(s) for s in (field or {}).get("spans", [])]


def merged(spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else None


def tokens(text: str, span: tuple[int, int]) -> set[int]:
    """Character offsets of word starts inside a span: a token-level view for overlap scoring."""
    return {m.start() + span[0] for m in re.finditer(r"\w+", text[span[0]:span[1]])}


def score(gold: list[tuple[int, int]], predicted: list[tuple[int, int]], text: str, exact: PRF, overlap: PRF) -> None:
    gold, predicted = sorted(set(gold)), sorted(set(predicted))
    exact.tp += len(set(gold) & set(predicted))
    exact.fp += len(set(predicted) - set(gold))
    exact.fn += len(set(gold) - set(predicted))
    used: set[int] = set()
    for p in predicted:
        hit = next((i for i, g in enumerate(gold) if i not in used and tokens(text, g) & tokens(text, p)), None)
        if hit is None:
            overlap.fp += 1
        else:
            used.add(hit)
            overlap.tp += 1
    overlap.fn += len(gold) - len(used)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="the polnear-dev folder")
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    parser.add_argument("--misses", type=int, default=0, help="print this many missed gold sources")
    args = parser.parse_args()
    folder = args.path / args.split
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    loaded = outlets.load()
    source_exact, source_overlap, cue_exact, cue_overlap = PRF(), PRF(), PRF(), PRF()
    missed: list[str] = []
    started = time.perf_counter()
    for article in gold["articles"]:
        text = (folder / article["file"]).read_text(encoding="utf-8")
        found = claims.split(text, loaded.dateline_patterns)
        predicted = [a for a in attribute.attribute(found, loaded) if a.method != attribute.Method.ARTICLE]
        gold_sources = [merged(spans_of(r["source"])) for r in article["attributions"] if r.get("source")]
        gold_cues = [merged(spans_of(r["cue"])) for r in article["attributions"] if r.get("cue")]
        score([g for g in gold_sources if g], [a.mention_span for a in predicted if a.mention_span], text, source_exact, source_overlap)
        score([g for g in gold_cues if g], [a.cue_span for a in predicted if a.cue_span], text, cue_exact, cue_overlap)
        predicted_spans = [a.mention_span for a in predicted if a.mention_span]
        for g in gold_sources:
            if g and not any(p and tokens(text, p) & tokens(text, g) for p in predicted_spans):
                missed.append(f"{article['id']}: {text[g[0]:g[1]]!r} in {text[max(0, g[0] - 60):g[1] + 60]!r}")
    elapsed = time.perf_counter() - started
    print(f"PolNeAR {args.split}: {len(gold['articles'])} articles, {sum(len(a['attributions']) for a in gold['articles'])} relations, {elapsed:.1f} s")
    print(f"source exact    {source_exact.line()}")
    print(f"source overlap  {source_overlap.line()}")
    print(f"cue exact       {cue_exact.line()}")
    print(f"cue overlap     {cue_overlap.line()}")
    print("reference (Citron, PARC 3.0): source F1 0.820 exact, 0.853 overlap; cue F1 0.823")
    for line in missed[: args.misses]:
        print("missed", line)


if __name__ == "__main__":
    main()
