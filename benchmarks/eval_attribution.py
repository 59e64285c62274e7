"""Attribution quality on our hand-written gold (tests/gold/attribution.jsonl): source and cue
precision/recall/F1, kind, inherited-resolution and alias accuracy, the seed table.

    python benchmarks/eval_attribution.py [GOLD] [--misses N]

The same scoring (provenance.evaluate) runs as a gate in tests/test_quality.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from provenance import evaluate, outlets

GOLD = Path(__file__).parents[1] / "tests" / "gold" / "attribution.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", nargs="?", type=Path, default=GOLD)
    parser.add_argument("--misses", type=int, default=0, help="print this many misses and extras")
    args = parser.parse_args()
    report = evaluate.score(evaluate.load(args.gold), outlets.load())
    print(report.text())
    for line in report.misses[: args.misses]:
        print(line)


if __name__ == "__main__":
    main()
