from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from provenance import fetch, match, outlets, pipeline, store
from provenance.demo import sample_web
from provenance.fetch import FetchSettings, Page

OUTLETS = outlets.load()
LOCAL = FetchSettings(allow_private=True, delay=0.0, retries=0, timeout=(2.0, 2.0))
PARAGRAPH = (
    "The ministry said on Tuesday that about {n} soldiers had been sent to the border region in January and "
    "February, and that further deployments could follow in the spring if the situation did not improve."
)


def story(title: str, published: str, body_html: str = "", n: int = 3000) -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><title>{title}</title>
<meta property="og:site_name" content="Test Outlet"><meta property="article:published_time" content="{published}">
</head><body><nav><a href="/nav-only">Section</a></nav><article><h1>{title}</h1>
<p>{PARAGRAPH.format(n=n)}</p><p>{body_html}</p>
<p>Officials declined to say how many of the soldiers had combat experience before the deployment began.</p>
</article><footer><a href="/footer-only">About</a></footer></body></html>""".encode()


@pytest.fixture
def db(tmp_path):
    return store.open_db(tmp_path / "p.db")


@pytest.fixture
def small_web(site):
    """origin <- middle <- start, plus a robots-disallowed citation and a PDF citation."""
    site.serve("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.serve("/origin", story("Origin statement", "2025-01-01T09:00:00Z"))
    site.serve("/middle", story("Middle report", "2025-01-02T09:00:00Z", f'The figures were first published on Monday, as <a href="{site.url("/origin")}">the ministry said</a> '
                                 "in a statement that was shared widely by regional newspapers the same evening."))
    site.serve(
        "/start",
        story(
            "Start blog",
            "2025-01-03T09:00:00Z",
            f'See <a href="{site.url("/middle")}">the report</a>, <a href="{site.url("/private/secret")}">a leak</a> '
            f'and <a href="{site.url("/doc.pdf")}">the document</a>.',
        ),
    )
    site.serve("/private/secret", story("Secret", "2025-01-01T00:00:00Z"))
    site.serve("/doc.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    return site


def test_crawl_follows_body_links_to_depth_and_obeys_robots(db, small_web):
    summary = pipeline.crawl(db, [small_web.url("/start")], outlets=OUTLETS, depth=2, settings=LOCAL)
    titles = [r["title"] for r in db.query("select title from articles order by published")]
    assert titles == ["Origin statement", "Middle report", "Start blog"]
    assert "/private/secret" not in small_web.paths_requested
    assert "/nav-only" not in small_web.paths_requested and "/footer-only" not in small_web.paths_requested
    assert (summary.stored, summary.robots, summary.failed) == (3, 1, 0)
    assert summary.skipped == 2  # robots.txt and the PDF
    pdf = next(db.query("select * from fetches where url like '%doc.pdf'"))
    assert "application/pdf" in pdf["error"]
    resolved = list(db.query("select l.url, t.title from links l join articles t on t.id = l.target_article_id order by t.title"))
    assert [r["title"] for r in resolved] == ["Middle report", "Origin statement"]


def test_depth_counts_hops_from_the_start(db, small_web):
    pipeline.crawl(db, [small_web.url("/start")], outlets=OUTLETS, depth=1, settings=LOCAL)
    assert {r["title"] for r in db.query("select title from articles")} == {"Start blog", "Middle report"}
    assert "/origin" not in small_web.paths_requested


def test_a_private_address_is_refused_without_allow_private(db, small_web):
    settings = FetchSettings(delay=0.0, retries=0)
    summary = pipeline.crawl(db, [small_web.url("/start")], outlets=OUTLETS, settings=settings)
    assert summary.failed == 1 and db["articles"].count == 0
    assert small_web.paths_requested == []
    assert "loopback" in next(db.query("select error from fetches"))["error"]


def test_bad_pages_are_recorded_and_the_rest_stored(db, site):
    site.serve("/good", story("Good page", "2025-01-01T00:00:00Z"))
    site.serve("/empty", b"")
    site.serve("/junk", b"\x00\x01\x02\xff" * 100)
    site.serve("/latin", story("Caf\xe9 story", "2025-01-01T00:00:00Z").decode().encode("latin-1"), content_type="text/html; charset=utf-8")
    urls = [site.url(p) for p in ("/empty", "/junk", "/latin", "/good")]
    summary = pipeline.crawl(db, urls, outlets=OUTLETS, depth=0, settings=LOCAL)
    assert summary.failed == 2
    assert {r["title"] for r in db.query("select title from articles")} == {"Good page", "Caf\ufffd story"} or \
        {r["title"] for r in db.query("select title from articles")} == {"Good page", "Café story"}
    errors = {r["url"].rsplit("/", 1)[1]: r["error"] for r in db.query("select url, error from fetches where error is not null")}
    assert set(errors) == {"empty", "junk"} and all("no article text found" in e for e in errors.values())


def test_ingest_of_a_warc_gives_the_same_rows_as_the_crawl(tmp_path, small_web):
    crawled = store.open_db(tmp_path / "crawled.db")
    pipeline.crawl(crawled, [small_web.url("/start")], outlets=OUTLETS, depth=2, settings=LOCAL)
    warc = tmp_path / "pages.warc.gz"
    assert fetch.write_warc(warc, store.captures(crawled)) == 3
    ingested = store.open_db(tmp_path / "ingested.db")
    summary = pipeline.ingest(ingested, [warc], outlets=OUTLETS)
    assert summary.stored == 3 and summary.failed == 0
    query = "select url, title, published, content_hash, declared_origin_url from articles order by url"
    assert list(ingested.query(query)) == list(crawled.query(query))
    links = "select a.url, l.url as target, l.anchor_text, l.start, l.end, t.url as stored from links l join articles a on a.id = l.article_id left join articles t on t.id = l.target_article_id order by 1, 2"
    assert list(ingested.query(links)) == list(crawled.query(links))


def test_ingesting_twice_changes_no_row_count(db, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"p{i}.html").write_bytes(story(f"Story {i}", "2025-01-01T00:00:00Z", n=1000 + i))
    (folder / "seed.txt").write_bytes((Path(__file__).parent / "pages" / "seed.txt").read_bytes())
    pipeline.ingest(db, [folder], outlets=OUTLETS)
    before = store.row_counts(db)
    assert before["articles"] == 4
    summary = pipeline.ingest(db, [folder], outlets=OUTLETS)
    assert summary.unchanged == 4 and store.row_counts(db) == before


def test_export_warc_round_trips(db, tmp_path, small_web):
    pipeline.crawl(db, [small_web.url("/start")], outlets=OUTLETS, depth=2, settings=LOCAL)
    out = tmp_path / "out.warc.gz"
    fetch.write_warc(out, store.captures(db))
    back = sorted((p.url, p.body) for p in fetch.read_paths([out]) if isinstance(p, Page))
    assert back == sorted((p.url, p.body) for p in store.captures(db))


def test_bad_files_are_reported_and_the_rest_of_the_batch_stored(db, tmp_path):
    good = tmp_path / "good.html"
    good.write_bytes(story("Good file", "2025-01-01T00:00:00Z"))
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 50)
    warc = tmp_path / "cut.warc.gz"
    fetch.write_warc(warc, [Page(url=f"https://x.example/{i}", final_url=f"https://x.example/{i}", status=200,
                                 headers={"Content-Type": "text/html"}, body=story(f"W{i}", "2025-01-01T00:00:00Z", n=i),
                                 fetched_at="2026-01-01T00:00:00Z") for i in range(5)])
    warc.write_bytes(warc.read_bytes()[: warc.stat().st_size * 2 // 3])
    summary = pipeline.ingest(db, [empty, binary, warc, good], outlets=OUTLETS)
    titles = {r["title"] for r in db.query("select title from articles")}
    assert "Good file" in titles and "W0" in titles
    assert summary.failed == 3
    assert any("empty" in e for e in summary.errors) and any("binary" in e for e in summary.errors)


def test_recrawl_304_adds_nothing_and_a_change_adds_one_version(db, site):
    site.serve("/a", story("Recrawled", "2025-01-01T00:00:00Z"), headers={"ETag": '"one"'})
    pipeline.crawl(db, [site.url("/a")], outlets=OUTLETS, depth=0, settings=LOCAL)
    site.serve("/a", b"", status=304, headers={"ETag": '"one"'})
    summary = pipeline.recrawl(db, outlets=OUTLETS, settings=LOCAL)
    assert summary.unchanged == 1 and db["article_versions"].count == 1
    assert site.requests[-1][2].get("If-None-Match") == '"one"'
    assert next(db.query("select status from fetches order by id desc limit 1"))["status"] == 304
    site.serve("/a", story("Recrawled", "2025-01-01T00:00:00Z", n=4000), headers={"ETag": '"two"'})
    summary = pipeline.recrawl(db, outlets=OUTLETS, settings=LOCAL)
    assert summary.stored == 1 and db["article_versions"].count == 2 and db["articles"].count == 1
    assert "about 4000 soldiers" in next(db.query("select text from articles"))["text"]


def test_recrawl_older_than_skips_fresh_articles(db, site):
    site.serve("/a", story("Fresh", "2025-01-01T00:00:00Z"))
    pipeline.crawl(db, [site.url("/a")], outlets=OUTLETS, depth=0, settings=LOCAL)
    served = len(site.requests)
    summary = pipeline.recrawl(db, outlets=OUTLETS, settings=LOCAL, older_than=pipeline.parse_duration("6h"))
    assert len(site.requests) == served and summary.line().startswith("fetched 0, stored 0")


def test_parse_duration():
    assert pipeline.parse_duration("6h").total_seconds() == 21600
    with pytest.raises(Exception, match="'soon' is not a duration"):
        pipeline.parse_duration("soon")


def article_page(title: str, published: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><title>{title}</title>
<meta property="og:site_name" content="Test Outlet"><meta property="article:published_time" content="{published}">
</head><body><article><h1>{title}</h1>{body}</article></body></html>""".encode()


def test_a_cited_article_crawled_later_becomes_the_origin_of_an_already_matched_claim(db, site):
    # The blog's claim keeps its text match to the trial; the study it cites restates the trial, but
    # only once the study is matched (in the first pass) can the second pass name it the carrier.
    site.serve("/trial", article_page("Trial", "2025-01-01T09:00:00Z", [
        "The placebo-controlled trial enrolled 412 adults aged 18 to 65 at three clinics.",
        "Researchers at the university hospital began recruiting volunteers in the spring after regulators approved the protocol.",
        "The first results are expected to be published in a peer-reviewed journal late next year, the team said."]))
    site.serve("/study", article_page("Study", "2025-01-02T09:00:00Z", [
        "The placebo-controlled study enrolled 412 adults aged 18 to 65 at three clinics in Ostmark and the Teller Valley.",
        "Local health officials welcomed the project, which they described as the largest of its kind in the province so far.",
        "Several patient groups have asked to be consulted before any decision about a wider rollout is taken."]))
    site.serve("/blog", article_page("Blog", "2025-01-03T09:00:00Z", [
        "The phase 2 trial had 412 adults.",
        f'Background reading: <a href="{site.url("/study")}">a regional newspaper covered the study in detail</a> for readers who want more context.',
        "Our newsletter will follow the story as it develops and report back on anything of note over the coming months."]))
    origins = ("select a.url, m.basis from claim_matches m join claims c on c.id = m.claim_id join claims o on o.id = m.origin_claim_id "
               "join articles a on a.id = o.article_id where c.text = 'The phase 2 trial had 412 adults.' order by m.basis")
    pipeline.crawl(db, [site.url("/trial"), site.url("/blog")], outlets=OUTLETS, depth=0, settings=LOCAL)
    assert list(db.query(origins)) == [{"url": site.url("/trial"), "basis": "text"}]
    pipeline.crawl(db, [site.url("/study")], outlets=OUTLETS, depth=0, settings=LOCAL)
    assert list(db.query(origins)) == [{"url": site.url("/study"), "basis": "citation"}, {"url": site.url("/trial"), "basis": "text"}]


def test_likeness_reads_no_origins_nor_favoured_article_so_the_second_pass_keeps_first_pass_scores(provenance_db):
    # match_pending does not score again a claim whose view the first pass changed only in what it
    # and its candidates were matched to and in the article it mostly rewrites: that holds while
    # likeness reads none of it, and ordered then gives rank's list.
    db = Database(provenance_db)
    settings = pipeline.matching(OUTLETS)
    compared = 0
    for view in store.claim_views(db, [r["id"] for r in db.query("select id from claims")]):
        candidates = store.claim_views(db, store.candidate_ids(db, view))
        ranked = match.rank(view, candidates, settings, floor=settings.carrier_floor)
        blank = [replace(c, origin_claims=frozenset()) for c in candidates]
        scored = match.likeness(replace(view, origin_claims=frozenset(), favoured_article=None), blank, settings, floor=settings.carrier_floor)
        again = match.ordered(view, scored, settings)
        assert [(score, c.claim_id) for score, c in again] == [(score, c.claim_id) for score, c in ranked]
        compared += any(c.origin_claims for _, c in ranked) or view.favoured_article is not None
    assert compared > 20



def crawl_web(db, root: Path, pages: dict[str, bytes]) -> None:
    """Write `pages` ("host/path.html": HTML) under `root`, each host its own site, serve them on
    127.0.0.1 under their host names and crawl every one."""
    for name, html in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(html)
    with sample_web(root) as web:
        pipeline.crawl(db, list(web.pages), outlets=OUTLETS, depth=0, settings=replace(LOCAL, proxy=web.proxy_url))


def test_a_derivative_fact_with_no_source_is_unsupported_unless_the_next_sentence_names_one(db, tmp_path):
    # Two sites on their own host names (a declared origin on the article's own site is no origin).
    copied = [
        "Heavy rain flooded 120 homes in the Telford valley overnight, the county council said on Monday morning.",
        "The council opened two emergency shelters at Telford and Ashby schools for families forced out of their homes.",
    ]
    more = [
        "The B4380 between Telford and Ashby will stay closed until engineers have inspected the Severn Lane bridge.",
        "Council crews cleared fallen trees from 14 roads in the valley before dawn, the council said.",
        "Residents can collect sandbags from the Ashby fire station until 8pm on Tuesday, according to the council.",
    ]
    pages = {
        "www.council.example/news/flood.html": article_page("Council", "2025-01-01T09:00:00Z", copied + more),
        "www.roundup.example/news/flood.html": article_page("Round-up", "2025-01-02T09:00:00Z", [
            *copied,
            "Evidence of lasting harm to Ashcombe's old stone bridge is mounting. Mayor Ruth Penrose said on Monday that it may have to be rebuilt.",
            "It is the third such disaster for Ashcombe in two years. Volunteers will clear debris from the square over the weekend.",
            # advice to the reader, and the outlet's note on its own article, are no facts stated without a source
            "If you live in the Telford valley, now is a good time to check your flood insurance.",
            "Correction, January 3: An earlier version of this article said 100 homes had flooded. The correct figure is 120.",
            "Original Source: council.example",
        ]),
        # A wire that rewrites the council but interviewed someone itself: what it adds is its own reporting.
        "www.wire.example/news/flood.html": article_page("Wire", "2025-01-02T10:00:00Z", [
            *copied, *more,
            "“The river rose faster than anyone expected,” Tom Hale, a farmer near Ashby, said by phone.",
            "Shares in the Telford Water Company fell 3 percent in morning trading.",
        ]),
    }
    crawl_web(db, tmp_path, pages)
    unsupported = [r["text"] for r in db.query(
        "select c.text from claim_matches m join claims c on c.id = m.claim_id where m.origin_claim_id is null order by c.seq")]
    assert unsupported == ["It is the third such disaster for Ashcombe in two years."]
    wire = store.find_article(db, "http://www.wire.example/news/flood")
    assert not store.is_derivative(db, wire["id"])


def test_an_explainer_declaring_its_source_by_name_is_a_derivative_and_its_new_fact_unsupported(tmp_path):
    from provenance import evaluate

    db = evaluate.build(tmp_path / "court.db", Path(__file__).parent / "webs" / "court-ruling", OUTLETS)
    explainer = store.find_article(db, "http://www.quicktake.example/explainers/calverex-farmers-ruling-5-things-to-know")
    court = store.find_article(db, "http://www.court-varnholt.example/press/2026/10/14/judgment-corrin-reservoir-farmers-v-calverex-chemicals")
    assert store.is_derivative(db, explainer["id"]) and not store.is_derivative(db, court["id"])
    unsupported = [r["text"] for r in db.query(
        "select c.text from claim_matches m join claims c on c.id = m.claim_id where m.origin_claim_id is null and c.article_id = ?",
        [explainer["id"]])]
    # its recap ("Bottom line: ...") is no checkable fact
    assert unsupported == ["Calverex made a profit of €310 million last year."]


def test_a_newsletter_in_its_own_voice_is_a_derivative_and_a_body_credited_with_reporting_is_cited(db, tmp_path):
    report = [
        "The Halden Institute retracted its 2024 study of the memory supplement halvenol on Tuesday.",
        "The researchers could not produce the raw data for 212 of the 640 volunteers in the trial.",
        "Vennhall University said one of the researchers had manipulated the data and has since left.",
        "The journal Neurogeriatric Reports said the results can no longer be relied upon.",
    ]
    # Its own voice ("Frankly, we ...", "Our advice: ...") is no report; without it, four of its
    # seven sentences come from elsewhere, with it four of five.
    letter = [
        *report[1:],
        "The memory study had been widely covered, as HealthWire and others have reported this month.",
        "Sales of halvenol capsules have halved since the news broke in Ravonia.",
        "Frankly, we were never convinced by a single trial of a daily pill.",
        "Our advice: talk to your pharmacist before you stop taking anything.",
    ]
    paper = [*report[1:], "Pharmacists in Dunholt said on Wednesday that customers had started returning unopened packs.",
             "The supplement was first sold in Ravonian pharmacies in 2019 under the brand name Mnemora."]
    pages = {
        "www.healthwire.example/news/retracted.html": article_page("Report", "2026-02-10T08:00:00Z", report).replace(
            b'content="Test Outlet"', b'content="HealthWire"'),
        "www.letter.example/issues/pill.html": article_page("Letter", "2026-02-12T08:00:00Z", letter),
        "www.paper.example/news/pill.html": article_page("Paper", "2026-02-12T09:00:00Z", paper),
    }
    crawl_web(db, tmp_path, pages)
    letter_row = store.find_article(db, "http://www.letter.example/issues/pill")
    paper_row = store.find_article(db, "http://www.paper.example/news/pill")
    assert store.is_derivative(db, letter_row["id"]) and not store.is_derivative(db, paper_row["id"])
    unsupported = [r["text"] for r in db.query(
        "select c.text from claim_matches m join claims c on c.id = m.claim_id where m.origin_claim_id is null order by c.article_id, c.seq")]
    assert unsupported == ["Sales of halvenol capsules have halved since the news broke in Ravonia."]
    credited = next(r["id"] for r in db.query("select id from claims where text like 'The memory study had been widely covered%'"))
    healthwire = store.find_article(db, "http://www.healthwire.example/news/retracted")
    assert store.claim_views(db, [credited])[0].linked_articles == {healthwire["id"]}


def test_a_standfirst_is_stored_apart_and_matched_to_nothing(db, tmp_path):
    release = ["The Government of Orsania will introduce a tariff of 25 per cent on imported steel products from 1 March, the minister announced.",
               "The tariff is expected to raise about 900 million euros a year for the treasury, the ministry said in its statement."]
    standfirst = "A 25 per cent tariff on imported steel from 1 March is meant to raise 900 million euros."
    paper = [standfirst, "Orsania will put a 25 per cent tariff on imported steel products from 1 March, the minister announced.",
             "The levy is expected to raise about 900 million euros a year for the treasury, the ministry said."]
    pages = {
        "www.ministry.example/news/tariff.html": article_page("Release", "2027-02-09T08:00:00Z", release),
        "www.paper.example/news/tariff.html": article_page("Paper", "2027-02-10T08:00:00Z", paper).replace(
            f"<p>{standfirst}".encode(), f'<p class="article-standfirst">{standfirst}'.encode()),
    }
    crawl_web(db, tmp_path, pages)
    row = store.find_article(db, "http://www.paper.example/news/tariff")
    assert db["articles"].get(row["id"])["standfirst"] == standfirst
    matched = {r["text"]: r["origin"] for r in db.query(
        "select c.text, m.origin_claim_id as origin from claims c left join claim_matches m on m.claim_id = c.id where c.article_id = ?", [row["id"]])}
    assert matched[standfirst] is None and all(matched[t] for t in paper[1:])


def test_an_outlet_credited_by_name_without_a_link_is_cited_by_the_claim_and_its_article(db, tmp_path):
    release = ["The harbour authority said 8,000 litres of diesel leaked from a barge at Quay 4 early on Monday.",
               "Divers will inspect the barge's hull on Tuesday morning, the authority said in its statement."]
    agency = ["About 8,000 litres of diesel leaked from a barge at Quay 4 in Kelmouth early on Monday, the harbour authority said.",
              "Divers are due to inspect the hull of the barge on Tuesday morning, according to the authority."]
    paper = ["About 8,000 litres of diesel leaked from a barge at Kelmouth's Quay 4 early on Monday, the Northgate news agency reported.",
             "Divers are due to inspect the barge's hull on Tuesday morning, according to the authority."]
    pages = {
        "www.kelmouthharbour.example/news/spill.html": article_page("Statement", "2025-06-09T08:00:00Z", release),
        "www.northgatenews.example/news/spill.html": article_page("Agency", "2025-06-09T10:00:00Z", agency).replace(
            b'content="Test Outlet"', b'content="Northgate News Agency"'),
        "www.courier.example/news/spill.html": article_page("Paper", "2025-06-09T12:00:00Z", paper),
    }
    crawl_web(db, tmp_path, pages)
    via = {r["text"][:20]: r["url"] for r in db.query(
        "select c.text, a.url from claim_matches m join claims c on c.id = m.claim_id join claims o on o.id = m.origin_claim_id "
        "join articles a on a.id = o.article_id join articles p on p.id = c.article_id where p.url like '%courier%' and m.basis = 'citation'")}
    # the first sentence names the agency; the second is cited through its article's credit
    assert via == {"About 8,000 litres o": "http://www.northgatenews.example/news/spill", "Divers are due to in": "http://www.northgatenews.example/news/spill"}


def test_an_outlet_credited_by_name_cites_only_its_latest_articles_before_the_claim(db, tmp_path):
    def agency(day: int) -> bytes:
        return article_page(f"Report {day}", f"2025-06-{day:02d}T10:00:00Z", [f"Agency report number {day} on harbour traffic in Kelmouth, where ferries and fishing boats share the inner basin "
                                                                              "with leisure craft through the summer months."]).replace(
            b'content="Test Outlet"', b'content="Northgate News Agency"')

    pages = {f"www.northgatenews.example/news/{day}.html": agency(day) for day in range(1, 10)}
    pages["www.courier.example/news/spill.html"] = article_page("Paper", "2025-06-08T12:00:00Z", [
        "About 8,000 litres of diesel leaked from a barge at Kelmouth's Quay 4 early on Monday, the Northgate news agency reported."])
    crawl_web(db, tmp_path, pages)
    claim = next(db.query("select c.id from claims c join articles a on a.id = c.article_id where a.url like '%courier%'"))["id"]
    (view,) = store.claim_views(db, [claim])
    cited = sorted(db.execute(f"select url from articles where id in ({','.join(map(str, view.linked_articles))})").fetchall())
    assert cited == [(f"http://www.northgatenews.example/news/{day}",) for day in range(4, 9)]  # the five before the paper's
    assert view.linked_articles <= view.cited_articles


def test_an_outlet_credited_by_name_is_not_cited_for_its_stories_of_more_than_half_a_year_before(db, tmp_path):
    def observer(path: str, when: str) -> tuple[str, bytes]:
        return f"www.observer.example/sport/{path}.html", article_page(path, when, [
            "City have agreed a fee for a new signing, and add-ons could take the total to 46 million euros."]).replace(
            b'content="Test Outlet"', b'content="The Corrister Observer"')

    pages = dict([observer("orlik", "2024-07-30T10:00:00Z"), observer("ferrelo", "2026-07-14T21:00:00Z")])
    pages["www.blog.example/posts/ferrelo.html"] = article_page("Blog", "2026-07-16T12:00:00Z", [
        "The Observer, who broke the story, reckon the add-ons will take it to 60 million euros."])
    crawl_web(db, tmp_path, pages)
    claim = next(db.query("select c.id from claims c join articles a on a.id = c.article_id where a.url like '%blog%'"))["id"]
    (view,) = store.claim_views(db, [claim])
    cited = [r[0] for r in db.execute(f"select url from articles where id in ({','.join(map(str, view.linked_articles))})")]
    assert cited == ["http://www.observer.example/sport/ferrelo"]


def test_an_outlet_credited_by_the_end_of_its_name_is_the_one_site_named_so(db, tmp_path):
    def site(name: str, title: str, when: str) -> bytes:
        return article_page(title, when, ["Tervane Networks is preparing to cut as many as 2,000 jobs, according to two people familiar "
                                          "with the matter."]).replace(b'content="Test Outlet"', f'content="{name}"'.encode())

    pages = {
        "www.fincourier.example/news/scoop.html": site("Financial Courier", "Scoop", "2027-03-03T10:00:00Z"),
        "www.blog.example/news/cuts.html": article_page("Blog", "2027-03-04T12:00:00Z", [
            "According to the Courier, Tervane's board signed off on the plan to cut 2,000 jobs on Monday."]),
    }
    crawl_web(db, tmp_path, pages)

    def credited() -> list[str]:
        claim = next(db.query("select c.id from claims c join articles a on a.id = c.article_id where a.url like '%blog%'"))["id"]
        (view,) = store.claim_views(db, [claim])
        return [r[0] for r in db.execute(f"select url from articles where id in ({','.join(map(str, view.linked_articles))})")]

    assert credited() == ["http://www.fincourier.example/news/scoop"]
    # Two sites end so: "the Courier" names neither.
    crawl_web(db, tmp_path, {"www.kelmouthcourier.example/news/spill.html": site("The Kelmouth Courier", "Spill", "2027-03-02T10:00:00Z")})
    assert credited() == []


def test_an_origin_declared_by_name_only_is_that_sites_latest_articles(db, tmp_path):
    scoop = ["Tervane Networks is preparing to cut as many as 2,000 jobs, according to two people familiar with the matter."]
    pages = {
        "www.ledgerline.example/news/cuts.html": article_page("Cuts", "2027-03-04T10:00:00Z", scoop).replace(
            b'content="Test Outlet"', b'content="Ledgerline"'),
        "www.marginnotes.example/daily/cuts.html": article_page("Notes", "2027-03-05T06:00:00Z", [
            "Tervane will cut 2,000 jobs, and the Kessling-based maker of mobile network equipment is not the last one to do so.",
            "Operators have stopped buying radio equipment, and every supplier in the valley is feeling it this spring.",
            "H/T Ledgerline"]),
    }
    crawl_web(db, tmp_path, pages)
    notes = store.find_article(db, "http://www.marginnotes.example/daily/cuts")
    ids = store.current_claim_ids(db, notes["id"])
    (view, *_) = store.claim_views(db, ids)
    assert view.origin_articles == {store.find_article(db, "http://www.ledgerline.example/news/cuts")["id"]}
    # As a candidate, a claim is seen without its citations (only the matched claim's count), all else the same.
    bare = store.claim_views(db, ids, citations=False)
    assert bare == [replace(v, cited_articles=frozenset(), linked_articles=frozenset(), origin_articles=frozenset(), favoured_article=None)
                    for v in store.claim_views(db, ids)]
    assert bare[0].origin_claims and not bare[0].origin_articles


def test_a_body_quoted_from_its_statement_cites_its_own_pages(db, tmp_path):
    statement = ["The Quenmoor Transit Authority has offered drivers a pay rise of 4.5 per cent, its best offer in a decade.",
                 "Limited service will run on six of the fourteen tram lines during the strike, the authority said."]
    pages = {
        "www.qta.example/news/strike.html": article_page("Statement", "2027-05-13T14:00:00Z", statement).replace(
            b'content="Test Outlet"', b'content="Quenmoor Transit Authority"'),
        "www.wire.example/news/strike.html": article_page("Wire", "2027-05-13T16:00:00Z", [
            "The Quenmoor Transit Authority said in a statement that it had offered a pay rise of 4.5 per cent to the drivers.",
            "The Quenmoor Transit Authority said limited service would run on six of the fourteen tram lines during the strike."]),
    }
    crawl_web(db, tmp_path, pages)
    wire = store.find_article(db, "http://www.wire.example/news/strike")
    own = store.find_article(db, "http://www.qta.example/news/strike")["id"]
    views = store.claim_views(db, store.current_claim_ids(db, wire["id"]))
    assert [own in v.linked_articles for v in views] == [True, False]  # only the one quoted "in a statement"
