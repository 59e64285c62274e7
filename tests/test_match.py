import os
import subprocess
import sys
from dataclasses import replace

import pytest

from provenance import claims, outlets
from provenance.match import (
    ClaimView, MatchSettings, Relation, bands, choose, content, distortions, is_checkable, is_commentary, is_editors_note,
    is_heading, is_opinion, is_own_voice, is_recap, match, rank, likeness, rare_cover, relation, reports_itself, similarity, term_weights,
)


def view(text, claim_id=1, article_id=1, cue=None, source=None, published="2025-01-02", **kwargs):
    return ClaimView(claim_id, article_id, text, published, claims.quantities(text), claims.hedges(text), cue, source, **kwargs)


ORIGIN = view("Up to 12,000 Kestrian troops were stationed in the Zalesk region last fall, the Joint Staff said.",
              claim_id=10, article_id=5, cue="said", source="Joint Staff", published="2025-01-01")


def kinds(found):
    return [(d["kind"], d["detail"]) for d in found]


def test_a_claim_compared_with_itself_has_no_distortion_and_is_a_copy():
    assert distortions(ORIGIN, ORIGIN) == []
    assert relation(ORIGIN, ORIGIN) == Relation.COPY
    assert similarity(ORIGIN, ORIGIN) > 0.95


def test_a_changed_number_is_quoted_both_sides():
    derived = view("Kestria sent another 5,000 soldiers in January.", cue="reported", source="PulseBriefs")
    origin = view("Kestria dispatched approximately 3,000 additional soldiers in January.", claim_id=2, cue="reported", source="AJS")
    assert kinds(distortions(derived, origin)) == [("number_changed", "approximately 3,000 -> 5,000")]


def test_precision_loss_is_not_a_changed_number():
    derived = view("The talks lasted weeks.")
    origin = view("The talks lasted four weeks.", claim_id=2)
    assert distortions(derived, origin) == []


def test_dropped_hedges_numeric_and_modal():
    derived = view("That comes on top of the 12,000 Kestrian troops stationed in Zalesk last fall.")
    assert ("hedge_dropped", "up to 12,000 -> 12,000") in kinds(distortions(derived, ORIGIN))
    modal = distortions(view("The plant will close in May."), view("The plant could close in May.", claim_id=3))
    assert kinds(modal) == [("hedge_dropped", '"could" -> stated without it')]
    seeming = distortions(view("Sorvenne said the new arrivals were replacing units pulled back from the front."),
                          view("Sorvenne said the new arrivals appeared to be replacing units pulled back.", claim_id=3))
    assert kinds(seeming) == [("hedge_dropped", '"appeared" -> stated without it')]


def test_a_trailing_attribution_is_set_aside_but_a_statement_after_said_is_not():
    assert content("Kestria sent 3,000 troops, the Joint Staff said on Tuesday.") == "Kestria sent 3,000 troops"
    long_tail = "Speaking on Monday, Captain Ines Roath said divers would inspect the barge's hull on Tuesday morning."
    assert content(long_tail) == long_tail
    derived = view("Divers were due to inspect the barge's hull on Tuesday morning, the harbour master told the broadcaster.")
    assert similarity(derived, view(long_tail, claim_id=2)) >= MatchSettings().threshold


def test_a_sentence_folding_two_origin_sentences_is_compared_with_both():
    derived = view("Up to 12,000 Kestrian troops were stationed in the Zalesk region last fall, during which Velmora captured 1,300 square kilometers.")
    first = view("Up to 12,000 Kestrian troops were stationed in the Zalesk region last fall.", claim_id=10, article_id=5)
    second = view("Velmora captured around 1,300 square kilometers of territory during the incursion.", claim_id=11, article_id=5)
    found = match(derived, [second, first])
    assert found[0].origin_claim_id == 10
    assert ("hedge_dropped", "around 1,300 square kilometers -> 1,300 square kilometers") in kinds(found[0].distortions)


def test_commentary_needs_a_close_likeness_and_is_never_unsupported():
    commentary = view("This collaboration underscores Kestria's role as a military ally of Morvania.")
    fact = view("Kestria has been an important ally of Morvania since 2023, officials said.", claim_id=2, article_id=3)
    assert similarity(commentary, fact) >= MatchSettings().threshold
    assert match(commentary, [fact]) == []
    assert not is_checkable(commentary.text, commentary.quantities)
    recap = view("In other words, Kestria has been an important ally of Morvania since 2023.")
    assert similarity(recap, fact) > 0.6 and match(recap, [fact]) == []


def test_a_capital_or_an_adjective_names_its_country():
    places = outlets.load().place_aliases()
    derived = view("Pyongyang has dispatched more soldiers to Moscow's western front.")
    origin = view("North Korea has sent more troops to Russia's western front, officials said.", claim_id=2, article_id=3)
    assert similarity(derived, origin, places) > similarity(derived, origin) + 0.1
    assert match(derived, [origin], MatchSettings(places=places))
    same = view("The Washington Post reported on the talks.")
    renamed = view("The United States Post reported on the talks.", claim_id=2)
    assert similarity(same, renamed, places) == similarity(same, renamed)  # part of a longer name: left alone


def test_dropped_and_strengthened_attribution():
    bare = view("Up to 12,000 Kestrian troops were stationed in the Zalesk region last fall.")
    assert ("attribution_dropped", "Joint Staff said -> stated as fact") in kinds(distortions(bare, ORIGIN))
    stronger = view("The losses are due to inexperience, Brodovik confirmed.", cue="confirmed", source="Anzel Brodovik")
    weaker = view("The losses may be due to inexperience, Brodovik suggested.", claim_id=4, cue="suggested", source="Anzel Brodovik")
    assert ("attribution_strengthened", "suggested -> confirmed") in kinds(distortions(stronger, weaker))


def test_match_keeps_the_cited_article_first_and_the_text_match_too():
    derived = view("Kestria sent another 5,000 soldiers to Morvania in January, as PulseBriefs reported.",
                   claim_id=1, article_id=9, linked_articles=frozenset({7}))
    cited = view("In January, Kestria dispatched about 3,000 soldiers to Morvania, officials said.", claim_id=20, article_id=7)
    closer = view("Kestria sent about 3,000 more soldiers to Morvania in January.", claim_id=21, article_id=8)
    found = match(derived, [closer, cited])
    assert [(m.origin_claim_id, m.basis) for m in found] == [(20, "citation"), (21, "text")]
    assert found[0].distortions[0]["kind"] == "number_changed"


def test_unrelated_claims_do_not_match():
    derived = view("Grain exports from Velmoran ports rose to 3,000 tonnes a day as insurers returned.")
    assert match(derived, [ORIGIN]) == []
    assert similarity(derived, ORIGIN) < MatchSettings().threshold


def test_near_copies_share_a_minhash_band_and_unrelated_text_does_not():
    a = "Kestria deployed up to 12,000 troops to the Zalesk region last autumn after the incursion."
    b = "Kestria deployed up to 12,000 troops to the Zalesk region last autumn after the August incursion."
    c = "The central bank kept its policy rate at 0.5% on Wednesday and raised its inflation forecast."
    assert set(bands(a)) & set(bands(b))
    assert not set(bands(a)) & set(bands(c))


@pytest.mark.parametrize(
    "text, expected",
    [("Kestria sent 5,000 soldiers to Morvania.", True), ("What does Valdrun get in return?", False),
     ("My view: the governments are making a mistake.", False), ("It is a pipeline.", False),
     ("Our take: Tervane had little choice.", False), ("We will keep searching.", False),
     ("If you work in Kessling's telecom sector, now is a good time to polish your CV.", False)],
)
def test_checkable_statements(text, expected):
    assert is_checkable(text, claims.quantities(text)) is expected


def test_a_cited_article_that_restates_the_best_match_is_where_the_writer_read_it():
    derived = view("The phase 2 trial had 412 adults.", claim_id=1, article_id=9, cited_articles=frozenset({5}))
    primary = view("The placebo-controlled trial enrolled 412 adults aged 18 to 65 at three clinics.", claim_id=30, article_id=3)
    carrier = view("The placebo-controlled study enrolled 412 adults aged 18 to 65 at three clinics in Ostmark and the Teller Valley.",
                   claim_id=50, article_id=5, origin_claims=frozenset({30}))
    assert [(m.origin_claim_id, m.basis) for m in match(derived, [primary, carrier])] == [(30, "text")]  # words alone
    unrelated = view(carrier.text, claim_id=50, article_id=5)  # the same words, not matched to the primary
    assert [m.origin_claim_id for m in choose(derived, rank(derived, [primary, unrelated], floor=0.3))] == [30]
    ranked = rank(derived, [primary, carrier], floor=MatchSettings().carrier_floor)
    assert [(m.origin_claim_id, m.basis) for m in choose(derived, ranked)] == [(50, "citation"), (30, "text")]


def test_an_official_statement_starts_its_claims_unless_it_cites_one():
    release = "In return, Kestria is assessed to be receiving refined oil products and assistance with space launch and missile technology."
    quote = view("Dravsk is paying Valdrun for soldiers with oil and technology, and Valdrun is paying for it with its soldiers.",
                 claim_id=2, article_id=7, published="2025-01-01")
    settings = MatchSettings(places=(("Valdrun", "Kestria"), ("Dravsk", "Morvania")))
    assert match(view(release), [quote], settings)  # an outlet writing the same is matched by its words
    assert match(view(release, official=True), [quote], settings) == []
    cited = match(view(release, official=True, cited_articles=frozenset({7})), [quote], settings)
    assert [(m.origin_claim_id, m.basis) for m in cited] == [(2, "citation")]


def test_rarer_shared_words_order_close_candidates_and_the_score_is_kept():
    claim = view("Kestria has become one of Morvania's most important military allies, supplying artillery shells, missiles, "
                 "and troops in exchange for oil products and space launch technology.")
    weapons = view("Kestria has also supplied Morvania with short-range ballistic missiles, 152 mm self-propelled howitzers and "
                   "220 mm multiple rocket launchers.", claim_id=2, article_id=3)
    trade = view("In return, Kestria is assessed to be receiving refined oil products and assistance with space launch and "
                 "missile technology.", claim_id=3, article_id=4)
    story = [view(f"Kestria and Morvania {topic}.", claim_id=10 + i, article_id=5 + i)
             for i, topic in enumerate(["signed a treaty in June", "held talks on troops", "share a long border"])]
    weights = term_weights(claim, [weapons, trade, *story])
    assert rare_cover(claim, trade, weights) > 2 * rare_cover(claim, weapons, weights)  # oil, space, launch against Kestria, Morvania
    by_likeness = rank(claim, [weapons, trade], MatchSettings(rarity_weight=0.0, lead_weight=0.0), floor=0.0)
    by_rarity = rank(claim, [weapons, trade], MatchSettings(rarity_weight=1.0, lead_weight=0.0), floor=0.0)
    assert [c.claim_id for _, c in by_likeness] == [2, 3]
    assert [c.claim_id for _, c in by_rarity] == [3, 2]
    assert dict((c.claim_id, s) for s, c in by_rarity) == dict((c.claim_id, s) for s, c in by_likeness)


def test_a_likeness_of_only_the_storys_common_words_is_no_origin():
    claim = view("Defence analysts say the arrangement gives Kestria what sanctions have long denied it: fuel and Morvanian missile technology.")
    common = view("Neither Kestria nor Morvania has publicly acknowledged the deployment.", claim_id=2, article_id=3)
    story = [view(f"Kestria sent troops to Morvania {when}.", claim_id=10 + i, article_id=5 + i) for i, when in enumerate(["in June", "in May", "last year"])]
    assert [c.claim_id for _, c in rank(claim, [common, *story], MatchSettings(rarity_floor=0.0), floor=0.0)][:1] == [2]
    assert 2 not in [c.claim_id for _, c in rank(claim, [common, *story], floor=0.0)]


def test_among_cited_articles_the_one_the_article_rewrites_is_where_a_shared_claim_was_read():
    blog = "Some 4,000 Kestrian soldiers have already been killed or wounded, two-thirds of them killed."
    orbis = view("Velmoran President Mirko Dalsavin said last week that Kestrian forces had suffered about 4,000 casualties, "
                 "two-thirds of them killed, the Stavorsk Independent reported.", claim_id=2, article_id=3, cue="said", source="Mirko Dalsavin")
    pulse = view("This development follows President Mirko Dalsavin’s statement indicating that Kestrian forces sustained around "
                 "4,000 casualties during combat operations, with two-thirds of these troops killed.",
                 claim_id=3, article_id=4, cue="statement indicating", source="Mirko Dalsavin")
    cites_both = frozenset({3, 4})
    assert match(view(blog, cited_articles=cites_both), [orbis, pulse])[0].origin_claim_id == 2  # the closer wording
    rewrites_pulse = match(view(blog, cited_articles=cites_both, favoured_article=4), [orbis, pulse])
    assert [(m.origin_claim_id, m.basis) for m in rewrites_pulse] == [(3, "citation"), (2, "text")]


def test_the_article_rewritten_gives_way_to_a_clearly_better_match_in_another_article_it_cites():
    claim = "The other eight lines will not run, and there will be no night trams."
    wire = view("It said it would run a limited service on six of its 14 lines, using managers and non-union drivers.",
                claim_id=2, article_id=3, published="2025-01-01")
    statement = view("Lines 3, 5, 6, 8, 10, 11, 13 and 14 will not run, and there will be no night trams on either night.",
                     claim_id=3, article_id=4, published="2025-01-01")
    found = match(view(claim, cited_articles=frozenset({3, 4}), favoured_article=3), [wire, statement])
    assert [(m.origin_claim_id, m.basis) for m in found] == [(3, "citation")]


def test_search_terms_are_the_same_in_every_process():
    text = "Kestria sent about 3,000 more troops to Morvania in January and February to replace losses in the war"
    script = f"from provenance.match import search_terms; print(search_terms({text!r}, 6))"
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert outputs == {"['february', 'morvania', 'january', 'kestria', 'replace', 'losses']\n"}


def test_the_same_number_in_another_unit_is_not_a_shared_figure():
    def claim(claim_id, text, unit):
        return ClaimView(claim_id, claim_id, text, "2025-01-02", (claims.Quantity(100.0, unit, None, "100", None),))
    derived = claim(1, "The council said rents in the old town rose by 100 over the last year.", "%")
    def origin(unit):
        return claim(2, "Rents in the old town went up by 100 last year, the council's report shows.", unit)
    assert similarity(derived, origin("%")) - similarity(derived, origin("USD")) == pytest.approx(0.10)
    assert similarity(derived, origin(None)) == similarity(derived, origin("%"))  # a bare count may be either


def test_a_shared_figure_lifts_a_fragment_of_a_longer_cited_sentence_over_the_threshold():
    derived = view("Electricity alone cost 11.2% more than a year earlier.", cited_articles=frozenset({5}))
    origin = view("The rise was driven mainly by services, where prices rose 4.9 percent, and by electricity, which cost "
                  "11.2 percent more than in April 2025.", claim_id=2, article_id=5, published="2025-01-01")
    other = view("The rise was driven mainly by services, where prices rose 4.9 percent, and by electricity, which cost "
                 "12.6 percent more than in April 2025.", claim_id=3, article_id=5, published="2025-01-01")
    assert similarity(derived, origin) >= similarity(derived, other) + 0.1
    assert [m.origin_claim_id for m in match(derived, [other, origin])] == [2]


def test_leaving_out_a_relaying_outlets_credit_drops_no_attribution():
    relayed = view("The court ordered Calverex to pay €4.2 million to 37 farmers, the Vantage news agency reported.",
                   claim_id=2, cue="reported", source="Vantage news agency", source_kind="outlet")
    spoken = view("The court ordered Calverex to pay €4.2 million to 37 farmers, the lawyer said.",
                  claim_id=3, cue="said", source="Tomas Keld", source_kind="person")
    bare = view("The court ordered Calverex to pay €4.2 million to 37 farmers.")
    assert distortions(bare, relayed) == []
    assert kinds(distortions(bare, spoken)) == [("attribution_dropped", "Tomas Keld said -> stated as fact")]


def test_the_description_that_identifies_a_company_is_not_what_is_claimed():
    assert content("Calverex Chemicals, which runs a coatings plant at Sellbrook, said its discharges were legal.") == (
        "Calverex Chemicals said its discharges were legal.")
    derived = view("Those users include Calverex Chemicals, whose coatings plant at Sellbrook draws water from the Sell river.")
    other = view("Calverex Chemicals, which runs a coatings plant on the Sell at Sellbrook, said its discharges were within its permit.",
                 claim_id=2, article_id=3)
    assert similarity(derived, other) < MatchSettings().threshold


def test_a_name_opening_a_sentence_counts_when_it_has_several_words():
    named = view("Keld & Arneson will study the written judgment before deciding whether to appeal the dismissal of the claim.")
    other = view("The union has not decided whether to appeal.", claim_id=2, article_id=3)
    assert similarity(named, other) < MatchSettings().threshold
    assert match(view("North Korea fired two missiles on Sunday."), [view("North Korea fired two missiles.", claim_id=2, article_id=3)])


def test_a_bottom_line_is_a_recap():
    assert is_recap("Bottom line: the farmers won this round, but the fight is far from over.")
    assert not is_checkable("Bottom line: the farmers won this round in Varnholt.", ())


def test_a_request_for_comment_is_the_outlets_own_reporting_not_an_unsupported_fact():
    for text in ("The company, which employs about 1,400 people at Sellbrook, did not respond to a request for further comment.",
                 "Morvania's embassy in Castella did not immediately respond to a request for comment.",
                 "The ministry declined to comment on Monday."):
        assert not is_checkable(text, claims.quantities(text)), text
    assert is_checkable("Calverex made a profit of €310 million last year.", claims.quantities("€310 million"))


def test_two_different_quotations_by_one_speaker_are_two_statements():
    now = view("“I have kept this farm going on borrowed money for two years,” said Piet Hollis, 58, who grows potatoes and onions on 45 "
               "hectares below the dam.")
    then = view("“We have been watering our potatoes with this for years and nobody told us anything,” said Piet Hollis, who farms near Dunmere.",
                claim_id=2, article_id=3, cited_articles=frozenset())
    again = view("“I have kept this farm going on borrowed money for two years,” Piet Hollis told the paper.", claim_id=3, article_id=4)
    settings = MatchSettings()
    assert similarity(now, then) + settings.citation_bonus < settings.threshold  # not even inside a cited article
    assert similarity(now, again) >= MatchSettings().threshold


def test_a_headline_in_the_text_is_neither_matched_nor_an_origin():
    headline = "Nestwell recalls 48k Halo 2 baby monitors: what owners need to know"
    body = view("Nestwell is recalling some 48,000 Halo 2 baby monitors because the battery may overheat, the regulator said.",
                claim_id=10, article_id=5, published="2025-01-01")
    assert is_heading(headline) and not is_heading(body.text) and not is_heading("In June we reported that owners were complaining:")
    assert match(view(headline), [body])  # read as a sentence, it would be matched
    assert match(view(headline, heading=True), [body]) == []
    derived = view("Nestwell is recalling 48,000 Halo 2 baby monitors because the battery may overheat.")
    found = match(derived, [view(headline, claim_id=9, article_id=5, heading=True, published="2025-01-01"), body])
    assert [m.origin_claim_id for m in found] == [10]


def test_a_figure_from_another_sentence_of_the_origin_article_is_not_a_changed_number():
    derived = view("Prices rose 3.6% in the year to April, the fastest pace since February 2025, driven by services and electricity.")
    driven = view("The rise was driven mainly by services, where prices rose 4.9 percent, and by electricity, which cost 11.2 percent "
                  "more than in April 2025.", claim_id=10, article_id=5, published="2025-01-01")
    rose = view("Consumer prices rose 3.6 percent in the year to April, the fastest pace since February 2025.",
                claim_id=11, article_id=5, published="2025-01-01")
    assert kinds(distortions(derived, driven)) == [("number_changed", "4.9 percent -> 3.6%")]
    assert kinds(distortions(derived, driven, rose.quantities)) == []
    found = match(derived, [driven, rose])
    assert found and all(d["kind"] != "number_changed" for m in found for d in m.distortions)


def test_the_best_matchs_origin_in_the_article_the_claim_links_is_where_the_writer_read_it():
    scoop = view("Tervane Networks is preparing to cut as many as 2,000 jobs, according to two people familiar with the matter, as the "
                 "Kessling-based maker of mobile network equipment struggles with a slump in orders.", claim_id=12, article_id=2,
                 published="2027-03-03")
    wire = view("The Courier, citing two people familiar with the matter, had said as many as 2,000 jobs could go.", claim_id=24,
                article_id=3, published="2027-03-04", origin_claims=frozenset({12}))
    text = "The Financial Courier had the story first: it reported, citing two people familiar with the matter, that as many as 2,000 jobs could go."
    floor = MatchSettings().carrier_floor
    unlinked = view(text, claim_id=50, article_id=9, cited_articles=frozenset({2, 3}))
    assert [m.origin_claim_id for m in choose(unlinked, rank(unlinked, [scoop, wire], floor=floor))] == [24]  # the wire's copy, by its words
    linked = view(text, claim_id=50, article_id=9, cited_articles=frozenset({2, 3}), linked_articles=frozenset({2}))
    assert [(m.origin_claim_id, m.basis) for m in choose(linked, rank(linked, [scoop, wire], floor=floor))] == [(12, "citation"), (24, "text")]
    copied = view(wire.text, claim_id=24, article_id=3, published="2027-03-04")  # the same words, not matched to the scoop
    assert [m.origin_claim_id for m in choose(linked, rank(linked, [scoop, copied], floor=floor))][0] == 24


def test_a_weak_verb_kept_under_a_stronger_one_or_a_plan_is_no_strengthened_attribution():
    def strengthened(derived, origin):
        return [d for d in distortions(derived, origin) if d["kind"] == "attribution_strengthened"]

    release = view("The company expects annual cost savings of about $320 million from 2028.", claim_id=10, article_id=5,
                   cue="expects", source="Tervane")
    assert strengthened(view("Tervane confirmed annual savings of about $320 million from 2028.", cue="confirmed", source="Tervane"), release)
    assert not strengthened(view("Tervane said it expected annual savings of about $320 million from 2028.", cue="said", source="Tervane"), release)
    plan = view("Tervane expects to reduce its workforce by about 1,800 roles.", claim_id=11, article_id=5, cue="expects", source="Tervane")
    assert not strengthened(view("Tervane plans to cut about 1,800 jobs, the company said.", cue="said", source="Tervane"), plan)
    assert strengthened(view("Tervane plans to cut about 1,800 jobs, the company confirmed.", cue="confirmed", source="Tervane"), plan)


def test_a_quotation_standing_alone_drops_no_attribution():
    quoted = view("“The market has changed, and we have to change with it,” Mirela Vost said in a statement.", claim_id=10,
                  article_id=5, cue="said", source="Mirela Vost")
    assert kinds(distortions(view("“The market has changed, and we have to change with it.”"), quoted)) == []
    assert kinds(distortions(view("The market has changed, and Tervane has to change with it."), quoted)) == [
        ("attribution_dropped", "Mirela Vost said -> stated as fact")]


def test_a_quotation_is_not_made_up_from_a_sentence_lacking_its_words():
    analyst = view("Analysts at Marlow Brandt Securities estimated the cuts could save about $45 million a year.", claim_id=10, article_id=5)
    words = ("The cuts are overdue, but they don't fix the real problem, which is that operators have stopped buying radio equipment, "
             "Tobias Renq, an analyst at Marlow Brandt Securities, said by phone.")
    quote = "“The cuts are overdue, but they don't fix the real problem, which is that operators have stopped buying radio equipment,” " \
            "Tobias Renq, an analyst at Marlow Brandt Securities, said by phone."
    assert similarity(view(quote), analyst) < 0.35 < similarity(view(words), analyst)
    assert similarity(view(quote), view(words.replace(" Tobias", " “Tobias"), claim_id=11, article_id=5)) > 0.7  # its own words


def test_at_least_is_a_hedge_on_a_number():
    origin = view("At least 14 people were killed and up to 40 injured, the agency said.", claim_id=10, article_id=5, cue="said", source="agency")
    assert kinds(distortions(view("The agency said 14 people were killed and 50 injured.", cue="said", source="agency"), origin)) == [
        ("hedge_dropped", "at least 14 -> 14"), ("number_changed", "up to 40 -> 50")]


@pytest.mark.parametrize(
    ("text", "own"),
    [("“The cuts are overdue,” Tobias Renq, an analyst at Marlow Brandt Securities, said by phone.", True),
     ("The mayor told Halcyon that four people were still missing.", True),
     ("Nestwell told us then that it was looking into a small number of reports.", True),
     ("Halden did not respond to a request for comment.", True),
     ("A local baker told the Chronicle the church tower was already down.", False),  # someone else's interview
     ("The agency said 14 people were killed.", False)],
)
def test_an_outlets_own_interview_or_request_for_comment_is_its_own_reporting(text, own):
    assert reports_itself(text, "Halcyon") is own


def test_an_editors_note_opens_with_correction_update_or_clarification():
    assert is_editors_note("Correction, March 5: An earlier version of this post said the cuts affected one in five.")
    assert is_editors_note("Update: This story has been updated with the latest toll.")
    assert is_editors_note("Editor’s note: The headline has been changed.")
    assert not is_editors_note("The correct figure is about one in eight.") and not is_editors_note("Updates to the app are free.")


def test_leaving_out_the_outlet_that_vouches_for_a_scoop_drops_its_attribution():
    credited = view("According to the Courier, Tervane's board signed off on the plan on Monday.", claim_id=10, article_id=5,
                    cue="according to", source="Courier", source_kind="outlet", origin_claims=frozenset({7}))
    scoop = view("Tervane's board approved the plan at a meeting on Monday, one of the people said.", claim_id=7, article_id=2,
                 cue="said", source="one of the people", source_kind="anonymous")
    relayed = view("Tervane's board approved the plan at a meeting on Monday, the company said.", claim_id=7, article_id=2,
                   cue="said", source="Tervane", source_kind="organization")
    bare = view("Tervane's board signed off on the plan on Monday.")
    assert kinds(distortions(bare, credited, upstream=scoop)) == [("attribution_dropped", "Courier according to -> stated as fact")]
    assert kinds(distortions(bare, credited, upstream=relayed)) == []  # the Courier only passed the company's word on
    assert kinds(distortions(bare, credited)) == []


def test_one_content_word_in_common_is_no_restatement_even_of_a_short_sentence():
    claim = view("Calverex said in a statement that it would study the written judgment and was likely to appeal.", cited_articles=frozenset({5}))
    short = view("The judgment is not final.", claim_id=10, article_id=5, published="2025-01-01")
    assert similarity(claim, short) <= 0.2 and match(claim, [short]) == []
    assert match(view("The judgment is not final yet."), [short])


def test_a_link_found_by_a_study_retold_as_a_cause_drops_a_hedge():
    origin = view("Drinking at least one cup a day was associated with a 23% lower risk of atrial fibrillation.", claim_id=10, article_id=5)
    told = view("A daily cup of brennik tea cuts your risk of atrial fibrillation by 23%.")
    assert kinds(distortions(told, origin)) == [("hedge_dropped", '"associated with" -> "cuts"')]
    assert kinds(distortions(view("A daily cup was linked to a 23% lower risk of atrial fibrillation."), origin)) == []
    helped = view("The tea may help prevent an irregular heartbeat, she said.", claim_id=11, article_id=5, cue="said", source="Hedda Vinterlund")
    assert kinds(distortions(view("The tea prevents an irregular heartbeat, she says.", cue="says", source="Hedda Vinterlund"), helped)) == [
        ("hedge_dropped", '"may" -> stated without it')]


def test_a_trailing_credit_to_a_study_is_set_aside_like_one_to_a_speaker():
    assert content("A daily cup cuts your risk by a quarter, a major new study has revealed.") == "A daily cup cuts your risk by a quarter."
    assert content("The tea cuts the risk, the researchers found.") == "The tea cuts the risk."
    assert content("09:40 - Roevik tells supporters the Union has won.") == "Roevik tells supporters the Union has won."  # a live entry's time


def test_an_uncited_look_alike_from_more_than_half_a_year_before_is_likelier_a_similar_event():
    claim = view("Union leader Anselm Roevik said he would seek to govern with the Progressive Alliance again.", published="2027-09-20")
    text = "Anselm Roevik, the Union's leader, said he would seek to continue governing with the Progressive Alliance."
    recent = view(text, claim_id=10, article_id=5, published="2027-09-19")
    stale = view(text, claim_id=10, article_id=5, published="2025-09-18")
    (fresh,), (old,) = likeness(claim, [recent], floor=0.0), likeness(claim, [stale], floor=0.0)
    assert round(fresh.score - old.score, 6) == MatchSettings().stale_penalty
    cited = view(claim.text, published="2027-09-20", cited_articles=frozenset({5}))  # a background article the writer links
    assert likeness(cited, [stale], floor=0.0)[0].score > fresh.score


def test_a_changed_figure_is_one_of_the_same_thing_and_magnitude():
    def changed(derived, origin):
        return [d["detail"] for d in distortions(view(derived), view(origin, claim_id=10, article_id=5)) if d["kind"] == "number_changed"]

    assert changed("Upper Mestra, a valley of about 60,000 people, is known for its orchards.",
                   "At least 14 people have been killed in the earthquake that struck the valley.") == []
    # two seat counts could be the one changed: say which only when the words around one match
    seats = "Corvannes First would take 24 seats, with the Progressive Alliance on 13 seats."
    assert changed("Together they would hold 37 seats.", seats) == []
    assert changed("The bank now expects inflation to average 3.4% this year.",
                   "The bank now expects inflation to average 3.1% this year, well above the 2.7% it forecast in March.") == ["3.1% -> 3.4%"]
    assert changed("Kestria sent 5,000 soldiers.", "Kestria sent 3,000 troops.") == ["3,000 -> 5,000"]


def test_a_record_is_said_only_by_a_sentence_stating_that_record():
    record = view("It is the deadliest earthquake in Drevania since 1987.")
    houses = view("Many of the old town's stone houses were built before Drevania introduced earthquake building rules in 1971.",
                  claim_id=10, article_id=5, published="2025-01-01")
    assert similarity(record, houses) < 0.35 and match(record, [houses]) == []
    same = view("The earthquake was the deadliest to hit Drevania since 1987, officials said.", claim_id=11, article_id=5, published="2025-01-01")
    assert match(record, [same])
    rate = view("The policy rate is now at its highest level since 2008.")
    inflation = view("It is the highest annual inflation rate since February 2025.", claim_id=12, article_id=5, published="2025-01-01")
    assert match(rate, [inflation]) == []
    assert is_checkable(rate.text, ()) and is_checkable("The clinic opened in 1998.", ())


def test_a_projection_stated_as_the_result_drops_a_hedge():
    poll = view("Corvannes First is projected to win 32% of the vote in Sunday's election.", claim_id=10, article_id=5)
    assert kinds(distortions(view("Corvannes First won Sunday's election with 32% of the vote."), poll)) == [
        ("hedge_dropped", '"projected" -> stated without it')]
    assert kinds(distortions(view("Corvannes First was projected to win 32% of the vote on Sunday."), poll)) == []


def test_the_scoop_behind_a_credit_is_found_among_the_credits_origins():
    scoop = view("The company could also close its plant in Sorrelby, which employs about 400 people, one of them said.", claim_id=7,
                 article_id=2, published="2027-03-03", cue="said", source="two people familiar with the matter", source_kind="anonymous")
    wire = view("Its Sorrelby plant, home to about 400 workers, could close, the Courier reported.",
                claim_id=8, article_id=3, published="2027-03-04", cue="report", source="Courier", source_kind="outlet", origin_claims=frozenset({7}))
    blog = view("The Courier also reported that the company could close its Sorrelby plant, which has about 400 workers.", claim_id=9,
                article_id=4, published="2027-03-04", cue="reported", source="Courier", source_kind="outlet", origin_claims=frozenset({7, 8}))
    derived = view("Its Sorrelby plant, home to about 400 workers, will close.", published="2027-03-05", origin_articles=frozenset({4}))
    found = match(derived, [blog, wire, scoop])
    assert found[0].origin_claim_id == 9
    assert ("attribution_dropped", "Courier reported -> stated as fact") in kinds(found[0].distortions)


def test_a_request_for_comment_or_the_writers_view_is_matched_to_nothing_close():
    union = view("The drivers' union said the Quenmoor Transit Authority had not responded to its pay claim.", claim_id=10, article_id=5,
                 published="2025-01-01")
    assert match(view("The Quenmoor Transit Authority has not yet commented."), [union]) == []
    assert match(view("The Quenmoor Transit Authority said the union had not responded to its pay claim."), [union])
    assert is_commentary("Our view: the drivers have a point, but two days of chaos won't win the argument.")


def test_an_outlet_goes_by_a_word_of_its_name_in_its_own_interviews_and_credits_its_reporters():
    assert reports_itself("Smoke was everywhere, a shop owner told the Dispatch.", "The Dunmarrow Dispatch")
    assert not reports_itself("Smoke was everywhere, a shop owner told the Dispatch.", "Hills Feed")
    assert reports_itself("“Both sides have dug in,” Sanne Halloway, a labour economist, told Tessera.", "Tessera News Agency")
    assert reports_itself("(Reporting by Oskar Tenvald; Editing by Runa Bellweather)", "Tessera News Agency")
    # its own legwork, by name
    assert reports_itself("In Vendel, three of the five pharmacies Radio Vendel contacted on Wednesday had none in stock.", "Radio Vendel")
    assert not reports_itself("In Vendel, three of the five pharmacies Radio Vendel contacted on Wednesday had none in stock.", "Playpen Weekly")


def test_a_request_for_comment_is_the_origin_of_nothing_but_a_word_on_that_request():
    asked = view("We put these allegations to Kilbraith Water on Monday afternoon.", claim_id=10, article_id=5, published="2025-01-01")
    assert not is_checkable(asked.text, ())
    assert match(view("Kilbraith Water put bills up by 9 per cent in April."), [asked]) == []
    silent = view("Tarrowgate Systems, which runs the airline's IT, did not respond to a request for comment on Friday.",
                  claim_id=11, article_id=5, published="2025-01-01")
    assert match(view("Tarrowgate Systems, which runs the airline's IT, did not respond to Anchorline's request for comment."), [silent])


def test_a_phrase_of_four_words_taken_over_is_enough_just_short_of_the_threshold():
    analyst = view("Aviation analyst Dervla Kittredge told Anchorline she suspected that a software update installed overnight was to blame.",
                   claim_id=10, article_id=5, published="2025-01-01")
    claim = view("Experts have confirmed that a software update installed overnight caused the outage.")
    assert MatchSettings().threshold - 0.05 <= similarity(claim, analyst) < MatchSettings().threshold
    assert [m.origin_claim_id for m in match(claim, [analyst])] == [10]
    reworded = view("Experts have confirmed that an update to its software, put in overnight, caused the outage.")
    assert match(reworded, [analyst]) == []


def test_a_lead_in_that_turns_to_the_reader_leaves_the_statement_after_it_checkable():
    text = "What the papers didn't tell you: Pettifer had already been struck off by the regulator once before, in 2011."
    assert not is_opinion(text) and is_checkable(text, claims.quantities(text))
    assert is_opinion("Our advice: keep every receipt for food, hotels and taxis, and claim the lot.")
    assert is_opinion("Here is what you need to know: your bridge is shut.")


def test_a_day_and_a_time_in_common_alone_make_no_match():
    roads = view("The following roads were closed on Saturday evening, according to the Vessary roads department:",
                 claim_id=10, article_id=5, published="2025-01-01")
    miren = view("Miren, a village of about 300 people, has also been ordered to evacuate.", claim_id=11, article_id=5, published="2025-01-01")
    claim = view("Miren became the fourth village ordered to evacuate on Saturday evening.")
    assert similarity(claim, roads) <= 0.2
    assert [m.origin_claim_id for m in match(claim, [roads, miren])] == [11]
    # a span of months is said, not just a time
    report = view("Kestria sent about 3,000 more troops to Morvania in January and February, Aurenia's Joint Staff said.",
                  claim_id=12, article_id=5, published="2025-01-01")
    assert similarity(view("The reinforcements arrived over January and February, the report said."), report) > 0.2


def test_a_threat_or_a_pledge_is_still_its_makers_word():
    union = view("The union said it would ballot its 1,400 members at Tollard on industrial action unless the plan was withdrawn.",
                 claim_id=10, article_id=5, cue="said", source="union", published="2025-01-01")
    found = match(view("The union has threatened to ballot its 1,400 members at the terminal on industrial action."), [union])
    assert [(m.origin_claim_id, list(m.distortions)) for m in found] == [(10, [])]


def test_the_writers_own_voice_needs_a_close_likeness():
    prosecutors = view("A confiscation hearing is expected in the spring, prosecutors said.", claim_id=10, article_id=5,
                       cue="said", source="prosecutors", published="2025-01-01")
    assert match(view("We will be watching that confiscation hearing closely."), [prosecutors]) == []


def test_a_plain_verb_for_an_estimate_is_no_strengthening_while_the_hedge_stays():
    members = view("Our members estimate that prices for steel products in Orsania may rise by as much as 12 per cent within six months.",
                   claim_id=10, article_id=5, cue="estimate", source="members", published="2025-01-01")
    warned = view("The Orsanian Metal Importers' Association warned that steel prices may rise by as much as 12% within six months.",
                  cue="warned", source="Orsanian Metal Importers' Association")
    assert [(m.origin_claim_id, list(m.distortions)) for m in match(warned, [members])] == [(10, [])]
    shown = view("Research by the importers shows steel prices will rise by 12% within six months.", cue="shows", source="Research")
    assert "attribution_strengthened" in [d["kind"] for m in match(shown, [members]) for d in m.distortions]


def test_another_outlets_request_for_comment_retold_is_taken_from_it_and_a_later_statement_is_news_only_live():
    wire = view("The trade ministry of Galdovia, the largest exporter of steel to Orsania, did not immediately respond to a request for comment.",
                claim_id=10, article_id=5, published="2025-01-01")
    assert [m.origin_claim_id for m in match(view("Galdovia, the largest exporter of steel to Orsania, has not yet commented on the tariff.", cited_articles=frozenset({5})), [wire])] == [10]
    minister = view("Dascot said the reform could be amended in parliament to protect people in physically demanding jobs.",
                    claim_id=11, article_id=5, cue="said", source="Dascot", published="2025-01-01")
    found = match(view("And he now says the reform will be amended to protect people in physically demanding jobs.", cue="says", source="he"), [minister])
    assert [(m.origin_claim_id, [d["kind"] for d in m.distortions]) for m in found] == [(11, ["hedge_dropped"])]
    assert match(view("18:10 - Dascot now says the reform will be amended to protect people in physically demanding jobs.",
                      cue="says", source="Dascot"), [minister]) == []


def test_spans_of_time_are_compared_in_days_and_a_rounded_figure_said_to_be_rounded_is_kept():
    def changes(derived, origin, elsewhere=()):
        return [(d["kind"], d["detail"]) for d in distortions(view(derived), view(origin, claim_id=2), elsewhere)]
    assert changes("She has three weeks to lodge an appeal.", "Brannvik has 21 days to appeal.") == []
    assert changes("The deal runs over three years.", "The deal runs over 36 months.") == []
    # a sibling's "two years" does not account for "two weeks"
    assert changes("She has two weeks to appeal.", "She has three weeks to lodge an appeal.",
                   claims.quantities("The ban could be reduced to two years.")) == [("number_changed", "three -> two")]
    assert changes("Almost 1,500 people died.", "An estimated 1,450 more people than usual died.") == []
    assert changes("About 1.5k people died.", "An estimated 1,450 more people than usual died.") == []
    assert changes("About 2,000 people died.", "An estimated 1,450 more people than usual died.") == [
        ("number_changed", "an estimated 1,450 -> about 2,000")]
    assert changes("Almost 1,500 people died.", "An estimated 1,150 more people than usual died.") == [
        ("number_changed", "an estimated 1,150 -> almost 1,500")]


def test_a_speaker_quoted_under_the_origins_own_is_no_attribution_of_the_claim():
    lawyer = view("According to Aldervik, an independent lab found traces of vardenolone in a sealed tub from the same batch.",
                  claim_id=2, cue="according to", source="Aldervik", source_kind="person")
    bare = view("An independent lab found traces of vardenolone in a sealed tub from the same batch.", cue="found", source="An independent lab")
    assert [d["kind"] for d in distortions(bare, lawyer)] == ["attribution_dropped"]
    union = view("The Electronics and Telecom Workers' Union called the cuts a betrayal of the people who built this company.",
                 claim_id=2, cue="called", source="Electronics and Telecom Workers' Union", source_kind="organization")
    assert distortions(view("The union called the cuts a betrayal of the people who built this company.", cue="called", source="union"), union) == []


def test_a_hedging_verb_kept_in_another_form_is_no_hedge_dropped():
    said = view("Her lawyer, Casper Aldervik, said that they believed the positive test had been caused by a contaminated supplement.",
                claim_id=2, cue="said", source="Casper Aldervik")
    kept = view("Her lawyer, Casper Aldervik, says they believe a contaminated supplement caused the positive test.", cue="says", source="Casper Aldervik")
    assert distortions(kept, said) == []


def test_a_signpost_or_an_introduction_is_rhetoric_and_the_writers_own_voice_is_told_from_quotes():
    assert is_commentary("Here are five things to know.") and not is_checkable("Here are five things to know.", claims.quantities("five"))
    assert is_commentary("Meet Graham Pettifer, the smiling small-town adviser who bled a whole town's pensioners dry.")
    assert not is_commentary("Here the river is 40 metres wide.") and not is_commentary("Meeting rooms were closed.")
    assert is_own_voice("Frankly, we were never convinced.") and is_own_voice("Our advice: keep every receipt for food, hotels and taxis.")
    assert not is_own_voice("“Four million sounds like a lot until you divide it by thirty-seven.”")
    assert not is_own_voice("“I'll walk or I'll cycle, but I won't blame the drivers,” said Pia Carrow, a nurse.")
    assert not is_own_voice("Tram strike: what Monday's walkout means for your commute")  # a heading
    assert not is_own_voice("Sales of halvenol capsules have halved since the news broke.")


def test_a_sentence_that_still_says_someone_said_it_drops_no_attribution():
    origin = view("The agency said the confirmed death toll had risen to 17.", claim_id=10, article_id=5, cue="said", source="agency")
    assert kinds(distortions(view("In an afternoon update it said the confirmed death toll had risen to 17."), origin)) == []
    assert kinds(distortions(view("10:35 - The agency publishes a statement putting the confirmed death toll at 17."), origin)) == []
    assert kinds(distortions(view("The confirmed death toll has risen to 17."), origin)) == [("attribution_dropped", "agency said -> stated as fact")]


def test_an_exhortation_needs_a_close_likeness():
    origin = view("Observers from Corvannes First were kept away from the Saltmere count centre on Sunday night.", claim_id=10,
                  article_id=5, published="2025-01-01")
    plain = view("Corvannes First observers were kept away from the Saltmere count centre.")
    urged = view("Every patriot in Corvannes should be watching the Saltmere count centre this week.")
    assert match(plain, [origin]) and match(urged, [origin]) == []


def test_a_share_said_as_a_fraction_is_compared_with_one_in_per_cent():
    origin = view("A daily cup was associated with a 23% lower risk of atrial fibrillation.", claim_id=10, article_id=5)
    assert ("number_changed", "23% -> a quarter") in kinds(distortions(view("A daily cup cuts the risk of atrial fibrillation by a quarter."), origin))
    assert not [d for d in distortions(view("A daily cup lowers the risk by almost a quarter, 23%."), origin) if d["kind"] == "number_changed"]


def test_one_name_of_several_words_in_common_is_no_restatement():
    reported = view("I have also reported the exposure to the Data Protection Commission.")
    regulator = view("A spokesperson for the Data Protection Commission said the regulator had been informed of the incident "
                     "and would be making enquiries.", claim_id=2)
    assert similarity(reported, regulator) <= 0.2
    # two names in common are two things: the threshold is still within reach
    signed = view("Corrister City have signed Joaquim Ferrelo from Racing Talvessa.")
    completed = view("Racing Talvessa confirmed that Joaquim Ferrelo has joined Corrister City.", claim_id=2)
    assert similarity(signed, completed) > 0.2


def test_a_figure_about_the_same_people_that_the_candidate_never_gives_is_another_fact():
    clause = view("Ferrelo had a €75m release clause at Racing.")
    goals = view("Ferrelo scored 19 league goals in 33 appearances for Racing last season and added seven assists.", claim_id=2)
    assert similarity(clause, goals) <= 0.2


def test_reportedly_keeps_an_attribution_and_confirmed_strengthens_it():
    reported = view("The paper also reported that Ferrelo had turned down a more lucrative offer from Dynamo Essker.",
                    claim_id=2, cue="reported", source="The Corrister Observer", source_kind="outlet")
    hearsay = view("Ferrelo reportedly turned down a more lucrative offer from Dynamo Essker to join City.")
    # an outlet's credit left out, but "reportedly" still says someone vouches for it
    assert distortions(hearsay, view(reported.text, claim_id=2, cue="reported", source="the club's sources")) == []
    confirmed = view("It's been confirmed that Ferrelo turned down more money at Dynamo Essker to come to us.")
    assert kinds(distortions(confirmed, view(hearsay.text, claim_id=3))) == [
        ("attribution_strengthened", "reportedly -> It's been confirmed")]


def test_said_it_believed_to_confirmed_is_one_strengthening_not_also_a_dropped_hedge():
    believed = view("Carvell said it believed the database had been accessible for almost six weeks.", claim_id=2,
                    cue="said", source="Carvell")
    confirmed = view("Carvell has confirmed the database sat open online for almost six weeks.", cue="confirmed", source="Carvell")
    assert kinds(distortions(confirmed, believed)) == [("attribution_strengthened", 'said ("believed") -> confirmed')]


def test_an_outlets_estimate_still_credits_it():
    wire = view("The Corrister Observer had put the initial fee at 52 million euros, citing sources close to the club.",
                claim_id=2, cue="citing", source="sources close to the club", source_kind="anonymous")
    site = view("The Corrister Observer, which broke the story on Tuesday night, had put the initial fee at €52 million.")
    assert distortions(site, wire) == []


def test_an_insurance_claim_is_not_speech():
    origin = view("Claim codes were also exposed for about 310,000 people, according to the company.", claim_id=2,
                  cue="according to", source="company", source_kind="organization")
    bare = view("Claim codes recording the treatment people had claimed for were also exposed for about 310,000 customers.")
    assert kinds(distortions(bare, origin)) == [("attribution_dropped", "company according to -> stated as fact")]


def test_is_expected_to_is_a_hedge():
    expected = view("He is expected to link up with the squad at the pre-season camp in Solmere next week.", claim_id=2)
    links = view("He links up with the rest of the squad at the Solmere camp next week.")
    assert kinds(distortions(links, expected)) == [("hedge_dropped", '"expected to" -> stated without it')]


def test_a_count_against_a_period_is_a_record_the_candidate_must_state():
    third = view("It is the third major data breach at a Kaldmark health insurer since 2025.")
    admitted = view("Carvell Mutual, one of Kaldmark's largest health insurers, has admitted that the details of about "
                    "2.7 million customers were left exposed online.", claim_id=2)
    assert similarity(third, admitted) < MatchSettings().threshold
    assert similarity(third, view("It was the third major data breach at a health insurer in Kaldmark since 2025.", claim_id=3)) > 0.8


def test_a_year_against_two_years_is_a_changed_number():
    two = view("The insurer will offer them two years of free credit monitoring, it said.", claim_id=2, cue="said", source="Carvell")
    one = view("Carvell says affected customers will get a year of free credit monitoring.", cue="says", source="Carvell")
    assert kinds(distortions(one, two)) == [("number_changed", "two -> a year")]


def test_a_hedged_forecast_retold_as_fact_is_a_dropped_hedge_not_also_a_stronger_verb():
    expects = view("The agency expects the closure to last at least six weeks.", claim_id=2, cue="expects", source="the agency")
    says = view("The bridge will be closed for six weeks, the roads agency says.", cue="says", source="the roads agency")
    # a figure the origin article gives elsewhere too is still compared with the origin's own
    assert kinds(distortions(says, expects, elsewhere=claims.quantities("for at least six weeks"))) == [
        ("hedge_dropped", "at least six -> six")]
    backshifted = view("The agency said the closure was expected to last at least six weeks.", cue="said", source="The agency")
    assert distortions(backshifted, view("The closure is expected to last at least six weeks.", claim_id=3)) == []


def test_the_earliest_possible_date_keeps_the_hedge_of_could():
    wrote = view("She wrote that the agency's six weeks “should be seen as the earliest the bridge could reopen, not the most "
                 "likely date”.", claim_id=2, cue="wrote", source="Leontine Vasko")
    said = view("She said the six-week estimate should be treated as the earliest possible reopening date.", cue="said", source="Leontine Vasko")
    assert distortions(said, wrote) == []


def test_admitting_claims_no_more_certainty_than_saying():
    quoted = view("“Nobody pretends this is anything other than a cost-cutting exercise,” the official is quoted as saying.",
                  claim_id=2, cue="said", source="a senior official", source_kind="anonymous")
    admitted = view("“Nobody pretends this is anything other than a cost-cutting exercise,” one official admitted.",
                    cue="admitted", source="one official", source_kind="anonymous")
    assert distortions(admitted, quoted) == []


def test_the_outlets_own_reporting_and_words_to_the_reader_need_more_than_a_likeness():
    settings = MatchSettings()
    story = view("Vashby said last month that the ministry was looking at every option to meet savings targets set by the Treasury.",
                 claim_id=2, article_id=2, published="2025-01-01")
    understood = view("The Treasury is understood to have asked the ministry to find savings to meet its targets, Vashby said.",
                      cited_articles=frozenset({2}))
    assert rank(understood, [story], settings) and match(understood, [story], settings) == []
    lede = view("Brackwater Bridge in Dornwick, one of the busiest road bridges in Tavrenia, was closed to traffic on Tuesday, "
                "the Dornwick Clarion reported.", claim_id=3, article_id=2, published="2025-01-01")
    hurt = view("If you drive in Dornwick, this one is going to hurt.")
    assert choose(hurt, [(0.52, lede)], settings) == []
    assert choose(view("Drivers in Dornwick face a long detour."), [(0.52, lede)], settings)
    asked = view("The ministry did not respond when RTC asked for a copy of the memo.")
    assert match(asked, [view(asked.text, claim_id=4, article_id=2, published="2025-01-01")], settings)  # copied word for word
    assert match(asked, [view("The ministry did not respond when asked for a copy of the memo by the paper.", claim_id=5,
                              article_id=2, published="2025-01-01")], settings) == []


def test_this_is_what_it_looks_like_is_rhetoric():
    assert is_commentary("This is what managed decline looks like, and the people paying for it live a long way from Dunhallow.")
    assert is_commentary("Make no mistake: the bridge will not reopen this year.")


def test_a_fact_checkers_rating_is_its_own_finding():
    denial = view("These claims are false.", claim_id=2, article_id=2, published="2025-01-01")
    rating = view("We rate this claim False.", cited_articles=frozenset({2}))
    assert choose(rating, [(0.85, denial)]) == []


def test_a_call_to_action_takes_no_fact_even_from_the_article_it_rewrites():
    review = view("The regional government says it will review its coastal defence plan.", claim_id=2, article_id=2,
                  published="2025-01-01", cue="says", source="regional government")
    appeal = view("Write to your regional representative today and demand a real plan, not another review.",
                  origin_articles=frozenset({2}))
    assert choose(appeal, [(0.62, review)]) == []
    assert is_commentary("This is what a climate emergency looks like.")
    test = view("Customers who are worried can ask the company for a free tap test by calling 0800 555 0192.", claim_id=3,
                article_id=2, published="2025-01-01")
    assert choose(view("Our advice: ask for the free tap test and see for yourself."), [(0.56, test)]) == []


def test_an_outlet_that_alleges_vouches_for_the_claim():
    alleged = view("It also alleged that the company had swapped the test results from at least 60 homes before sending them "
                   "to the regulator.", claim_id=2, cue="alleged", source="Unfiltered Ardonia", source_kind="outlet")
    bare = view("And test results from at least 60 homes were swapped before they went to the regulator.")
    assert [k for k, _ in kinds(distortions(bare, alleged))] == ["attribution_dropped"]


def test_a_forecast_still_estimated_keeps_its_hedge_and_a_target_year_changed_is_a_changed_number():
    projected = view("Mean sea level is projected to rise by between 0.4 and 0.9 metres by 2100.", claim_id=2)
    projects = view("The study projects a rise of between 0.4 and 0.9 metres.", cue="projects", source="The study")
    assert distortions(projects, projected) == []
    put = view("The last national assessment put the rise at up to 60 cm for the whole coastline by 2100.")
    assert distortions(put, view("The national assessment projected a rise of up to 0.6 metres for the coastline by 2100.",
                                 claim_id=3)) == []
    sooner = view("Sea levels along the coast could rise by almost a metre by 2050.")
    later = view("Sea levels along the coast could rise by almost a metre by 2100.", claim_id=4)
    assert kinds(distortions(sooner, later)) == [("number_changed", "by 2100 -> by 2050")]


def test_scientists_who_have_shown_claim_more_than_scientists_who_estimate():
    estimate = view("Scientists estimate that parts of the Ormsby Levels are sinking by as much as 4mm a year.", claim_id=2,
                    cue="estimate", source="Scientists", source_kind="anonymous")
    shown = view("The Halstrom scientists have shown that parts of the Ormsby Levels are sinking by as much as 4mm a year.",
                 cue="shown", source="Halstrom scientists", source_kind="anonymous")
    assert kinds(distortions(shown, estimate)) == [("attribution_strengthened", "estimate -> shown")]


def test_a_hearing_expected_in_the_spring_is_hedged_and_the_outlets_review_is_its_own():
    expected = view("A confiscation hearing is expected in the spring, prosecutors said.", claim_id=2, cue="said", source="prosecutors")
    will = view("Prosecutors say there will be a confiscation hearing in the spring.", cue="say", source="Prosecutors")
    assert [k for k, _ in kinds(distortions(will, expected))] == ["hedge_dropped"]
    leak = view("A full review of the Aster 5 will follow when the phone ships later this month.", claim_id=3, article_id=2,
                published="2025-01-01")
    assert choose(view("Our full review of the Aster 5 will follow later this month."), [(0.7, leak)]) == []


def test_an_interview_of_its_own_is_no_rewrite_unless_of_a_story_it_cites():
    older = view("Dagny Dorval, a spokesperson for the Board, told the Examiner it was working with suppliers every day.",
                 claim_id=2, article_id=2, published="2025-01-01")
    interview = view("Dagny Dorval, a spokesperson for the Board, told the Examiner it was working with suppliers every week.",
                     site="The Estrelland Examiner")
    assert choose(interview, [(0.85, older)]) == []
    assert choose(replace(interview, cited_articles=frozenset({2})), [(0.85, older)])  # "told us then": its own earlier story


def test_a_bound_the_origins_figure_keeps_is_no_changed_number():
    about = view("Tollard handles about 28 per cent of the containers shipped through Kasmeria.", claim_id=2)
    bound = view("Tollard handles more than a quarter of the containers shipped through Kasmeria.")
    assert distortions(bound, about) == []
    raised = view("Up to 8,000 litres of diesel leaked into the harbour.")
    assert kinds(distortions(raised, view("About 6,000 litres of diesel leaked into the harbour.", claim_id=3))) == [
        ("number_changed", "about 6,000 -> up to 8,000")]


def test_a_forecast_restated_on_the_forecasters_word_drops_its_hedge_and_a_survey_finds_what_it_says():
    expected = view("Supply is expected to return to normal by the end of March, the Board said.", claim_id=2, cue="said", source="Board")
    will = view("Supplies will be back to normal by the end of March, the Board says.", cue="says", source="Board")
    assert [k for k, _ in kinds(distortions(will, expected))] == ["hedge_dropped"]
    according = view("Nine in ten pharmacies were unable to obtain it last week, according to a survey by the association.",
                     claim_id=3, cue="according to", source="a survey", source_kind="document")
    found = view("A survey by the association found that nine in ten pharmacies had been unable to obtain it last week.",
                 cue="found", source="A survey", source_kind="document")
    assert distortions(found, according) == []


def test_a_live_entrys_new_figure_is_its_own_news():
    wire = view("Solmara Airways cancelled around 180 flights on Friday after a technical issue.", claim_id=2, article_id=2,
                published="2025-01-01")
    update = view("18:10 - Solmara now says 186 flights were cancelled on Friday after the technical issue.")
    assert choose(update, [(0.7, wire)]) == []
