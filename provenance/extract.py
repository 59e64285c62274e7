"""Page -> Article: main text, metadata and body links, through trafilatura.

Pure: bytes in, Article out. No network, no database, no module state.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from urllib.parse import urljoin, urlsplit, urlunsplit, parse_qsl, urlencode

import courlan
import htmldate
import lxml.html
import trafilatura
from lxml import etree

from .errors import ExtractionError
from .fetch import Page
from .outlets import MAX_QUIRK_LINE, Outlets, bare_host

# Tracking parameters say who shared a link, not which article it is.
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|mc_[ce]id$|ocid$|cmpid$|at_medium$|at_campaign$)", re.I)
# trafilatura's output elements that hold running text; a block nested in another is read on its own.
_BLOCKS = {"p", "head", "item", "quote", "cell"}
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
    "article.published",
)


@dataclass(frozen=True)
class ExtractOptions:
    include_links: bool = True  # citation links are half of provenance
    min_chars: int = 80  # below this a page is a stub (a teaser, an error page), not an article
    # A plain-text file has no page furniture to mistake for an article: a one-line statement a user
    # saved (a press line, a fact-checked claim) is one. Below a short sentence it is noise.
    min_text_chars: int = 20
    # Article pages have a few thousand elements. trafilatura's XPath work grows with the square of
    # the count (20k paragraphs with a link each: 13 s, 50k: minutes), so a hostile page stops here.
    max_elements: int = 30_000


@dataclass(frozen=True)
class Link:
    url: str
    anchor_text: str
    start: int  # offsets of the anchor in Article.text
    end: int


@dataclass(frozen=True)
class Article:
    url: str  # canonical, normalised: the article's identity
    fetched_url: str  # where the bytes came from, after redirects
    requested_url: str
    domain: str
    site_name: str | None
    title: str | None
    author: str | None
    published: str | None  # ISO 8601 from the page itself, never the fetch time
    language: str | None
    description: str | None
    text: str  # paragraphs separated by a blank line
    declared_origin_url: str | None
    declared_origin: str | None  # the words that declared it ("kyivindependent.com", "Reuters")
    fetched_at: str
    raw_sha256: str
    links: tuple[Link, ...] = field(default=())
    # The summary under the headline (a "standfirst" or "dek"), when the text opens with it: the
    # outlet's recap of its own story, not a claim of its own.
    standfirst: str | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n")


_C0_OR_SPACE = "".join(map(chr, range(0x21)))


def _trimmed(text: str) -> str:
    """Without whitespace or control characters at either end, as urlsplit drops the latter: so
    normalising a result again changes nothing ("\\x1b\\xa0\\x08" is "", not "\\x08" then "")."""
    while (trimmed := text.strip().strip(_C0_OR_SPACE)) != text:
        text = trimmed
    return text


def normalize_url(url: str) -> str:
    """One spelling per article: lower-case host, no fragment, no tracking parameters, sorted query."""
    url = _trimmed(url)
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return _trimmed(urlunsplit(parts._replace(fragment="")))  # "x #top" -> "x", not "x "
        query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)))
        url = urlunsplit(parts._replace(query=query, fragment=""))
        normalized = urlsplit((courlan.normalize_url(url) or url).split("#", 1)[0])
    except ValueError:  # "http://[oops/" cannot be parsed: kept as given, and fetch says why it fails
        return url
    # "https://host" and "https://host/" are one page; the slash form is what a browser requests.
    return urlunsplit(normalized._replace(path=normalized.path or "/"))


def url_host(url: str) -> str:
    """The URL's host, lowercased; "" when it has none or cannot be parsed."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def extract(page: Page, outlets: Outlets, options: ExtractOptions = ExtractOptions()) -> Article:
    """The article in `page`; raises ExtractionError when there is none."""
    if page.content_type == "text/plain":
        return _from_text(page, outlets, options)
    return _from_html(page, outlets, options)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("utf-8", errors="replace")


def _from_text(page: Page, outlets: Outlets, options: ExtractOptions) -> Article:
    paragraphs = _text_paragraphs(_decode(page.body))
    title = None
    if len(paragraphs) > 1 and len(paragraphs[0]) <= 200 and not paragraphs[0].endswith((".", "!", "?", ":")):
        title, paragraphs = paragraphs[0], paragraphs[1:]
    return _article(page, outlets, options, paragraphs=paragraphs, links=[], meta={"title": title}, min_chars=options.min_text_chars)


def _text_paragraphs(text: str) -> list[str]:
    """Blank lines split paragraphs; inside a block, hard-wrapped lines are joined, long lines stand alone."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if max(len(line) for line in lines) <= 100 and not all(line.endswith((".", "!", "?", '"', "”")) for line in lines):
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return [" ".join(p.split()) for p in paragraphs]


def _from_html(page: Page, outlets: Outlets, options: ExtractOptions) -> Article:
    tree = _parse(page.body)
    if tree is not None and sum(1 for _ in islice(tree.iter(), options.max_elements + 1)) > options.max_elements:
        raise ExtractionError(f"{page.final_url}: page too large to analyse (over {options.max_elements:,} HTML elements)")
    try:
        doc = trafilatura.bare_extraction(
            page.body,
            url=page.final_url,
            with_metadata=True,
            include_links=options.include_links,
            include_comments=False,
            include_images=False,
            include_tables=True,
        )
    except (ValueError, TypeError, etree.LxmlError) as e:
        raise ExtractionError(f"{page.final_url}: the page could not be parsed ({e})") from e
    if doc is None or doc.body is None:
        raise ExtractionError(f"{page.final_url}: no article text found")
    paragraphs, anchors = _blocks(doc.body, page.final_url)
    if paragraphs and doc.title and paragraphs[0] == " ".join(doc.title.split()):
        # The headline repeated as the first block is the title, not body text.
        paragraphs = paragraphs[1:]
        anchors = [(i - 1, s, e, u, a) for i, s, e, u, a in anchors if i > 0]
    meta = {
        "standfirst": paragraphs[0] if paragraphs and paragraphs[0] in _standfirsts(tree) else None,
        "title": doc.title,
        "author": doc.author,
        "site_name": doc.sitename,
        "description": doc.description,
        "language": doc.language or _html_lang(tree),
        "canonical": _canonical(tree, page.final_url),
        "published": _published(tree) or _fallback_date(page.body, page.final_url),
    }
    return _article(page, outlets, options, paragraphs=paragraphs, links=anchors, meta=meta, min_chars=options.min_chars)


# Class names news templates give the summary under a headline.
_STANDFIRST_CLASS = re.compile(r"standfirst|strapline|\bdeck?\b|\bsub-?head(?:line)?\b|\bsub-?title\b", re.I)


def _standfirsts(tree: etree._Element | None) -> set[str]:
    """The texts of the page's standfirst elements, spaces squashed."""
    if tree is None:
        return set()
    return {
        " ".join("".join(e.itertext()).split())
        for e in tree.iter("p", "div", "h2", "h3")
        if _STANDFIRST_CLASS.search(e.get("class") or "")
    }


def _blocks(body: etree._Element, base_url: str) -> tuple[list[str], list[tuple[int, int, int, str, str]]]:
    """Paragraph texts, and each link as (paragraph index, start, end, url, anchor) within its paragraph."""
    paragraphs: list[str] = []
    anchors: list[tuple[int, int, int, str, str]] = []
    for element in body.iter(*_BLOCKS):
        if any(True for _ in element.iterdescendants(*_BLOCKS)):
            continue
        pieces: list[str] = []
        found: list[tuple[int, int, str]] = []
        _walk(element, pieces, found)
        raw = "".join(pieces)
        # Offsets are needed only to place links; most paragraphs have none, and the character walk
        # that maps them was half of extraction's time.
        text, offsets = _squash(raw) if found else (" ".join(raw.split()), [])
        if not text:
            continue
        index = len(paragraphs)
        paragraphs.append(text)
        for start, end, target in found:
            s, e = offsets[start], offsets[end]
            anchor = text[s:e].strip()
            try:
                url = urljoin(base_url, target.strip())
                scheme = urlsplit(url).scheme
            except ValueError:  # a malformed href ("http://[oops/") is no citation
                continue
            if anchor and scheme in ("http", "https"):
                lead = len(text[s:e]) - len(text[s:e].lstrip())
                anchors.append((index, s + lead, s + lead + len(anchor), url, anchor))
    return paragraphs, anchors


def _walk(element: etree._Element, pieces: list[str], found: list[tuple[int, int, str]], size: int = 0) -> int:
    """Append the element's text to `pieces`, `size` characters long so far; returns the new length.

    The length is carried along, not re-summed, so a paragraph of 50k links stays linear.
    """
    start = size
    if element.text:
        pieces.append(element.text)
        size += len(element.text)
    for child in element:
        size = _walk(child, pieces, found, size)
        if child.tail:
            pieces.append(child.tail)
            size += len(child.tail)
    if element.tag == "ref" and element.get("target"):
        found.append((start, size, element.get("target", "")))
    return size


def _squash(raw: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs and trim; offsets[i] maps raw index i to its index in the result."""
    out: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for ch in raw:
        if ch.isspace():
            pending_space = bool(out)
            offsets.append(len(out) + (1 if pending_space else 0))
            continue
        if pending_space:
            out.append(" ")
            pending_space = False
        offsets.append(len(out))
        out.append(ch)
    offsets.append(len(out))
    text = "".join(out)
    return text, [min(o, len(text)) for o in offsets]


def _article(
    page: Page,
    outlets: Outlets,
    options: ExtractOptions,
    *,
    paragraphs: list[str],
    links: list[tuple[int, int, int, str, str]],
    meta: dict[str, str | None],
    min_chars: int,
) -> Article:
    text = "\n\n".join(paragraphs)
    if len(text) < min_chars:
        raise ExtractionError(f"{page.final_url}: no article text found (only {len(text)} characters)")
    starts = [0]
    for p in paragraphs[:-1]:
        starts.append(starts[-1] + len(p) + 2)
    article_links = tuple(
        Link(url=normalize_url(url), anchor_text=anchor, start=starts[i] + s, end=starts[i] + e)
        for i, s, e, url, anchor in links
    )
    url = meta.get("canonical") or normalize_url(page.final_url)
    host = url_host(url)
    outlet = outlets.for_host(host)
    origin, origin_url = declared_origin(paragraphs, article_links, outlets, host)
    return Article(
        url=url,
        fetched_url=normalize_url(page.final_url),
        requested_url=normalize_url(page.url),
        domain=bare_host(host) if host else "",
        site_name=meta.get("site_name") or (outlet.name if outlet else None),
        title=_clean(meta.get("title")),
        author=_clean(meta.get("author")),
        published=meta.get("published"),
        language=meta.get("language"),
        description=_clean(meta.get("description")),
        text=text,
        declared_origin_url=origin_url,
        declared_origin=origin,
        fetched_at=page.fetched_at,
        raw_sha256=page.sha256,
        links=article_links,
        standfirst=meta.get("standfirst"),
    )


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def declared_origin(
    paragraphs: list[str], links: tuple[Link, ...], outlets: Outlets, own_host: str
) -> tuple[str | None, str | None]:
    """An "Original Source:" style footer wins over a wire dateline; an origin on our own domain is no origin."""
    candidates: list[str] = []
    for paragraph in reversed(paragraphs):
        if len(paragraph) <= MAX_QUIRK_LINE:
            for pattern in outlets.origin_patterns:
                m = pattern.search(paragraph)
                if m and m.group("origin"):
                    # "Sources: AP, Reuters" names two origins; the first one that resolves is kept.
                    candidates += [o.strip().rstrip(".") for o in re.split(r",|\band\b", m.group("origin")) if o.strip()]
    for paragraph in paragraphs[:2]:
        for pattern in outlets.dateline_patterns:
            m = pattern.search(paragraph[:MAX_QUIRK_LINE])
            if m and outlets.for_name(m.group("outlet")):
                candidates.append(m.group("outlet").strip())
    for mention in candidates:
        url = _origin_url(mention, links, outlets)
        if url and bare_host(url_host(url)) != bare_host(own_host):
            return mention, url
    # Named but not locatable ("Issued by the Bureau of Meteorology"): the name is still an origin.
    unlocated = [m for m in candidates if _origin_url(m, links, outlets) is None]
    return (unlocated[0], None) if unlocated else (None, None)


def _origin_url(mention: str, links: tuple[Link, ...], outlets: Outlets) -> str | None:
    if re.match(r"https?://", mention):
        url = normalize_url(mention.split()[0])
        return url if url_host(url) else None
    outlet = outlets.for_name(mention)
    if re.fullmatch(r"(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/?", mention, re.I):
        domains: tuple[str, ...] = (bare_host(mention.rstrip("/")),)
    elif outlet:
        domains = outlet.domains
    else:
        return None
    for link in links:  # the page's own link to that outlet says which article it means
        if bare_host(url_host(link.url)) in domains or link.anchor_text.lower() == mention.lower():
            return link.url
    return f"https://{domains[0]}/"


def _parse(body: bytes) -> etree._Element | None:
    try:
        return lxml.html.fromstring(body)
    except (etree.ParserError, ValueError):
        return None


def _html_lang(tree: etree._Element | None) -> str | None:
    if tree is None:
        return None
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    return lang.strip() if lang and lang.strip() else None


def _canonical(tree: etree._Element | None, final_url: str) -> str | None:
    """rel=canonical, but only on the same site: a derivative naming its origin as canonical is still a derivative."""
    if tree is None:
        return None
    for href in tree.xpath("//link[@rel='canonical']/@href"):
        try:
            url = normalize_url(urljoin(final_url, href))
        except ValueError:
            continue
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        if urlsplit(final_url).scheme == "file" or bare_host(url_host(url)) == bare_host(url_host(final_url)):
            return url
    return None


def _published(tree: etree._Element | None) -> str | None:
    """The page's own publication time: meta tags, JSON-LD, then <time datetime>."""
    if tree is None:
        return None
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _PUBLISHED_META:
            found = iso_datetime(meta.get("content", ""))
            if found:
                return found
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        found = _jsonld_date(data)
        if found:
            return found
    for value in tree.xpath("//*[@itemprop='datePublished']/@datetime | //time[@datetime]/@datetime"):
        found = iso_datetime(value)
        if found:
            return found
    return None


def _jsonld_date(data: object) -> str | None:
    if isinstance(data, list):
        return next((d for d in map(_jsonld_date, data) if d), None)
    if isinstance(data, dict):
        if isinstance(data.get("datePublished"), str):
            found = iso_datetime(data["datePublished"])
            if found:
                return found
        return _jsonld_date(data.get("@graph", []))
    return None


def iso_datetime(value: str) -> str | None:
    """ISO 8601; aware times in UTC with a Z, a bare date stays a date."""
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.strftime("%Y-%m-%dT%H:%M:%S")
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fallback_date(body: bytes, url: str) -> str | None:
    try:
        found = htmldate.find_date(body, url=url, original_date=True, extensive_search=False)
    except (ValueError, TypeError):
        return None
    return found or None
