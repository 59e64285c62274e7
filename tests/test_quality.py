"""The quality gate: attribution on our hand-written gold must hold the floors pinned in
tests/gold/floors.json (re-pin with benchmarks/pin_floors.py, upward only)."""

import hashlib
import json
from pathlib import Path

import pytest

from provenance import evaluate, outlets

GOLD = Path(__file__).parent / "gold"
FLOORS = json.loads((GOLD / "floors.json").read_text())
NOISE = 0.005  # rounding room, not slack for regressions


@pytest.fixture(scope="module")
def report():
    return evaluate.score(evaluate.load(GOLD / "attribution.jsonl"), outlets.load())


def test_the_gold_is_the_one_the_floors_were_measured_on():
    digest = hashlib.sha256((GOLD / "attribution.jsonl").read_bytes()).hexdigest()
    assert digest == FLOORS["gold_sha256"]["attribution"], "gold changed: re-measure with benchmarks/pin_floors.py"


@pytest.mark.parametrize("figure", sorted(FLOORS["attribution"]))
def test_attribution_holds_its_floor(report, figure):
    assert report.figures()[figure] >= FLOORS["attribution"][figure] - NOISE, report.text()


def test_the_floors_meet_the_issue_targets():
    floors = FLOORS["attribution"]
    assert floors["source_f1"] >= 0.92 and floors["inherited_accuracy"] >= 0.85 and floors["seed_rows"] == 6


def test_the_scorer_itself_can_fail():
    """An analysis that finds nothing must score zero recall: the gate is not vacuous."""
    entry = {"id": "t", "text": "The ministry said 300 people were evacuated on Monday.",
             "claims": [{"text": "The ministry said 300 people were evacuated on Monday.",
                         "sources": [{"name": "Ministry of Defence", "kind": "organization", "mention": "The ministry", "cue": "said", "method": "explicit"}]}]}
    report = evaluate.score([entry], outlets.load())
    assert report.sources.tp == 0 and report.sources.fn == 1


def test_malformed_gold_is_rejected():
    with pytest.raises(ValueError, match="claim not in text"):
        evaluate.validate({"id": "bad", "text": "abc", "claims": [{"text": "xyz", "sources": []}]})
