from pathlib import Path

import pytest

from provenance import claims, outlets

SEED = (Path(__file__).parent / "pages" / "seed.txt").read_text(encoding="utf-8")
SEED_BODY = SEED.split("\n\n", 1)[1].replace("\n", "\n\n").strip()


def test_each_claim_is_the_text_at_its_offsets():
    for c in claims.split(SEED_BODY):
        assert SEED_BODY[c.start:c.end] == c.text


def test_abbreviations_decimals_and_quotes_survive_sentence_splitting():
    text = ('The U.S. Army said on Sept. 5 that Gen. Smith would retire. He earned $3.5 million in 2024.\n\n'
            '"We will not back down," said Lt. Gen. Ilhan Sorvenne. "Never." The ministry agreed with him.')
    assert [c.text for c in claims.split(text)] == [
        "The U.S. Army said on Sept. 5 that Gen. Smith would retire.",
        "He earned $3.5 million in 2024.",
        '"We will not back down," said Lt. Gen. Ilhan Sorvenne.',
        "The ministry agreed with him.",
    ]


def test_furniture_is_not_a_claim():
    text = ("By Jane Roe and Ali Hassan\n\nThe ministry said 300 people were evacuated from the town on Monday.\n\n"
            "Photo: Reuters/John Doe\n\n(Reporting by Jane Roe; Editing by Sam Lee)\n\nRead more: the war in numbers\n\n"
            "Original Source: kyivindependent.com\n\nSources familiar with the matter said talks would resume.")
    assert [c.text for c in claims.split(text)] == [
        "The ministry said 300 people were evacuated from the town on Monday.",
        "Sources familiar with the matter said talks would resume.",
    ]


def test_a_sentence_with_two_attributed_statements_becomes_two_claims():
    text = "The ministry said 300 people were evacuated, while police said the fire was under control."
    assert [c.text for c in claims.split(text)] == ["The ministry said 300 people were evacuated", "police said the fire was under control."]


def test_a_dateline_is_left_out_of_the_claim():
    text = "SEOUL, Jan 5 (Reuters) - North Korea fired two ballistic missiles on Sunday, the military said."
    (claim,) = claims.split(text, outlets.load().dateline_patterns)
    assert claim.text == "North Korea fired two ballistic missiles on Sunday, the military said."
    assert text[claim.start:claim.end] == claim.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("about 3,000 troops", [(3000, None, "troops", "about")]),
        ("three thousand troops", [(3000, None, "troops", None)]),
        ("Thirty-seven farmers and forty two thousand votes", [(37, None, "farmers", None), (42000, None, "votes", None)]),
        ("model NW-H2 and COVID-19 and an F-16, 12 jets", [(12, None, "jets", None)]),  # codes and names, not counts
        ("sold over a year and a half because it may overheat", [(0.5, None, None, None)]),  # "because" counts nothing
        ("3k troops", [(3000, None, "troops", None)]),
        ("170mm howitzers and 240 mm launchers", [(170, "mm", None, None), (240, "mm", None, None)]),
        ("two-thirds of them", [(0.667, None, None, None)]),
        ("up to 12,000 North Korean troops", [(12000, None, "troops", "up to")]),
        ("$3.5 million", [(3_500_000, "USD", None, None)]),
        ("2.5 per cent", [(2.5, "%", None, None)]),
        ("1,300 square kilometers", [(1300, "km2", None, None)]),
        ("in 2024 and on Sept. 5", []),
        # names and clock times, not counts
        ("the Halo 2 monitor at Quay 4 under Article 5", []),
        ("it struck at 03:42, or 3:42 local time (0142 GMT)", []),
        ("About 3,000 troops; Only 12 died", [(3000, None, "troops", "about"), (12, None, "died", None)]),
        ("six of its 14 lines", [(6, None, "lines", None), (14, None, "lines", None)]),  # a possessive is no thing counted
    ],
)
def test_numbers_are_normalised_with_units(text, expected):
    assert [(q.value, q.unit, q.noun, q.hedge) for q in claims.quantities(text)] == expected


def test_hedges_and_quotes():
    assert claims.hedges("Up to 12,000 troops could be sent, reportedly.") == ("up to", "could", "reportedly")
    assert claims.hedges("Some officials met over the weekend.") == ()
    assert claims.quotes('He said: “We are ready.” She said "no way" twice.') == ("We are ready.", "no way")


def test_a_title_blingfire_splits_off_is_glued_back_to_its_sentence():
    text = "The figures came out on Tuesday. Lt. Gen. Ilhan Sorvenne said the units were new. The U.S. Army agreed."
    assert [c.text for c in claims.split(text)] == [
        "The figures came out on Tuesday.",
        "Lt. Gen. Ilhan Sorvenne said the units were new.",
        "The U.S. Army agreed.",
    ]


def test_areas_in_hectares_and_acres():
    assert [(q.value, q.unit) for q in claims.quantities("about 4,200 ha (roughly 10,400 acres), 4,200 hectares")] == [
        (4200, "ha"), (10400, "acre"), (4200, "ha")]


def test_a_single_period_is_a_duration_but_not_a_rate_or_a_time():
    found = claims.quantities("a year of free credit monitoring, banned for a month, €20 million a day, a year ago")
    assert [(q.value, q.noun, q.text) for q in found] == [(1.0, "years", "a year"), (1.0, "months", "a month"), (20_000_000, None, "€20 million")]
