"""How much the claim and attribution stages add to ingest time, on the bundled sample web.

    python benchmarks/attribution_cost.py [--rounds N]

Three runs ingest the same pages into fresh SQLite files in the same process, timed in CPU time:
without analysis, with claims only, and with claims and attribution. What attribution adds is the
last over the second (target <= 1.30); the whole analysis over no analysis is printed too.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from provenance import attribute, claims, extract, match, outlets, store
from provenance.demo import sample_root
from provenance.fetch import Page


def pages() -> list[Page]:
    root = sample_root()
    found = []
    for host in sorted(p.name for p in root.iterdir() if p.is_dir()):
        for path in sorted(Path(str(root / host)).rglob("*.html")):
            url = f"http://{host}/{path.relative_to(Path(str(root / host))).with_suffix('')}"
            found.append(Page(url=url, final_url=url, status=200, headers={"Content-Type": "text/html"}, body=path.read_bytes(), fetched_at="2026-01-01T00:00:00Z"))
    return found


def run(batch: list[Page], loaded: outlets.Outlets, analyse: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(Path(tmp) / "b.db")
        started = time.process_time()  # CPU time: other processes on the machine do not count
        for page in batch:
            try:
                article = extract.extract(page, loaded)
            except Exception:
                continue  # front pages without article text
            analysis = None
            if analyse != "none":
                found = claims.split(article.text, loaded.dateline_patterns)
                sources = [] if analyse == "claims" else attribute.attribute(
                    found, loaded, links=article.links, declared_origin=article.declared_origin,
                    declared_origin_url=article.declared_origin_url,
                )
                analysis = store.Analysis(found, sources, [match.bands(c.text) for c in found])
            store.save_article(db, article, page, analysis)
        elapsed = time.process_time() - started
        db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    batch, loaded = pages(), outlets.load()
    run(batch, loaded, "full")  # warm caches and imports
    timings = {mode: min(run(batch, loaded, mode) for _ in range(args.rounds)) for mode in ("none", "claims", "full")}
    print(f"{len(batch)} pages, CPU ms: no analysis {timings['none'] * 1000:.1f}, claims {timings['claims'] * 1000:.1f}, "
          f"claims + attribution {timings['full'] * 1000:.1f}")
    print(f"attribution adds: {timings['full'] / timings['claims']:.2f}x the ingest time with claims (target <= 1.30)")
    print(f"the whole analysis (claims, attribution, matching indexes) adds: {timings['full'] / timings['none']:.2f}x")


if __name__ == "__main__":
    main()
