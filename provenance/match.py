"""Claims -> the earlier claims they derive from: a scored comparison of candidates, the relation,
and what changed on the way (distortions).

Pure: the store finds candidates through its indexes (full-text, numbers, MinHash bands) and hands
them here as records; nothing in this module reads the database.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from datasketch import MinHash
from rapidfuzz import fuzz

from .claims import YEAR, Quantity, quotes


class Relation(StrEnum):
    COPY = "copy"  # the same words
    PARAPHRASE = "paraphrase"  # the same statement reworded
    SUMMARY = "summary"  # a shorter statement of part of it
    PARTIAL = "partial"  # shares a statement with it, among other things


class Distortion(StrEnum):
    NUMBER_CHANGED = "number_changed"
    HEDGE_DROPPED = "hedge_dropped"
    ATTRIBUTION_DROPPED = "attribution_dropped"
    ATTRIBUTION_STRENGTHENED = "attribution_strengthened"
    UNSUPPORTED = "unsupported"


class _HashedOnce(tuple):
    """A tuple that computes its hash once: `places` is part of the cache key of every comparison
    of two claims, and hashing its pairs again each time cost a fifth of ranking."""

    def __hash__(self) -> int:
        if "hash" not in self.__dict__:
            self.__dict__["hash"] = tuple.__hash__(self)
        return self.__dict__["hash"]


@dataclass(frozen=True)
class MatchSettings:
    # Below this a candidate is a coincidence of vocabulary, not an origin: on tests/gold/origins.jsonl
    # the lowest true match scores about 0.45 and the highest unrelated pair about 0.35.
    threshold: float = 0.45
    # A candidate inside an article the claim's article cites gets this much benefit of the doubt,
    # and one inside an article linked from the claim itself ("as [PulseBriefs reported](url)") more.
    citation_bonus: float = 0.08
    phrase_margin: float = 0.05  # see `likeness`
    link_bonus: float = 0.12
    # A rewrite tends to rewrite one article: among close candidates, the one its siblings came from.
    affinity_bonus: float = 0.06
    # A cited candidate is preferred to a better text match only when it is nearly as good.
    citation_margin: float = 0.22
    # The writer's own framing ("This underscores ...") restates facts loosely: it needs a closer likeness.
    commentary_margin: float = 0.08
    # The outlet's own reporting (a request for comment, "is understood to") is another's only when copied.
    copied: float = 0.9
    lead_weight: float = 0.02  # see lead_cover
    # A cited article's claim that restates the best match elsewhere is where the writer read it,
    # even when worded less like the claim: down to this score.
    carrier_floor: float = 0.3
    # (alias, place) pairs: "Pyongyang" and "North Korean" read as "North Korea" (scrapers/places.toml).
    places: tuple[tuple[str, str], ...] = ()
    top: int = 5  # candidates kept for `trace --top`
    # A claim typed by a journalist is short and informal: list candidates down to this score (the
    # chain still needs the threshold), and let the full-text rank break near-ties.
    free_text_floor: float = 0.3
    full_text_weight: float = 0.3
    # Words most candidates share (the story's countries, its main actors) say little about which
    # one a claim restates: among close candidates the one sharing its rarer words wins, and one
    # sharing almost none of them is no origin, whatever its score (see `term_weights`).
    stale_penalty: float = 0.1  # see `_years_apart`
    rarity_weight: float = 0.04
    rarity_floor: float = 0.06

    def __post_init__(self) -> None:
        object.__setattr__(self, "places", _HashedOnce(self.places))


@dataclass(frozen=True)
class ClaimView:
    """A claim as the matcher sees it: its words, numbers, hedges, sources and where it was published."""

    claim_id: int | None
    article_id: int | None
    text: str
    published: str | None = None
    quantities: tuple[Quantity, ...] = ()
    hedges: tuple[str, ...] = ()
    cue: str | None = None  # the cue of its own (not article-level) source, if any
    source: str | None = None  # that source's name
    source_kind: str | None = None  # and its kind ("outlet": a credit for passing the claim on)
    cited_articles: frozenset[int] = field(default_factory=frozenset)  # articles its article cites or declares as origin
    linked_articles: frozenset[int] = field(default_factory=frozenset)  # articles linked from inside the claim itself
    origin_articles: frozenset[int] = field(default_factory=frozenset)  # its article's declared origin ("Original Source:")
    favoured_article: int | None = None  # the article most of its article's other claims come from
    origin_claims: frozenset[int] = field(default_factory=frozenset)  # the earlier claims it is matched to
    # Published on an official body's own site (a press release): its statements start there, so
    # only what it cites can be an origin, never a look-alike in earlier coverage.
    official: bool = False
    # The article's first sentence with no full stop: the headline again, which the next sentence
    # states in full. A headline sums up a story: no claim's rewrite, nor what a claim rewrites.
    heading: bool = False
    # In the summary under the headline: the outlet's recap of its own story, taken from nothing
    # (an aggregator may still copy it).
    standfirst: bool = False
    site: str | None = None  # the name of the site that published it ("told the Examiner" is its own interview there)


@dataclass(frozen=True)
class Match:
    claim_id: int | None
    origin_claim_id: int
    score: float
    relation: Relation
    distortions: tuple[dict[str, str], ...]
    basis: str  # "text": the best text match anywhere; "citation": the best inside an article it cites


# --- comparing two claims -------------------------------------------------------------------

_STOP = frozenset(
    """a an the and or but of to in on at for from by with as is are was were be been has have had it its
    this that these those which who whom said says told according reported also would will could may might
    than then there their they he she his her we our you your not no more most over under about after before
    into out up down so such per via while during since until other another some any each whether""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*", re.I)
# Attribution clauses differ between versions of one statement; compare what is claimed.
_ATTRIBUTION_CLAUSE = re.compile(
    r"(?:,\s*)?(?:according to|as reported by|as [A-Z][\w ]{0,40}? (?:reported|said|noted)|citing)\s[^,.;]*"
    # A trailing "..., X said on Tuesday." only: a long tail after the verb is the statement itself
    # ("..., Captain Roath said divers would inspect the hull on Tuesday").
    r"|,\s*(?:the\s+)?[\w’' -]{2,60}?\s(?:said|says|reported|added|told \w+|(?:has\s+|have\s+)?(?:revealed|found|shown|concluded))\b"
    r"(?:\s+(?!that\b)[\w’'.-]+){0,5}(?=[.;]?\s*$)",
)


# A claim is compared with dozens of candidates and each candidate with many claims: these
# pure text functions ran millions of times a large ingest (most of its time), so their results are kept.
_CACHED = 1 << 16


# "Calverex Chemicals, which runs a coatings plant at Sellbrook, said ...": the description that
# identifies a company or a person recurs in every story about them; it is not what is claimed.
_DESCRIPTION = re.compile(r",\s+(?:which|who|whose)\s[^,;.]{3,120},(?=\s+[a-z])")


@functools.lru_cache(maxsize=_CACHED)
def content(text: str) -> str:
    return _DESCRIPTION.sub("", _ATTRIBUTION_CLAUSE.sub("", _TIMESTAMP.sub("", text)))


# A live blog's entry time ("09:40 - ...", "18:30 – ..."): when it was posted, not what it says.
_TIMESTAMP = re.compile(r"^\s*\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?\s*)?[-–—]\s*", re.I)


@functools.lru_cache(maxsize=_CACHED)
def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower().replace(",", "") for w in _TOKEN.findall(text) if w.lower() not in _STOP and len(w) > 1)


@functools.lru_cache(maxsize=_CACHED)
def _names(text: str) -> frozenset[str]:
    """Capitalised words not at a sentence start: the names a statement is about."""
    inside = (m.group(0).lower() for m in re.finditer(r"(?<=[a-z,;] )[A-Z][\w-]+", text))
    # A sentence opening with a name of several words ("Keld & Arneson will ...", "North Korea
    # fired ...") names it too; one capitalised word there is only the sentence's first word.
    opening = re.match(r"(?!(?:The|A|An|This|That|These|Those|It|In|On|At|But|And)\b)([A-Z][\w-]+)(?=\s(?:&\s)?[A-Z])", text)
    return frozenset([*inside, *([opening.group(1).lower()] if opening else [])])


@functools.lru_cache(maxsize=_CACHED)
def _capitalised(text: str) -> frozenset[str]:
    """The stems of the capitalised words, a sentence's first word too ("Ferrelo had ...")."""
    return frozenset(_stem(w.lower()) for w in re.findall(r"\b[A-Z][\w-]+", text))


@functools.lru_cache(maxsize=_CACHED)
def _stem(word: str) -> str:
    """A light affix strip so "casualties"/"casualty", "deployed"/"deploys" and "inexperience"/"experience"
    meet; enough for overlap. A negating prefix is dropped only before a vowel ("information" stays)."""
    if word[:2] in ("in", "un") and len(word) >= 8 and word[2] in "aeiou":
        word = word[2:]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if suffix == "s" and word.endswith("ss"):
            break
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)] + keep
            break
    # "missile"/"missiles", "estimate"/"estimated", "supplied"/"supplying" end alike.
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word[:-1] + "y" if word.endswith("i") else word


# How many of a claim's first content words decide which of two close candidates it restates: a
# sentence's lead carries its main statement, a merged second statement trails.
_LEAD_WORDS = 8


@functools.lru_cache(maxsize=_CACHED)
def _stems(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _words(text))


@functools.lru_cache(maxsize=_CACHED)
def _lead(text: str) -> frozenset[str]:
    """The stems of the first _LEAD_WORDS distinct content words of `text`."""
    words = (_stem(w.lower().replace(",", "")) for w in _TOKEN.findall(text) if w.lower() not in _STOP and len(w) > 1)
    return frozenset(list(dict.fromkeys(words))[:_LEAD_WORDS])


def lead_cover(derived: ClaimView, origin: ClaimView) -> float:
    """0..1: the share of `derived`'s first content words that `origin` has."""
    lead = _lead(content(derived.text))
    return len(lead & _stems(content(origin.text))) / max(1, len(lead))


@functools.lru_cache(maxsize=8)
def _place_names(places: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    names = dict(places)
    # Longest first, so "North Korean" wins over "North"; not inside a longer name ("Washington Post").
    alternatives = "|".join(re.escape(a) for a in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])(?!\s+[A-Z])"), names


@functools.lru_cache(maxsize=_CACHED)
def _placed(text: str, places: tuple[tuple[str, str], ...]) -> str:
    """`text` with every other name of a place written as the place's name."""
    if not places:
        return text
    pattern, names = _place_names(places)
    return pattern.sub(lambda m: names[m.group(0)], text)


def term_weights(claim: ClaimView, candidates: Sequence[ClaimView], places: tuple[tuple[str, str], ...] = ()) -> dict[str, float]:
    """How telling each word is among one claim's candidates (an inverse document frequency over
    them): a word most of them share, such as the story's countries, says little about which one
    the claim restates. Only the claim's own words are weighed: `rare_cover` asks for no other."""
    mine = _stems(_placed(content(claim.text), places))
    counts = dict.fromkeys(mine, 1)
    for view in candidates:
        for stem in mine & _stems(_placed(content(view.text), places)):
            counts[stem] += 1
    return {stem: math.log(1 + (len(candidates) + 1) / (count + 0.5)) for stem, count in counts.items()}


def rare_cover(derived: ClaimView, origin: ClaimView, weights: dict[str, float], places: tuple[tuple[str, str], ...] = ()) -> float:
    """0..1: the share of `derived`'s words, each counted by its weight, that `origin` has."""
    mine = _stems(_placed(content(derived.text), places))
    shared = mine & _stems(_placed(content(origin.text), places))
    return sum(weights[s] for s in shared) / max(1e-9, sum(weights[s] for s in mine))


def similarity(derived: ClaimView, origin: ClaimView, places: tuple[tuple[str, str], ...] = ()) -> float:
    """0..1: how likely `derived` restates `origin`, from words, names and numbers."""
    return _similarity(derived.text, origin.text, derived.quantities, origin.quantities, places)


# Matching compares a claim with each candidate once a pass, and runs two passes: kept, the second
# pass's comparisons are free.
@functools.lru_cache(maxsize=_CACHED)
def _similarity(
    derived_text: str, origin_text: str, derived_quantities: tuple[Quantity, ...], origin_quantities: tuple[Quantity, ...],
    places: tuple[tuple[str, str], ...],
) -> float:
    a, b = _placed(content(derived_text), places), _placed(content(origin_text), places)
    token_set = fuzz.token_set_ratio(a, b, processor=str.lower) / 100
    wa, wb = _stems(a), _stems(b)
    overlap = len(wa & wb) / max(1, min(len(wa), len(wb)))
    jaccard = len(wa & wb) / max(1, len(wa | wb))
    na, nb = _names(a), _names(b)
    names = len(na & nb) / max(1, len(na | nb)) if na or nb else 0.5
    score = 0.35 * token_set + 0.25 * overlap + 0.25 * jaccard + 0.15 * names
    # One content word in common is a shared topic, not a restatement, however short the candidate
    # ("The judgment is not final." against "... it would study the written judgment and appeal"),
    # and so is one name of several words ("the Data Protection Commission", "Carvell Mutual").
    # Nor is a day and a time in common alone ("on Saturday evening").
    if _things_shared(a, wa & wb) <= 1 or wa & wb <= _WHEN_WORDS:
        score = min(score, 0.2)
    # Shared figures confirm a match that the words already suggest, down to a fragment of a longer
    # sentence ("Electricity alone cost 11.2% more" of "..., and by electricity, which cost 11.2
    # percent more than ..."); small numbers ("three clinics") are too common to count, and a figure
    # alone does not make two statements one.
    figures_a = [q for q in derived_quantities if q.value >= 10]
    figures_b = [q for q in origin_quantities if q.value >= 10]
    values_b = {q.value for q in figures_b}
    if figures_a and figures_b and score >= 0.33:
        # The same number in other units is another figure: "100%" is not "$100".
        shared = any(a.value == b.value and (a.unit is None or b.unit is None or a.unit == b.unit) for a in figures_a for b in figures_b)
        score += 0.08 if shared else -0.02
    # A rewrite rarely adds facts: figures about things the candidate never counts suggest the
    # claim is the fuller, original statement, not a copy of this one.
    keys_b = {_key(q) for q in origin_quantities}
    new = [q for q in derived_quantities if q.value >= 10 and q.value not in values_b and _key(q) not in keys_b]
    score -= min(0.15, 0.05 * len(new))
    # Who it is about and nothing of what is said, with a figure the candidate never gives ("Ferrelo
    # had a €75m release clause at Racing" against his goals for Racing): another fact about them.
    if new and wa & wb <= _capitalised(a) & _capitalised(b):
        score = min(score, 0.2)
    # Two quotations with different words are two statements, even by one speaker on one topic.
    if _different_quotes(derived_text, origin_text):
        score -= 0.15
    # "It is the deadliest earthquake since 1987" says what no sentence without a superlative, or
    # with another reference point ("the highest inflation rate since February 2025"), says.
    if _other_record(derived_text, origin_text):
        score -= 0.25
    return max(0.0, min(1.0, score))


def _shared_run(a: str, b: str) -> int:
    """The longest run of lower-case content words (stems) that two texts share, in the same order."""
    def run(text: str) -> list[str]:
        return [_stem(w) if w.islower() else "" for w in _TOKEN.findall(text) if w.lower() not in _STOP]
    left, right = run(a), run(b)
    best, ends = 0, {}
    for i, x in enumerate(left):
        now = {}
        for j, y in enumerate(right):
            if x and x == y:
                now[j] = ends.get(j - 1, 0) + 1
                best = max(best, now[j])
        ends = now
    return best


# A name of several capitalised words, "of"/"for"/"&" inside: "Data Protection Commission", "Bank of Aldessa".
_NAME_RUN = re.compile(r"[A-Z][\w-]+(?:\s+(?:(?:of|for)\s+(?:the\s+)?|&\s+)?[A-Z][\w-]+)+")


@functools.lru_cache(maxsize=_CACHED)
def _name_runs(text: str) -> tuple[frozenset[str], ...]:
    """The content-word stems of each name of several words in `text`."""
    runs = (frozenset(_stems(m.group(0))) for m in _NAME_RUN.finditer(text))
    return tuple(run for run in runs if len(run) > 1)


_WHEN_WORDS = frozenset(_stem(w) for w in (
    "year years month months week weeks day days today yesterday tomorrow morning afternoon evening night weekend "
    "monday tuesday wednesday thursday friday saturday sunday"
).split())  # not the months: "over January and February" is a span said


def _things_shared(text: str, shared: frozenset[str]) -> int:
    """How many words or names two claims share (`shared`: their common stems), a name of several
    words in `text` counting once."""
    count, left = len(shared), set(shared)
    if count > 4:  # several things in common however they are counted
        return count
    for run in _name_runs(text):
        if run <= left:
            count -= len(run) - 1
            left -= run
    return count


@functools.lru_cache(maxsize=_CACHED)
def _quoted_stems(text: str) -> frozenset[str]:
    """The stems of a claim's quotations long enough to say something (12 characters or more)."""
    return frozenset(_stem(w) for q in quotes(text) if len(q) >= 12 for w in _words(q))


def _different_quotes(a: str, b: str) -> bool:
    """Two quotations with different words, or a quotation whose words the other claim mostly lacks:
    a quote is copied from a quote, not made up from someone's paraphrase."""
    qa, qb = _quoted_stems(a), _quoted_stems(b)
    if len(qa) >= 3 and not qb:
        return len(qa & _stems(content(b))) < 0.25 * len(qa)
    return len(qa) >= 3 and len(qb) >= 3 and len(qa & qb) < 0.25 * min(len(qa), len(qb))


_NOT_SUPERLATIVE = frozenset(
    "interest forest harvest request protest contest suggest manifest arrest honest modest west rest test guest chest nest "
    "pest vest quest digest invest conquest unrest behest".split()
)
_RECORD = re.compile(
    r"\b(?:is|was|are|were|marks?|becomes?|became|remains?)\s+(?:now\s+)?(?:at\s+)?(?:the|its|their)\s+(first|only|\w+est"
    # A count against a period is a record too: "the third major data breach ... since 2025".
    r"|(?:second|third|fourth|fifth|sixth)(?=[^.;]*\b(?:since\s+\d{4}|in\s+(?:the\s+)?(?:past\s+|last\s+)?\w+\s+years?)\b))\b",
    re.I,
)
_ORDINALS = frozenset("second third fourth fifth sixth".split())
_SUPERLATIVE = re.compile(r"\b(?:first|only|record|ever|\w+est)\b", re.I)
_SINCE = re.compile(r"\bsince\s+((?:[A-Z]\w+\s+)?\d{4}|[A-Z]\w+)")


@functools.lru_cache(maxsize=_CACHED)
def _other_record(derived: str, origin: str) -> bool:
    """Is `derived` a record ("It is the first vaccine ...", "is now at its highest level since
    2008") that `origin` does not state: no superlative, or one since another time?"""
    record = _RECORD.search(derived)
    if not record or record.group(1).lower() in _NOT_SUPERLATIVE:
        return False
    if record.group(1).lower() in _ORDINALS:
        return not re.search(rf"\b{record.group(1)}\b", origin, re.I)
    if not any(m.group(0).lower() not in _NOT_SUPERLATIVE for m in _SUPERLATIVE.finditer(origin)):
        return True
    a, b = _SINCE.search(derived), _SINCE.search(origin)
    return bool(a and b and a.group(1).lower() != b.group(1).lower())


def relation(derived: ClaimView, origin: ClaimView) -> Relation:
    a, b = content(derived.text), content(origin.text)
    if fuzz.ratio(a.lower(), b.lower()) >= 92:
        return Relation.COPY
    wa, wb = _words(a), _words(b)
    covered = len(wa & wb) / max(1, len(wa))
    if len(a) < 0.65 * len(b) and covered >= 0.6:
        return Relation.SUMMARY
    if len(wa & wb) / max(1, len(wb)) < 0.35 and len(a) > 1.6 * len(b):
        return Relation.PARTIAL
    return Relation.PARAPHRASE


# --- what changed ---------------------------------------------------------------------------

_MODAL_HEDGES = ("could", "may", "might", "reportedly", "allegedly", "possibly", "probably", "likely", "appears",
                 "appeared", "seems", "seemed", "believed", "suspected", "unconfirmed", "is said to", "are said to", "projected",
                 "forecast to", "expected to", "expected in", "possible")
# Hedges that say who vouches for the claim: someone did, unnamed ("reportedly"). A derivative that
# has it "confirmed" strengthens the attribution, and one that keeps them still attributes it.
_HEARSAY = ("reportedly", "allegedly", "is said to", "are said to", "believed", "suspected")
# How strongly a cue vouches for what follows: hedged opinion < statement < established finding.
_CUE_STRENGTH = {
    **dict.fromkeys(("suggested", "suggests", "claimed", "claims", "alleged", "alleges", "speculated", "hinted", "estimated",
                     "estimates", "estimate", "suggest", "believe", "think", "expect", "predict", "believes", "believed", "thinks",
                     "thought", "hopes", "expects", "expected",
                     "indicated", "indicates", "predicted", "predicts", "argued", "argues", "suspects", "suspected"), 1),
    **dict.fromkeys(("said", "says", "told", "stated", "states", "reported", "reports", "noted", "notes", "added",
                     "wrote", "writes", "according to", "as reported by", "announced", "statement", "statement indicating",
                     "highlights", "highlighted", "explained", "cited", "citing", "assessed", "assesses"), 2),
    **dict.fromkeys(("confirmed", "confirms", "found", "finds", "showed", "shows", "shown", "proved", "proves", "proven", "revealed",
                     "reveals", "established", "verified", "documented"), 3),
}


def _key(q: Quantity) -> str | None:
    return q.unit or q.noun


def _fmt(q: Quantity) -> str:
    return f"{q.hedge} {q.text}" if q.hedge else q.text


def distortions(
    derived: ClaimView, origin: ClaimView, elsewhere: Sequence[Quantity] = (), upstream: ClaimView | None = None
) -> list[dict[str, str]]:
    """What `derived` changed of `origin`: numbers, hedges, attribution. Each detail quotes both sides.
    A figure in `elsewhere` (the origin article's other sentences like the claim) is no changed
    figure: the claim folded that sentence in ("Prices rose 3.6% ..., driven by services and
    electricity" beside "The rise was driven mainly by services, where prices rose 4.9 percent").
    `upstream` is what `origin` was itself taken from, when known."""
    # Spans of time compared in days: "three weeks" is "21 days", and a sibling's "two years" does
    # not account for "two weeks".
    said, beside = [_in_days(q) for q in origin.quantities], [_in_days(q) for q in elsewhere]
    kept = [q for q in map(_in_days, derived.quantities)
            if any(_same_value(q.value, o.value) for o in said) or not any(_same_value(q.value, x.value) for x in beside)]
    found = _quantity_changes(kept, said, derived.text, origin.text)
    by_then, by_now = _TARGET_YEAR.search(origin.text), _TARGET_YEAR.search(derived.text)
    if by_then and by_now and by_then.group(1) != by_now.group(1):
        found.append({"kind": Distortion.NUMBER_CHANGED, "detail": f"{by_then.group(0)} -> {by_now.group(0)}"})
    # Stated as fact: with no verb of its own, or, a forecast, on its forecaster's word as what will happen.
    lost = [h for h in origin.hedges if h in _MODAL_HEDGES and h not in derived.hedges and not _still_estimated(h, derived.text)
            and not _same_verb(h, derived.text)
            and _asserted(h, origin.text, derived.text, derived.cue is None or h in _FORECASTS and _CUE_STRENGTH.get(derived.cue, 2) >= 2)]
    weakly_cited = _CUE_STRENGTH.get(derived.cue or "", 2) == 1  # "X suggested ..." still hedges it
    confirmed = derived.cue if _CUE_STRENGTH.get(derived.cue or "") == 3 else (m.group(0) if (m := _CONFIRMED.search(derived.text)) else None)
    hearsay = [h for h in lost if h in _HEARSAY]
    strengthened = bool(hearsay and confirmed)
    if strengthened:
        # "Ferrelo reportedly turned down ..." -> "It's been confirmed that Ferrelo turned down ...",
        # "Carvell said it believed ..." -> "Carvell has confirmed ...": one change, the attribution's.
        said = f"{origin.cue} (\"{hearsay[0]}\")" if origin.cue else hearsay[0]
        found.append({"kind": Distortion.ATTRIBUTION_STRENGTHENED, "detail": f"{said} -> {confirmed}"})
        lost = [h for h in lost if h not in _HEARSAY]
    if lost and not weakly_cited and not any(h in _MODAL_HEDGES for h in derived.hedges):
        found.append({"kind": Distortion.HEDGE_DROPPED, "detail": f"\"{lost[0]}\" -> stated without it"})
    elif (linked := _CORRELATION.search(origin.text)) and not _CORRELATION.search(derived.text) and (cause := _CAUSE.search(derived.text)):
        found.append({"kind": Distortion.HEDGE_DROPPED, "detail": f"\"{linked.group(0)}\" -> \"{cause.group(0)}\""})
    # "..., the agency reported" credits who passed the claim on, not who vouches for it: leaving
    # that out states nothing more firmly (trace keeps the hop). Unless the outlet is who vouches:
    # "According to the Courier, ..." of the Courier's scoop from unnamed sources.
    # A quotation standing alone ("“We have to change with it.”", a pull quote) is still someone's words.
    # Nor an outlet that makes the claim its own: "It also alleged that the company had swapped ...".
    vouched = (origin.source_kind != "outlet" or (upstream is not None and upstream.source_kind == "anonymous")
               or origin.cue in _ALLEGING)
    # Nor is a sentence that still says someone said it, though the speaker was not made out
    # ("In an afternoon update it said ...", "A co-author, Tomas Reyl, cautioned that ...").
    # The derived's speaker may be one the origin quotes under its own ("According to Aldervik, an
    # independent lab found ..." -> "An independent lab found ..."): the outer attribution is gone.
    inner = bool(derived.source and derived.cue and origin.source and not _one_name(derived.source, origin.source)
                 and re.search(rf"\b{re.escape(derived.source)}\s+{re.escape(derived.cue)}\b", origin.text, re.I))
    if origin.source and (not derived.source or inner) and vouched and not _QUOTATION_ONLY.match(derived.text) and not _SAYS.search(derived.text):
        cue = f" {origin.cue}" if origin.cue else ""
        found.append({"kind": Distortion.ATTRIBUTION_DROPPED, "detail": f"{origin.source}{cue} -> stated as fact"})
    elif (
        not strengthened and origin.cue and derived.cue and _CUE_STRENGTH.get(derived.cue, 2) > _cue_strength(origin)
        and not _keeps_cue(origin.cue, derived.text)
        # "The agency expects the closure to last at least six weeks" -> "The bridge will be closed for
        # six weeks, the agency says": the hedge dropped is the change; "says" claims no certainty of its own.
        and not (_CUE_STRENGTH.get(derived.cue, 2) == 2 and any(d["kind"] == Distortion.HEDGE_DROPPED for d in found))
        # What a survey or a study "found" is what it says: "according to a survey" -> "a survey found".
        and not (derived.source_kind == "document" and derived.cue in _FINDS and _cue_strength(origin) == 2)
        # "Members estimate that prices may rise" -> "the association warned that prices may rise": the
        # hedge kept, a plain verb claims no more than the estimate did.
        and not (_CUE_STRENGTH.get(derived.cue, 2) == 2 and set(origin.hedges) & set(derived.hedges) & set(_MODAL_HEDGES))
    ):
        found.append({"kind": Distortion.ATTRIBUTION_STRENGTHENED, "detail": f"{origin.cue} -> {derived.cue}"})
    return found


# A study that found two things go together, retold as one causing the other.
_CORRELATION = re.compile(r"\b(?:associated|linked|tied|correlated|connected)\s+(?:with|to)\b|\b(?:association|link|correlation)\s+(?:with|between)\b", re.I)
_CAUSE = re.compile(
    r"\b(?:cuts?|reduces?|lowers?|prevents?|protects?|causes?|boosts?|raises?|increases?|halves|doubles|triples|slashes|wards? off|stops?)\b",
    re.I,
)


# An estimate credited to whoever makes it: "The Observer had put the initial fee at €52 million".
_PUT_AT = r"(?:put|puts) (?:the|its|their) [\w -]{1,40}? at"
_SAYS = re.compile(
    r"\b(?:said|says|say|told|tells|according to|reported|reports|announced|(?:in|issues|issued|publishes|published|releases|released) a statement|cautioned|warned|warns"
    r"|hailed|claimed(?! for\b)|claims(?= that\b)|insisted|added|(?:threaten|vow|pledge|promise)(?:s|d|ed) to|(?:has|have|had) confirmed|estimates|stated|noted|wrote|argued|accused|alleges"
    # Someone unnamed still vouches ("Ferrelo reportedly turned down ..."), or an outlet's estimate ("had put the fee at").
    rf"|reportedly|allegedly|(?:is|are|was|were) (?:said|understood|believed) to|{_PUT_AT}"
    # Court reporting: what "the court heard" is the evidence's, not the writer's.
    r"|calls it|called it|(?:court|jury|jurors|tribunal|inquest|hearing) (?:heard|was told|were told))\b",
    re.I,
)
_FINDS = frozenset({"found", "finds", "showed", "shows", "shown"})
_ALLEGING = frozenset({"alleged", "alleges", "claimed", "claims", "accused", "accuses", "insisted", "insists", "argued", "argues"})
_CONFIRMED = re.compile(r"\b(?:has|have|had|it['’]s|is|was|were|been)\s+(?:been\s+|now\s+|also\s+)?confirmed\b", re.I)
_RHETORIC = re.compile(
    r"\bmake no mistake\b|\bthis is what [\w\s]{1,40}? looks like\b|^\W*our advice\b"
    r"|^\W*(?:write to|call on|demand|sign|join|tell|contact|share|donate|do not|don['’]t) [^.!?]*\b(?:your|you|today|now)\b"
    # A signpost or an introduction: "Here are five things to know.", "Meet Graham Pettifer, the ...".
    r"|^\W*here(?:['’]s| is| are)\b[^.!?]*\b(?:what|things?|how|why|everything)\b|^\W*meet\s",
    re.I,
)
_EXHORTATION = re.compile(r"\b(?:should|ought to)\b(?![^“”\"]*[”\"])", re.I)
_QUOTATION_ONLY = re.compile(r"^\W*[“\"‘'][^“”\"]+[”\"’']\W*$")


# A forecast restated on the forecaster's word as what will happen ("Supplies will be back to normal
# by the end of March, the Board says") has lost its hedge although still attributed.
_FORECASTS = frozenset({"expected to", "expected in", "projected", "forecast to"})


def _still_estimated(hedge: str, derived: str) -> bool:
    """Is a forecast still one ("is projected to rise" -> "the study projects a rise", "projected a
    rise of up to 0.6 metres" -> "put the rise at up to 60 cm")?"""
    return hedge in _FORECASTS and bool(_ESTIMATING.search(derived))


_ESTIMATING = re.compile(rf"\b(?:project|forecast|estimat|predict|expect)\w*|\b{_PUT_AT}\b", re.I)
# A year something is to happen by: "could rise by almost a metre by 2100" -> "... by 2050" is another claim.
_TARGET_YEAR = re.compile(r"\bby (?:the end of |the middle of )?((?:19|20|21)\d{2})\b", re.I)


def _same_verb(hedge: str, text: str) -> bool:
    """Is a hedging verb still there in another form ("they believed" -> "they believe")?"""
    return len(hedge) >= 6 and " " not in hedge and _keeps_cue(hedge, text)


def _one_name(a: str, b: str) -> bool:
    """Could the two name one speaker ("the union", "the Electronics and Telecom Workers' Union")?"""
    a, b = (re.sub(r"^(?:the|an?)\s+", "", n.strip().lower()) for n in (a, b))
    return a in b or b in a


def _cue_strength(claim: ClaimView) -> int:
    """How sure the claim's own attribution verb is. One expecting to do something ("Tervane
    expects to reduce its workforce") states a plan, as sure as saying it."""
    if claim.cue in ("expects", "expected", "hopes") and re.search(rf"\b{claim.cue}\s+to\b", claim.text):
        return 2
    return _CUE_STRENGTH.get(claim.cue or "", 2)


def _keeps_cue(cue: str, text: str) -> bool:
    """Does `text` still carry the weak verb under its own stronger one ("The court said ... expert
    evidence suggested ...", "Tervane said it expected ...")?"""
    return re.search(rf"\b{re.escape(_stem(cue.split()[0]))}", text, re.I) is not None


def _quantity_changes(derived: Sequence[Quantity], origin: Sequence[Quantity], derived_text: str = "", origin_text: str = "") -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for d, o in _pair_quantities(derived, origin, derived_text, origin_text):
        if not _same_value(d.value, o.value) and not _bounds(d, o.value):
            found.append({"kind": Distortion.NUMBER_CHANGED, "detail": f"{_fmt(o)} -> {_fmt(d)}"})
        elif o.hedge and not d.hedge and o.hedge not in ("over", "more than", "some"):
            found.append({"kind": Distortion.HEDGE_DROPPED, "detail": f"{_fmt(o)} -> {_fmt(d)}"})
    return found


_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14, "fortnights": 14, "month": 365 / 12, "months": 365 / 12,
         "year": 365, "years": 365}


def _in_days(q: Quantity) -> Quantity:
    """A span of time in days, so "three weeks" is "21 days" (its words, `text`, kept for the detail)."""
    days = _DAYS.get(q.noun or "") if q.unit is None else None
    return replace(q, value=q.value * days, noun="days") if days else q


def _bounds(q: Quantity, value: float) -> bool:
    """Is `q` a bound that `value` keeps ("more than a quarter" of 28 per cent, "under 100" of 96)?
    That is precision lost, not a figure changed."""
    if q.hedge in ("more than", "over", "at least"):
        return value > q.value
    # Not "up to": "up to 8,000 litres" of 6,000 is the figure raised.
    if q.hedge in ("less than", "fewer than", "under"):
        return value < q.value
    # A figure rounded and said to be rounded: "almost 1,500" of 1,450, "about 1.5k" of 1,460.
    if q.hedge in ("almost", "nearly", "just under", "close to"):
        return q.value * 0.95 <= value < q.value
    return q.hedge in ("about", "around", "roughly", "approximately", "some") and abs(value - q.value) <= q.value * 0.05


def _asserted(hedge: str, origin: str, derived: str, as_fact: bool) -> bool:
    """Does `derived` state outright what `origin` hedged? The hedged verb must be there ("could
    prevent" -> "prevents"), or, in a claim stated as fact, what it was said of, reworded ("could be
    explained by their lack of experience and tactics" -> "are high due to inexperience and
    tactics"); a negation ("could not") or a clause left out is no dropped hedge."""
    m = re.search(rf"\b{re.escape(hedge)}\s+(not\s+|never\s+)?(?:\w+ly\s+)?(?:to\s+)?(?:be\s+|have\s+|help\s+(?:to\s+)?)?([a-z]+)", origin, re.I)
    if not m or m.group(1):
        return False
    stem = m.group(2)[:5].lower()
    if re.search(rf"\b{re.escape(stem)}", derived.lower()):
        return True
    # The hedged proposition: its clause up to the hedge, and what follows it.
    opening = max(origin.rfind(",", 0, m.start()), origin.rfind(";", 0, m.start()), origin.lower().rfind(" that ", 0, m.start()))
    before = _TOKEN.findall(origin[opening + 1:m.start()].lower())
    after = _TOKEN.findall(origin[m.end():].lower())[:12]
    hedged = {_stem(w) for w in before + after if w not in _STOP and len(w) > 2}
    said = _stems(derived)
    shared = len(hedged & said)
    return as_fact and (shared >= 4 or shared >= 3 and shared * 2 >= len(said))


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 0.005 * max(abs(a), abs(b), 1e-9)


def _lead_words(q: Quantity, text: str) -> frozenset[str]:
    """The content words just before a figure in its sentence ("to average 3.1%" -> {"average"})."""
    at = text.find(q.text)
    return frozenset(w for w in _TOKEN.findall(text[max(0, at - 40):at].lower())[-3:] if w not in _STOP and not w[0].isdigit()) if at >= 0 else frozenset()


def _pair_quantities(derived: Sequence[Quantity], origin: Sequence[Quantity], derived_text: str = "", origin_text: str = "") -> list[tuple[Quantity, Quantity]]:
    """Quantities that speak of the same thing: equal values, then the same unit or counted noun,
    then a lone count on each side ("3,000 troops" vs "5,000 soldiers")."""
    pairs: list[tuple[Quantity, Quantity]] = []
    left, right = list(derived), list(origin)
    for d in list(left):
        o = next((o for o in right if _same_value(d.value, o.value) and d.unit == o.unit), None)
        if o is not None:
            pairs.append((d, o))
            left.remove(d)
            right.remove(o)
    # A changed figure is of the same thing, and of its order of magnitude: "14 people killed" is not
    # "a valley of 60,000 people", and with two seat counts left, which one "37 seats" changed is a guess.
    for d in list(left):
        alike = [o for o in right if _key(d) is not None and _key(d) == _key(o) and d.unit == o.unit and _comparable(d.value, o.value)]
        if len(alike) > 1:  # the one said the same way ("to average 3.1%" for "to average 3.4%"), if one is
            lead = _lead_words(d, derived_text)
            alike = [o for o in alike if lead & _lead_words(o, origin_text)][:1]
        if len(alike) == 1:
            pairs.append((d, alike[0]))
            left.remove(d)
            right.remove(alike[0])
    counts_left = [q for q in left if q.unit is None and q.value >= 2]
    counts_right = [q for q in right if q.unit is None and q.value >= 2]
    if len(counts_left) == 1 and len(counts_right) == 1 and _comparable(counts_left[0].value, counts_right[0].value):
        pairs.append((counts_left[0], counts_right[0]))
    # A share said as a fraction against one said in per cent: "a 23% lower risk" -> "by a quarter".
    shares_left = [q for q in left if q.unit is None and 0 < q.value < 1]
    shares_right = [q for q in right if q.unit == "%"]
    if len(shares_left) == 1 and len(shares_right) == 1:
        pairs.append((replace(shares_left[0], value=round(shares_left[0].value * 100, 1), unit="%"), shares_right[0]))
    return pairs


def _comparable(a: float, b: float) -> bool:
    return min(abs(a), abs(b)) * 10 >= max(abs(a), abs(b))


# The writer's own framing: a verdict on the facts, not a fact anyone reported.
_COMMENTARY = re.compile(
    r"\b(?:highlights?|underscores?|underlines?|the last thing|remains to be seen|it is (?:clear|unclear|obvious)"
    r"|complexit(?:y|ies)|landscape|in summary|in short|needless to say|arguably|of course|not only|(?:our|my) (?:view|take|verdict))\b",
    re.I,
)


# A recap restates the article's own claims together: no one earlier sentence is its origin.
_RECAP = re.compile(
    r"^\W*(?:in summary|in short|in other words|in conclusion|to sum up|all in all|put simply|simply put|(?:the )?bottom line"
    r"|the upshot|(?:the )?takeaway|long story short)\b",
    re.I,
)


def is_commentary(text: str) -> bool:
    return bool(_COMMENTARY.search(text) or _RECAP.match(text) or _RHETORIC.search(text))


def is_recap(text: str) -> bool:
    return bool(_RECAP.match(text))


# What a reporter did: asked for comment. The outlet's own reporting, never taken from anyone.
_ASKED_FOR_COMMENT = re.compile(
    r"\b(?:we|I)\s+put\s+(?:these|the|those|this|our|its|his|her|their)\s+(?:\w+\s+)?(?:allegations?|claims?|questions?|findings?|points?|concerns?)\s+to\b"
    r"|\b(?:did not|didn't|has not|hasn't|have not|haven't)\s+(?:immediately\s+)?(?:respond|reply|return)\w*\s+to\s+(?:an?\s+)?"
    r"(?:request|requests|email|emails|call|calls|message|messages)|\bdeclined\s+to\s+comment|\bcould not be reached\b"
    r"|\b(?:has|have|had|did)\s+not\s+(?:yet\s+|immediately\s+)?commented?\b|\bno immediate comment\b|\bnot immediately available for comment\b"
    r"|\b(?:did not|didn't)\s+(?:immediately\s+)?(?:respond|reply)\s+when\b",
    re.I,
)
_ON_COMMENT = re.compile(r"\b(?:respon\w*|repl\w*|comment\w*|request\w*|allegations?)\b", re.I)
_OWN_SOURCING = re.compile(
    r"\b(?:is|are|was|were)\s+understood\s+to\b|\bit\s+is\s+understood\b|\b(?:has|have)\s+learned\b"
    # A fact-checker's rating is its own finding, however like the denial it rests on ("These claims are false").
    r"|\bwe\s+rate\s+(?:this|the|that|these)\b|\bour\s+(?:verdict|rating)\b|^\W*verdict\s*:"
    # The outlet on its own work: "Our full review of the Aster 5 will follow later this month."
    r"|\bour\s+(?:full\s+|own\s+|in-depth\s+)?(?:review|reporters?|correspondents?|tests?|analysis|investigation)\b"
    # A live entry's news: "18:10 - Solmara now says 186 flights were cancelled".
    r"|^\W*\d{1,2}[:.]\d{2}\b.*\bnow\s+(?:says|said)\b|\bhas\s+since\s+(?:said|confirmed)\b",
    re.I,
)
# The reader addressed, outside quotation marks.
_TO_THE_READER = re.compile(r"\b(?:you|your|yourself|yourselves|you['’](?:ll|re|ve|d))\b(?![^“”\"]*[”\"])", re.I)


# What an outlet says of its own reporting: an interview it did ("told Halyard", "said by phone",
# "told us"). A rewrite says "told the Courier" of someone else's interview.
_OWN_INTERVIEW = (
    r"\b(?:told|speaking to|spoke to|talking to|in an interview with)\s+(?:us|this (?:news)?paper|{site})\b|\bsaid (?:by|on the) (?:tele)?phone\b"
    # Its own legwork: "three of the five pharmacies Radio Vendel contacted".
    r"|\b(?:{site})\s+(?:contacted|called|visited|surveyed|asked|spoke to)\b"
)


# A wire's own credit line: "(Reporting by Oskar Tenvald; Editing by Runa Bellweather)".
_REPORTING_BY = re.compile(r"^\W*(?:additional\s+)?reporting\s+by\b", re.I)


def reports_itself(text: str, site_name: str | None) -> bool:
    """Does the sentence show its outlet reporting (an interview of its own, a request for comment)?"""
    name = re.sub(r"^the\s+", "", site_name or "", flags=re.I)
    words = name.split()
    # An outlet goes by a word of its name: "told the Dispatch" in The Dunmarrow Dispatch, "told
    # Tessera" in Tessera News Agency.
    names = [name, f"the {words[-1]}" if len(words) > 1 and len(words[-1]) >= 5 else "", words[0] if len(words) > 1 and len(words[0]) >= 5 else ""]
    site = "|".join(re.escape(n) for n in names if n) or "(?!)"
    if _REPORTING_BY.match(text):
        return True
    return bool(_ASKED_FOR_COMMENT.search(text) or re.search(_OWN_INTERVIEW.format(site=site), text, re.I))


# A correction or an update is the outlet's note on its own article: "Correction, March 5: ...".
_EDITORS_NOTE = re.compile(
    r"^\W*(?:correction|clarification|editor['’]s note|update|updated|this (?:article|story|post|report) (?:has been|was) (?:updated|corrected|amended))\b",
    re.I,
)


def is_editors_note(text: str) -> bool:
    return bool(_EDITORS_NOTE.match(text))


def is_heading(text: str) -> bool:
    return not re.search(r"[.!?…:;”\"’')\]]\s*$", text)


# A lead-in that turns to the reader before a statement: "What the papers didn't tell you: Pettifer had ...".
_LEAD_IN = re.compile(r"^(?P<lead>[^:“”\"]{3,50}):\s+(?P<rest>\S.*)$", re.S)


def is_opinion(text: str) -> bool:
    """A question, the writer's own view or advice to the reader ("If you work in Kessling's telecom
    sector, now is a good time to ..."): nothing anyone reported, so nothing to find elsewhere."""
    if (m := _LEAD_IN.match(text)) and _TO_THE_READER.search(m.group("lead")) and not is_commentary(m.group("lead")):
        text = m.group("rest")
    return bool(
        text.rstrip().endswith("?") or re.search(r"\b(?:I|[Mm]y|[Ww]e|[Oo]ur|[Yy]ou|[Yy]our|[Ss]hould|[Mm]ust|[Oo]ught)\b", text) or is_commentary(text)
    )


def is_own_voice(text: str) -> bool:
    """The writer speaking for itself or to the reader ("Our advice: ...", "Frankly, we were never
    convinced."), not a quotation, a heading or an editor's note: the voice of a newsletter or a blog."""
    return is_opinion(text) and not is_heading(text) and not is_editors_note(text) and not re.search(r"[“”\"]|\b(?:said|says)\b", text)


def is_checkable(text: str, quantities: Sequence[Quantity]) -> bool:
    """A statement of fact someone could check, not a question, an opinion or a reporter's own
    request for comment."""
    if is_opinion(text) or _ASKED_FOR_COMMENT.search(text):
        return False
    if text.lstrip().startswith(("“", '"')):
        return False  # a quotation is someone's words; its speaker is named beside it
    # Figures, names, a year or a record ("the highest level since 2008") can be checked.
    return bool(quantities) or bool(_names(text)) or bool(YEAR.search(text) or _RECORD.search(text))


# --- choosing the origin --------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHED)
def _years_apart(later: str | None, earlier: str | None) -> bool:
    """Were the two published more than half a year apart (both dates known)?"""
    if not later or not earlier:
        return False
    try:
        gap = datetime.fromisoformat(later[:10]) - datetime.fromisoformat(earlier[:10])
    except ValueError:
        return False
    return gap.days > STALE_DAYS


STALE_DAYS = 183


@dataclass(frozen=True)
class Likeness:
    """A candidate scored on what does not change while an ingest matches: its words, the claim's
    citations, the full-text rank. The bonus for the article the claim's siblings came from, which
    matching itself changes, is added by `ordered`."""

    score: float
    lead: float  # lead_cover
    rarity: float  # rare_cover
    candidate: ClaimView


def rank(
    claim: ClaimView,
    candidates: Iterable[ClaimView],
    settings: MatchSettings = MatchSettings(),
    *,
    floor: float | None = None,
    text_rank: dict[int, int] | None = None,
) -> list[tuple[float, ClaimView]]:
    """Candidates scored, best first. Bonuses for citations and for the article the claim's siblings
    came from order close candidates, but never lift a candidate whose words alone fall short."""
    return ordered(claim, likeness(claim, candidates, settings, floor=floor, text_rank=text_rank), settings)


def likeness(
    claim: ClaimView,
    candidates: Iterable[ClaimView],
    settings: MatchSettings = MatchSettings(),
    *,
    floor: float | None = None,
    text_rank: dict[int, int] | None = None,
) -> list[Likeness]:
    """The candidates at `floor` or above (the threshold by default), each with its score before
    the favoured article's bonus (see `rank`)."""
    found = []
    candidates = [c for c in candidates if c.claim_id != claim.claim_id and not c.heading]
    weights = term_weights(claim, candidates, settings.places)
    for candidate in candidates:
        rarity = rare_cover(claim, candidate, weights, settings.places)
        if rarity < settings.rarity_floor:
            continue
        score = words = similarity(claim, candidate, settings.places)
        # Four words in a row, none of them a name ("a software update installed overnight"), are a
        # phrase taken over: a likeness just short of the threshold is enough, if nothing else is.
        if settings.threshold - settings.phrase_margin <= score < settings.threshold and _shared_run(claim.text, candidate.text) >= 4:
            score = settings.threshold
        # A citation is evidence too: inside a cited article a weaker likeness is enough.
        if candidate.article_id in claim.linked_articles or candidate.article_id in claim.origin_articles:
            score = min(1.0, score + settings.link_bonus)
        elif candidate.article_id in claim.cited_articles:
            score = min(1.0, score + settings.citation_bonus)
        elif _years_apart(claim.published, candidate.published):
            # Last year's election or another recall by the same regulator: an uncited look-alike
            # that old is likelier a similar event than the source.
            score -= settings.stale_penalty
        if text_rank and candidate.claim_id in text_rank:
            score = min(1.0, score + settings.full_text_weight / (1 + text_rank[candidate.claim_id]))
        if score < (settings.threshold if floor is None else floor):
            continue
        # A reporter's request for comment ("We put these allegations to Kilbraith Water") is the
        # origin of nothing but a word on that request ("did not respond to Anchorline's request").
        if words < settings.copied and _asks_for_comment(candidate.text) and not _ON_COMMENT.search(claim.text):
            continue
        found.append(Likeness(score, lead_cover(claim, candidate), rarity, candidate))
    return found


@functools.lru_cache(maxsize=_CACHED)
def _asks_for_comment(text: str) -> bool:
    return _ASKED_FOR_COMMENT.search(text) is not None


def ordered(claim: ClaimView, scored: Iterable[Likeness], settings: MatchSettings = MatchSettings()) -> list[tuple[float, ClaimView]]:
    """`likeness`'s candidates with the favoured article's bonus, best first (see `rank`)."""
    listed = []
    for s in scored:
        score = s.score
        if s.candidate.article_id == claim.favoured_article and score >= settings.threshold:
            score = min(1.0, score + settings.affinity_bonus)
        order = score + settings.lead_weight * s.lead + settings.rarity_weight * s.rarity
        listed.append((round(score, 4), round(order, 4), s.candidate))
    # The lead and the rare words only order near-ties; the score kept (and held against thresholds) is the likeness.
    listed.sort(key=lambda s: (-s[1], s[2].published or "", s[2].claim_id or 0))
    return [(score, candidate) for score, _, candidate in listed]


def match(claim: ClaimView, candidates: Iterable[ClaimView], settings: MatchSettings = MatchSettings()) -> list[Match]:
    """The claim's origin among `candidates` (see `choose`)."""
    return choose(claim, rank(claim, candidates, settings), settings)


def choose(claim: ClaimView, ranked: list[tuple[float, ClaimView]], settings: MatchSettings = MatchSettings()) -> list[Match]:
    """The origin among ranked candidates, explicit citations first: the best candidate over the
    threshold inside its article's declared origin, else inside an article the claim links to, else
    one its article cites ("citation"; the cited article it mostly rewrites first), or a claim in a cited article that restates the best text
    match; else the best anywhere ("text"). When text and citation disagree, both are kept, the
    citation first. `ranked` may go below the threshold (see `carrier_floor`)."""
    above = [(s, c) for s, c in ranked if s >= settings.threshold]
    if not above:
        return []
    best_score, best = above[0]
    # A request for comment ("did not respond to a request for comment") or the outlet's own
    # sourcing ("The Treasury is understood to have asked ...") is its own reporting: taken from
    # another article only when copied from it word for word.
    # An interview of its own may go back to the outlet's earlier story it cites ("Nestwell told us then ...").
    cited = claim.cited_articles | claim.linked_articles | claim.origin_articles
    # Another outlet's request retold ("has not yet commented" of the wire's "did not respond to a
    # request for comment") is taken from it like any other line.
    own = (_OWN_SOURCING.search(claim.text) or (_asks_for_comment(claim.text) and not _asks_for_comment(best.text))
           or (reports_itself(claim.text, claim.site) and best.article_id not in cited))
    # An exhortation ("Every patriot should be watching Saltmere") or a word to the reader ("If you
    # drive in Dornwick, this one is going to hurt") is the writer's: like commentary, it needs a close likeness.
    # Rhetoric (a call to action, "This is what ... looks like") takes no fact at all: its likeness
    # in words must do, without the benefit of a citation.
    framing = is_commentary(claim.text) or _EXHORTATION.search(claim.text) or _TO_THE_READER.search(claim.text) or is_own_voice(claim.text)
    if claim.heading or claim.standfirst or (own and best_score < settings.copied) or is_recap(claim.text) or (
        framing and best_score < settings.threshold + settings.commentary_margin
    ) or (_RHETORIC.search(claim.text) and similarity(claim, best, settings.places) < settings.threshold + settings.commentary_margin):
        return []
    close = [(s, c) for s, c in above if s >= best_score - settings.citation_margin]
    cited = (
        next(((s, c) for s, c in close if c.article_id in claim.origin_articles), None)
        or next(((s, c) for s, c in close if c.article_id in claim.linked_articles), None)
        # The best match's own origin, in the article the claim links to: the writer read it there.
        or next(((s, c) for s, c in ranked if s >= settings.carrier_floor and c.article_id in claim.linked_articles
                 and c.claim_id in best.origin_claims), None)
        # The article it mostly rewrites, unless a clearly better match is in another article it cites.
        or next(((s, c) for s, c in close if c.article_id in claim.cited_articles and c.article_id == claim.favoured_article
                 and not (best.article_id in claim.cited_articles and s < best_score - settings.citation_margin / 2)), None)
        or next(((s, c) for s, c in close if c.article_id in claim.cited_articles), None)
        or next(((s, c) for s, c in ranked if s >= settings.carrier_floor and c.article_id in claim.cited_articles
                 and best.claim_id in c.origin_claims), None)
    )
    if cited is None:
        return [] if claim.official else [_match(claim, best, best_score, "text", ranked, settings)]
    found = [_match(claim, cited[1], cited[0], "citation", ranked, settings)]
    if best.claim_id != cited[1].claim_id:
        found.append(_match(claim, best, best_score, "text", ranked, settings))
    return found


def _match(claim: ClaimView, origin: ClaimView, score: float, basis: str, ranked: list[tuple[float, ClaimView]], settings: MatchSettings) -> Match:
    # One sentence may fold two of the origin article's sentences together ("12,000 troops were
    # stationed ..., during which Velmora captured 1,300 sq km"): figures the origin lacks are
    # compared with the sibling sentence that has them.
    siblings = [c for s, c in ranked if s >= settings.threshold and c.article_id == origin.article_id and c.claim_id != origin.claim_id]
    # What the origin was taken from: its unnamed-source version first, if one of them is that (a
    # scoop's sentence beside the wire's retelling of it).
    upstreams = sorted((c for _, c in ranked if c.claim_id in origin.origin_claims), key=lambda c: c.source_kind != "anonymous")
    upstream = upstreams[0] if upstreams else None
    changes = distortions(claim, origin, [x for c in siblings for x in c.quantities], upstream)
    rest = [q for q in claim.quantities if q.value >= 10 and not any(_same_value(q.value, o.value) for o in origin.quantities)]
    sibling = next((c for c in siblings if any(_same_value(q.value, x.value) for q in rest for x in c.quantities)), None)
    if sibling is not None:
        changes += [d for d in _quantity_changes(rest, sibling.quantities) if d not in changes]
    return Match(claim.claim_id, origin.claim_id or 0, score, relation(claim, origin), tuple(changes), basis)


# --- the near-copy index --------------------------------------------------------------------

BANDS, ROWS = 8, 4  # 32 permutations: pairs with Jaccard ~0.6 share a band with probability ~0.65
# The permutations depend only on the seed: drawn once, not per claim (that dominated matching).
_TEMPLATE = MinHash(num_perm=BANDS * ROWS, seed=7)
_PERMUTATIONS = _TEMPLATE.permutations


def bands(text: str) -> list[int]:
    """MinHash band keys of a claim's word 3-shingles: claims sharing a key are near-copies."""
    words = [w.lower() for w in _TOKEN.findall(content(text))]
    shingles = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
    minhash = MinHash(num_perm=BANDS * ROWS, seed=7, permutations=_PERMUTATIONS, scheme=_TEMPLATE.scheme)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    keys = []
    for band in range(BANDS):
        row = minhash.hashvalues[band * ROWS:(band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<{ROWS}Q", *map(int, row)) + bytes([band]), digest_size=8).digest()
        keys.append(struct.unpack("<q", digest)[0])
    return keys


def search_terms(text: str, limit: int = 12) -> list[str]:
    """The words worth a full-text search: content words and numbers, longest first (then
    alphabetical: a set's order changes from one process to the next, and so would the search)."""
    return sorted(_words(content(text)), key=lambda w: (-len(w), w))[:limit]
