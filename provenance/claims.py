"""Article text -> claims: sentences (or clauses carrying their own attribution) with offsets,
numbers normalised with their units, hedges and quotes.

Pure: text in, records out. Offsets always point into `Article.text`, so that
`text[claim.start:claim.end] == claim.text` holds for every claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import blingfire

# Lines that are furniture, not statements of fact.
_NOT_CLAIMS = re.compile(
    r"""^(?:
        by\s+[A-Z][\w.'’-]+(?:\s+(?:and\s+)?[A-Z][\w.'’-]+){0,5}\s*$      # byline
      | (?:original(?:ly)?\s+(?:source|published\s+\w+)|sources?|credits?|photo|image|picture|video|graphic|file\s+photo|h/t)\s*:.{0,100}$
      | via\s+\S+\s*$
      | \(?(?:reporting|additional\s+reporting|writing|editing|compiled)\s+by\b.*$
      | (?:read|see|watch|listen)\s+(?:more|also|next)\b.*$
      | (?:related|more\s+on\s+this\s+story|advertisement|sign\s+up|subscribe|follow\s+us|share\s+this)\b.{0,100}$
      | (?:copyright|©|all\s+rights\s+reserved).*$
      | issued\s+by\s+[A-Z].{0,100}$
      | this\s+(?:article|story|report)\s+(?:was\s+)?(?:originally|first)\s+(?:published|appeared|reported).*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"[A-Za-zÀ-ÿĀ-ž]+")

HEDGES = (
    "about", "around", "approximately", "roughly", "nearly", "almost", "some", "up to", "more than",
    "less than", "fewer than", "over", "at least", "as many as", "as much as", "an estimated", "estimated",
    "could", "may", "might", "reportedly", "allegedly", "possibly", "probably", "likely", "unconfirmed",
    "appears", "appeared", "appear", "seems", "seemed", "believed", "is said to", "are said to", "suspected",
    "projected", "forecast to", "expected to", "expected in", "possible",
)
_HEDGE = re.compile(r"\b(?:" + "|".join(re.escape(h).replace(r"\ ", r"\s+") for h in sorted(HEDGES, key=len, reverse=True)) + r")\b", re.I)
# Hedges that only hedge a number: "some 4,000" hedges, "some officials" does not.
_NUMBER_HEDGES = {"about", "around", "some", "over", "up to", "more than", "less than", "fewer than", "at least",
                  "as many as", "as much as", "nearly", "almost", "roughly", "approximately", "an estimated", "estimated"}

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a dozen": 12, "dozen": 12, "a hundred": 100,
    "hundred": 100, "a thousand": 1000, "thousand": 1000,
}
_SCALE = {"hundred": 100, "thousand": 1_000, "k": 1_000, "million": 1_000_000, "mn": 1_000_000, "m": 1_000_000,
          "billion": 1_000_000_000, "bn": 1_000_000_000, "b": 1_000_000_000, "trillion": 1_000_000_000_000, "tn": 1_000_000_000_000}
_FRACTIONS = {"half": 0.5, "a half": 0.5, "one-half": 0.5, "a third": 1 / 3, "one-third": 1 / 3, "one third": 1 / 3,
              "two-thirds": 2 / 3, "two thirds": 2 / 3, "a quarter": 0.25, "one-quarter": 0.25, "one quarter": 0.25,
              "three-quarters": 0.75, "three quarters": 0.75}
_UNITS = {
    "mm": "mm", "millimetre": "mm", "millimeter": "mm", "millimetres": "mm", "millimeters": "mm",
    "cm": "cm", "km": "km", "kilometre": "km", "kilometer": "km", "kilometres": "km", "kilometers": "km",
    "m": "m", "metre": "m", "meter": "m", "metres": "m", "meters": "m", "mile": "mile", "miles": "mile",
    "kg": "kg", "kilogram": "kg", "kilograms": "kg", "tonne": "t", "tonnes": "t", "ton": "t", "tons": "t",
    "%": "%", "percent": "%", "per cent": "%", "percentage points": "pp",
    "square kilometers": "km2", "square kilometres": "km2", "sq km": "km2", "km2": "km2", "km²": "km2",
    "square miles": "mi2", "sq mi": "mi2", "hectares": "ha", "hectare": "ha", "ha": "ha", "acres": "acre", "acre": "acre",
}
_CURRENCY = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₴": "UAH"}
_NUMBER = re.compile(
    r"""(?P<cur>US\$|\$|€|£|¥|₹|₩|₴)?\s?
        (?<![A-Za-z\d])(?<![A-Za-z]-)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)
        (?:\s?(?P<scale>hundred|thousand|million|billion|trillion|mn|bn|tn|k|m|b)\b)?
        (?:[\s-]?(?P<unit>percentage\s+points|per\s+cent|percent|%|square\s+kilomet(?:er|re)s|square\s+miles|sq\s+km|sq\s+mi|km²|km2|
            millimet(?:er|re)s?|kilomet(?:er|re)s?|met(?:er|re)s|miles?|kilograms?|tonnes?|tons?|hectares?|acres?|mm|cm|km|kg|ha)(?![\w]))?""",
    re.VERBOSE | re.IGNORECASE,
)
_WORD_NUMBER = re.compile(
    r"\b(?P<frac>two[- ]thirds|three[- ]quarters|one[- ](?:third|half|quarter)|a (?:third|half|quarter)|half)\b"
    r"|\b(?P<word>(?:a\s)?(?:dozen|hundred|thousand)|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    # "Thirty-seven": the tens and the units are one number.
    r"(?:(?<=ty)[- ](?P<ones>one|two|three|four|five|six|seven|eight|nine)\b)?"
    r"(?:\s(?P<wscale>hundred|thousand|million|billion))?\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")  # a year from 1800 to 2099
_QUOTE = re.compile(r"“([^”]{3,})”|\"([^\"]{3,})\"")


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None  # normalised unit ("mm", "%", "USD"), None for a count
    noun: str | None  # the word counted ("troops"), when no unit
    text: str  # as written
    hedge: str | None  # "up to", "about"... right before it


@dataclass(frozen=True)
class Claim:
    seq: int
    text: str
    start: int
    end: int
    paragraph: int
    quantities: tuple[Quantity, ...] = ()
    hedges: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets, never across a paragraph break."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            spans += _fix_spans(paragraph, [(offset + s, offset + e) for s, e in _paragraph_sentences(paragraph)], offset)
        offset += len(paragraph) + 2
    return spans


def _paragraph_sentences(paragraph: str) -> list[tuple[int, int]]:
    """blingfire's sentences, located in the paragraph by search: its own offset mapping runs in
    Python and costs more than the splitting; the slow path is kept for text it rewrote."""
    spans: list[tuple[int, int]] = []
    at = 0
    for sentence in blingfire.text_to_sentences(paragraph).split("\n"):
        found = paragraph.find(sentence, at)
        if found < 0:
            return [tuple(o) for o in blingfire.text_to_sentences_and_offsets(paragraph)[1]]
        spans.append((found, found + len(sentence)))
        at = found + len(sentence)
    return spans


_ABBREVIATION = re.compile(r"^(?:(?:[A-Z][a-z]{0,4}\.|(?:[A-Z]\.){2,})\s*)+$")


def _fix_spans(paragraph: str, spans: list[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    """blingfire splits after a closing quote that the speaker tag continues ('"...?" she asked.')
    and after a title standing alone ("Lt." "Gen." "Ilhan Sorvenne said"): both are glued back."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        following = paragraph[start - offset:end - offset]
        previous = paragraph[merged[-1][0] - offset:merged[-1][1] - offset] if merged else ""
        if merged and (re.match(r"^[a-z(,;]", following) or _ABBREVIATION.match(previous.strip())):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def is_claim(sentence: str, *, clause: bool = False) -> bool:
    """Furniture (bylines, footers, credits, headings, "Read more") is not a claim."""
    words = _WORD.findall(sentence)
    if len(words) < 4 or _NOT_CLAIMS.match(sentence.strip()):
        return False
    if sentence.rstrip().rstrip("\"”’'").endswith("?") and not clause:
        return False  # a question asks; it claims nothing
    # A heading: short, no final punctuation. A clause cut from a sentence has none either.
    return clause or len(words) >= 8 or sentence.rstrip().endswith((".", "!", "?", '"', "”", "’", "'", ")"))


def split(text: str, datelines: Sequence[re.Pattern[str]] = ()) -> list[Claim]:
    """The claims of an article text, in order, each with its offsets; a wire dateline
    ("SEOUL, Jan 5 (Reuters) -") is credit, not claim, and is left out of the claim's span."""
    claims: list[Claim] = []
    paragraph_starts = [m.start() for m in re.finditer(r"(?:^|(?<=\n\n))", text)]
    for start, end in sentence_spans(text):
        start = _after_dateline(text, start, end, datelines)
        for s, e in _clauses(text, start, end):
            chunk = text[s:e]
            if not is_claim(chunk, clause=e != end):
                continue
            paragraph = sum(1 for p in paragraph_starts if p <= s) - 1
            claims.append(
                Claim(
                    seq=len(claims),
                    text=chunk,
                    start=s,
                    end=e,
                    paragraph=paragraph,
                    quantities=quantities(chunk),
                    hedges=hedges(chunk),
                    quotes=quotes(chunk),
                )
            )
    return claims


def dateline(text: str, datelines: Sequence[re.Pattern[str]]) -> str | None:
    """The outlet a wire dateline at the top of the text credits ("(Reuters) -" -> "Reuters")."""
    for paragraph in text.split("\n\n")[:3]:  # a byline or a date line may come first
        for pattern in datelines:
            m = pattern.match(paragraph)
            if m and m.groupdict().get("outlet"):
                return m.group("outlet").strip()
    return None


def _after_dateline(text: str, start: int, end: int, datelines: Sequence[re.Pattern[str]]) -> int:
    sentence = text[start:end]
    for pattern in datelines:
        m = pattern.match(sentence)
        if m:
            rest = sentence[m.end():]
            return start + m.end() + len(rest) - len(rest.lstrip())
    return start


_CLAUSE_BREAK = re.compile(r";\s+|,\s+(?:and|but|while|whereas)\s+(?=[A-Z]|\w+\s+(?:said|says|told|added))")
_CUE_HINT = re.compile(r"\b(?:said|says|told|according to|reported|added|stated|claimed|estimated|confirmed|denied|insisted|warned)\b", re.I)


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a sentence at ';' or ', and' only when each side carries its own attribution."""
    sentence = text[start:end]
    pieces: list[tuple[int, int]] = []
    last = 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        left, right = sentence[last:m.start()], sentence[m.end():]
        if _CUE_HINT.search(left) and _CUE_HINT.search(right) and len(_WORD.findall(left)) >= 4:
            pieces.append((start + last, start + m.start()))
            last = m.end()
    pieces.append((start + last, end))
    return [(s, e) for s, e in pieces if text[s:e].strip()]


def quantities(text: str) -> tuple[Quantity, ...]:
    """Numbers with units normalised: 3,000 / three thousand / 3k -> 3000; 170mm -> 170 mm; two-thirds -> 0.667."""
    found: list[tuple[int, Quantity]] = []
    taken: list[tuple[int, int]] = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num")
        if YEAR.fullmatch(raw) and not (m.group("unit") or m.group("cur") or m.group("scale")):
            continue  # 2024 is a date, not a quantity
        if _is_date_day(text, m.start("num"), m.end("num")):
            continue
        if not (m.group("unit") or m.group("cur") or m.group("scale")) and _is_label(text, m.start("num"), m.end("num")):
            continue
        value = float(raw.replace(",", ""))
        scale = (m.group("scale") or "").lower()
        if scale in ("m", "b") and not m.group("cur"):
            scale = ""  # "5 m" is five metres, not five million, unless money
        value *= _SCALE.get(scale, 1)
        unit = _CURRENCY.get((m.group("cur") or "").lower()) or _UNITS.get(re.sub(r"\s+", " ", (m.group("unit") or "").lower()))
        begin = m.start("cur") if m.group("cur") else m.start("num")
        found.append((begin, _quantity(text, begin, m.end(), value, unit)))
        taken.append((begin, m.end()))
    for m in _WORD_NUMBER.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if m.group("frac"):
            value = _FRACTIONS[re.sub(r"\s+", " ", m.group("frac").lower())]
        else:
            word = re.sub(r"\s+", " ", m.group("word").lower())
            if word == "one" and not m.group("wscale"):
                continue  # "one of the", "one official": not a quantity worth comparing
            ones = _SMALL[m.group("ones").lower()] if m.group("ones") else 0
            value = float(_SMALL[word] + ones) * _SCALE.get((m.group("wscale") or "").lower(), 1)
        found.append((m.start(), _quantity(text, m.start(), m.end(), value, None)))
    for m in _ONE_PERIOD.finditer(text):
        lasting = m.group("spell") or re.match(r"\s+of\b", text[m.end():])
        if lasting and not any(s <= m.start() < e for s, e in taken):
            found.append((m.start("said"), Quantity(1.0, None, m.group("period").lower() + "s", m.group("said"), None)))
    return tuple(q for _, q in sorted(found, key=lambda pair: pair[0]))


# A single period is a duration as much as "two years" is: "a year of free credit monitoring",
# "suspended for a month". Not a rate ("€20 million a day") nor a time ("a year ago").
_ONE_PERIOD = re.compile(
    r"\b(?P<spell>for\s+)?(?P<said>(?:a|an|one)\s+(?P<period>year|month|week|day|decade))\b",
    re.I,
)


_HEDGE_BEFORE = re.compile(
    r"\b(" + "|".join(re.escape(h).replace(r"\ ", r"\s+") for h in sorted(_NUMBER_HEDGES, key=len, reverse=True)) + r")\s+$"
)
_COUNT_FILLERS = {"more", "additional", "extra", "new", "other", "of", "these", "the", "them", "those", "further", "and", "or",
                  "on", "in", "at", "to", "for", "by", "from", "with", "per", "a", "an", "its", "their", "his", "her", "our", "my",
                  "your"}
_CLAUSE_WORDS = {"because", "since", "when", "while", "if", "that", "which", "who", "as", "but", "although", "though",
                 "after", "before", "until", "unless", "so", "than"}
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"


_MONTH_BEFORE = re.compile(_MONTH + r"\s$")
_MONTH_AFTER = re.compile(r"\s" + _MONTH)


# Capitalised words that may stand before a count: "About 3,000", "Only 12", "Some 40".
_BEFORE_A_COUNT = {"About", "Around", "Some", "Over", "Nearly", "Almost", "Roughly", "Approximately", "Up", "More", "Less",
                   "Fewer", "At", "As", "Only", "Just", "All", "Another", "The", "Those", "These", "Its", "Their", "His", "Her",
                   "Our", "By", "In", "On", "Of", "For", "With", "From", "To", "And", "But", "Or", "Another", "Top", "First", "Last"}


def _is_label(text: str, start: int, end: int) -> bool:
    """Is the number part of a name ("Halo 2", "Quay 4", "Article 5") or a clock time ("03:42", "0142 GMT")?"""
    if re.match(r":\d\d", text[end:end + 3]) or re.search(r"\d:$", text[max(0, start - 2):start]):
        return True
    before = re.search(r"\b([A-Z][A-Za-z]*)\s$", text[max(0, start - 30):start])
    if before and before.group(1) not in _BEFORE_A_COUNT and not re.fullmatch(_MONTH, before.group(1)):
        return True
    return bool(re.match(r"\s*(?:GMT|UTC|local time)\b", text[end:end + 12]))


def _is_date_day(text: str, start: int, end: int) -> bool:
    if end - start > 2:
        return False
    return bool(_MONTH_BEFORE.search(text[max(0, start - 12):start]) or _MONTH_AFTER.match(text[end:end + 12]))


def _quantity(text: str, start: int, end: int, value: float, unit: str | None) -> Quantity:
    m = _HEDGE_BEFORE.search(text[max(0, start - 20):start].lower())
    hedge = re.sub(r"\s+", " ", m.group(1)) if m else None
    noun = None
    if unit is None:
        # The thing counted: the first lower-case word after the number, past adjectives such as
        # "additional" and proper adjectives such as "North Korean".
        for word in re.findall(r"[A-Za-z][A-Za-z-]*", text[end:end + 60])[:4]:
            if word in _CLAUSE_WORDS:
                break  # "a year and a half because ...": the clause moves on, nothing is counted
            if word.islower() and word not in _COUNT_FILLERS:
                noun = word
                break
    return Quantity(value=round(value, 3), unit=unit, noun=noun, text=text[start:end].strip(), hedge=hedge)


def hedges(text: str) -> tuple[str, ...]:
    """Words that soften a claim ("up to", "could", "reportedly"), lower-cased, in order."""
    found = []
    for m in _HEDGE.finditer(text):
        if m.start() > 0 and m.group(0)[0].isupper():
            continue  # "in May" is a month; only a sentence may start with a capital "About"
        word = re.sub(r"\s+", " ", m.group(0).lower())
        if word in _NUMBER_HEDGES and not re.match(r"\s*(?:US\$|\$|€|£)?\d|\s*(?:a |one |two |three |half|dozen)", text[m.end():m.end() + 8], re.I):
            continue  # "some officials", "over the weekend"
        found.append(word)
    return tuple(found)


def quotes(text: str) -> tuple[str, ...]:
    return tuple(a or b for a, b in _QUOTE.findall(text))
