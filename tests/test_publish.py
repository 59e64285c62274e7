"""Publishing: metadata, canned queries, search, the claim and article pages, and `provenance serve`.

Datasette runs in-process (`Datasette(...).client`, as datasette-cluster-map's tests do) on the demo
database built once per session by `provenance demo --no-serve` (conftest.provenance_db).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette
from markupsafe import escape

from provenance import evaluate, outlets, publish, store, trace
from provenance.cli import cli

CONTRACT_TABLES = ("articles", "article_versions", "links", "sources", "source_aliases", "claims", "attributions", "claim_matches", "fetches")

# The same payloads in every untrusted field we store.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
JS_URL = "javascript:alert(3)"
HOSTILE = f"{SCRIPT} {IMG} <a href=\"{JS_URL}\">click</a>"


@pytest.fixture(autouse=True)
def plugin():
    """Installed, the entry point registers the plugin; from a checkout, register it as serve does."""
    publish.ensure_registered()


def datasette(*paths: Path) -> Datasette:
    """Datasette on `paths`, our metadata for the first (as `provenance serve` gives it)."""
    return Datasette([str(p) for p in paths], metadata=publish.metadata(paths[0].stem))


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy of a database in WAL mode (a plain file copy may miss the -wal file)."""
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return dst


@pytest.fixture
def ds(provenance_db: Path) -> Datasette:
    return datasette(provenance_db)


def rows(path: Path, sql: str, params=()) -> list[dict]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def read_only(path: Path) -> sqlite_utils.Database:
    """The library's view of a database, through a connection that cannot write."""
    return sqlite_utils.Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True), recursive_triggers=False)


def traced(path: Path, claim_id: int) -> list[trace.Hop]:
    """The oracle: `provenance trace`'s chain for a claim, earliest first."""
    db = read_only(path)
    try:
        return trace.chain(db, claim_id)
    finally:
        db.close()


def trace_json(path: Path, url: str) -> dict:
    """What `provenance trace --json URL` prints, computed on the same database."""
    db = read_only(path)
    try:
        return trace.trace(db, url).as_json()
    finally:
        db.close()


BLOG_URL = "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in"
TRACE_KEYS = ("claim_id", "article_url", "text", "sources", "matches", "chain")  # a claim's entry in `trace --json`


@pytest.fixture(scope="session")
def blog_claim(provenance_db: Path) -> int:
    """The blog's "Kestria sent another 5,000 soldiers": the demo's number that grew on the way."""
    found = rows(
        provenance_db,
        "select c.id from claims c join articles a on a.id = c.article_id and c.version = a.version where a.url = ? and c.text like ?",
        [BLOG_URL, "Kestria sent another 5,000 soldiers%"],
    )
    assert len(found) == 1, found
    return found[0]["id"]


def hop_cards(page: str) -> list[str]:
    """The chain page's hop cards, in page order (the markup between one <li class="pv-hop"> and the next item)."""
    chain = page[page.index('<ol class="pv-chain">') : page.index("</ol>", page.index('<ol class="pv-chain">'))]
    return [re.split(r'<li class="pv-step', part)[0] for part in chain.split('<li class="pv-hop')[1:]]


def unmarked(html: str) -> str:
    """Text as it reads with the distortion marks taken out."""
    return re.sub(r'<mark class="pv-mark[^"]*"[^>]*>|</mark>', "", html)


# ---------------------------------------------------------------------------- metadata


def test_metadata_describes_every_contract_table_and_column(provenance_db):
    meta = publish.metadata("provenance")
    for key in ("title", "description", "license", "license_url", "source", "source_url"):
        assert meta[key], key
    tables = meta["databases"]["provenance"]["tables"]
    db = sqlite_utils.Database(provenance_db)
    for table in CONTRACT_TABLES:
        assert tables[table]["description"], table
        missing = set(db[table].columns_dict) - set(tables[table].get("columns", {}))
        assert not missing, f"db/metadata.json: describe {table}.{', '.join(sorted(missing))}"
    assert tables["articles"]["label_column"] == "title"
    assert tables["claims"]["label_column"] == "text"
    assert tables["sources"]["label_column"] == "name"


async def test_metadata_reaches_the_pages(ds):
    home = await ds.client.get("/")
    assert "Where each news claim came from" in home.text
    claims = await ds.client.get("/provenance/claims")
    assert claims.status_code == 200
    assert "Claims in articles" in claims.text
    assert "Apache-2.0" in claims.text


async def test_foreign_keys_read_as_names(ds, provenance_db):
    attribution = rows(
        provenance_db,
        "select t.id, s.name, a.title from attributions t join sources s on s.id = t.source_id "
        "join claims c on c.id = t.claim_id join articles a on a.id = c.article_id limit 1",
    )[0]
    response = await ds.client.get(f"/provenance/attributions.json?_labels=on&_shape=objects&id={attribution['id']}")
    row = response.json()["rows"][0]
    assert row["source_id"]["label"] == attribution["name"]
    claim = (await ds.client.get("/provenance/claims.json?_labels=on&_shape=objects&_size=1")).json()["rows"][0]
    assert claim["article_id"]["label"] == rows(provenance_db, "select title from articles where id = ?", [claim["article_id"]["value"]])[0]["title"]


@pytest.mark.parametrize(
    "table, facet",
    [("articles", "domain"), ("sources", "kind"), ("attributions", "cue"), ("distortions", "kind"), ("claim_matches", "relation")],
)
async def test_facets_people_use(ds, table, facet):
    response = await ds.client.get(f"/provenance/{table}.json")
    assert response.status_code == 200
    results = response.json()["facet_results"]
    assert facet in results
    assert results[facet]["results"], f"no {facet} facet values on {table}"


async def test_distortion_kind_facet_counts_each_kind(ds):
    facet = (await ds.client.get("/provenance/distortions.json")).json()["facet_results"]["kind"]["results"]
    assert {"number_changed"} <= {r["value"] for r in facet}


# ---------------------------------------------------------------------------- canned queries


def test_canned_queries_are_sql_files_with_descriptions():
    queries = publish.canned_queries()
    assert set(queries) >= {
        "claims_with_sources",
        "distortions_by_kind",
        "articles_by_declared_origin",
        "earliest_source_per_claim",
        "most_cited_sources",
        "changed_articles",
        "unsourced_claims",
    }
    for name, query in queries.items():
        assert query["title"] and len(query["description"]) > 40, name
        assert query["sql"].lower().startswith(("select", "with")), name
        assert "--" not in query["sql"].splitlines()[0], name


@pytest.mark.parametrize("name", sorted(publish.canned_queries()))
async def test_every_canned_query_runs_and_returns_rows(ds, name):
    response = await ds.client.get(f"/provenance/{name}.json?_shape=objects")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"], body
    assert body["rows"], f"{name} returned no rows on the demo database"
    page = await ds.client.get(f"/provenance/{name}")
    assert page.status_code == 200
    assert publish.canned_queries()[name]["title"] in page.text


async def test_canned_queries_filter_by_their_parameters(ds):
    sources = (await ds.client.get("/provenance/claims_with_sources.json?_shape=objects&source=PulseBriefs")).json()["rows"]
    assert sources and {r["source"] for r in sources} == {"PulseBriefs"}
    kinds = (await ds.client.get("/provenance/distortions_by_kind.json?_shape=objects&kind=number_changed")).json()["rows"]
    assert kinds and {r["kind"] for r in kinds} == {"number_changed"}
    mine = (await ds.client.get(f"/provenance/unsourced_claims.json?_shape=objects&url={BLOG_URL}")).json()["rows"]
    assert mine and {r["article_url"] for r in mine} == {BLOG_URL}


async def test_unsourced_claims_counts_an_unsupported_verdict_as_no_origin(ds, provenance_db):
    """claim_matches rows with no origin are the matcher's 'unsupported' verdict: such claims have no origin."""
    expected = {
        r["id"]
        for r in rows(
            provenance_db,
            "select c.id from claims c join articles a on a.id = c.article_id and c.version = a.version "
            "where not exists (select 1 from attributions t where t.claim_id = c.id) "
            "and not exists (select 1 from claim_matches m where m.claim_id = c.id and m.origin_claim_id is not null)",
        )
    }
    body = (await ds.client.get("/provenance/unsourced_claims.json?_shape=objects&_size=max")).json()
    assert {r["claim_id"] for r in body["rows"]} == expected
    for row in body["rows"]:
        assert len(traced(provenance_db, row["claim_id"])) == 1, "an unsourced claim has a chain"


async def test_distortions_query_puts_both_texts_side_by_side_and_marks_them(ds, provenance_db, blog_claim):
    body = (await ds.client.get("/provenance/distortions_by_kind.json?_shape=objects&kind=number_changed")).json()
    origin = traced(provenance_db, blog_claim)[-2].claim_id
    row = next(r for r in body["rows"] if r["claim_id"] == blog_claim and r["origin_claim_id"] == origin)
    assert row["claim"] != row["origin_claim"] and row["origin_claim"]
    page = (await ds.client.get("/provenance/distortions_by_kind?kind=number_changed")).text
    assert re.search(r'class="pv-mark [^"]*pv-d-number_changed[^"]*pv-changed"', page)
    assert re.search(r'class="pv-mark [^"]*pv-d-number_changed[^"]*pv-was"', page)


async def test_changed_articles_shows_a_word_diff(ds):
    body = (await ds.client.get("/provenance/changed_articles.json?_shape=objects")).json()
    assert any("{+" in r["diff"] for r in body["rows"])
    page = (await ds.client.get("/provenance/changed_articles")).text
    assert '<ins class="pv-ins">' in page


async def test_earliest_source_per_claim_walks_the_chains_trace_walks(ds, provenance_db):
    """Each cluster's root and size, as trace.chain sees them from every claim with an origin."""
    expected: dict[int, dict] = {}
    for r in rows(provenance_db, "select distinct claim_id from claim_matches where origin_claim_id is not null"):
        hops = traced(provenance_db, r["claim_id"])
        cluster = expected.setdefault(hops[0].claim_id, {"later_claims": 0, "longest_chain_hops": 0})
        cluster["later_claims"] += 1
        cluster["longest_chain_hops"] = max(cluster["longest_chain_hops"], len(hops) - 1)
    body = (await ds.client.get("/provenance/earliest_source_per_claim.json?_shape=objects&_size=max")).json()
    found = {r["claim_id"]: {"later_claims": r["later_claims"], "longest_chain_hops": r["longest_chain_hops"]} for r in body["rows"]}
    assert found == expected


# ---------------------------------------------------------------------------- full-text search


@pytest.mark.parametrize("table, term, column", [("articles", "Joint Staff", "title"), ("claims", "soldiers", "text")])
async def test_full_text_search(ds, table, term, column):
    page = await ds.client.get(f"/provenance/{table}")
    assert 'name="_search"' in page.text, f"no search box on {table}"
    found = (await ds.client.get(f"/provenance/{table}.json?_search={term}&_shape=objects")).json()["rows"]
    assert found
    if table == "claims":
        assert all(term in r["text"].lower() for r in found)
    nothing = (await ds.client.get(f"/provenance/{table}.json?_search=zzyzxnotaword&_shape=objects")).json()["rows"]
    assert nothing == []


def test_search_index_follows_inserts_updates_and_deletes(tmp_path):
    db = store.open_db(tmp_path / "p.db")
    article = db["articles"].insert({"url": "http://a.example/1", "content_hash": "x", "text": "Ships rebound.", "title": "Grain"}).last_pk
    claim = db["claims"].insert({"article_id": article, "seq": 0, "text": "Ships rebound."}).last_pk

    def hits(table, term):
        return [r["rowid"] for r in db.query(f"select rowid from {table}_fts where {table}_fts match ?", [term])]

    assert hits("articles", "grain") == [article] and hits("claims", "ships") == [claim]
    db["claims"].update(claim, {"text": "Barges return."})
    db["articles"].update(article, {"title": "Wheat"})
    assert hits("claims", "ships") == [] and hits("claims", "barges") == [claim]
    assert hits("articles", "grain") == [] and hits("articles", "wheat") == [article]
    db["claims"].delete(claim)
    assert hits("claims", "barges") == []


# ---------------------------------------------------------------------------- the claim page


async def test_claim_page_draws_the_chain(ds, provenance_db, blog_claim):
    hops = traced(provenance_db, blog_claim)
    # The sample web's answer key: the Joint Staff said it first, and the figure reached the blog
    # through at least one other outlet (which ones is the matcher's call, tested in test_match).
    assert len(hops) >= 3, [h.site_name for h in hops]
    assert hops[0].site_name == "Joint Staff of the Republic of Aurenia" and hops[-1].site_name == "The Frontline Ledger"
    response = await ds.client.get(f"/provenance/-/claim/{blog_claim}")
    assert response.status_code == 200
    page = response.text
    cards = hop_cards(page)
    assert len(cards) == len(hops), "one card a hop, in trace.chain's order"
    for hop, card in zip(hops, cards):
        assert f'href="/provenance/claims/{hop.claim_id}"' in card
        assert f'<span class="pv-outlet">{escape(hop.site_name)}</span>' in card
        assert publish.when(hop.published) in card
        assert str(escape(hop.text)) in unmarked(card)
        article_id = rows(provenance_db, "select article_id from claims where id = ?", [hop.claim_id])[0]["article_id"]
        assert f'href="/provenance/-/article/{article_id}"' in card
        for name in {r["name"] for r in rows(provenance_db, "select s.name from attributions t join sources s on s.id = t.source_id where t.claim_id = ?", [hop.claim_id])}:
            assert str(escape(name)) in card
    assert "pv-tag-earliest" in cards[0] and "pv-tag-this" in cards[-1]
    for hop in hops[1:]:  # each step says how the claim was taken up, with the match score
        assert f'<span class="pv-score">{hop.score:.2f}</span>' in page
    # The number that changed: the new figure highlighted in the blog's text, the old one underlined
    # in PulseBriefs', and both in the step between them.
    number = next(d for d in hops[-1].distortions if d["kind"] == "number_changed")
    old, new = publish.distortion_sides(number["detail"])
    assert "3,000" in old and new == "5,000"
    assert re.search(rf'<mark class="pv-mark [^"]*pv-d-number_changed[^"]*pv-changed"[^>]*>{re.escape(new)}</mark>', cards[-1]), "the new number is not highlighted"
    assert re.search(rf'<mark class="pv-mark [^"]*pv-d-number_changed[^"]*pv-was"[^>]*>{re.escape(old)}</mark>', cards[-2]), "the old number is not marked"
    assert f'<span class="pv-old">{old}</span> → <span class="pv-new">{new}</span>' in page
    glance = page[page.index('class="pv-glance"') : page.index("</section>")]
    outlets = [h.site_name for i, h in enumerate(hops) if i == 0 or h.site_name != hops[i - 1].site_name]
    assert " → ".join(str(escape(name)) for name in outlets) in glance
    assert "number changed" in glance and f"{old}</span> → <span" in glance
    assert "earliest" in page and "this claim" in page


async def test_claim_page_lists_the_other_candidate_origins(ds, provenance_db, blog_claim):
    """The matcher's ranked candidates (claim_candidates, trace's `--top` 5) besides the origin the
    chain follows: the other origins it chose marked "also matched", the rest "runner-up"."""
    followed = traced(provenance_db, blog_claim)[-2].claim_id
    ranked = [r["candidate_claim_id"] for r in rows(provenance_db, "select candidate_claim_id from claim_candidates where claim_id = ? order by rank limit 5", [blog_claim])]
    chosen = {r["origin_claim_id"] for r in rows(provenance_db, "select origin_claim_id from claim_matches where claim_id = ? and origin_claim_id is not null", [blog_claim])}
    others = [c for c in ranked if c != followed]
    assert others, "the demo's blog claim has no runner-up candidates"
    page = (await ds.client.get(f"/provenance/-/claim/{blog_claim}")).text
    listed = page[page.index("Other candidate origins") :]
    listed = listed[: listed.index("</ul>")]
    items = listed.split('<li class="pv-candidate">')[1:]
    assert len(items) == len(others)
    for item in items:
        claim_id = int(re.search(r'href="/provenance/-/claim/(\d+)"', item).group(1))
        assert claim_id != followed
        assert ("also matched" if claim_id in chosen else "runner-up, not matched") in item
    listed_ids = sorted(int(re.search(r'href="/provenance/-/claim/(\d+)"', item).group(1)) for item in items)
    assert listed_ids == sorted(others)


async def test_claim_page_marks_an_unsupported_claim(harbour_db):
    unsupported = rows(harbour_db, "select m.claim_id, m.distortions from claim_matches m where m.origin_claim_id is null order by m.claim_id")
    assert unsupported, "the harbour web has no unsupported claim"
    claim_id = unsupported[0]["claim_id"]
    detail = json.loads(unsupported[0]["distortions"])[0]["detail"]
    ds = datasette(harbour_db)
    page = (await ds.client.get(f"/provenance/-/claim/{claim_id}")).text
    assert '<span class="pv-badge pv-d-unsupported">unsupported</span>' in page
    assert str(escape(detail)) in page
    assert len(hop_cards(page)) == len(traced(harbour_db, claim_id))
    body = (await ds.client.get(f"/provenance/-/claim/{claim_id}.json")).json()
    assert body["unsupported"] == {"kind": "unsupported", "detail": detail}


async def test_distortions_by_kind_lists_an_unsupported_claim_with_no_origin(harbour_db):
    """An "unsupported" claim has no earlier claim: listed all the same, its origin columns empty."""
    ds = datasette(harbour_db)
    unsupported = (await ds.client.get("/provenance/distortions_by_kind.json?_shape=objects&kind=unsupported")).json()["rows"]
    assert unsupported and all(r["origin_claim_id"] is None and r["origin_claim"] is None for r in unsupported)


async def test_claim_json_follows_the_trace_contract(ds, provenance_db, blog_claim):
    response = await ds.client.get(f"/provenance/-/claim/{blog_claim}.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) >= set(TRACE_KEYS)
    assert body["claim_id"] == blog_claim
    assert [hop["claim_id"] for hop in body["chain"]] == [h.claim_id for h in traced(provenance_db, blog_claim)]
    assert set(body["chain"][0]) == {"claim_id", "article_url", "published", "text"}
    best = body["matches"][0]
    assert set(best) == {"claim_id", "article_url", "published", "text", "score", "relation", "distortions"}
    assert best["claim_id"] == body["chain"][-2]["claim_id"], "the origin the chain follows comes first"
    assert "number_changed" in {d["kind"] for d in best["distortions"]}
    for source in body["sources"]:
        assert {"name", "kind", "mention", "cue", "method"} <= set(source)
    assert [h["claim_id"] for h in body["hops"]] == [h["claim_id"] for h in body["chain"]]
    assert body["hops"][0]["match"] is None and body["hops"][-1]["match"]["origin_claim_id"] == body["chain"][-2]["claim_id"]
    assert body["unsupported"] is None
    assert body["urls"]["html"].endswith(f"/provenance/-/claim/{blog_claim}")


def test_claim_json_matches_trace_json(provenance_db, blog_claim, tmp_path):
    """`provenance trace --json URL` and the chain page's JSON say the same about the claim."""
    copy = copy_db(provenance_db, tmp_path / "provenance.db")
    result = CliRunner().invoke(cli, ["trace", "--json", "--db", str(copy), BLOG_URL], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    entry = next(c for line in result.output.splitlines() if line.strip() for c in json.loads(line)["claims"] if c["claim_id"] == blog_claim)
    ds = datasette(copy)

    async def page():
        return (await ds.client.get(f"/provenance/-/claim/{blog_claim}.json")).json()

    ours = asyncio.run(page())
    assert {key: ours[key] for key in TRACE_KEYS} == entry


async def test_every_claim_page_draws_trace_chain(ds, provenance_db):
    """Every claim, not only the demo's story: the page's chain is trace.chain's, hop for hop."""
    for claim in rows(provenance_db, "select id from claims order by id"):
        expected = [h.claim_id for h in traced(provenance_db, claim["id"])]
        body = (await ds.client.get(f"/provenance/-/claim/{claim['id']}.json")).json()
        assert [h["claim_id"] for h in body["chain"]] == expected, claim
        page = await ds.client.get(f"/provenance/-/claim/{claim['id']}")
        assert page.status_code == 200, claim
        assert [int(i) for i in re.findall(r'href="/provenance/claims/(\d+)">claim \d+</a>', "".join(hop_cards(page.text)))] == expected, claim


async def test_every_article_page_renders(ds, provenance_db):
    for article in rows(provenance_db, "select id from articles"):
        for suffix in ("", ".json"):
            assert (await ds.client.get(f"/provenance/-/article/{article['id']}{suffix}")).status_code == 200, article


async def test_unknown_claim_and_article_are_404(ds):
    assert (await ds.client.get("/provenance/-/claim/999999")).status_code == 404
    assert (await ds.client.get("/provenance/-/claim/999999.json")).status_code == 404
    assert (await ds.client.get("/provenance/-/article/999999")).status_code == 404
    assert (await ds.client.get("/nosuchdb/-/claim/1")).status_code == 404


# ---------------------------------------------------------------------------- the article page


async def test_article_page_lists_claims_and_where_each_came_from(ds, provenance_db, blog_claim):
    hops = traced(provenance_db, blog_claim)
    article_id = rows(provenance_db, "select article_id from claims where id = ?", [blog_claim])[0]["article_id"]
    page = (await ds.client.get(f"/provenance/-/article/{article_id}")).text
    link = page.index(f'href="/provenance/-/claim/{blog_claim}"')
    item = page[page.rindex('<li class="pv-claim-item', 0, link) : link]
    assert "Came from" in item and str(escape(hops[-2].site_name)) in item and publish.when(hops[-2].published) in item
    assert "First said" in item and str(escape(hops[0].site_name)) in item and f"({len(hops)} hops)" in item
    assert "pv-d-number_changed" in item
    unsourced = rows(
        provenance_db,
        "select c.id from claims c join articles a on a.id = c.article_id and c.version = a.version where a.id = ? "
        "and not exists (select 1 from attributions t where t.claim_id = c.id) "
        "and not exists (select 1 from claim_matches m where m.claim_id = c.id and m.origin_claim_id is not null)",
        [article_id],
    )
    assert unsourced, "the blog states things with no source and no origin"
    assert page.count("No source named and no earlier claim found") == len(unsourced)
    assert f"{len(unsourced)} with no source and no origin" in page

    body = (await ds.client.get(f"/provenance/-/article/{article_id}.json")).json()
    assert {k: body[k] for k in ("query", "claims")} == trace_json(provenance_db, BLOG_URL)
    assert body["article"]["id"] == article_id


@pytest.fixture(scope="module")
def harbour_db(tmp_path_factory) -> Path:
    """The harbour-spill test web crawled: its round-up states a fact no earlier article carries
    ("the third fuel spill at the port in two years"), an unsupported claim by the gold."""
    path = tmp_path_factory.mktemp("harbour") / "provenance.db"
    evaluate.build(path, Path(__file__).parent / "webs" / "harbour-spill", outlets.load())
    return path


async def test_article_page_marks_unsupported_claims(harbour_db):
    unsupported = rows(
        harbour_db,
        "select c.article_id, count(*) as n from claim_matches m join claims c on c.id = m.claim_id "
        "join articles a on a.id = c.article_id and c.version = a.version where m.origin_claim_id is null group by c.article_id order by n desc",
    )
    assert unsupported, "the harbour web has no unsupported claim"
    page = (await datasette(harbour_db).client.get(f"/provenance/-/article/{unsupported[0]['article_id']}")).text
    assert page.count('<span class="pv-badge pv-d-unsupported">unsupported</span>') == unsupported[0]["n"]
    assert f"{unsupported[0]['n']} unsupported" in page


async def test_article_page_names_a_declared_origin_without_linking_non_web_urls(ds, provenance_db):
    article = rows(provenance_db, "select id, declared_origin from articles where declared_origin_url is not null limit 1")[0]
    page = (await ds.client.get(f"/provenance/-/article/{article['id']}")).text
    assert "Declared origin" in page and article["declared_origin"] in page


# ---------------------------------------------------------------------------- links both ways


async def test_row_and_table_pages_link_to_the_plugin_pages(ds, blog_claim, provenance_db):
    claim_row = (await ds.client.get(f"/provenance/claims/{blog_claim}")).text
    assert f'href="/provenance/-/claim/{blog_claim}"' in claim_row
    article_id = rows(provenance_db, "select article_id from claims where id = ?", [blog_claim])[0]["article_id"]
    article_row = (await ds.client.get(f"/provenance/articles/{article_id}")).text
    assert f'href="/provenance/-/article/{article_id}"' in article_row
    table = (await ds.client.get("/provenance/claims")).text
    assert "/-/claim/" in table
    matches = (await ds.client.get("/provenance/claim_matches")).text
    assert 'class="pv-badge pv-d-number_changed"' in matches
    query = (await ds.client.get("/provenance/unsourced_claims")).text
    assert re.search(r'href="/provenance/-/claim/\d+"', query)
    page = (await ds.client.get(f"/provenance/-/claim/{blog_claim}")).text
    origin = traced(provenance_db, blog_claim)[-2].claim_id
    assert f'href="/provenance/claim_matches?claim_id={blog_claim}&amp;origin_claim_id={origin}"' in page
    filtered = (await ds.client.get(f"/provenance/claim_matches.json?_shape=objects&claim_id={blog_claim}&origin_claim_id={origin}")).json()["rows"]
    assert filtered, "the step's link to its claim_matches row finds nothing"


async def test_plugin_stays_quiet_on_other_databases(provenance_db, tmp_path):
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["claims"].insert({"id": 1, "text": "Not ours"}, pk="id")
    ds = datasette(provenance_db, other)
    table = (await ds.client.get("/other/claims")).text
    assert "Not ours" in table and "/-/claim/" not in table
    assert (await ds.client.get("/other/-/claim/1")).status_code == 404


async def test_assets_are_local(ds, blog_claim):
    css = await ds.client.get("/-/provenance/provenance.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await ds.client.get("/-/provenance/metadata.css")).status_code == 404
    assert (await ds.client.get("/-/provenance/..%2F..%2Fmetadata.json")).status_code != 200
    page = (await ds.client.get(f"/provenance/-/claim/{blog_claim}")).text
    assert "/-/provenance/provenance.css" in page
    assert not re.search(r"<(?:link|script|img)[^>]+(?:href|src)=\"(?:https?:)?//", page), "a page loads something from the internet"


# ---------------------------------------------------------------------------- hostile content


@pytest.fixture(scope="module")
def hostile_db(provenance_db, tmp_path_factory) -> tuple[Path, dict]:
    """The demo database plus an article whose every field a hostile page controls."""
    path = copy_db(provenance_db, tmp_path_factory.mktemp("hostile") / "hostile.db")
    db = sqlite_utils.Database(path)
    with db.conn:
        origin = rows(path, "select id from claims order by id limit 1")[0]["id"]
        article = db["articles"].insert(
            {
                "url": "http://hostile.example/story",
                "domain": "hostile.example",
                "site_name": IMG,
                "title": f"{SCRIPT} hostile headline",
                "author": IMG,
                "published": "2025-03-07T00:00:00Z",
                "content_hash": "hostile",
                "text": f"hostile body {HOSTILE}",
                "declared_origin_url": JS_URL,
                "declared_origin": f"{IMG} origin",
                "version": 1,
            }
        ).last_pk
        db["links"].insert({"article_id": article, "url": JS_URL, "anchor_text": SCRIPT, "kind": "body"})
        columns = set(db["claims"].columns_dict)
        claim = db["claims"].insert(
            {"article_id": article, "seq": 0, "text": f"hostile claim {HOSTILE}", **({"version": 1} if "version" in columns else {})}
        ).last_pk
        source = db["sources"].insert({"name": f"{IMG} hostile source", "kind": "person"}).last_pk
        db["attributions"].insert({"claim_id": claim, "source_id": source, "mention": SCRIPT, "cue": IMG, "method": "explicit", "confidence": 0.5})
        db["claim_matches"].insert(
            {
                "claim_id": claim,
                "origin_claim_id": origin,
                "score": 0.5,
                "relation": SCRIPT,
                "distortions": json.dumps([{"kind": SCRIPT, "detail": f"{IMG} -> hostile"}, {"kind": "number_changed", "detail": f"{SCRIPT} -> {IMG}"}]),
            }
        )
    db.close()
    return path, {"article": article, "claim": claim, "source": source}


def assert_inert(html: str, where: str) -> None:
    assert SCRIPT not in html, f"{where}: <script> rendered as markup"
    assert "<img src=x" not in html, f"{where}: <img onerror> rendered as markup"
    assert not re.search(r"(?:href|src|action)\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE), f"{where}: javascript: URL is an active link"
    assert "&lt;script&gt;" in html or "&lt;img" in html, f"{where}: the hostile text is not shown at all"


async def test_hostile_content_is_rendered_escaped_everywhere(hostile_db):
    path, ids = hostile_db
    ds = datasette(path)
    pages = {
        "article row": f"/hostile/articles/{ids['article']}",
        "claim row": f"/hostile/claims/{ids['claim']}",
        "source row": f"/hostile/sources/{ids['source']}",
        "articles table": "/hostile/articles?_sort_desc=id",
        "links table": "/hostile/links?_sort_desc=id",
        "claim_matches table": "/hostile/claim_matches?_sort_desc=id",
        "chain page": f"/hostile/-/claim/{ids['claim']}",
        "article page": f"/hostile/-/article/{ids['article']}",
        "article search": "/hostile/articles?_search=hostile",
        "claim search": "/hostile/claims?_search=hostile",
        "claims with sources": "/hostile/claims_with_sources?source=hostile",
        "distortions query": "/hostile/distortions_by_kind",
        "distortions view": "/hostile/distortions",
    }
    for where, url in pages.items():
        response = await ds.client.get(url)
        assert response.status_code == 200, f"{where}: {response.status_code}"
        assert_inert(response.text, where)
    body = (await ds.client.get(f"/hostile/-/claim/{ids['claim']}.json")).json()
    assert SCRIPT in body["text"]  # JSON carries the text as it is; escaping is the embedder's job, as in Datasette's own JSON


# ---------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    "detail, sides",
    [
        ("3,000 -> 4,000", ("3,000", "4,000")),
        ('"up to 12,000" → "12,000"', ("up to 12,000", "12,000")),
        ("“suggested” -> “confirmed”", ("suggested", "confirmed")),
        ('"according to the report" -> none', ("according to the report", None)),
        ('hedge "could" dropped', ("could", "could")),
        ("", (None, None)),
    ],
)
def test_distortion_sides(detail, sides):
    assert publish.distortion_sides(detail) == sides


def test_highlight_marks_numbers_at_word_boundaries_and_splits_overlaps():
    number = publish.distortion("number_changed", "3,000 -> 5,000")
    hedge = publish.distortion("hedge_dropped", '"about 5,000" -> "5,000"')
    segments = publish.highlight("Of 15,000 men, another 5,000 soldiers left.", [("5,000", number), ("another 5,000 soldiers", hedge)])
    assert "".join(s["text"] for s in segments) == "Of 15,000 men, another 5,000 soldiers left."
    marked = [(s["text"], [d["kind"] for d in s["marks"]]) for s in segments if s["marks"]]
    assert marked == [("another ", ["hedge_dropped"]), ("5,000", ["number_changed", "hedge_dropped"]), (" soldiers", ["hedge_dropped"])]


def test_highlight_uses_a_closed_list_of_css_classes():
    hostile = publish.distortion('x" onmouseover="alert(1)', "a -> b")
    segment = publish.highlight("a b", [("b", hostile)])[-1]
    assert segment["css"] == "pv-d-other pv-changed"


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("Kestria sent 3,000 troops.", "Kestria sent 5,000 troops.", "Kestria sent [-3,000-] {+5,000+} troops."),
        ("Same.", "Same.", ""),
        ("", "New text.", "{+New text.+}"),
    ],
)
def test_word_diff(old, new, expected):
    assert publish.word_diff(old, new) == expected


def test_word_diff_trims_long_unchanged_runs():
    words = " ".join(f"w{i}" for i in range(100))
    diff = publish.word_diff(words + " old", words + " new")
    assert diff.startswith("… ") and diff.endswith("[-old-] {+new+}") and len(diff) < 80


@pytest.mark.parametrize(
    "iso, shown",
    [("2025-03-04T01:30:00Z", "4 Mar 2025, 01:30 UTC"), ("2025-03-04", "4 Mar 2025"), (None, "undated"), ("last week", "last week")],
)
def test_when(iso, shown):
    assert publish.when(iso) == shown


@pytest.mark.parametrize(
    "url, ok",
    [("https://a.example/x", True), ("HTTP://a.example", True), (JS_URL, False), (" javascript:alert(1)", False), ("data:text/html,x", False), ("//a.example", False), ("file:///etc/passwd", False)],
)
def test_only_web_urls_become_links(url, ok):
    assert (publish.web_url(url) is not None) == ok


def test_query_files_parse_title_description_and_sql():
    parsed = publish.parse_query("-- title: T\n-- description: first line\n--   second line\nselect 1\n-- trailing comment\n")
    assert parsed == {"title": "T", "description": "first line second line", "sql": "select 1\n-- trailing comment"}


# ---------------------------------------------------------------------------- provenance serve


@pytest.fixture
def datasette_args(monkeypatch) -> list[list[str]]:
    """Capture what `provenance serve` hands to Datasette instead of starting a server."""
    import datasette.cli

    calls: list[list[str]] = []

    def fake_main(args, **kwargs):
        meta = Path(args[args.index("--metadata") + 1])
        calls.append(args + ["<metadata>", meta.read_text(encoding="utf-8")])

    monkeypatch.setattr(datasette.cli.cli, "main", fake_main)
    return calls


def test_serve_is_immutable_unless_writable(provenance_db, datasette_args, tmp_path):
    copy = copy_db(provenance_db, tmp_path / "provenance.db")
    result = CliRunner().invoke(cli, ["serve", "--db", str(copy), "--port", "8123"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "(read-only) at http://127.0.0.1:8123/provenance" in result.output
    assert "http://127.0.0.1:8123/provenance/-/claim/ID" in result.output
    assert "http://127.0.0.1:8123/provenance/distortions_by_kind" in result.output
    args = datasette_args[-1]
    assert args[args.index("-i") + 1] == str(copy)
    assert args[args.index("--port") + 1] == "8123" and args[args.index("--host") + 1] == "127.0.0.1"
    meta = json.loads(args[-1])
    assert set(meta["databases"]["provenance"]["queries"]) == set(publish.canned_queries())
    CliRunner().invoke(cli, ["serve", "--db", str(copy), "--writable", "--open"], catch_exceptions=False)
    args = datasette_args[-1]
    assert "-i" not in args and str(copy) in args and "--open" in args


def test_serve_shows_data_still_in_the_wal_to_its_immutable_reader(tmp_path, datasette_args):
    """`provenance demo` serves while its own connection still holds the crawl in the -wal file."""
    path = tmp_path / "provenance.db"
    writer = store.open_db(path)
    writer["articles"].insert({"url": "http://a.example/1", "content_hash": "x", "text": "In the WAL."})
    assert (tmp_path / "provenance.db-wal").stat().st_size > 0
    CliRunner().invoke(cli, ["serve", "--db", str(path)], catch_exceptions=False)
    assert datasette_args, "serve did not start Datasette"
    immutable = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        assert immutable.execute("select count(*) from articles").fetchone()[0] == 1
    finally:
        immutable.close()
        writer.close()


def test_serve_refuses_missing_empty_and_foreign_databases(tmp_path, datasette_args):
    foreign = tmp_path / "foreign.db"
    sqlite_utils.Database(foreign)["cats"].insert({"name": "Tom"})
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    text = tmp_path / "notes.db"
    text.write_text("not a database at all " * 100)
    cases = {tmp_path / "missing.db": "does not exist", foreign: "not a news-provenance database", empty: "empty", text: "not a news-provenance database"}
    for path, message in cases.items():
        result = CliRunner().invoke(cli, ["serve", "--db", str(path)], catch_exceptions=False)
        assert result.exit_code == 1, (path, result.output)
        assert message in result.output and "Traceback" not in result.output
    assert datasette_args == []
    assert not (tmp_path / "missing.db").exists() and empty.read_bytes() == b""



WIRE_URL = "http://www.meridianwire.example/world/2025/03/04/kestria-sends-more-troops-to-morvania"


async def test_article_and_chain_pages_link_the_derivatives_page_and_its_json(ds, provenance_db, blog_claim):
    wire = rows(provenance_db, "select id from articles where url = ?", [WIRE_URL])[0]["id"]
    page = (await ds.client.get(f"/provenance/-/article/{wire}")).text
    assert f'href="/provenance/-/derivatives/{wire}"' in page
    blog = rows(provenance_db, "select article_id from claims where id = ?", [blog_claim])[0]["article_id"]
    assert f'href="/provenance/-/derivatives/{blog}"' in (await ds.client.get(f"/provenance/-/claim/{blog_claim}")).text
    response = await ds.client.get(f"/provenance/-/derivatives/{wire}.json")
    assert response.status_code == 200
    body = response.json()
    assert body == trace.derivatives(sqlite_utils.Database(provenance_db), WIRE_URL).as_json()
    assert BLOG_URL in {d["article_url"] for d in body["derivatives"]}
    html = await ds.client.get(f"/provenance/-/derivatives/{wire}")
    assert html.status_code == 200
    text = html.text
    # Every derived claim is listed, under its article, linked to its chain page; the blog's changed number shows both sides.
    assert all(f'href="/provenance/-/claim/{d["claim_id"]}"' in text for d in body["derivatives"])
    assert f'{len(body["derivatives"])} derived claims in {len({d["article_url"] for d in body["derivatives"]})} later articles' in text
    assert f'href="/provenance/-/derivatives/{wire}.json"' in text
    # From the Joint Staff's statement, the blog's 5,000 (read in PulseBriefs' 3,000) shows both sides, under the blog.
    statement = rows(provenance_db, "select id from articles where url like 'http://www.jointstaff-aurenia.example/press/%'")[0]["id"]
    text = (await ds.client.get(f"/provenance/-/derivatives/{statement}")).text
    blog_at = text.index(f'href="/provenance/-/article/{blog}"')
    assert '<span class="pv-old">approximately 3,000</span> → <span class="pv-new">5,000</span>' in text[blog_at:]
    assert (await ds.client.get("/provenance/-/derivatives/99999")).status_code == 404
    missing = await ds.client.get("/provenance/-/derivatives/99999.json")
    assert missing.status_code == 404 and missing.json() == {"ok": False, "error": "Article 99999 not found"}
