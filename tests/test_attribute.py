from pathlib import Path

import pytest

from provenance import attribute, claims, outlets
from provenance.extract import Link

OUTLETS = outlets.load()
SEED = (Path(__file__).parent / "pages" / "seed.txt").read_text(encoding="utf-8")
SEED_BODY = SEED.split("\n\n", 1)[1].replace("\n", "\n\n").strip()


def sources(text, **kwargs):
    found = claims.split(text, OUTLETS.dateline_patterns)
    result = attribute.attribute(found, OUTLETS, **kwargs)
    return found, [
        [(a.source.name, a.source.kind.value, a.cue, a.method.value) for a in result if a.claim_seq == c.seq and a.method != "article"]
        for c in found
    ], result


def test_the_seed_article_gives_every_row_of_the_worked_example():
    found, per_claim, result = sources(SEED_BODY, declared_origin="kyivindependent.com", declared_origin_url="https://kyivindependent.com/")
    by_text = {c.text[:40]: per_claim[c.seq] for c in found}
    by_text = {key[:36]: value for key, value in by_text.items()}
    assert by_text["In January and February, North Korea"] == [("Joint Chiefs of Staff", "organization", "as reported by", "explicit")]
    jcs = next(a for a in result if a.source.name == "Joint Chiefs of Staff")
    assert "JCS" in jcs.source.aliases and jcs.mention == "South Korea’s Joint Chiefs of Staff"
    assert by_text["This development follows President V"] == [("Volodymyr Zelensky", "person", "statement indicating", "explicit")]
    budanov = next(a for a in result if a.source.name == "Kyrylo Budanov")
    # "Ukraine's military intelligence" is one of the names scrapers/sources.toml lists for the HUR
    assert (budanov.cue, budanov.role, budanov.organization.name) == ("suggested", "Ukraine’s military intelligence chief", "Main Directorate of Intelligence")
    assert "Ukraine's military intelligence" in budanov.organization.aliases
    assert by_text["The report further highlights that N"] == [("Joint Chiefs of Staff", "organization", "highlights", "inherited")]
    assert by_text["Notably, up to 12,000 North Korean t"] == []
    article_level = {(a.source.name, a.source.kind.value) for a in result if a.method == "article"}
    assert article_level == {("Kyiv Independent", "outlet")}
    assert sum(1 for a in result if a.method == "article") == len(found)  # every claim, beside its own source


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Officials said the talks had stalled over the weekend.", [("Officials", "anonymous", "said", "explicit")]),
        ("Two diplomats told Reuters on condition of anonymity that talks could resume.", [("Two diplomats", "anonymous", "told", "explicit")]),
        ('"We will not back down," said Lt. Gen. Ilhan Sorvenne, the army\'s intelligence chief.', [("Ilhan Sorvenne", "person", "said", "explicit")]),
        ("According to the International Atomic Energy Agency (IAEA), the plant lost power twice.", [("International Atomic Energy Agency", "organization", "according to", "explicit")]),
        ("Moscow said the claims were false and called them provocations.", [("Moscow", "organization", "said", "explicit")]),
        ("A leaked memo seen by The Guardian showed the budget was cut by $2 billion.", [("A leaked memo", "document", "showed", "explicit")]),
        ("Smith scored twice in the second half of the match on Saturday.", []),
        ("The law says nothing about drones or how they may be used.", []),
        ("Up to 12,000 troops were stationed in the region last fall.", []),
        ("Divers were due to inspect the hull on Tuesday, the harbour master told the broadcaster.", [("harbour master", "anonymous", "told", "explicit")]),
        ("The leak happened at Quay 4 in the early hours, the broadcaster said.", [("broadcaster", "outlet", "said", "explicit")]),
        ("Secretary of State Marco Ruiz said the talks would resume next week.", [("Marco Ruiz", "person", "said", "explicit")]),
        ("The Secretary of State said the talks would resume next week.", [("Secretary of State", "organization", "said", "explicit")]),
        ("There were 17 reports of units melting, and three people suffered minor burns, said the safety authority.",
         [("safety authority", "organization", "said", "explicit")]),
        ("The regulator suspects a charging circuit made by an outside supplier.", [("regulator", "organization", "suspects", "explicit")]),
        ("Nestwell recalled a batch of its night lights in 2023 over a similar battery fault.", []),
        ("Moscow recalled its ambassador on Monday.", []),
        # The subject follows a subordinating word; a time phrase may stand between it and the verb.
        ("Hours after Clinton said the video was fake, the campaign released all of it.", [("Clinton", "organization", "said", "explicit")]),
        ("Nestwell this month announced it would end the sales incentives.", [("Nestwell", "organization", "announced", "explicit")]),
        # Plural nouns that are also verbs speak only when a clause follows.
        ("Democrats from the coal states dug in against the plan on Monday.", []),
        ("Investors see the bond as a safer way to gain United States exposure this year.", []),
        ("The audit states that emissions rose by 4 percent last year.", [("The audit", "document", "states", "explicit")]),
        ("Officials who spoke on condition of anonymity said the talks had stalled.", [("Officials who spoke on condition of anonymity", "anonymous", "said", "explicit")]),
    ],
)
def test_sentence_patterns(text, expected):
    _, per_claim, _ = sources(text)
    assert per_claim[0] == expected


def test_aliases_pronouns_and_surnames_resolve_to_the_source_named_first():
    text = ("South Korea's Joint Chiefs of Staff (JCS) said two missiles were fired on Sunday. "
            "The JCS said they flew about 400 kilometres. Gen. Kim Myung-soo, the JCS chairman, said the army was ready. "
            "He added that drills would continue. Kim said the drills were defensive.")
    _, per_claim, _ = sources(text)
    assert [p[0][:2] for p in per_claim] == [
        ("Joint Chiefs of Staff", "organization"),
        ("Joint Chiefs of Staff", "organization"),
        ("Kim Myung-soo", "person"),
        ("Kim Myung-soo", "person"),
        ("Kim Myung-soo", "person"),
    ]
    assert per_claim[3][0][3] == "inherited"


def test_an_organisation_first_quoted_by_description_is_what_it_refers_to_next():
    # Named as the actor, quoted as "the bank", then "It also warned": the bank all along.
    text = ("The Central Bank of Estrava raised its policy rate on Thursday by a quarter point, to 4.5%.\n\n"
            "The bank now expects inflation to average 3.1% this year. It also warned that growth could slow to 0.8%.\n\n"
            "The bank also pointed to a tight labour market, with unemployment at 3.9% in April.")
    _, per_claim, _ = sources(text)
    assert per_claim == [
        [],
        [("Central Bank of Estrava", "organization", "expects", "inherited")],
        [("Central Bank of Estrava", "organization", "warned", "inherited")],
        [("Central Bank of Estrava", "organization", "pointed to", "inherited")],
    ]


def test_a_claims_own_source_is_the_one_it_and_the_ruling_mean_next():
    text = ("The Regional Court of Varnholt ordered Calverex to pay, the Vantage news agency reported. "
            "Tests found PFAS in the soil of 29 of the farms, according to the court. "
            "Expert evidence suggested the chemicals had been building up since 2021, it said. "
            "According to the ruling, Calverex knew in 2022. They had asked for €6.8 million.")
    _, per_claim, _ = sources(text)
    assert [p[0][:2] if p else None for p in per_claim] == [
        ("Vantage news agency", "outlet"),
        ("Regional Court of Varnholt", "organization"),
        ("Regional Court of Varnholt", "organization"),
        ("Regional Court of Varnholt", "organization"),
        None,  # "asked for" money: a request, not speech
    ]


def test_a_hyperlinked_outlet_is_the_source_and_keeps_the_link():
    text = "Kestria sent 3,000 more troops, as Meridian Wire reported on Tuesday."
    start = text.index("Meridian Wire reported")
    link = Link("http://www.meridianwire.example/world/x", "Meridian Wire reported", start, start + 22)
    _, per_claim, result = sources(text, links=[link])
    assert per_claim[0] == [("Meridian Wire", "outlet", "reported", "hyperlink")]
    assert result[0].link_url == "http://www.meridianwire.example/world/x"


def test_an_outlet_credited_among_others_is_the_source():
    _, per_claim, _ = sources("The big 2024 study behind the halvenol craze has been retracted, as HealthWire and others have reported.")
    assert [s[0] for s in per_claim[0]] == ["HealthWire"]
    _, per_claim, _ = sources("Prices rose again in May, as Reuters and other news outlets reported.")
    assert [s[0] for s in per_claim[0]] == ["Reuters"]


def test_a_quote_continued_in_the_next_sentence_keeps_its_speaker():
    text = 'Ilhan Sorvenne said: "They are filling gaps. They are not opening a new front."'
    found, per_claim, _ = sources(text)
    assert len(found) == 2 and per_claim[1] == [("Ilhan Sorvenne", "person", "said", "inherited")]


@pytest.mark.parametrize(
    ("path", "site_name", "author", "text", "body"),
    [
        ("/2026/10/14/judgment", "Regional Court of Varnholt", "Regional Court; Press Office", "The court ordered Calverex to pay.",
         "Regional Court of Varnholt"),
        ("/news/spill", "Kelmouth Harbour Authority", "Harbour Master's Office", "Diesel leaked at Quay 4.", "Kelmouth Harbour Authority"),
        ("/2026/11/10/halo-2", "Lindmark Consumer Safety Authority", "Lindmark Consumer Safety Authority", "The recall covers 48,000 units.",
         "Lindmark Consumer Safety Authority"),
        # Filed where sites put their statements, whoever signs it.
        ("/bulletins/2026/09/13/m6-1", "National Geological Survey of Drevania", "National Geological Survey", "A 6.1 earthquake struck.",
         "National Geological Survey of Drevania"),
        ("/investors/news/2027/q4-results", "Tervane Networks", "Mirela Vost", "Revenue fell 18%.", "Tervane Networks"),
        ("/abstract/2026/ce-2026-0412", "Cardiac Epidemiology", "Hedda Vinterlund", "This study was funded by the Foundation.",
         "Cardiac Epidemiology"),
        ("/polls/2027/09/19/exit-poll", "Orrin Vale Research", "Nadia Krell", "Corvannes First is projected to win 32%.", "Orrin Vale Research"),
        ("/newsroom/2027/10/12/quillon-introduces-aster-5", "Quillon", "Quillon Communications", "Aster 5 starts at $949.", "Quillon"),
        ("/business/official-report/2027-03-09/questions", "Hallund Regional Assembly", None, "The minister answered.",
         "Hallund Regional Assembly"),
        # Unbylined, and named like a body or speaking of itself in the third person.
        ("/news/cuts", "Electronics and Telecom Workers' Union", None, "The cuts are a betrayal.", "Electronics and Telecom Workers' Union"),
        ("/news/recall", "Nestwell", None, "A message to owners.\n\nNestwell is voluntarily recalling the Halo 2.", "Nestwell"),
        ("/news/victory", "Keld & Arneson", None, "It is a victory, said Tomas Keld. Keld & Arneson will study the judgment.", "Keld & Arneson"),
        # Reporters, desks and outlets that do not speak of themselves are outlets.
        ("/business/recall", "Orbis Press", "Ilka Brandt", "Nestwell is recalling 48,000 monitors.", None),
        ("/explainers/ruling", "Quicktake", "Quicktake Staff", "Quicktake explains the ruling.", None),
        ("/europe/ruling", "Vantage News Agency", "Vantage News Agency Desk", "The court ruled.", None),
        ("/europe/ruling", "Vantage News Agency", None, "The court ruled.", None),
        ("/daily/recall", "Parent Pulse", None, "The regulator announced a recall, one mum told Parent Pulse.", None),
        ("/news/recall", None, None, "Nestwell is recalling 48,000 monitors.", None),
    ],
)
def test_a_page_filed_signed_or_spoken_as_a_body_is_that_bodys_statement(path, site_name, author, text, body):
    found = attribute.speaking_body(f"http://www.example.example{path}", site_name, author, text)
    assert (found.name, found.kind, found.domains) == (body, "organization", ("www.example.example",)) if body else found is None


def test_he_said_after_a_sentence_without_a_speaker_means_the_person_it_was_about():
    text = ("Donald Trump spoke for an hour at a rally in New York on Tuesday.\n\n"
            "“We are going to win this state by a lot,” he said.")
    found, per_claim, result = sources(text)
    assert per_claim[1] == [("Donald Trump", "person", "said", "inherited")]
    he = next(a for a in result if a.claim_seq == 1)
    assert text[he.mention_span[0]:he.mention_span[1]] == "he" and text[he.cue_span[0]:he.cue_span[1]] == "said"


def test_quotation_marks_typed_as_two_apostrophes_close_a_quote_and_the_full_stop_is_not_the_name():
    text = ("''It has the virtue of being fiscally responsible,'' Leonard E. Burman said of the plan.\n\n"
            "''There is a lot of new complexity in it,'' said Mr. Burman.\n\n"
            "''It was settled in 2014,'' said Robert Smith Jr.")
    _, per_claim, result = sources(text)
    assert [p[0][:3] for p in per_claim] == [
        ("Leonard E. Burman", "person", "said"), ("Leonard E. Burman", "person", "said"), ("Robert Smith Jr", "person", "said"),
    ]
    assert [text[a.mention_span[0]:a.mention_span[1]] for a in result] == ["Leonard E. Burman", "Mr. Burman", "Robert Smith Jr."]


@pytest.mark.parametrize(
    "text, name, role, span",
    [
        ("Phil Smith, a spokesman for the United Mine Workers, said the union expected production to improve.",
         "Phil Smith", "a spokesman for the United Mine Workers", "Phil Smith, a spokesman for the United Mine Workers,"),
        ('"It was a spectacular deal for the company," said Tim Hess, a developer in Virginia, who introduced him to banks.',
         "Tim Hess", "a developer in Virginia", "Tim Hess, a developer in Virginia, who introduced him to banks"),
        ("“It is in their heads, and it is spreading,” said Pat Caddell, speaking of the race.", "Pat Caddell", None, "Pat Caddell"),
        ("Trump, in a speech on Monday, said the plan would cost $20 billion.", "Trump", None, "Trump"),
    ],
)
def test_the_source_span_covers_an_apposition_as_parc_marks_it_and_the_name_stays_the_source(text, name, role, span):
    _, _, result = sources(text)
    assert (result[0].source.name, result[0].role, text[result[0].mention_span[0]:result[0].mention_span[1]]) == (name, role, span)


def test_a_sentence_opening_with_a_common_noun_phrase_names_no_one_unless_people_speak():
    text = ("Lumen Science News reported the findings on Tuesday. The study found no such link for ordinary black tea. "
            "Ordinary black tea showed no such link. One mum told the site her monitor was too hot to hold. "
            "Several delegations blamed oil-producing states. The concession contract says nothing about who pays.")
    _, per_claim, _ = sources(text)
    assert [p[0][:2] if p else None for p in per_claim] == [
        ("Lumen Science News", "outlet"),
        ("The study", "document"),  # a study is never the outlet that retold it
        None,  # "showed", said of tea
        ("One mum", "anonymous"),
        ("Several delegations", "anonymous"),
        None,
    ]


def test_one_of_them_is_one_of_the_people_just_cited():
    text = ("Tervane is preparing to cut as many as 2,000 jobs, according to two people familiar with the matter. "
            "The company could also close its plant in Sorrelby, one of them said.")
    _, per_claim, _ = sources(text)
    assert per_claim[1] == [("two people familiar with the matter", "anonymous", "said", "inherited")]


def test_a_bare_quantifier_is_some_of_the_people_just_cited():
    text = ("Defence analysts say the arrangement gives Valdrun fuel and missile technology. "
            "Some warn that officers returning from the front will bring home lessons in drone warfare.")
    _, per_claim, _ = sources(text)
    assert per_claim[1] == [("Defence analysts", "anonymous", "warn", "inherited")]
    _, alone, _ = sources("Some warn that officers returning from the front will bring home lessons in drone warfare.")
    assert alone[0] == [("Some", "anonymous", "warn", "explicit")]


def test_a_paper_reckons_and_the_paper_is_the_newspaper_named_before():
    _, per_claim, _ = sources("The Observer, who broke the story, reckon the add-ons will take it to €60m.")
    assert per_claim[0] == [("Observer", "outlet", "reckon", "explicit")]
    text = ("The Corrister Observer said the initial fee was 52 million euros. "
            "The paper also reported that Ferrelo had turned down a more lucrative offer from Dynamo Essker.")
    _, per_claim, _ = sources(text)
    assert per_claim[1] == [("Corrister Observer", "outlet", "reported", "inherited")]


def test_a_sports_outlet_is_an_outlet_and_an_insurance_claim_is_no_speech():
    _, per_claim, _ = sources("Corrister City have completed the signing of Joaquim Ferrelo, Pennant Sports reported on Wednesday. "
                              "Claim codes recording the treatment people had claimed for were also exposed.")
    assert per_claim == [[("Pennant Sports", "outlet", "reported", "explicit")], []]
    _, per_claim, _ = sources("Kilbraith Water analysed 312 samples, the fact-checking website Verity Check reported. "
                              "The Halstrom scientists have shown that parts of the Ormsby Levels are sinking.")
    assert [p[0][1:3] for p in per_claim] == [("outlet", "reported"), ("anonymous", "shown")]


def test_a_live_entrys_time_is_not_part_of_who_speaks():
    _, per_claim, _ = sources("18:40 - The Dornwick council says the ferry will start on Monday.")
    assert per_claim[0] == [("Dornwick council", "organization", "says", "explicit")]
    _, per_claim, _ = sources("Between 40 - 50 people said they had been evacuated.")
    assert per_claim[0][0][0] == "Between 40 - 50 people"


def test_what_the_court_heard_is_attributed_and_calling_it_is_speech():
    _, per_claim, _ = sources("He spent much of it on a holiday home and classic cars, the court was told. "
                              "Brackenford Crown Court heard that he sent clients false statements. "
                              "He was told to leave the building. Residents heard a loud bang. "
                              "CEO Ilsabet Korrane calls it the most complete phone the company has made.")
    assert [[s[1:3] for s in p] for p in per_claim] == [
        [("organization", "was told")], [("organization", "heard")], [], [], [("person", "calls it")]]


def test_a_description_then_a_name_is_the_name_speaking():
    _, per_claim, _ = sources("The manufacturer, Vantorre Pharma, has blamed a production problem at its plant in Eddersby.")
    assert per_claim[0] == [("Vantorre Pharma", "organization", "blamed", "explicit")]


def test_a_business_named_by_what_it_is_and_disagreeing_are_sources():
    _, per_claim, _ = sources("The fault began at around 04:30, according to the airline. "
                              "Lead author Henrike Ellermann disagreed with the decision to retract.")
    assert per_claim[0][0][1:3] == ("organization", "according to")
    assert per_claim[1][0][2] == "disagreed"


def test_hailing_a_judgment_is_speech():
    _, per_claim, _ = sources("The farmers' lawyer, Tomas Keld, hailed the judgment as a landmark victory.")
    assert per_claim[0] == [("Tomas Keld", "person", "hailed", "explicit")]
