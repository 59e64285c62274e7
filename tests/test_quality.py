"""The quality gate: attribution and origin matching on our hand-written gold must hold the
floors pinned in tests/gold/floors.json (re-pin with benchmarks/pin_floors.py, upward only)."""

import hashlib
import importlib.util
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


def _pinning():
    spec = importlib.util.spec_from_file_location("pin_floors", Path(__file__).parents[1] / "benchmarks" / "pin_floors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["attribution", "origins"])
def test_the_gold_is_the_one_the_floors_were_measured_on(name):
    digest = hashlib.sha256((GOLD / f"{name}.jsonl").read_bytes()).hexdigest()
    assert digest == FLOORS["gold_sha256"][name], "gold changed: re-measure with benchmarks/pin_floors.py"


def test_the_test_webs_are_the_ones_the_floors_were_measured_on():
    assert _pinning().webs_digest(GOLD.parent / "webs") == FLOORS["webs_sha256"], "a test web changed: re-pin"


@pytest.fixture(scope="module")
def origins(tmp_path_factory):
    return evaluate.origins(GOLD / "origins.jsonl", GOLD.parent / "webs", tmp_path_factory.mktemp("webs"), outlets.load())


@pytest.mark.parametrize("figure", sorted(FLOORS["origins"]))
def test_origin_matching_holds_its_floor(origins, figure):
    assert origins.figures()[figure] >= FLOORS["origins"][figure] - NOISE, origins.text()


def test_pages_that_share_words_but_no_claim_match_nothing(origins):
    assert origins.unrelated_matches == 0


@pytest.mark.parametrize("figure", sorted(FLOORS["attribution"]))
def test_attribution_holds_its_floor(report, figure):
    assert report.figures()[figure] >= FLOORS["attribution"][figure] - NOISE, report.text()


def test_the_floors_meet_the_issue_targets():
    floors = FLOORS["attribution"]
    assert floors["source_f1"] >= 0.92 and floors["inherited_accuracy"] >= 0.85 and floors["seed_rows"] == 6
    origins = FLOORS["origins"]
    assert origins["via_accuracy"] >= 0.95 and origins["chain_accuracy"] >= 0.90
    assert origins["distortion_recall"] >= 0.90 and origins["distortion_precision"] >= 0.80


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
