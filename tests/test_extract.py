from pathlib import Path

import pytest

from provenance import outlets
from provenance.errors import ExtractionError
from provenance.extract import extract, iso_datetime, normalize_url
from provenance.fetch import Page

PAGES = Path(__file__).parent / "pages"
SEED = Path(__file__).parent / "pages" / "seed.txt"  # the article the project was created from
OUTLETS = outlets.load()


def page(name: str, url: str, content_type: str = "text/html; charset=utf-8", body: bytes | None = None) -> Page:
    data = body if body is not None else (PAGES / name).read_bytes()
    return Page(url=url, final_url=url, status=200, headers={"Content-Type": content_type}, body=data, fetched_at="2026-01-01T00:00:00Z")


def test_metadata_comes_from_the_page():
    a = extract(page("harbour-troops.html", "https://www.harbourpost.example/x?id=1"), OUTLETS)
    assert a.url == "https://www.harbourpost.example/world/2025/03/05/norland-troops"
    assert a.fetched_url == "https://www.harbourpost.example/x?id=1"
    assert a.title == "Norland sends 3,000 more troops abroad"
    assert a.site_name == "Harbour Post"
    assert a.author == "Ines Okafor"
    assert a.published == "2025-03-05T08:30:00Z"  # +02:00 converted to UTC
    assert a.language == "en"
    assert a.domain == "harbourpost.example"


def test_body_links_keep_anchor_and_offsets_and_skip_navigation():
    a = extract(page("harbour-troops.html", "https://www.harbourpost.example/world/2025/03/05/norland-troops"), OUTLETS)
    urls = [link.url for link in a.links]
    assert urls == [
        "https://www.meridianwire.example/world/2025/03/04/norland-troops",
        "https://www.harbourpost.example/analysis/2025/02/28/deployments",
    ]
    for link in a.links:
        assert a.text[link.start:link.end] == link.anchor_text
    assert a.links[0].anchor_text == "Meridian Wire reported"
    assert "About us" not in a.text and "Another story" not in a.text


def test_paragraph_boundaries_are_kept_and_the_headline_is_not_body_text():
    a = extract(page("harbour-troops.html", "https://www.harbourpost.example/a"), OUTLETS)
    assert a.paragraphs[0].startswith("By Ines Okafor") or a.paragraphs[0].startswith("Norland dispatched")
    assert any(p.startswith("Gen. Arvo Teppo, the army's intelligence chief") for p in a.paragraphs)
    assert not a.text.startswith("Norland sends 3,000 more troops abroad")


STANDFIRST_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Steel tariff: mills cheer</title>
<meta property="og:site_name" content="Brelling Exchange"><meta property="article:published_time" content="2027-02-10T09:00:00Z"></head>
<body><article><h1>Steel tariff: mills cheer</h1>
<p class="bx-standfirst">A 25 per cent levy from 1 March is meant to save jobs. Builders may end up paying for it.</p>
<div class="{box}"><p>Orsania is to put a 25 per cent tariff on steel imports from 1 March, the trade ministry said on Tuesday.</p></div>
<p>The ministry expects the levy to bring in roughly 900 million euros a year, which it says will go to retraining.</p>
</article></body></html>"""


def test_a_standfirst_opening_the_text_is_kept_and_named_but_a_summary_box_is_text():
    a = extract(page("", "https://www.brellingexchange.example/b", body=STANDFIRST_PAGE.format(box="bx-body").encode()), OUTLETS)
    assert a.standfirst == "A 25 per cent levy from 1 March is meant to save jobs. Builders may end up paying for it."
    assert a.paragraphs[0] == a.standfirst  # still text: the claims keep their offsets
    boxed = STANDFIRST_PAGE.replace('<p class="bx-standfirst">', "<p>").format(box="pb-summary")
    assert extract(page("", "https://www.brellingexchange.example/b", body=boxed.encode()), OUTLETS).standfirst is None


def test_json_ld_date_inside_a_graph_and_a_footer_origin():
    a = extract(page("digest-footer.html", "https://dailydigest.example/norland"), OUTLETS)
    assert a.published == "2025-03-06T07:00:00Z"
    assert a.declared_origin == "northernherald.example"
    assert a.declared_origin_url == "https://northernherald.example/"
    assert a.language == "en-GB"


def test_wire_dateline_declares_the_wire_and_time_element_gives_the_date():
    a = extract(page("wire-dateline.html", "https://www.harbourpost.example/explained"), OUTLETS)
    assert a.published == "2025-03-04T12:00:00Z"
    assert a.declared_origin == "Reuters"
    assert a.declared_origin_url == "https://reuters.com/"


def test_the_wire_own_dateline_is_not_an_origin():
    a = extract(page("wire-dateline.html", "https://www.reuters.com/world/norland"), OUTLETS)
    assert a.declared_origin_url is None


def test_a_linked_origin_resolves_to_the_linked_article():
    html = (PAGES / "digest-footer.html").read_text().replace(
        "Original Source: northernherald.example",
        'Original Source: <a href="https://www.northernherald.example/news/2025/03/01/troops">northernherald.example</a>',
    )
    a = extract(page("", "https://dailydigest.example/n", body=html.encode()), OUTLETS)
    assert a.declared_origin_url == "https://www.northernherald.example/news/2025/03/01/troops"


def test_seed_text_file_declares_kyiv_independent():
    a = extract(page("", "file:///seed.txt", "text/plain; charset=utf-8", SEED.read_bytes()), OUTLETS)
    assert a.title == "North Korea Increases Military Support to Russia Amid Ukraine Conflict"
    assert a.declared_origin_url == "https://kyivindependent.com/"
    assert a.published is None  # a text file says nothing of its date; the fetch time is never used
    assert len(a.paragraphs) == 6
    assert a.paragraphs[-1] == "Original Source: kyivindependent.com"


def test_hard_wrapped_text_is_joined_into_paragraphs():
    body = b"A title\n\nThis is a line of a hard wrapped\nparagraph that goes on to the next\nline and ends here.\n\nSecond one.\n"
    a = extract(page("", "file:///w.txt", "text/plain", body), OUTLETS)
    assert a.paragraphs == ["This is a line of a hard wrapped paragraph that goes on to the next line and ends here.", "Second one."]


def test_a_one_line_statement_in_a_text_file_is_an_article_but_not_on_a_web_page():
    line = b"Photo shows the mayor at the rally in 2019."
    assert extract(page("", "file:///claim.txt", "text/plain", line), OUTLETS).text == line.decode()
    with pytest.raises(ExtractionError, match=r"^file:///tiny.txt: no article text found \(only 4 characters\)$"):
        extract(page("", "file:///tiny.txt", "text/plain", b"tiny"), OUTLETS)
    with pytest.raises(ExtractionError, match=r"^https://x.example/a: no article text found"):
        extract(page("", "https://x.example/a", body=b"<html><body><article><p>" + line + b"</p></article></body></html>"), OUTLETS)


@pytest.mark.parametrize("body", [b"", b"<html><body><nav>Home</nav></body></html>", b"\x00\x01\x02garbage"])
def test_pages_without_an_article_raise_a_clear_error(body):
    with pytest.raises(ExtractionError, match=r"^https://x.example/a: no article text found"):
        extract(page("", "https://x.example/a", body=body), OUTLETS)


def test_invalid_utf8_is_decoded_not_fatal():
    html = (PAGES / "harbour-troops.html").read_bytes().replace(b"Norland dispatched", b"Norland \xff\xfe dispatched")
    a = extract(page("", "https://www.harbourpost.example/u", body=html), OUTLETS)
    assert "dispatched approximately 3,000" in a.text


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTPS://WWW.Example.com:443/a?utm_source=x&b=2&a=1#frag", "https://www.example.com/a?a=1&b=2"),
        ("https://example.com/a?fbclid=123", "https://example.com/a"),
        ("http://example.com", "http://example.com/"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected
    assert normalize_url(normalize_url(url)) == normalize_url(url)


@pytest.mark.parametrize(
    "value, expected",
    [("2025-03-04", "2025-03-04"), ("2025-03-04T08:15:00Z", "2025-03-04T08:15:00Z"),
     ("2025-03-04T10:15:00+02:00", "2025-03-04T08:15:00Z"), ("2025-03-04T10:15:00", "2025-03-04T10:15:00"), ("March 4", None)],
)
def test_iso_datetime(value, expected):
    assert iso_datetime(value) == expected
