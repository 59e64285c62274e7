"""A seeded generator of news-like pages for the scale benchmark: stories that start in one outlet's
report and are rewritten by others (copied, reworded, numbers changed, hedges dropped, cues
strengthened), with citation links and declared origins, written as WARC files. The same seed and
size always give the same bytes. Nothing here is committed data: `scale.py` writes it to a
temporary folder.

    python benchmarks/corpus.py OUT_FOLDER --articles 2000 [--seed 8]
"""

from __future__ import annotations

import argparse
import io
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Ordinary news vocabulary, most frequent first, so filler follows a Zipf-like curve and the
# full-text index sees the skew of real text: a few words in most claims, most words in few.
GENERAL = """
people government city officials year week new local public state police report council health
school workers residents water plan service money support community group country people's program
project area region market prices staff number center members hospital court data system road
network power energy policy safety families children business companies industry team study
results level land housing river bridge station airport port weather storm flood fire season
tax budget funding contract agency board election vote campaign leader minister party office
million thousand percent rate growth cost costs loss jobs trade sales exports imports shares bank
farmers crops harvest schools students teachers patients doctors nurses clinic vaccine trial virus
cases tests outbreak emergency response crews repairs damage coast beach shoreline wildlife birds
fish forest park trail traffic rail buses trains flights passengers ferry harbour vessel cargo fuel
oil gas pipeline plant factory mine steel timber grain coffee cotton wool dairy beef meat bread
museum library theatre festival concert artists film music book award prize history archive
mayor governor senator judge lawyer prosecutor investigators inspectors regulator watchdog union
strike protest march rally petition lawsuit ruling verdict appeal sentence prison fine penalty
survey poll census index forecast estimate figures record average peak decline increase shortage
surplus deficit debt loan grant subsidy pension wages salaries rent mortgage prices inflation
engineers scientists researchers university laboratory satellite rocket launch orbit signal
software platform users accounts phones devices chips batteries cars vehicles charging stations
""".split()
TOPIC_NOUNS = """
flood drought wildfire landslide earthquake spill outbreak shortage strike merger recall closure
evacuation contamination blackout collapse derailment cyberattack heatwave blizzard eruption
""".split()
ITEMS = """
homes households litres tonnes hectares vehicles patients students workers jobs flights trees
animals sheep cattle parcels containers barrels beds doses tests homes shops buildings vessels
""".split()
FACILITIES = "plant depot terminal hospital station reservoir warehouse mill refinery school campus yard".split()
ROLES = "director spokesperson chief executive head minister manager chair coordinator commissioner".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
SYLLABLES = "ka ro mel dan tor vi sa len bra gor ne lu fen ash wick ton ber ham dor ly mar sel tin quo".split()
HEDGED = ("up to", "about", "more than", "some", "nearly", "as many as")
CUES = ("said", "said", "told reporters", "estimated", "suggested", "reported")
STRONGER = {"said": "confirmed", "suggested": "said", "estimated": "found", "told reporters": "confirmed", "reported": "confirmed"}


# The long tail: words of a story's own that few other claims share, as most words of real text are.
_LEXICON = sorted({"".join(random.Random(i).choices(SYLLABLES, k=3)) + suffix for i in range(6000) for suffix in ("", "s", "ing")})


def _name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


@dataclass(frozen=True)
class Outlet:
    host: str
    name: str
    kind: str  # reporter: writes first-hand; rewriter: mostly rewrites others


@dataclass
class Fact:
    """One statement of a story, phrased by a template from its slots."""

    kind: int  # which statement: an index into _TEMPLATES
    variant: int  # how it is worded: an index into that statement's templates
    slots: dict[str, str]
    number: int
    hedge: str | None
    cue: str

    def render(self) -> str:
        s = dict(self.slots)
        amount = f"{self.number:,}"
        s["amount"] = f"{self.hedge} {amount}" if self.hedge else amount
        s["cue"] = self.cue
        wordings = _TEMPLATES[self.kind]
        return wordings[self.variant % len(wordings)].format(**s)


_TEMPLATES = (
    ("{org} {cue} {amount} {item} had been affected by the {topic} in {place} since {day}.",
     "The {topic} in {place} has affected {amount} {item} since {day}, {org} {cue}."),
    ("{person}, the {role} of {org}, {cue} that {amount} {item} near the {place} {facility} were affected by the {topic}.",
     "Near the {place} {facility}, {amount} {item} were affected by the {topic}, {person} of {org} {cue}."),
    ("Repairs at the {place} {facility} will cost {amount} dollars and take until {month}, {org} {cue}.",
     "{org} {cue} repairs to the {facility} in {place} would cost {amount} dollars and last until {month}."),
    ("{person} of {org} {cue} {amount} {item} were moved out of {place} before the {topic} reached the {facility}.",
     "Before the {topic} reached the {facility}, {amount} {item} were moved out of {place}, {person} {cue}."),
)


@dataclass
class Article:
    url: str
    outlet: Outlet
    title: str
    published: datetime
    paragraphs: list[str]
    facts: list[Fact] = field(default_factory=list)


def _filler(rng: random.Random, place: str, topic: str) -> str:
    """A sentence of the outlet's own: common words drawn Zipf-like, with the story's place and topic."""
    words = [
        GENERAL[int(len(GENERAL) * rng.random() ** 1.5)] if rng.random() < 0.4 else _LEXICON[int(len(_LEXICON) * rng.random() ** 2)]
        for _ in range(rng.randint(9, 16))
    ]
    words.insert(rng.randrange(len(words)), f"in {place}")
    words.insert(rng.randrange(len(words)), f"the {topic}")
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), _name(rng, 3))  # a name of the outlet's own reporting
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _story(rng: random.Random, start: datetime, outlets: list[Outlet], size: int) -> list[Article]:
    place, org = _name(rng), f"{_name(rng)} {rng.choice(['Council', 'Authority', 'Agency', 'Trust', 'Group', 'Board'])}"
    topic = rng.choice(TOPIC_NOUNS)
    facts = []
    for _ in range(rng.randint(4, 7)):
        slots = {
            "org": org, "place": place, "topic": topic, "item": rng.choice(ITEMS), "day": rng.choice(DAYS),
            "month": rng.choice(MONTHS), "facility": rng.choice(FACILITIES), "role": rng.choice(ROLES),
            "person": f"{_name(rng)} {_name(rng, 3)}",
        }
        number = rng.choice([rng.randint(12, 99), rng.randint(100, 9_999) // 10 * 10, rng.randint(10, 900) * 1000])
        facts.append(Fact(rng.randrange(len(_TEMPLATES)), rng.randrange(2), slots, number, rng.choice((None, None, *HEDGED)), rng.choice(CUES)))
    reporters = [o for o in outlets if o.kind == "reporter"]
    first = rng.choice(reporters)
    articles = [_article(rng, first, start, place, topic, facts, origin=None)]
    while len(articles) < size:
        origin = rng.choice(articles)  # a rewrite of the first report or of an earlier rewrite
        outlet = rng.choice([o for o in outlets if o.host != origin.outlet.host])
        when = origin.published + timedelta(minutes=rng.randint(20, 600))
        taken = []
        for fact in rng.sample(origin.facts, k=max(2, int(len(origin.facts) * rng.uniform(0.5, 1.0)))):
            fact = Fact(fact.kind, fact.variant, fact.slots, fact.number, fact.hedge, fact.cue)
            change = rng.random()
            if change < 0.35:
                fact.variant += 1  # reworded: the same statement in another sentence
            elif change < 0.45:
                fact.number = fact.number + max(1, fact.number // rng.choice((4, 3, 2)))
            elif change < 0.55 and fact.hedge:
                fact.hedge = None
            elif change < 0.62:
                fact.cue = STRONGER[fact.cue] if fact.cue in STRONGER else fact.cue
            taken.append(fact)
        articles.append(_article(rng, outlet, when, place, topic, taken, origin=origin))
    return articles


def _article(rng: random.Random, outlet: Outlet, when: datetime, place: str, topic: str, facts: list[Fact], origin: Article | None) -> Article:
    slug = f"{topic}-{place.lower()}-{rng.randrange(10**6):06d}"
    url = f"https://{outlet.host}/news/{when:%Y/%m/%d}/{slug}"
    title = f"{topic.capitalize()} in {place}: {facts[0].slots['item']} affected, {facts[0].slots['org']} says"
    paragraphs = []
    for fact in facts:
        paragraphs.append(fact.render())
        if rng.random() < 0.7:
            paragraphs[-1] += " " + _filler(rng, place, topic)
    for _ in range(rng.randint(2, 6)):
        paragraphs.insert(rng.randrange(len(paragraphs) + 1), _filler(rng, place, topic) + " " + _filler(rng, place, topic))
    if origin is not None:
        link = f'<a href="{escape(origin.url)}">{escape(origin.outlet.name)}</a>'
        if rng.random() < 0.5:
            paragraphs.insert(1, f"As {link} first reported, the {topic} has drawn attention across the region.")
        else:
            paragraphs.append(f"Original Source: {link}")
    return Article(url, outlet, title, when, paragraphs, facts)


def html(article: Article) -> str:
    body = "\n".join(f"<p>{p}</p>" if p.startswith(("As <a", "Original Source:")) else f"<p>{escape(p)}</p>" for p in article.paragraphs)
    stamp = article.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(article.title)} | {escape(article.outlet.name)}</title>
<meta property="og:site_name" content="{escape(article.outlet.name)}">
<meta property="og:title" content="{escape(article.title)}">
<meta property="article:published_time" content="{stamp}">
<link rel="canonical" href="{escape(article.url)}">
<style>{_STYLE}</style>
<script>window.__CONFIG__ = {_CONFIG};</script>
</head><body>
<header><a href="/">{escape(article.outlet.name)}</a> <nav>{_NAV}</nav></header>
<main><article><h1>{escape(article.title)}</h1>
<p class="byline">By {_byline(article)} &middot; <time datetime="{stamp}">{article.published:%d %B %Y}</time></p>
{body}
<aside class="related"><h2>Most read</h2><ul>{_related(article)}</ul></aside>
</article></main>
<footer>{_NAV} <a href="/privacy">Privacy</a> <a href="/terms">Terms</a> &copy; {escape(article.outlet.name)}</footer>
</body></html>
"""


# The furniture of a real news page (navigation, styles, a script's settings, a list of other
# stories): trafilatura's time depends on the whole page, not on the article text alone.
_SECTIONS = "world politics business technology science health sport culture opinion climate local video podcasts".split()
_NAV = " ".join(f'<a href="/{s}">{s.capitalize()}</a>' for s in _SECTIONS * 2)
_STYLE = " ".join(f".c{i} {{ margin: {i}px; color: #{i * 4099 % 0xFFFFFF:06x}; }}" for i in range(300))
_CONFIG = json.dumps({"ads": [{"slot": f"slot-{i}", "sizes": [[300, 250], [728, 90]], "targeting": {"section": s}}
                              for i, s in enumerate(_SECTIONS * 8)]})


def _related(article: Article) -> str:
    rng = random.Random(article.url)
    return "".join(
        f'<li><a href="/news/{rng.randrange(10**6)}">{" ".join(rng.choice(GENERAL) for _ in range(7)).capitalize()}</a></li>'
        for _ in range(10)
    )


def _byline(article: Article) -> str:
    return escape(f"{article.outlet.name.split()[0]} Staff")


def generate(articles: int, seed: int = 8) -> list[Article]:
    """`articles` pages in publication order within each story, stories a few hours apart."""
    rng = random.Random(seed)
    outlets = [
        Outlet(f"www.{_name(rng).lower()}{i}.example", f"The {_name(rng)} {rng.choice(['Times', 'Post', 'Courier', 'Herald', 'News', 'Wire', 'Daily'])}",
               "reporter" if i % 3 == 0 else "rewriter")
        for i in range(40)
    ]
    found: list[Article] = []
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    while len(found) < articles:
        size = min(articles - len(found), rng.choice((1, 2, 3, 3, 4, 5, 6)))
        found.extend(_story(rng, start, outlets, size))
        start += timedelta(minutes=rng.randint(30, 240))
    return found


def write(articles: list[Article], folder: Path, per_file: int = 500) -> list[Path]:
    """WARC files of `per_file` response records each, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(0, len(articles), per_file):
        path = folder / f"corpus-{n // per_file:04d}.warc"
        with path.open("wb") as out:
            writer = WARCWriter(out, gzip=False)
            for article in articles[n:n + per_file]:
                body = html(article).encode("utf-8")
                headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                                           protocol="HTTP/1.1")
                stamp = (article.published + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                record = writer.create_warc_record(article.url, "response", payload=io.BytesIO(body), http_headers=headers,
                                                   warc_headers_dict={"WARC-Date": stamp})
                writer.write_record(record)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    for path in write(generate(args.articles, args.seed), args.out):
        print(path)


if __name__ == "__main__":
    main()
