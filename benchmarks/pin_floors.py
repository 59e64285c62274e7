"""Re-measure the gold sets and re-pin tests/gold/floors.json (with the gold files' sha256).

    python benchmarks/pin_floors.py [--allow-regression]

Floors only move up: a figure below its pinned floor is refused unless --allow-regression is
given, which makes lowering a floor a deliberate act (trafilatura's eval gate does the same).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import tempfile

from provenance import evaluate, outlets

GOLD = Path(__file__).parents[1] / "tests" / "gold"
FLOORS = GOLD / "floors.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def webs_digest(webs: Path) -> str:
    """One sha256 over every file of the test webs, so editing a page without re-measuring fails."""
    digest = hashlib.sha256()
    for path in sorted(p for p in webs.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(webs)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allow-regression", action="store_true", help="let a floor go down")
    args = parser.parse_args()
    old = json.loads(FLOORS.read_text()) if FLOORS.exists() else {}
    loaded = outlets.load()
    figures = {
        "attribution": evaluate.score(evaluate.load(GOLD / "attribution.jsonl"), loaded).figures(),
        "origins": evaluate.origins(GOLD / "origins.jsonl", GOLD.parent / "webs", Path(tempfile.mkdtemp()), loaded).figures(),
    }
    lower = {
        f"{gate}.{k}": (old[gate][k], v)
        for gate, values in figures.items()
        for k, v in values.items()
        if v < old.get(gate, {}).get(k, 0)
    }
    if lower and not args.allow_regression:
        sys.exit(f"refusing to lower floors {lower} (use --allow-regression)")
    floors = {
        "gold_sha256": {name: sha256(GOLD / f"{name}.jsonl") for name in ("attribution", "origins")},
        "webs_sha256": webs_digest(GOLD.parent / "webs"),
        **figures,
    }
    FLOORS.write_text(json.dumps(floors, indent=2) + "\n")
    print(json.dumps(floors, indent=2))


if __name__ == "__main__":
    main()
