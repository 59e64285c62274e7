"""Claims -> who each is attributed to: the source, the words that name it, the cue, the method.

Rules, not a model: cue phrases ("according to", "as reported by", "X's statement indicating",
speech verbs before or after their subject), the noun phrase they point at, and a per-article
register of sources so that "the report", "he" or "the JCS" resolve to a source named earlier.
Unattributed claims stay unattributed: nothing is guessed.

Pure: text and claims in, Attribution records out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from .claims import Claim
from .extract import Link
from .outlets import Outlet, Outlets


class SourceKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    OUTLET = "outlet"
    DOCUMENT = "document"
    ANONYMOUS = "anonymous"


class Method(StrEnum):
    EXPLICIT = "explicit"  # the source is named in the claim
    INHERITED = "inherited"  # "he", "the report", "the ministry": named earlier in the article
    ARTICLE = "article"  # the article declares an origin ("Original Source:", a wire dateline)
    HYPERLINK = "hyperlink"  # "as [Reuters reported](url)"


CONFIDENCE = {Method.EXPLICIT: 0.9, Method.HYPERLINK: 0.9, Method.INHERITED: 0.7, Method.ARTICLE: 0.6}


@dataclass(frozen=True)
class Source:
    name: str
    kind: SourceKind
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attribution:
    claim_seq: int
    source: Source
    mention: str
    cue: str | None
    method: Method
    confidence: float
    role: str | None = None  # "Ukraine's military intelligence chief", "President"
    organization: Source | None = None  # what the role ties a person to
    link_url: str | None = None
    # Offsets in the article text of the mention and the cue (None when not in this claim).
    mention_span: tuple[int, int] | None = None
    cue_span: tuple[int, int] | None = None


# --- vocabulary -----------------------------------------------------------------------------

_VERBS = (
    "said", "says", "say", "told", "tells", "added", "adds", "stated", "states", "noted", "notes", "explained",
    "explains", "argued", "argues", "claimed", "claims", "denied", "denies", "confirmed", "confirms", "estimated",
    "estimates", "suggested", "suggests", "warned", "warns", "wrote", "writes", "reported", "reports", "announced",
    "announces", "insisted", "insists", "acknowledged", "acknowledges", "admitted", "admits", "alleged", "alleges",
    "asserted", "asserts", "believes", "believe", "believed", "predicted", "predicts", "revealed", "reveals",
    "disclosed", "indicated", "indicates", "highlighted", "highlights", "showed", "shows", "found", "finds",
    "concluded", "concludes", "maintained", "maintains", "stressed", "stresses", "emphasised", "emphasized",
    "emphasises", "emphasizes", "assessed", "assesses", "expects", "expected", "expect", "think", "thinks",
    "thought", "accused", "accuses", "replied", "tweeted", "posted", "countered", "conceded", "cautioned",
    "projected", "projects", "forecast", "forecasts", "calculated", "observed", "pointed out", "points out",
    "pointed to", "points to", "proved", "proves", "proven", "shown", "suspects", "suspected", "flagged", "flags",
    "recalled", "recalls", "testified", "hailed", "hails", "announced", "contended", "contends", "agreed", "agrees", "reckons", "reckon",
    "reckoned", "described", "describes", "calls it", "called it", "disagreed", "disagrees", "objected", "objects",
    "heard", "was told", "were told", "urged", "urges",
    "promised", "promises", "vowed", "vows", "pledged",
    "pledges", "blamed", "blames", "put it", "puts it", "wrote in", "cited", "cites", "speculated", "hinted",
    "complained", "complains", "boasted", "estimated", "asked",
    "wants", "wanted", "mentioned", "mentions", "questioned", "disputes", "disputed",
    "called for", "calls for", "reiterated", "reiterates", "declared", "declares", "responded", "responds",
    "hoped", "feared", "doubted", "knows", "knew", "has learned", "learned",
    "quoted as saying", "acknowledges", "charged", "called", "signalled", "signaled", "signals", "appealed",
    "appeals", "dismissed", "contend", "argue", "deny", "insist", "warn", "suggest", "predict", "tell",
    "believe", "expect", "estimate",  # bare forms rarely nouns after a subject ("report", "claim" are left out)
    # progressive forms: "is defending", "are warning"
    *[f"{be} {ing}" for be in ("is", "are", "was", "were", "has been", "have been") for ing in (
        "saying", "telling", "arguing", "claiming", "insisting", "warning", "suggesting", "urging", "demanding",
        "defending", "calling", "promising", "predicting", "estimating", "reporting", "denying", "accusing",
        "questioning", "describing", "pushing", "asking", "disputing", "projecting", "signaling", "signalling")],
)
_VERB_ALT = "|".join(sorted({re.escape(v).replace(r"\ ", r"\s+") for v in _VERBS}, key=len, reverse=True))
# Case-sensitive: "States" in "the United States" is no verb.
# Verbs by their first word, so a claim is scanned word by word instead of by one 300-way regex.
# "the treatment people had claimed for": an insurance claim, not speech.
_NOT_SPEECH_AFTER = {"claimed": r"(?!\s+for\b)", "claims": r"(?!\s+for\b)"}
# Court reporting: "the court heard that ...", "..., the jury was told". Anyone else who hears or is
# told something ("He was told to leave") is no source.
_HEARING_CUES = frozenset({"heard", "was told", "were told"})
_HEARINGS = frozenset({"court", "jury", "jurors", "tribunal", "inquest", "hearing", "magistrates", "inquiry", "committee"})
_VERBS_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _verb in sorted(set(_VERBS), key=len, reverse=True):
    _VERBS_BY_FIRST.setdefault(_verb.split()[0], []).append(
        (_verb, re.compile(r"\s+".join(map(re.escape, _verb.split())) + r"\b" + _NOT_SPEECH_AFTER.get(_verb, "")))
    )
_AUX_WORDS = {
    "has", "have", "had", "also", "further", "previously", "later", "earlier", "then", "now", "again",
    "repeatedly", "separately", "first", "once", "often", "just", "long", "still", "already", "always",
}
# Between a subject and its verb: "Wells Fargo this month announced", "prosecutors in April charged".
_TIME_BEFORE_VERB = re.compile(
    r"(?:in\s+a\s+statement|on\s+\w+day|(?:this|last)\s+(?:week|month|year|weekend|morning|afternoon|evening)|"
    r"in\s+(?:January|February|March|April|May|June|July|August|September|October|November|December|\d{4}))$"
)
_NOT_ADVERBS = {"family", "ally", "rally", "assembly", "supply", "reply", "only", "early", "daily", "weekly", "monthly", "italy"}
_LOWER_WORD = re.compile(r"[a-z]+")


class _Speech:
    """A speech verb in a claim; `start()` also covers the auxiliaries and adverbs before it
    ("has also said", "was quoted as saying", "in a statement said")."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self._verb = (start, end)
        self.verb = text[start:end]
        self._start = start
        while True:
            before = text[: self._start].rstrip()
            word = re.search(r"([A-Za-z]+)$", before)
            if not word:
                break
            w = word.group(1)
            phrase = _TIME_BEFORE_VERB.search(before)
            if phrase:
                self._start = phrase.start()
            elif w in _AUX_WORDS or (w in ("was", "were") and self.verb.startswith("quoted")) or (
                len(w) > 4 and w.endswith("ly") and w not in _NOT_ADVERBS
            ):
                self._start = word.start(1)
            else:
                break

    def start(self, group: str | None = None) -> int:
        return self._verb[0] if group else self._start

    def end(self) -> int:
        return self._verb[1]

    def span(self, group: str) -> tuple[int, int]:
        return self._verb

    def group(self, name: str) -> str:
        return self.verb


# "They had asked for €6.8 million": a request, not words anyone is quoted as saying. "Nestwell
# recalled a batch of night lights", "recalled its ambassador": products and envoys, not memories.
_RECALLED_THINGS = re.compile(r"\s+(?:a|an|some|about|around|roughly|nearly|more|over|its|their|all|thousands|hundreds|millions|\d)\b")
_NOT_SPEECH_AFTER = {"asked": re.compile(r"\s+for\b"), "recalled": _RECALLED_THINGS, "recalls": _RECALLED_THINGS}
# Plural nouns that are also speech verbs ("the swing states of Ohio", "Democratic claims as"): a verb
# opens a clause, with "that", a determiner, a pronoun, a name, a number or a quotation, or ends a
# tag ("..., the association estimates, so ...").
_CLAUSE_OPENING = re.compile(r"\s*[,.;:]|\s+(?:that|the|a|an|it|he|she|they|we|his|her|its|their|this|these|those|there|no|[A-Z\d\"“])")
_NOUN_LIKE_VERBS = {"states", "claims", "reports", "estimates", "projects", "forecasts", "appeals", "signals", "calls", "promises", "pledges"}


def _speech_verbs(text: str, start: int = 0) -> list[_Speech]:
    """Speech verbs from `start` on, case-sensitive ("States" in "the United States" is no verb)."""
    found = []
    for word in _LOWER_WORD.finditer(text, start):
        if word.start() and text[word.start() - 1].isalpha():
            continue
        for verb, pattern in _VERBS_BY_FIRST.get(word.group(0), ()):
            m = pattern.match(text, word.start())
            if m and verb in _NOT_SPEECH_AFTER and _NOT_SPEECH_AFTER[verb].match(text, m.end()):
                break
            if m and verb in _NOUN_LIKE_VERBS and not _CLAUSE_OPENING.match(text, m.end()):
                break
            if m:
                found.append(_Speech(text, m.start(), m.end()))
                break
    return found
_ACCORDING = re.compile(r"\b(?P<cue>according\s+to|as\s+reported\s+by|as\s+reported\s+in|reported\s+by|as\s+cited\s+by|citing|per\s+(?=[A-Z]))\s+", re.I)
_AS_SAID = re.compile(rf"\b[Aa]s\s+(?P<np>[^,;:.]{{2,80}}?)\s+(?P<verb>{_VERB_ALT})\b")  # "States" is no verb
_STATEMENT_NOUNS = r"statement|statements|remarks|comments|report|assessment|estimate|estimates|announcement|claim|claims|data|figures|analysis|account|testimony|briefing|findings|words|warning|admission|assertion|address|speech|interview|post|tweet|letter"
_POSSESSIVE_STATEMENT = re.compile(
    rf"(?P<np>(?:[A-Z][\w.’'-]*\s+){{0,6}}?[A-Z][\w.-]*)[’']s?\s+(?:(?:latest|recent|new|own|earlier|official|written|televised|nightly|evening|annual|weekly|monthly|\w+ly)\s+)?"
    rf"(?P<noun>{_STATEMENT_NOUNS})\s*,?\s+(?P<link>indicating|saying|showing|suggesting|stating|claiming|asserting|noting|revealing|confirming|estimating|that)\b"
)
_DOC_BY = re.compile(
    rf"\b(?P<doc>(?:a|an|the)\s+(?:(?:new|recent|leaked|internal|confidential|classified|joint|annual|latest|draft|preliminary|final|\w+-page)\s+)*"
    rf"(?:report|study|survey|statement|memo|document|analysis|assessment|review|audit|poll|letter|filing|paper|investigation|dossier|briefing))"
    rf"\s+(?:by|from|of|released\s+by|published\s+by|commissioned\s+by)\s+(?P<np>[^,;:]{{2,80}}?)\s*,?\s+(?P<verb>{_VERB_ALT})\b",
    re.I,
)
# A quotation signed with a dash after it: '“The most unqualified ...” ― Francisco Herrero'.
_DASH_QUOTE = re.compile(r"[”\"]\s*(?P<dash>[―—–]|--)\s*(?P<np>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,4})\s*[,.]?\s*$")
_DOC_BY_WORDS = ("report", "study", "survey", "statement", "memo", "document", "analysis", "assessment", "review",
                 "audit", "poll", "letter", "filing", "paper", "investigation", "dossier", "briefing")
_TITLES = (
    "President", "Vice President", "Prime Minister", "Deputy Prime Minister", "Minister", "Foreign Minister",
    "Defence Minister", "Defense Minister", "Finance Minister", "Interior Minister", "Health Minister",
    "Chancellor", "Secretary", "Secretary of State", "Secretary-General", "Secretary General", "Gen.", "General",
    "Lt.", "Lt", "Lieutenant", "Col.", "Colonel", "Maj.", "Major", "Capt.", "Captain", "Sgt.", "Adm.", "Admiral",
    "Brig.", "Cmdr.", "Dr.", "Dr", "Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "Prof.", "Professor", "Sen.", "Senator",
    "Rep.", "Representative", "Gov.", "Governor", "Mayor", "King", "Queen", "Prince", "Princess", "Pope", "Rev.",
    "Father", "Sheikh", "Ambassador", "Commissioner", "Chairman", "Chairwoman", "Chair", "Judge", "Justice",
    "Speaker", "Sir", "Dame", "Lord", "Lady", "Coach", "Director", "Chief", "Inspector", "Detective", "Officer",
    "Premier", "Emir", "Crown Prince", "Supreme Leader", "Spokesperson", "Spokesman", "Spokeswoman", "Deputy",
    "Lt. Gen.", "Maj. Gen.", "Brig. Gen.", "Gen", "CEO", "Chief Executive", "Founder", "MP", "Senior", "Former",
    "former", "Acting", "acting",
)
_LONG_TITLES = sorted((t for t in _TITLES if " " in t), key=len, reverse=True)
# Words of multi-word titles that are not titles alone ("Health" in "Health Minister").
_TITLE_WORDS = {w for t in _TITLES for w in t.split()} - {"of", "State", "Defence", "Defense", "Finance", "Interior", "Health", "Foreign", "Vice", "Prime", "Supreme", "Crown"}
_ORG_WORDS = {
    # what a business is called when not named: "according to the airline", "the insurer said"
    "airline", "airport", "carrier", "operator", "manufacturer", "maker", "insurer", "retailer", "supplier", "utility",
    "charity", "lender",
    "ministry", "department", "agency", "office", "staff", "council", "committee", "commission", "army", "navy",
    "police", "force", "forces", "bank", "university", "institute", "company", "inc", "inc.", "corp", "corp.",
    "corporation", "group", "party", "government", "administration", "court", "service", "services", "union",
    "association", "organization", "organisation", "foundation", "fund", "reserve", "command", "intelligence",
    "authority", "authorities", "board", "bureau", "centre", "center", "chiefs", "guard", "coalition", "alliance",
    "parliament", "congress", "senate", "assembly", "cabinet", "kremlin", "pentagon", "nato", "un", "eu",
    "embassy", "consulate", "federation", "league", "club", "team", "hospital", "clinic", "laboratory", "lab",
    "ltd", "plc", "llc", "gmbh", "sa", "ag", "airlines", "airways", "motors", "bank's", "school", "college",
    "secretariat", "directorate", "mission", "brigade", "battalion", "regiment", "corps", "unit", "network",
    "programme", "program", "observatory", "watch", "monitor", "initiative", "movement", "front", "house",
    "street", "palace", "hall", "chamber", "tribunal", "prosecutor's", "prosecutors", "regulator", "exchange",
    "commission's", "cdc", "who", "imf", "opec", "inc", "industries", "holdings", "partners", "capital", "energy",
    "systems", "technologies", "labs", "pharma", "pharmaceuticals", "municipality", "county", "city", "state",
}
_OUTLET_WORDS = {
    "times", "post", "journal", "news", "herald", "tribune", "gazette", "independent", "daily", "wire", "press",
    "radio", "tv", "television", "broadcasting", "broadcaster", "network", "magazine", "review", "guardian",
    "telegraph", "observer", "chronicle", "insider", "today", "reuters", "bloomberg", "newspaper", "mail",
    "express", "standard", "economist", "politico", "axios", "bbc", "cnn", "afp", "ap", "yonhap", "xinhua",
    "tass", "ria", "interfax", "kyodo", "nhk", "bild", "spiegel", "monde", "figaro", "pravda", "izvestia",
    "ledger", "digest", "briefs", "dispatch", "courier", "sentinel", "record", "star", "sun", "mirror",
    "sports", "sport", "website", "fact-checker", "fact-checkers", "fact-checking",
}
# What a news organisation is called when not named: "the broadcaster said".
_OUTLET_NOUNS = {"agency", "newspaper", "paper", "outlet", "broadcaster", "wire", "network", "channel", "magazine",
                 "station", "tabloid", "website", "publication", "newsletter"}
_ANON_HEADS = {
    "official", "officials", "source", "sources", "people", "person", "diplomat", "diplomats", "aide", "aides",
    "insider", "insiders", "someone", "analyst", "analysts", "expert", "experts", "resident", "residents",
    "witness", "witnesses", "researchers", "scientists", "economists", "critics", "observers", "activists",
    "investigators", "lawmakers", "legislators", "staffers", "employees", "workers", "executives", "executive",
    "negotiators", "negotiator", "advisers", "adviser", "advisor", "advisors", "medics", "doctors", "troops",
    "soldiers", "commanders", "commander", "veterans", "members", "member", "spokesperson", "spokesman",
    "spokeswoman", "representative", "representatives", "colleagues", "allies", "supporters", "opponents",
    "mediators", "organisers", "organizers", "authorities", "locals", "parents", "students", "teachers",
    "survivors", "relatives", "friends", "neighbours", "neighbors", "farmers", "traders", "bankers", "investors",
}
_DOC_HEADS = {
    "report", "study", "survey", "memo", "document", "documents", "filing", "analysis", "assessment", "statement",
    "data", "figures", "records", "letter", "paper", "poll", "review", "audit", "research", "dossier", "briefing",
    "release", "bulletin", "footage", "video", "images", "investigation", "findings", "estimate", "estimates",
    "budget", "draft", "minutes", "transcript", "indictment", "complaint", "lawsuit", "ruling", "judgment", "forecast",
    "tests", "evidence", "samples",
}
_PRONOUNS = {"he": "person", "she": "person", "they": "any", "it": "org", "we": "any", "i": "person",
             # "..., one of them said": one of the people just cited ("two people familiar with the matter")
             **{f"{n} of them": "people" for n in ("one", "two", "three", "some", "both", "all", "each", "either", "neither", "several")},
             # "Defence analysts say ... Some warn that ...": a bare quantifier is some of the people just cited.
             **{n: "people" for n in ("some", "others", "many", "several", "most", "a few")}}
# Capitals and countries stand for their governments ("Moscow said", "Seoul confirmed").
_PLACES = {
    "moscow", "kyiv", "kiev", "beijing", "washington", "pyongyang", "seoul", "tokyo", "london", "paris", "berlin",
    "tehran", "jerusalem", "ankara", "brussels", "delhi", "new delhi", "islamabad", "kabul", "damascus", "baghdad",
    "riyadh", "cairo", "taipei", "manila", "hanoi", "caracas", "havana", "minsk", "warsaw", "budapest", "rome",
    "madrid", "ottawa", "canberra", "doha", "abu dhabi", "beirut", "amman", "nairobi", "abuja", "pretoria",
    "russia", "ukraine", "china", "japan", "india", "iran", "israel", "turkey", "france", "germany", "britain",
    "north korea", "south korea", "the united states", "united states", "the u.s.", "u.s.", "us", "the uk", "uk",
    "poland", "hungary", "italy", "spain", "canada", "australia", "qatar", "egypt", "syria", "iraq", "lebanon",
    "saudi arabia", "pakistan", "afghanistan", "taiwan", "vietnam", "the philippines", "venezuela", "cuba",
    "belarus", "nigeria", "kenya", "south africa", "brazil", "mexico", "argentina", "indonesia", "the kremlin",
    "kremlin", "the white house", "white house", "the pentagon", "pentagon", "downing street", "whitehall",
    "the elysee", "the élysée", "the blue house", "zhongnanhai", "the vatican", "vatican", "brussels",
}
_ROLE_NOUNS = (
    "chief", "head", "director", "spokesperson", "spokesman", "spokeswoman", "minister", "secretary", "official",
    "commander", "chairman", "chairwoman", "chair", "president", "leader", "adviser", "advisor", "economist",
    "analyst", "officer", "executive", "ceo", "founder", "manager", "researcher", "professor", "editor",
    "correspondent", "reporter", "ambassador", "envoy", "governor", "mayor", "deputy", "member", "general",
    "coordinator", "representative", "strategist", "scientist", "lawyer", "attorney", "prosecutor", "judge",
    "master", "harbourmaster", "harbormaster", "coroner", "sheriff", "superintendent", "inspector", "ranger",
    "warden", "captain", "skipper", "mayor", "councillor", "councilor", "headteacher", "principal", "curator",
)
_LEADING_FILLERS = re.compile(
    r"^(?:(?:but|and|yet|so|however|meanwhile|separately|moreover|also|still|now|earlier|later|then|instead|"
    r"in\s+a\s+statement|in\s+an\s+interview|on\s+\w+day|last\s+\w+|this\s+\w+|in\s+\w+|which|who|whom|that|while|as|"
    r"although|because|when|where|if|even\s+as)\b[\s,]*)+",
    re.I,
)
_PASSIVE_OR_NEGATED = re.compile(r"(?:\b(?:is|are|was|were|be|been|being|not|never|n['’]t|no\s+longer)|\bneither\b.*)\s*$", re.I)
# "Jane Roe, the bank's economist, said": not "..., and three people suffered minor burns, said".
_APPOSITION = re.compile(r"[^,;:“”\"()]+?\s*,(?!\s*(?:and|but|or|while|as|because|so)\s)\s*[^,;“”\"]{2,160},\s*$")
# Capitalised phrases that may name an organisation: "the U.S. Food and Drug Administration (FDA)".
_ORG_NAME = re.compile(
    r"(?:[A-Z][\w.&’'-]*\s+(?:(?:of|for|and|on|the|de|des|du)\s+)*){0,6}[A-Z][\w.&-]*(?:\s*\([A-Z][A-Za-z.&]{1,10}\))?"
)
# What a definite description may call a source: "the force" is a police force, "the bank" a central bank.
# "the Vantage news agency": an agency, but one that publishes news.
_NEWS_AGENCY = re.compile(r"\b(?:news|press|wire)\s+agency\b", re.I)
_HEAD_SYNONYMS = {
    "force": ("force", "police"),
    "agency": ("agency", "administration", "commission", "authority", "service"),
    "ministry": ("ministry", "department"),
    "department": ("department", "ministry"),
    "report": ("report",),
    "study": ("study", "found"),
    "statement": ("statement", "said", "stated"),
    "survey": ("survey", "poll"),
    "bank": ("bank", "reserve"),
    "company": ("company", "inc", "corp", "group", "ltd", "plc"),
    "firm": ("firm", "inc", "corp", "group", "ltd", "plc", "company"),
    "government": ("government", "administration", "ministry", "cabinet"),
    "military": ("military", "army", "forces", "staff", "command", "defence", "defense"),
    "army": ("army", "military", "forces"),
    "court": ("court", "tribunal"),
    "ruling": ("court", "tribunal", "judge", "ruled", "ruling"),
    "judgment": ("court", "tribunal", "judge", "ruled", "judgment"),
    "union": ("union",),
    "council": ("council",),
    "commission": ("commission",),
}
_NAME_TOKEN = re.compile(r"[A-Z][\w.’'-]*|(?:of|the|for|and|de|del|la|le|du|da|al|el|bin|ibn|van|von|der|y|on|in)\b")
_WORD = re.compile(r"[\w’'.-]+")


_SPACES = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"'s\b")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
_NOT_WORD = re.compile(r"[^\w ]")
_WORD_START = re.compile(r"\b[a-z]")


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'")
    return _SPACES.sub(" ", text).strip(" ,;:.\"“”")


def _key(name: str) -> str:
    return _NOT_WORD.sub("", _ARTICLE.sub("", _POSSESSIVE.sub("", _norm(name).lower())))


def acronym(name: str) -> str | None:
    """"Joint Chiefs of Staff" -> "JCS": the capitals of its words, ignoring "of", "the", "and"."""
    words = [w for w in re.findall(r"[A-Za-z][\w-]*", name) if w.lower() not in {"of", "the", "and", "for", "on", "in", "de"}]
    initials = "".join(w[0] for w in words if w[0].isupper())
    return initials if len(initials) >= 2 and len(initials) == len(words) else None


# --- the per-article register of sources ----------------------------------------------------


@dataclass
class _Register:
    """Sources named so far in an article, newest last, for aliases and inherited mentions."""

    outlets: Outlets
    sources: list[Source] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # source name -> role as written
    # Organisations met only as a person's affiliation: found by name, never inherited by "the report".
    affiliations: list[Source] = field(default_factory=list)
    # Organisations the text names without quoting them ("The FDA on Tuesday approved ..."): only a
    # definite description with their head noun ("the agency") resolves to them.
    background: list[Source] = field(default_factory=list)
    cues: dict[str, str] = field(default_factory=dict)  # source name -> the words that cited it
    # Whom "he" or "she" means next: the person a sentence quoted, else the person a sentence with
    # no speaker is about ("Trump spoke for an hour. “I love you,” he said.").
    subject: Source | None = None

    def notice(self, text: str) -> None:
        for m in _ORG_NAME.finditer(text):
            phrase = m.group(0)
            words = {w.lower().strip(".,’'") for w in phrase.split()}
            if words & _ORG_WORDS or "(" in phrase:
                org = _organization(phrase, self, self.outlets)
                if not self.find(org.name):
                    self.background.append(org)

    def follow(self, text: str, speaker: Source | None) -> None:
        """After a sentence: its speaker if a person, else the first person it names."""
        if speaker is not None:
            if speaker.kind == SourceKind.PERSON:
                self.subject = speaker
            return
        for name, full in _named_people(text):
            known = self.find(name, SourceKind.PERSON)
            if known or full:
                self.subject = known or Source(name, SourceKind.PERSON)
                return

    def affiliate(self, organization: Source) -> Source:
        known = self.find(organization.name, organization.kind)
        if known:
            return known
        self.affiliations.append(organization)
        return organization

    def add(self, source: Source, role: str | None = None) -> Source:
        known = self.find(source.name, source.kind) or next(
            (self.find(a, source.kind) for a in source.aliases if self.find(a, source.kind)), None
        )
        if known:
            merged = Source(known.name, known.kind, tuple(dict.fromkeys(known.aliases + source.aliases + ((source.name,) if source.name != known.name else ()))))
            self.sources = [s for s in self.sources if s.name != known.name] + [merged]
            if role:
                self.roles[merged.name] = role
            return merged
        self.sources.append(source)
        if role:
            self.roles[source.name] = role
        return source

    def find(self, mention: str, kind: SourceKind | None = None) -> Source | None:
        """A source already named that `mention` also names: same name, an alias, an acronym,
        a person's surname, or all its words inside a longer name ("the Joint Staff")."""
        key = _key(mention)
        if not key:
            return None
        words = set(key.split())
        for source in [*self.affiliations, *self.sources][::-1]:
            if kind and source.kind != kind and not (kind == SourceKind.ORGANIZATION and source.kind == SourceKind.OUTLET):
                continue
            names = [source.name, *source.aliases]
            if any(_key(n) == key for n in names):
                return source
            if mention.isupper() and mention in {acronym(n) for n in names}:
                return source
            # A surname alone, first or last (family names lead in Korean, Chinese, Hungarian...).
            if source.kind == SourceKind.PERSON and len(words) == 1 and key in (_key(source.name).split()[0], _key(source.name).split()[-1]):
                return source
            if source.kind != SourceKind.PERSON and len(words) >= 2 and words <= set(_key(source.name).split()):
                return source
        return None

    def latest(self, kinds: Sequence[SourceKind], head: str | None = None) -> Source | None:
        """The most recent source of one of `kinds`; with `head`, preferring one whose name, role
        or citing words have it ("the agency" -> the IAEA; "the report" -> who was "reported")."""
        if head:
            heads = _HEAD_SYNONYMS.get(head, (head,))
            for pool in (self.sources, self.affiliations, self.background):
                for source in reversed(pool):
                    if source.kind not in kinds and not {source.kind, *kinds} <= {SourceKind.ORGANIZATION, SourceKind.OUTLET, SourceKind.DOCUMENT}:
                        continue
                    text = f"{source.name} {self.roles.get(source.name, '')} {self.cues.get(source.name, '')}".lower()
                    if any(re.search(rf"\b{re.escape(h)}", text) for h in heads):
                        return source
        return next((s for s in reversed(self.sources) if s.kind in kinds), None)


# --- finding the source phrase of a claim ---------------------------------------------------


@dataclass(frozen=True)
class _Found:
    mention: str  # the words naming the source, as written
    start: int  # offset of the mention in the claim
    cue: str
    role: str | None = None
    cue_span: tuple[int, int] | None = None  # offsets of the cue in the claim
    # Offsets of the whole source phrase when it is longer than the name: with its apposition or
    # relative clause ("Phil Smith, a spokesman for the union,"), as PARC-style annotation marks it.
    phrase: tuple[int, int] | None = None


_SUBORDINATOR = re.compile(
    r"\b(?:that|which|who|whom|what|when|where|why|how|because|since|after|before|though|although|while|if|until|unless|whether|as|than|once)\s+"
)
_LEADING_VERB = re.compile(rf"(?:{_VERB_ALT})\s+(?:that\s+)?(?=\S)")
_DETERMINED = re.compile(r"(?:the|a|an|his|her|their|its|our|some|many|most|several|two|three|four|five)\s", re.I)


def _subject_before(text: str, end: int) -> _Found | None:
    """The noun phrase right before a speech verb at `end`: after the last clause boundary,
    with an apposition (", Ukraine's military intelligence chief,") split off as the role."""
    before = text[:end].rstrip()
    role = None
    phrase = None
    m = re.search(r"(?P<np>[^,;:“”\"()]+?)\s*(?:\((?P<abbr>[^)]{2,12})\))?\s*,\s*(?P<app>[^,;“”\"]{2,160}),\s*$", before)
    if m and not re.match(r"\s*(?:according)\b", m.group("app"), re.I):
        app = m.group("app").strip()
        np, start = m.group("np"), m.start("np")
        if not re.match(r"(?:in|on|at|for|with|during|after|before|speaking|writing|citing|adding|\w+ing)\b", app):
            lead = _LEADING_FILLERS.match(np.lstrip())
            phrase = (start + len(np) - len(np.lstrip()) + (lead.end() if lead else 0), len(before))
        described = re.match(r"(?:[Tt]he|[Ii]ts|[Tt]heir)\s+[a-z]", np.strip()) is not None and not re.search(r"[A-Z]", np.strip()[1:])
        if (_looks_like_person(_strip_titles(app)[0]) and not _looks_like_person(_strip_titles(np.strip())[0])) or (
            described and re.match(r"[A-Z]", app) and len(app.split()) <= 6
        ):
            # "The mayor of Valencia, Lucía Ferrán, said", "The manufacturer, Vantorre Pharma, has blamed":
            # the name is the apposition, the description comes first.
            np, start, app = app, m.start("app") + (len(m.group("app")) - len(m.group("app").lstrip())), np.strip()
        if not re.match(r"(?:who|which|whose|in|on|at|for|with|during|after|before|speaking|writing|citing|adding|\w+ing)\b", app):
            role = app
        if m.group("abbr"):
            np, start = before[m.start("np"):m.end("abbr") + 1], m.start("np")
    else:
        cut = max(before.rfind(c) for c in ",;:“”\"()—–")
        start = cut + 1
        np = before[start:]
        if re.search(r"\([^)]*$", before[:cut + 1]) is None and before[cut:cut + 1] == ")" and "(" in before:
            # "the Joint Chiefs of Staff (JCS) said": keep the parenthesised acronym with its name
            open_at = before.rfind("(")
            head_cut = max(before[:open_at].rfind(c) for c in ",;:“”\"—–")
            start, np = head_cut + 1, before[head_cut + 1:]
    lead = _LEADING_FILLERS.match(np.strip())
    stripped = np.strip()
    offset = start + (len(np) - len(np.lstrip()))
    if lead:
        offset += lead.end()
        stripped = stripped[lead.end():]
    stripped = re.sub(r"\s+(?:has|have|had|also|further|previously|later|then|now|again|on\s+\w+day)$", "", stripped.rstrip(), flags=re.I)
    # "X, a spokesman, said the union expected": the first verb is X's tag, not part of the subject.
    earlier_verb = _LEADING_VERB.match(stripped)
    if earlier_verb:
        offset += earlier_verb.end()
        stripped = stripped[earlier_verb.end():]
    # "... since Clinton said", "Back when he wrote", "the gap between what Trump says": the subject
    # is what follows the last subordinating word, when that is a name, a pronoun or a determined noun.
    subordinate = list(_SUBORDINATOR.finditer(stripped))
    if subordinate:
        rest = stripped[subordinate[-1].end():]
        if _plausible(rest) and (_key(rest) in _PRONOUNS or rest[0].isupper() or _DETERMINED.match(rest)):
            offset += subordinate[-1].end()
            stripped = rest
            phrase = None
    if not stripped or len(_WORD.findall(stripped)) > 12:
        return None
    return _Found(stripped, offset, "", role, phrase=phrase)


# A name may end in an abbreviation's period: "Robert Smith Jr.", "Acme Co.", "Ashton, Md.", "J.P.".
_ABBREVIATION_END = re.compile(r"(?:\b[A-Z][a-z]?|\b(?:[A-Z]\.)+[A-Z]|\b(?:Jr|Sr|Inc|Ltd|Corp|Co|Bros))\.$")


def _subject_after(text: str, start: int) -> _Found | None:
    """The speaker after an inverted tag: '"...," said Lt. Gen. Ilhan Sorvenne, the ...'."""
    # Inside one claim a period followed by more words is an abbreviation ("Lt. Gen."), not an end.
    m = re.match(
        r"\s+(?P<np>(?:(?:the|a|an|two|three|several|some|one)\s+)?(?:[\w.’'-]+\s+){0,6}?[\w’'-]+\.?)(?=\s*(?:,|;|[.!?]?[\"”’]?\s*$|\s+(?:on|in|at|during|after|before|who|when|adding|told|to|from|last|this|as|and|but|while)\b))",
        text[start:],
    )
    if not m:
        return None
    np = m.group("np").strip()
    if np.endswith(".") and not _ABBREVIATION_END.search(np):
        np = np[:-1]  # '..., said Mr. Burman.': the sentence's full stop, not the name's
    if re.match(r"(?:on|in|at|last|this|during|after|before|yesterday|today|earlier|later|that|it|there|the\s+(?:day|week|month|year))\b", np, re.I):
        return None
    role = None
    rest = text[start + m.end():]
    app = re.match(r",\s*(?P<app>(?:the|a|an)\s+[^,.;]{2,80}|[a-z][^,.;]{2,80})(?:[,.;]|$)", rest)
    phrase = None
    if app and not re.match(r"(?:according|in|on|at|during|after|before|when|as|while|\w+ing)\b", app.group("app")):
        # "..., said Tim Hess, a developer in Virginia, who introduced him to the banks.": all of it
        end = start + m.end() + len(app.group(0).rstrip(",.;"))
        relative = re.match(r",\s*(?:who|which)\b[^,;]*[,.;]?\s*$", text[end:])
        phrase = (start + m.start("np"), end + (len(relative.group(0).rstrip(",.;\n ")) if relative else 0))
        if not re.match(r"(?:who|which)\b", app.group("app")):
            role = app.group("app").strip()
    return _Found(np, start + m.start("np"), "", role, phrase=phrase)


def _find(text: str) -> list[_Found]:
    """Every source phrase in a claim, leftmost first."""
    found: list[_Found] = []
    lower = text.lower()
    # Cheap substring gates first: most sentences hold none of these constructions.
    possessive = ("'s " in text or "’s " in text or "s' " in text or "s’ " in text)
    for m in _POSSESSIVE_STATEMENT.finditer(text) if possessive else ():
        np = m.group("np")
        cue = f"{m.group('noun')} {m.group('link')}".lower() if m.group("link") != "that" else m.group("noun").lower()
        found.append(_Found(np, m.start("np"), cue, cue_span=(m.start("noun"), m.end("link") if m.group("link") != "that" else m.end("noun"))))
    for m in _DOC_BY.finditer(text) if any(d in lower for d in _DOC_BY_WORDS) else ():
        found.append(_Found(m.group("np"), m.start("np"), m.group("verb").lower(), cue_span=m.span("verb")))
    for m in _ACCORDING.finditer(text) if ("accord" in lower or "reported" in lower or "citing" in lower or "cited" in lower or "per " in lower) else ():
        rest = text[m.end():]
        np = re.match(r"[^,;:.!?]*?(?=\s*(?:,|;|:|\.(?:\s|$)|!|\?|$|\s+(?:on|in|at|which|who|that|as|when|after|before|during|and\s+(?:the|a)\s+\w+\s+(?:said|says)))\b|\s*[,;:.]|$)", rest)
        if np and np.group(0).strip():
            tail = re.match(r",(?:\s+[A-Z][\w-]*)+(?:,\s+[A-Z][\w-]*)*\s+and\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*", rest[np.end():])
            if tail and re.search(r"\b(?:Ministry|Department|Office|Commission|Committee|Council|Bureau|Agency)\b", np.group(0)):
                np = re.match(re.escape(np.group(0) + tail.group(0)), rest)
            found.append(_Found(np.group(0).strip(), m.end(), re.sub(r"\s+", " ", m.group("cue").lower()), cue_span=m.span("cue")))
    for m in _AS_SAID.finditer(text) if ("as " in lower) else ():
        np = m.group("np").strip()
        if re.match(r"(?:well|soon|long|much|far|many|early|late|expected|planned|usual)\b", np, re.I):
            continue
        # "as HealthWire and others have reported": the one named is the source.
        np = re.sub(r"\s+(?:and|among)\s+(?:others|other\s+(?:\w+\s+)?(?:outlets|media|publications|papers|sites|websites))\b.*$", "", np)
        while (last := np.rsplit(None, 1))[1:] and last[-1].lower() in _AUX_WORDS:
            np = last[0]
        found.append(_Found(np, m.start("np"), m.group("verb").lower(), cue_span=m.span("verb")))
    for m in _DASH_QUOTE.finditer(text):
        found.append(_Found(m.group("np"), m.start("np"), "―", cue_span=m.span("dash")))
    quoted = _quoted_spans(text)
    for m in _speech_verbs(text):
        verb = re.sub(r"\s+", " ", m.group("verb").lower())
        if any(f.start <= m.start("verb") <= f.start + len(f.mention) + 40 for f in found):
            continue
        if any(s <= m.start("verb") < e for s, e in quoted):
            continue  # a verb inside the quotation is the speaker's, not the attribution
        before = text[:m.start()].rstrip()
        if _PASSIVE_OR_NEGATED.search(before) and not verb.startswith(("is ", "are ", "was ", "were ", "has been", "have been", "quoted")):
            continue  # "is expected to", "has not confirmed": nobody is being quoted
        # Inverted tag: '"...," said X' or '..., said X.' (verb right after a quote or comma),
        # unless the comma closes an apposition: "Jane Roe, the bank's economist, said".
        if not before or re.search(r"[”\"]\s*,?\s*$|,\s*[”\"]\s*$", before) or (before.endswith(",") and not _APPOSITION.search(before)):
            after = _subject_after(text, m.end())
            if after and _plausible(after.mention):
                found.append(replace(after, cue=verb, cue_span=m.span("verb")))
                continue
        subject = _subject_before(text, m.start())
        if subject and _plausible(subject.mention) and (verb not in _HEARING_CUES or _head(_key(subject.mention)) in _HEARINGS):
            found.append(replace(subject, cue=verb, cue_span=m.span("verb")))
    # "X thinks Y, according to Z" and "X thinks Y, Z said.": a source cited at the end of the
    # sentence vouches for all of it, so it is the outermost.
    return sorted(found, key=lambda f: (not (f.cue in ("according to", "as reported by") or _closes(text, f)), f.start))


def _closes(text: str, found: _Found) -> bool:
    """Does this source phrase tag the sentence from its end ("..., one of the diplomats said.")?"""
    if found.cue_span is None or found.start < 2 or text[: found.start].rstrip()[-1:] not in (",", "”", '"'):
        return False
    end = max(found.cue_span[1], found.start + len(found.mention))
    return len(text) - end <= 45 and not _speech_verbs(text, end)


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in re.finditer(r"“[^”]*”?|\"[^\"]*\"?", text)]
    return [(s + 1, e - 1) for s, e in spans if e - s > 2]


def _plausible(mention: str) -> bool:
    """Could these words name a source? A name, a known descriptor, a pronoun, a document."""
    key = _key(mention)
    if not key:
        return False
    words = key.split()
    if key in _PRONOUNS:
        return True
    if re.search(r"[A-Z]", mention):
        return len(words) <= 10 and not re.match(r"^(?:it|this|that|there|these|those|which|what)\b", key)
    head = _head(key)
    return head in _ANON_HEADS or head in _DOC_HEADS or head in _ORG_WORDS or head in _ROLE_NOUNS or head in _OUTLET_NOUNS


def _head(key: str) -> str:
    """The head noun of a lower-cased phrase: before "familiar with", "close to", "of", "for"..."""
    words = key.split()
    quantified = re.match(r"(?:one|two|three|four|five|some|several|both|all|each|either|none|many|most|few)\s+of\s+(?:the\s+|these\s+|those\s+)?(.+)$", key)
    if quantified:  # "one of the diplomats": the diplomats
        return _head(quantified.group(1))
    for i, w in enumerate(words):
        if i and w.endswith("ed") and w not in ("united", "red", "armed", "licensed", "unnamed", "retired", "advanced", "concerned"):
            return words[i - 1]  # "court documents filed in Seattle", "a report published on Monday"
        if w in ("familiar", "close", "with", "of", "for", "from", "at", "in", "who", "briefed", "involved", "knowledgeable", "speaking", "on", "seen", "obtained", "reviewed", "by", "published", "released", "issued", "dated", "sent") and i:
            return words[i - 1]
    return words[-1] if words else ""


# --- classifying a source phrase ------------------------------------------------------------


def _strip_titles(name: str) -> tuple[str, str | None]:
    """"President Volodymyr Zelensky" -> ("Volodymyr Zelensky", "President");
    "Velmoran President Mirko Dalsavin" -> ("Mirko Dalsavin", "Velmoran President")."""
    for title in _LONG_TITLES:  # "Secretary of State Marco Ruiz"
        if name.startswith(title + " ") and _looks_like_person(name[len(title) + 1:]):
            return name[len(title) + 1:], title
    words = name.split()
    last_title = max(
        (i for i, w in enumerate(words[:-1])
         if w in _TITLE_WORDS or w.rstrip(".") + "." in _TITLE_WORDS or w.lower().strip(".,") in _ROLE_NOUNS),
        default=-1,
    )  # "Harbour master Tom Ashby": a role noun, however written, ends the title too
    rest = words[last_title + 1:]
    if last_title < 0 or {w.lower().strip(".,") for w in rest} & (_ORG_WORDS | {"of", "for", "and"}):
        return name, None  # "General Staff", "Secretary of State": an office, not a titled person
    return " ".join(rest), " ".join(words[: last_title + 1])


def _split_possessive(name: str) -> tuple[str, str | None]:
    """"South Korea's Joint Chiefs of Staff" -> ("Joint Chiefs of Staff", "South Korea's")."""
    m = re.match(r"^(?P<owner>.+?['’]s?)\s+(?P<rest>[A-Z].*)$", name)
    if m and len(m.group("rest").split()) >= 1:
        return m.group("rest"), m.group("owner")
    return name, None


def _organization_of(role: str) -> str | None:
    """The organisation a role names: "chief economist at Barclays" -> "Barclays";
    "Ukraine's military intelligence chief" -> "Ukraine's military intelligence"."""
    m = re.search(r"\b(?:at|of|for|with|from)\s+(?:the\s+)?(?P<org>[A-Z][^,;]*)$", role)
    if m:
        return m.group("org").strip()
    words = role.split()
    while words and (words[-1].lower().rstrip("s") in _ROLE_NOUNS or words[-1].lower() in _ROLE_NOUNS):
        words.pop()
    org = " ".join(words)
    org = re.sub(r"^(?:the|a|an|its|his|her|their)\s+", "", org, flags=re.I)
    if not org or org.lower() in {"senior", "deputy", "former", "top", "chief", "acting", "military", "new"}:
        return None
    return org if re.search(r"[A-Z]", org) or len(org.split()) >= 2 else None


# Capitalised words that open a sentence or a clause without naming anyone ("But Trump said").
_NOT_NAME_WORDS = {
    "A", "An", "The", "But", "And", "Or", "So", "Yet", "If", "As", "At", "In", "On", "Of", "For", "To", "By", "With",
    "From", "When", "While", "After", "Before", "Since", "Although", "Though", "Because", "Until", "Then", "This",
    "That", "These", "Those", "It", "He", "She", "They", "We", "I", "You", "His", "Her", "Their", "Our", "My", "Its",
    "Still", "Even", "Also", "Now", "Meanwhile", "However", "Instead", "Asked", "Like", "Unlike", "Under", "Over",
    "Whether", "Said", "Says", "Day",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March",
    "April", "May", "June", "July", "August", "September", "October", "November", "December",
}
_CAPITALISED_RUN = re.compile(r"(?<![\w.’'-])(?:[A-Z][\w’'.-]*\s+){0,4}[A-Z][\w’'-]*")


def _named_people(text: str) -> Iterator[tuple[str, bool]]:
    """The capitalised names of a sentence in order, outside quotations and not as objects of a
    preposition ("in New York", "with John Smith"), each with whether it looks like a person's
    full name ("Hillary Clinton", "Mr. Obama") rather than a word that may be a surname ("Trump")."""
    words = text.split()
    if sum(w[:1].isupper() for w in words) > 0.6 * len(words):
        return  # a headline in title case names nobody in particular
    quoted = _quoted_spans(text)
    for m in _CAPITALISED_RUN.finditer(text):
        if any(s <= m.start() < e for s, e in quoted):
            continue
        words = m.group(0).split()
        while words and words[0] in _NOT_NAME_WORDS:
            words.pop(0)
        cut = next((i for i, w in enumerate(words) if w in _NOT_NAME_WORDS), len(words))
        name = re.sub(r"['’]s?$", "", " ".join(words[:cut]))
        if not name or re.search(r"\b(?:in|at|from|to|of|near|for|on|into|across|with|by|about|against|than|like)\s+$", text[: m.start()]):
            continue
        bare, titles = _strip_titles(name)
        yield bare, _looks_like_person(bare) or bool(titles and len(bare.split()) == 1 and bare[:1].isupper())


def _looks_like_person(name: str) -> bool:
    words = name.split()
    if not words or words[0] in ("The", "A", "An") or all(w in _TITLE_WORDS or w.lower() in _ROLE_NOUNS for w in words):
        return False  # "The Secretary of State" is an office
    if not words or not all(w[0].isupper() for w in words if w.lower() not in {"de", "van", "von", "bin", "al", "da", "del", "la", "le", "der", "ibn"}):
        return False
    lower = {w.lower().strip(".,") for w in words}
    if lower & (_ORG_WORDS | _OUTLET_WORDS) or _key(name) in _PLACES:
        return False
    return 2 <= len(words) <= 5 and not name.isupper()


_SPEECH_CUES = frozenset({"said", "says", "told", "tells", "added", "adds", "warned", "warns", "explained", "insisted", "recalled"})


def _classify(found: _Found, register: _Register, outlets: Outlets, links: Sequence[Link], claim: Claim) -> tuple[Source, Method, str | None, Source | None] | None:
    """The source a phrase names, and how: explicitly, or inherited from the register."""
    mention = _norm(found.mention)
    mention = re.sub(r"^(?:which|who|that)\s+", "", mention, flags=re.I)
    # A live entry's time ("13:20 - Our reporter in Saltmere says") is when, not who: the clause
    # search starts after its colon.
    if re.search(r"\b\d{1,2}[:.]$", claim.text[max(0, found.start - 3):found.start]):
        mention = re.sub(r"^\d{2}\s*[-–—]\s*", "", mention)
    key = _key(mention)
    words = key.split()
    if not words:
        return None
    linked = _link_in(found, links, claim)
    if linked:
        outlet = outlets.for_host(urlsplit(linked.url).hostname or "")
        anchor = _key(linked.anchor_text)
        # "as [Meridian Wire reported]": the link names the outlet. A link on a bare verb
        # ("Dalsavin [said]") only says where the words were read; the speaker stays the source.
        if outlet and (set(_key(found.mention).split()) & set(anchor.split()) or any(_key(n) in anchor for n in outlet.names())):
            return _outlet_source(outlet), Method.HYPERLINK, None, None
    # Pronouns and definite descriptions point back at a source named earlier.
    if key in _PRONOUNS:
        want = _PRONOUNS[key]
        kinds = {
            "person": [SourceKind.PERSON],
            "org": [SourceKind.ORGANIZATION, SourceKind.OUTLET, SourceKind.DOCUMENT],
            "any": [SourceKind.PERSON, SourceKind.ORGANIZATION, SourceKind.OUTLET, SourceKind.ANONYMOUS],
            "people": [SourceKind.ANONYMOUS, SourceKind.PERSON],
        }[want]
        source = (register.subject if want == "person" else None) or register.latest(kinds)
        if source:
            return source, Method.INHERITED, None, None
        # Nobody cited before "Some say ...": still unnamed people, not nobody.
        return (Source(mention, SourceKind.ANONYMOUS), Method.EXPLICIT, None, None) if want == "people" else None
    # A capital that only starts the sentence names nothing: "Tests found", "Expert evidence suggested".
    # So does one before lower-case words only: "Ordinary black tea showed no such link".
    opening = found.start == 0 and not re.search(r"[A-Z]", mention[1:]) and (_head(key) in _DOC_HEADS or len(words) >= 2)
    proper = not opening and re.search(r"[A-Z]", re.sub(r"^(?:The|A|An)\s+", "", mention))
    head = _head(key)
    if not proper and mention.lower().startswith(("the ", "this ", "that ", "these ", "its ", "his ", "her ", "their ")):
        if head == "paper" and (newspaper := register.latest([SourceKind.OUTLET])):
            # "The paper also reported ..." after a newspaper was named is the newspaper, not a study.
            source = newspaper
        elif head in _DOC_HEADS:
            # "the report" may be an outlet's; "the study" or "the survey" is never the outlet retelling it.
            kinds = [SourceKind.ORGANIZATION, SourceKind.OUTLET, SourceKind.DOCUMENT] if head in ("report", "reports") else [
                SourceKind.ORGANIZATION, SourceKind.DOCUMENT]
            source = register.latest(kinds, head) or register.latest(kinds)
        elif head in _OUTLET_NOUNS:
            source = register.latest([SourceKind.OUTLET, SourceKind.ORGANIZATION], head)
        elif head in _ROLE_NOUNS or head in ("spokesperson", "spokesman", "spokeswoman", "official", "general", "president"):
            source = register.latest([SourceKind.PERSON], head) or register.latest([SourceKind.ORGANIZATION], None)
        elif head in _ORG_WORDS or head in ("company", "firm", "group", "military", "ministry", "government"):
            # "the ministry" inherits only a source that is a ministry; else it is named as written.
            source = register.latest([SourceKind.ORGANIZATION], head)
            if source and not any(h in f"{source.name} {register.roles.get(source.name, '')}".lower() for h in _HEAD_SYNONYMS.get(head, (head,))):
                source = None
        else:
            source = None
        if source:
            return source, Method.INHERITED, None, None
    if head in _DOC_HEADS and re.match(r"(?:a|an)\s", mention, re.I):
        # "a leaked memo seen by The Guardian showed": the document is the source.
        document = re.match(rf"^.*?\b{re.escape(head)}\b", mention, re.I)
        return Source(document.group(0) if document else mention, SourceKind.DOCUMENT), Method.EXPLICIT, None, None
    # Unnamed people: "officials", "two diplomats", "a person familiar with the matter".
    if head in _ANON_HEADS and not _looks_like_person(_strip_titles(mention)[0]):
        if re.match(r"(?:the|(?:one|two|three|four|some|several|both|all|each|either|none)\s+of\s+the)\s", mention, re.I):
            earlier = register.latest([SourceKind.ANONYMOUS], head.rstrip("s"))
            if earlier and head.rstrip("s") in _key(earlier.name):
                return earlier, Method.INHERITED, None, None
        named = re.search(r"\b(?:for|at|of|from|with)\s+(?:the\s+)?(?P<org>[A-Z][\w’'. -]+)$", mention)
        if named and not re.match(r"(?:[A-Z][\w.]*\s+)?(?:official|source|person|people)s?\b", mention.split(" ")[-1]):
            # "researchers at Imperial College London", "a spokesperson for the ministry": the institution speaks.
            return _organization(named.group("org"), register, outlets), Method.EXPLICIT, None, None
        return Source(re.sub(r"^(?:the|a|an)\s+", "", mention, flags=re.I), SourceKind.ANONYMOUS), Method.EXPLICIT, None, None
    if not proper:
        if head in _DOC_HEADS:
            return Source(mention, SourceKind.DOCUMENT), Method.EXPLICIT, None, None
        if head in _ROLE_NOUNS:
            # "the harbour master said", nobody named before: an official unnamed, not a guess at who
            return Source(re.sub(r"^(?:the|a|an)\s+", "", mention, flags=re.I), SourceKind.ANONYMOUS), Method.EXPLICIT, None, None
        if head in _ORG_WORDS:
            return Source(re.sub(r"^(?:the|a|an)\s+", "", mention, flags=re.I), SourceKind.ORGANIZATION), Method.EXPLICIT, None, None
        if head in _OUTLET_NOUNS:
            return Source(re.sub(r"^(?:the|a|an)\s+", "", mention, flags=re.I), SourceKind.OUTLET), Method.EXPLICIT, None, None
        speaks = (found.cue or "").lower() in _SPEECH_CUES and not re.match(r"(?:the|this|that|its)\s", mention, re.I)  # "The contract says"
        if opening and (head.endswith("s") and not head.endswith("ss") or speaks):
            # "Opposition councillors have accused ...", "One mum told the site ...": people unnamed.
            return Source(re.sub(r"^(?:the|a|an)\s+", "", mention, flags=re.I), SourceKind.ANONYMOUS), Method.EXPLICIT, None, None
        return None
    # "the AJS report", "Zelensky's statement": the name is the source, not the document.
    named_doc = re.match(rf"^(?:the\s+)?(?P<name>.*?[A-Z].*?)(?:['’]s)?\s+(?:{'|'.join(sorted(_DOC_HEADS))})$", mention, re.I)
    if named_doc and head in _DOC_HEADS:
        mention = named_doc.group("name")
    # A named source: an alias of one already met, an outlet, a person or an organisation.
    bare, titles = _strip_titles(mention)
    known = register.find(bare) or register.find(mention)
    if known:
        return known, Method.EXPLICIT, titles, None
    outlet = outlets.for_name(mention) or outlets.for_name(bare)
    if outlet:
        return _outlet_source(outlet), Method.EXPLICIT, None, None
    listed = outlets.source_named(mention) or outlets.source_named(bare)
    if listed:
        return Source(listed.name, SourceKind(listed.kind), listed.aliases), Method.EXPLICIT, titles, None
    words = {w.lower() for w in bare.split()}
    if words & _OUTLET_WORDS and (not words & _ORG_WORDS or _NEWS_AGENCY.search(bare)):
        return Source(re.sub(r"^the\s+", "", bare, flags=re.I), SourceKind.OUTLET), Method.EXPLICIT, None, None
    of_org = re.match(r"^(?P<person>.+?)\s+(?:of|from|at)\s+(?:the\s+)?(?P<org>[A-Z].+)$", bare)
    if of_org and _looks_like_person(of_org.group("person")):
        organization = _organization(of_org.group("org"), register, outlets)
        return Source(of_org.group("person"), SourceKind.PERSON), Method.EXPLICIT, found.role or titles, organization
    if _looks_like_person(bare):
        role = found.role or titles
        org = _organization_of(found.role) if found.role else None
        organization = _organization(org, register, outlets) if org else None
        return Source(bare, SourceKind.PERSON), Method.EXPLICIT, role, organization
    if len(bare.split()) == 1 and titles:
        return Source(bare, SourceKind.PERSON), Method.EXPLICIT, titles, None  # "Mr. Obama", "Dr. Ng"
    # A lone unknown name is a company or a government more often than a person: news introduces
    # people by their full name first, and a surname met before was found in the register above.
    return _organization(mention, register, outlets), Method.EXPLICIT, None, None


def _organization(text: str, register: _Register, outlets: Outlets) -> Source:
    text = _norm(text)
    abbr = re.search(r"\s*\((?P<abbr>[A-Z][A-Za-z&.]{1,11})\)$", text)
    aliases: list[str] = []
    if abbr:
        aliases.append(abbr.group("abbr"))
        text = text[: abbr.start()].strip()
    name, owner = _split_possessive(text)
    name = re.sub(r"^(?:the|The)\s+", "", name)
    if owner:
        aliases.append(text)
    known = register.find(name)
    if known:
        return Source(known.name, known.kind, tuple(dict.fromkeys(known.aliases + tuple(aliases))))
    outlet = outlets.for_name(name)
    if outlet:
        return _outlet_source(outlet)
    listed = outlets.source_named(text) or outlets.source_named(name)
    if listed:
        return Source(listed.name, SourceKind(listed.kind), tuple(dict.fromkeys(listed.aliases + tuple(aliases))))
    short = acronym(name)
    if short and short not in aliases and len(name.split()) > 1:
        aliases.append(short)
    return Source(name, SourceKind.ORGANIZATION, tuple(aliases))


def _link_in(found: _Found, links: Sequence[Link], claim: Claim) -> Link | None:
    """A hyperlink over the source phrase or its cue ("as [Meridian Wire reported](url)")."""
    start = claim.start + found.start
    end = start + len(found.mention) + 30
    for link in links:
        if link.start < end and link.end > start and claim.start <= link.start < claim.end:
            return link
    return None


# --- the stage ------------------------------------------------------------------------------


def attribute(
    claims: Sequence[Claim],
    outlets: Outlets,
    *,
    links: Sequence[Link] = (),
    declared_origin: str | None = None,
    declared_origin_url: str | None = None,
    credit: str | None = None,
    site: Outlet | None = None,
) -> list[Attribution]:
    """Sources for each claim, in claim order. The article's own source is attributed to every
    claim with method 'article', beside (never instead of) sentence-level sources: its declared
    origin ("Original Source:"), else the wire its dateline credits (`credit`), else the official
    body whose own site published it (`site` with kind "organization": a press release)."""
    register = _Register(outlets)
    origin = _origin_source(outlets, declared_origin, declared_origin_url)
    if origin is None and credit and outlets.for_name(credit):
        origin = _outlet_source(outlets.for_name(credit))
    if origin is None and site is not None and site.kind == SourceKind.ORGANIZATION:
        origin = _outlet_source(site)
    if origin:
        register.add(origin)
    result: list[Attribution] = []
    previous: list[Attribution] = []
    for claim in claims:
        mine: list[Attribution] = []
        register.notice(claim.text)
        text = _plain_quotes(claim.text)
        for found in _find(text):
            classified = _classify(found, register, outlets, links, claim)
            if not classified:
                continue
            source, method, role, organization = classified
            if method != Method.INHERITED:
                source = register.add(source, role)
                register.cues[source.name] = f"{register.cues.get(source.name, '')} {found.cue} {found.mention}".lower()
            else:
                # Now quoted, and the latest: "The bank now expects ... It also warned that ...".
                source = register.add(source)
            if organization:
                organization = register.affiliate(organization)
            if mine:
                continue  # a nested source ("X said Y reported"): known for later mentions, not this claim's
            link = _link_in(found, links, claim) if method == Method.HYPERLINK else None
            mine.append(
                Attribution(
                    claim_seq=claim.seq,
                    source=source,
                    mention=found.mention.strip(),
                    cue=found.cue or None,
                    method=method,
                    confidence=CONFIDENCE[method],
                    role=role,
                    organization=organization,
                    link_url=link.url if link else None,
                    mention_span=(claim.start + found.phrase[0], claim.start + found.phrase[1]) if found.phrase else _span_in(claim, found.mention, found.start),
                    cue_span=(claim.start + found.cue_span[0], claim.start + found.cue_span[1]) if found.cue_span else None,
                )
            )
        register.follow(text, mine[0].source if mine else None)
        if mine:
            # The claim's own source (the outermost: "..., according to the court") is the one a
            # following "it said" means, not a source nested inside it ("Tests found ...").
            register.add(mine[0].source)
        if not mine and previous and _continues_quote(claims, claim):
            mine = [
                Attribution(claim.seq, a.source, a.mention, a.cue, Method.INHERITED, CONFIDENCE[Method.INHERITED], a.role, a.organization)
                for a in previous
                if a.method != Method.ARTICLE
            ]
        result += mine
        previous = mine
    if origin is None:
        return result
    # "Original Source: nos.nl" after "as reported by NOS": the domain is the outlet named in the text.
    label = _key(origin.name.split(".")[0]) if "." in origin.name and " " not in origin.name else None
    named = next((s for s in reversed(register.sources) if label and _key(s.name) == label), None)
    origin = named or origin
    mention = declared_origin or credit or origin.name
    article_level = [Attribution(c.seq, origin, mention, None, Method.ARTICLE, CONFIDENCE[Method.ARTICLE]) for c in claims]
    return sorted(result + article_level, key=lambda a: (a.claim_seq, a.method == Method.ARTICLE))


def _span_in(claim: Claim, mention: str, near: int) -> tuple[int, int] | None:
    at = claim.text.find(mention.strip(), max(0, near - 3))
    return (claim.start + at, claim.start + at + len(mention.strip())) if at >= 0 else None


def _plain_quotes(text: str) -> str:
    """Quotation marks typed as two apostrophes or backticks (''It is,'' he said) as one '"',
    padded to keep every offset."""
    return text.replace("''", ' "').replace("``", '" ') if "''" in text or "``" in text else text


def _continues_quote(claims: Sequence[Claim], claim: Claim) -> bool:
    """A sentence inside a quotation opened in the previous claim belongs to that speaker."""
    if claim.seq == 0:
        return False
    before = claims[claim.seq - 1]
    if before.paragraph != claim.paragraph:
        return False
    text = _plain_quotes(before.text)
    opened = text.count("“") - text.count("”") + (text.count('"') % 2)
    return opened > 0


def _outlet_source(outlet: Outlet) -> Source:
    """An outlet as sources cite it: "Kyiv Independent", not "The Kyiv Independent"."""
    name = re.sub(r"^The\s+", "", outlet.name)
    return Source(name, SourceKind(outlet.kind), tuple(dict.fromkeys((*outlet.aliases, outlet.name) if name != outlet.name else outlet.aliases)))


def _origin_source(outlets: Outlets, mention: str | None, url: str | None) -> Source | None:
    if not mention and not url:
        return None
    outlet = (outlets.for_host(urlsplit(url).hostname or "") if url else None) or (outlets.for_name(mention) if mention else None)
    if outlet:
        return _outlet_source(outlet)
    host = (urlsplit(url).hostname or "") if url else ""
    if mention and not re.search(r"\.[a-z]{2,}$", mention):
        # "Issued by the Bureau of Meteorology": a named body, an outlet only if it sounds like one
        words = {w.lower() for w in mention.split()}
        kind = SourceKind.OUTLET if words & _OUTLET_WORDS and not words & _ORG_WORDS else SourceKind.ORGANIZATION
        return Source(re.sub(r"^(?:the|The)\s+", "", mention.strip()), kind)
    name = host.removeprefix("www.") or mention
    return Source(name, SourceKind.OUTLET) if name else None


# A desk byline ("Quicktake Staff", "MoneyMinute Desk") is an outlet's, however its name reads; a
# press office's ("Ostmark University Press Office") is the body's.
_DESK_BYLINE = re.compile(r"\b(?:staff|desk|newsroom|team|reporters?|editors?|correspondents?|writers?)\W*$", re.I)
_PRESS_OFFICE = re.compile(r"\b(?:press|media|communications?|public affairs)\s+(?:office|unit|department|directorate)\b", re.I)
# Where sites file their own statements: "/press/2026/...", "/bulletins/...", "/investors/news/...", "/newsroom/...",
# where journals publish studies ("/abstract/...", "/doi/...") and pollsters their polls ("/polls/...").
_STATEMENT_PATH = re.compile(
    r"/(?:press|press-?releases?|media-?releases?|news-?releases?|releases|statements?|bulletins?|announcements?"
    r"|notices|advisories|recalls|investors?|investor-relations|newsroom|pressroom|media-?cent(?:re|er)|abstracts?|doi|polls?|surveys?"
    # and where parliaments publish their debates
    r"|official-report|hansard|transcripts?|proceedings)/",
    re.I,
)


def speaking_body(url: str, site_name: str | None, author: str | None, text: str) -> Outlet | None:
    """The body a page of a site missing from the outlet files speaks for, if the page reads as its
    own statement (a press release): it is filed where sites put their statements ("/press/",
    "/bulletins/", "/investors/"), or bylined by the body or an office of it ("Regional Court;
    Press Office", "Harbour Master's Office"), or, unbylined, its site is named like a body
    ("Drevanian Civil Protection Agency") or is the subject of one of its sentences ("Nestwell is
    voluntarily recalling ..."). An outlet's page has a reporter's or a desk's byline, and rarely
    speaks of itself in the third person. Such a page starts its statements: the matcher never
    reads them as a rewrite of earlier coverage."""
    name = (site_name or "").strip()
    byline = (author or "").strip()
    site_words = {w.lower() for w in re.findall(r"[\w'’.&]+", name)}
    named_like_a_body = bool(site_words & _ORG_WORDS) and not site_words & _OUTLET_WORDS and not _NEWS_AGENCY.search(name)
    if _STATEMENT_PATH.search(urlsplit(url).path):
        body = True
    elif byline:
        words = {w.lower() for w in re.findall(r"[\w'’.&]+", byline)}
        body = byline == name or bool(_PRESS_OFFICE.search(byline)) or (
            bool(words & _ORG_WORDS) and not words & _OUTLET_WORDS and not _DESK_BYLINE.search(byline)
        )
    else:
        subject = re.escape(re.sub(r"^The\s+", "", name))
        body = named_like_a_body or bool(subject) and re.search(rf"(?:^|[.!?]\s+|\n)(?:The\s+)?{subject}\s+[a-z]", text) is not None
    host = urlsplit(url).hostname or ""
    return Outlet(name=name or byline or host, domains=(host,), kind=SourceKind.ORGANIZATION) if body and (name or byline or host) else None
