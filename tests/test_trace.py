import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance import outlets, pipeline, store, trace
from provenance.cli import cli
from provenance.errors import ProvenanceError

SEED = Path(__file__).parent / "pages" / "seed.txt"
URL = "https://aggregator.example/nk-troops"


@pytest.fixture
def seeded(tmp_path):
    db = store.open_db(tmp_path / "p.db")
    pipeline.ingest(db, [SEED], outlets=outlets.load(), base_url=URL)
    return db, tmp_path / "p.db"


def test_a_url_query_lists_each_claim_with_its_sources(seeded):
    db, _ = seeded
    answer = trace.trace(db, URL)
    texts = [c.text for c in answer.claims]
    assert len(texts) == 12 and texts[0].startswith("North Korea deployed an additional 3,000 troops")
    jcs = next(c for c in answer.claims if "3,000 additional soldiers" in c.text)
    assert [(s.name, s.kind, s.cue, s.method) for s in jcs.sources] == [
        ("Joint Chiefs of Staff", "organization", "as reported by", "explicit"),
        ("Kyiv Independent", "outlet", None, "article"),
    ]
    assert jcs.chain[0].claim_id == jcs.claim_id


def test_the_seed_is_stored_with_the_worked_example(seeded):
    db, _ = seeded
    rows = {
        (r["name"], r["kind"], r["method"])
        for r in db.query("select s.name, s.kind, t.method from attributions t join sources s on s.id = t.source_id")
    }
    assert {("Joint Chiefs of Staff", "organization", "explicit"), ("Volodymyr Zelensky", "person", "explicit"),
            ("Kyrylo Budanov", "person", "explicit"), ("Joint Chiefs of Staff", "organization", "inherited"),
            ("Kyiv Independent", "outlet", "article")} <= rows
    aliases = {r["alias"] for r in db.query("select alias from source_aliases a join sources s on s.id = a.source_id where s.name = 'Joint Chiefs of Staff'")}
    assert "JCS" in aliases
    budanov = next(db.query("select t.role, o.name from attributions t join sources s on s.id = t.source_id join sources o on o.id = t.organization_id where s.name = 'Kyrylo Budanov'"))
    assert budanov["name"] == "Main Directorate of Intelligence"  # the HUR, by its listed alias
    kursk = next(db.query("select id from claims where text like '%12,000 North Korean troops%'"))["id"]
    assert [r["method"] for r in db.query("select method from attributions where claim_id = ?", [kursk])] == ["article"]


def test_trace_json_has_the_contract_shape(seeded):
    _, path = seeded
    result = CliRunner().invoke(cli, ["trace", "--json", URL, "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    answer = json.loads(result.output)
    assert answer["query"] == URL
    claim = answer["claims"][3]
    assert set(claim) == {"claim_id", "article_url", "text", "sources", "matches", "chain"}
    assert {"name", "kind", "mention", "cue", "method"} <= set(claim["sources"][0])
    assert claim["chain"][-1]["claim_id"] == claim["claim_id"]


def test_trace_human_output_and_stdin(seeded):
    _, path = seeded
    result = CliRunner().invoke(cli, ["trace", "-", "--db", str(path)], input=f"{URL}\n", catch_exceptions=False)
    assert result.exit_code == 0
    assert 'source: Kyrylo Budanov (Ukraine’s military intelligence chief) of Main Directorate of Intelligence [person] "suggested"' in result.output
    assert "source: Joint Chiefs of Staff [organization, inherited] \"highlights\"" in result.output


def test_an_unknown_url_is_a_clear_error(seeded):
    db, path = seeded
    with pytest.raises(ProvenanceError, match="is not a stored article"):
        trace.trace(db, "https://nowhere.example/x")
    result = CliRunner().invoke(cli, ["trace", "https://nowhere.example/x", "--db", str(path)])
    assert result.exit_code == 1
    assert result.output == "Error: https://nowhere.example/x is not a stored article (crawl or ingest it first)\n"


def seed_as_html() -> bytes:
    title, body = SEED.read_text(encoding="utf-8").split("\n\n", 1)
    paragraphs = "".join(f"<p>{p}</p>\n" for p in body.strip().split("\n"))
    return (f'<!DOCTYPE html><html lang="en"><head><title>{title}</title>'
            '<meta property="og:site_name" content="World Aggregator">'
            '<meta property="article:published_time" content="2025-03-12T10:00:00Z"></head>'
            f'<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1>\n{paragraphs}</article></body></html>').encode()


def test_the_seed_as_an_html_page_gives_the_same_worked_example(tmp_path):
    page = tmp_path / "seed.html"
    page.write_bytes(seed_as_html())
    db = store.open_db(tmp_path / "h.db")
    pipeline.ingest(db, [page], outlets=outlets.load(), base_url="https://aggregator.example/nk-html")
    answer = trace.trace(db, "https://aggregator.example/nk-html")
    by_text = {c.text[:30]: [(s.name, s.method) for s in c.sources] for c in answer.claims}
    assert by_text["In January and February, North"] == [("Joint Chiefs of Staff", "explicit"), ("Kyiv Independent", "article")]
    assert by_text["This development follows Presi"] == [("Volodymyr Zelensky", "explicit"), ("Kyiv Independent", "article")]
    assert by_text["Kyrylo Budanov, Ukraine’s mili"] == [("Kyrylo Budanov", "explicit"), ("Kyiv Independent", "article")]
    assert by_text["The report further highlights "] == [("Joint Chiefs of Staff", "inherited"), ("Kyiv Independent", "article")]
    assert by_text["Notably, up to 12,000 North Ko"] == [("Kyiv Independent", "article")]
    assert next(db.query("select published from articles"))["published"] == "2025-03-12T10:00:00Z"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


def test_free_text_returns_the_earliest_matching_claim_and_its_source(demo_db):
    result = CliRunner().invoke(cli, ["trace", "--db", str(demo_db), "Kestria sent 3,000 more troops"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "earliest: Joint Staff of the Republic of Aurenia 2025-03-04, source: Aurenian Joint Staff [organization]" in result.output
    answer = json.loads(CliRunner().invoke(cli, ["trace", "--json", "--top", "2", "--db", str(demo_db), "Kestria sent 3,000 more troops"]).output)
    (claim,) = answer["claims"]
    assert claim["claim_id"] is None and claim["text"] == "Kestria sent 3,000 more troops"
    assert len(claim["matches"]) == 2 and claim["matches"][0]["score"] >= claim["matches"][1]["score"]
    assert claim["chain"][0]["article_url"] == "http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment"


def test_a_typed_claim_may_name_a_country_by_its_capital_and_a_users_places_file_adds_names(demo_db, tmp_path):
    def best(query, *options):
        answer = json.loads(CliRunner().invoke(cli, ["trace", "--json", "--db", str(demo_db), *options, query]).output)
        (claim,) = answer["claims"]
        return claim["matches"][0]["score"], [hop["article_url"] for hop in claim["chain"]][:1]

    joint_staff = ["http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment"]
    assert best("Valdrun sent 3,000 more troops to Dravsk")[1] == joint_staff  # scrapers/places.toml
    unknown = best("Kestriastan sent 3,000 more troops to Dravsk")[0]
    (tmp_path / "places.toml").write_text('[[place]]\nname = "Kestria"\naliases = ["Kestriastan"]\n')
    known, chain = best("Kestriastan sent 3,000 more troops to Dravsk", "--scrapers", str(tmp_path))
    assert known > unknown and chain == joint_staff


def test_a_claim_traceable_only_through_a_places_alias_gets_its_chain(demo_db):
    # Word for word, "Valdrun" (Kestria's capital) leaves the best candidate below the threshold.
    answer = json.loads(CliRunner().invoke(cli, ["trace", "--json", "--db", str(demo_db), "Valdrun sent more troops to Morvania"]).output)
    (claim,) = answer["claims"]
    assert claim["chain"][0]["article_url"] == "http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment"


def test_the_blog_claim_travels_back_to_the_primary_statement_with_the_changed_number(demo_db):
    answer = json.loads(CliRunner().invoke(cli, ["trace", "--json", "--db", str(demo_db),
                                                 "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in"]).output)
    claim = next(c for c in answer["claims"] if c["text"].startswith("Kestria sent another 5,000 soldiers"))
    # PulseBriefs rewrote the Stavorsk Independent (its "Original Source:"), which quoted the Joint Staff.
    assert [hop["article_url"].split("/")[2] for hop in claim["chain"]] == [
        "www.jointstaff-aurenia.example", "www.stavorskindependent.example", "www.pulsebriefs.example", "www.frontlineledger.example"]
    assert claim["matches"][0]["distortions"] == [{"kind": "number_changed", "detail": "approximately 3,000 -> 5,000"}]
    assert [hop["claim_id"] for hop in claim["chain"]][-1] == claim["claim_id"]


def test_stdin_answers_each_query_with_one_json_line(demo_db):
    queries = "Kestria sent 3,000 more troops\nup to 12,000 troops in the Zalesk region\n\n"
    result = CliRunner().invoke(cli, ["trace", "-", "--json", "--db", str(demo_db)], input=queries, catch_exceptions=False)
    lines = result.output.strip().splitlines()
    assert [json.loads(line)["query"] for line in lines] == ["Kestria sent 3,000 more troops", "up to 12,000 troops in the Zalesk region"]


def test_text_matching_nothing_says_so(demo_db):
    result = CliRunner().invoke(cli, ["trace", "--db", str(demo_db), "The price of cocoa doubled in Ghana this spring"], catch_exceptions=False)
    assert "no stored claim matches this" in result.output


# --- forward: trace --derivatives on the demo web ------------------------------------------------

# The sample web's original (the Joint Staff's statement) and its wire story; the later articles
# carry their claims on (provenance/sample_web/README.md).
OFFICIAL = "http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment"
WIRE = "http://www.meridianwire.example/world/2025/03/04/kestria-sends-more-troops-to-morvania"
LATER = {
    "http://www.stavorskindependent.example/news/kestria-sent-3000-more-troops-to-morvania-aurenian-joint-staff-says",
    "http://www.orbisdaily.example/defence/2025/03/04/kestria-reinforces-morvania-with-3000-troops",
    "http://www.pulsebriefs.example/world/kestria-increases-military-support-to-morvania-amid-velmora-conflict",
    "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in",
}
BLOG = "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in"
# Linked from no page; the demo's discovery step finds it in Orbis Daily's feed.
DISCOVERED = "http://www.orbisdaily.example/defence/2025/03/05/kestria-will-keep-sending-troops-aurenia-confirms"


def derivatives_json(path, url: str) -> dict:
    result = CliRunner().invoke(cli, ["trace", "--derivatives", "--json", url, "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_derivatives_of_the_original_list_every_later_article_with_the_blogs_changed_number(demo_db):
    answer = derivatives_json(demo_db, OFFICIAL)
    assert answer["query"] == OFFICIAL and answer["article_url"] == OFFICIAL
    found = answer["derivatives"]
    assert {d["article_url"] for d in found} == LATER | {WIRE, DISCOVERED}
    published = [d["published"] for d in found]
    assert published == sorted(published) and found[-1]["article_url"] == BLOG  # newest last
    assert set(found[0]) == {"claim_id", "article_url", "site_name", "published", "text", "hops", "derived_from"}
    five = next(d for d in found if "another 5,000 soldiers" in d["text"])
    changed = [x for s in five["derived_from"] for x in s["distortions"] if x["kind"] == "number_changed"]
    assert changed and changed[0]["detail"].endswith("3,000 -> 5,000") and five["hops"] >= 2
    # each derivative leads back to the original through claims listed before it, or the original's own
    listed = {d["claim_id"] for d in found}
    for d in found:
        assert d["derived_from"] and d["hops"] >= 1
        assert all(s["article_url"] == OFFICIAL or s["claim_id"] in listed for s in d["derived_from"])


def test_derivatives_of_the_wire_story_are_every_later_article(demo_db):
    found = derivatives_json(demo_db, WIRE)["derivatives"]
    assert {d["article_url"] for d in found} == LATER
    blog = [d["text"] for d in found if d["article_url"] == BLOG]
    assert any(t.startswith("As Orbis Daily notes, Kestria has also shipped short-range ballistic missiles") for t in blog)


def test_derivatives_read_from_stdin_answer_each_url_without_its_newline(demo_db):
    result = CliRunner().invoke(cli, ["trace", "--derivatives", "--json", "--db", str(demo_db), "-"], input=f"{WIRE}\n",
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.output)["query"] == WIRE


def test_derivatives_human_form_flags_the_change(demo_db):
    result = CliRunner().invoke(cli, ["trace", "--derivatives", OFFICIAL, "--db", str(demo_db)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith(f"Derivatives of {OFFICIAL} (Joint Staff of the Republic of Aurenia, 2025-03-04), newest last:\n")
    blog = result.output[result.output.index(f"The Frontline Ledger: {BLOG}"):]
    assert "  - Kestria sent another 5,000 soldiers to Morvania in January and February alone, as PulseBriefs reported." in blog
    assert re.search(r"number_changed: \w+ 3,000 -> 5,000\)", blog)
    assert re.search(r"\n\d+ derived claims in 6 later articles; distortions: .*number_changed 1", result.output)


def test_the_blog_has_no_derivatives_and_an_unknown_url_is_an_error(demo_db):
    path = demo_db
    result = CliRunner().invoke(cli, ["trace", "--derivatives", BLOG, "--db", str(path)], catch_exceptions=False)
    assert "  none stored: no later claim was matched to this article's claims" in result.output
    result = CliRunner().invoke(cli, ["trace", "--derivatives", "https://nowhere.example/x", "--db", str(path)])
    assert result.exit_code == 1
    assert result.output == "Error: https://nowhere.example/x is not a stored article (crawl or ingest it first)\n"



def test_the_joint_staffs_own_statement_is_where_its_claims_start(demo_db):
    # Its site is an official body's (kind "organization"): the press release's "In return" sentence
    # reads like an earlier quote of Dalsavin's but is the Joint Staff's own assessment.
    db = store.open_existing(demo_db)
    release = store.find_article(db, "http://www.jointstaff-aurenia.example/press/2025/03/04/kestrian-troop-dispatch-assessment")
    wire = store.find_article(db, "http://www.meridianwire.example/world/2025/03/04/kestria-sends-more-troops-to-morvania")
    assert {v.official for v in store.claim_views(db, store.current_claim_ids(db, release["id"]))} == {True}
    assert {v.official for v in store.claim_views(db, store.current_claim_ids(db, wire["id"]))} == {False}
    answer = json.loads(CliRunner().invoke(cli, ["trace", "--json", "--db", str(demo_db), release["url"]]).output)
    assert {hop["article_url"] for claim in answer["claims"] for hop in claim["chain"]} == {release["url"]}


def test_a_pasted_paragraph_is_searched_by_all_its_telling_words_not_the_longest_twelve(demo_db):
    # Twelve long words match nothing stored; the statement's own words come after them.
    noise = ("Unprecedented, extraordinary, bewildering, astonishing, remarkable, incomprehensible, inexplicable, "
             "unbelievable, unimaginable, inconceivable, staggering, breathtaking")
    answer = json.loads(CliRunner().invoke(cli, ["trace", "--json", "--db", str(demo_db), f"{noise}: Kestria deployed soldiers to Morvania"]).output)
    assert answer["claims"][0]["matches"][0]["text"].startswith("Kestria deployed approximately 3,000 additional soldiers")


def test_the_human_chain_puts_each_change_under_the_hop_that_made_it(demo_db):
    blog = "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in"
    lines = CliRunner().invoke(cli, ["trace", "--db", str(demo_db), blog]).output.splitlines()
    hop = next(i for i, line in enumerate(lines) if "- The Frontline Ledger 2025-03-06: Kestria sent another 5,000 soldiers" in line)
    assert "(paraphrase of the above, score" in lines[hop + 1] and "number_changed: approximately 3,000 -> 5,000" in lines[hop + 1]
    assert "number_changed" not in lines[hop - 1]  # PulseBriefs, above it, kept the 3,000
