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

from provenance import evaluate, outlets

GOLD = Path(__file__).parents[1] / "tests" / "gold"
FLOORS = GOLD / "floors.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allow-regression", action="store_true", help="let a floor go down")
    args = parser.parse_args()
    old = json.loads(FLOORS.read_text()) if FLOORS.exists() else {"attribution": {}}
    figures = evaluate.score(evaluate.load(GOLD / "attribution.jsonl"), outlets.load()).figures()
    lower = {k: (old["attribution"][k], v) for k, v in figures.items() if v < old["attribution"].get(k, 0)}
    if lower and not args.allow_regression:
        sys.exit(f"refusing to lower floors {lower} (use --allow-regression)")
    floors = {"gold_sha256": {"attribution": sha256(GOLD / "attribution.jsonl")}, "attribution": figures}
    FLOORS.write_text(json.dumps(floors, indent=2) + "\n")
    print(json.dumps(floors, indent=2))


if __name__ == "__main__":
    main()
