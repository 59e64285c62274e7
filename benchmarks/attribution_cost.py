"""How much the claim and attribution stages add to ingest time, on the bundled sample web.

    python benchmarks/attribution_cost.py [--rounds N]

Both runs ingest the same pages into fresh SQLite files in the same process: once with the
analysis (claims + attribution) and once without it. Printed as a ratio; the target is <= 1.30.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from provenance import attribute, claims, extract, outlets, store
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


def run(batch: list[Page], loaded: outlets.Outlets, analyse: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(Path(tmp) / "b.db")
        started = time.process_time()  # CPU time: other processes on the machine do not count
        for page in batch:
            try:
                article = extract.extract(page, loaded)
            except Exception:
                continue  # front pages without article text
            analysis = None
            if analyse:
                found = claims.split(article.text, loaded.dateline_patterns)
                analysis = store.Analysis(found, attribute.attribute(found, loaded, links=article.links,
                                                                     declared_origin=article.declared_origin,
                                                                     declared_origin_url=article.declared_origin_url))
            store.save_article(db, article, page, analysis)
        elapsed = time.process_time() - started
        db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    batch, loaded = pages(), outlets.load()
    run(batch, loaded, True)  # warm caches and imports
    base = min(run(batch, loaded, False) for _ in range(args.rounds))
    full = min(run(batch, loaded, True) for _ in range(args.rounds))
    print(f"{len(batch)} pages; ingest without analysis {base * 1000:.1f} ms, with claims + attribution {full * 1000:.1f} ms")
    print(f"ratio with/without: {full / base:.2f} (target <= 1.30)")


if __name__ == "__main__":
    main()
