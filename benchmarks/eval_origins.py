"""Matching and tracing quality on our hand-written origin gold (tests/gold/origins.jsonl): via,
chain exact and earliest-source accuracy, distortion precision/recall per kind, and false matches
on pages that share words but no claim. Each web is served on 127.0.0.1 and crawled into a fresh
database first.

    python benchmarks/eval_origins.py [--misses N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from provenance import evaluate, outlets

TESTS = Path(__file__).parents[1] / "tests"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", type=int, default=0, help="print this many misses")
    args = parser.parse_args()
    report = evaluate.origins(TESTS / "gold" / "origins.jsonl", TESTS / "webs", Path(tempfile.mkdtemp()), outlets.load())
    print(report.text())
    for line in report.misses[: args.misses]:
        print(line)


if __name__ == "__main__":
    main()
