"""Outlet definitions: the TOML files in scrapers/ (shipped in the wheel) plus a user's own folder.

Outlet quirks are data here, not code branches: `default.toml` holds the generic origin-footer and
dateline patterns every article gets, and each outlet file may add its own.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import OutletError

DEFAULT_FILE = "default.toml"
SOURCES_FILE = "sources.toml"  # other names of the sources news cites: data, never code
PLACES_FILE = "places.toml"  # other names of countries: capitals, adjectives
_SOURCE_KINDS = ("person", "organization", "outlet", "document", "anonymous")
# A footer or dateline is a short line; a long one that happens to start with "Source:" is prose.
MAX_QUIRK_LINE = 120

_KEYS = {
    "name": str,
    "aliases": list,
    "domains": list,
    "feeds": list,
    "sitemaps": list,
    "article_patterns": list,
    "delay": (int, float),
    "wire": bool,
    "kind": str,
    "origin_patterns": list,
    "dateline_patterns": list,
}


@dataclass(frozen=True)
class Outlet:
    name: str
    domains: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()
    delay: float | None = None
    wire: bool = False
    kind: str = "outlet"  # "organization" for an official body's own site: its pages are its statements
    origin_patterns: tuple[str, ...] = ()
    dateline_patterns: tuple[str, ...] = ()
    path: str = ""

    @property
    def home(self) -> str:
        return f"https://{self.domains[0]}/"

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def is_article_url(self, path: str) -> bool:
        return not self.article_patterns or any(re.search(p, path) for p in self.article_patterns)


@dataclass(frozen=True)
class KnownSource:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outlets:
    outlets: tuple[Outlet, ...]
    origin_patterns: tuple[re.Pattern[str], ...] = ()
    dateline_patterns: tuple[re.Pattern[str], ...] = ()
    sources: tuple[KnownSource, ...] = ()
    places: tuple[KnownSource, ...] = ()  # kind "place"
    _by_domain: dict[str, Outlet] = field(default_factory=dict, repr=False, compare=False)
    _by_name: dict[str, Outlet] = field(default_factory=dict, repr=False, compare=False)
    _sources_by_name: dict[str, KnownSource] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for source in self.sources:
            for name in (source.name, *source.aliases):
                self._sources_by_name.setdefault(_name_key(name), source)
        for outlet in self.outlets:
            for domain in outlet.domains:
                self._by_domain.setdefault(bare_host(domain), outlet)
            for name in outlet.names():
                self._by_name.setdefault(_name_key(name), outlet)

    def for_host(self, host: str) -> Outlet | None:
        """The outlet owning `host` or a parent domain of it (news.bbc.co.uk -> bbc.co.uk)."""
        parts = bare_host(host).split(".")
        for i in range(len(parts) - 1):
            outlet = self._by_domain.get(".".join(parts[i:]))
            if outlet:
                return outlet
        return None

    def for_name(self, name: str) -> Outlet | None:
        return self._by_name.get(_name_key(name))

    def source_named(self, name: str) -> KnownSource | None:
        """A source from sources.toml that `name` is one of the names of."""
        return self._sources_by_name.get(_name_key(name))

    def place_aliases(self) -> tuple[tuple[str, str], ...]:
        """(alias, place) pairs from places.toml: "Pyongyang" and "North Korean" name North Korea."""
        return tuple((alias, place.name) for place in self.places for alias in place.aliases)

    def host_delays(self) -> dict[str, float]:
        delays: dict[str, float] = {}
        for outlet in self.outlets:
            if outlet.delay is not None:
                for domain in outlet.domains:
                    delays[bare_host(domain)] = outlet.delay
                    delays["www." + bare_host(domain)] = outlet.delay
        return delays


def bare_host(host: str) -> str:
    host = host.lower().split(":")[0].rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _name_key(name: str) -> str:
    name = re.sub(r"[^\w]+", " ", name.lower()).strip()
    return re.sub(r"^the ", "", name)


def _check(path: str, data: dict) -> None:
    for key, value in data.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise OutletError(f"{path}: unknown key {key!r} (expected one of {', '.join(sorted(_KEYS))})")
        if not isinstance(value, expected):
            raise OutletError(f"{path}: {key} has the wrong type ({type(value).__name__})")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise OutletError(f"{path}: {key} must be a list of strings")
    for key in ("article_patterns", "origin_patterns", "dateline_patterns"):
        for pattern in data.get(key, []):
            try:
                re.compile(pattern)
            except re.error as e:
                raise OutletError(f"{path}: {key} has an invalid regex {pattern!r}: {e}") from e
    if data.get("kind", "outlet") not in ("outlet", "organization"):
        raise OutletError(f"{path}: kind must be \"outlet\" or \"organization\"")
    if "delay" in data and data["delay"] < 0:
        raise OutletError(f"{path}: delay must not be negative")


def _sources(path: str, data: dict, table: str = "source") -> list[KnownSource]:
    if set(data) - {table} or not isinstance(data.get(table, []), list):
        raise OutletError(f"{path}: expected only [[{table}]] tables")
    found = []
    for entry in data.get(table, []):
        if table == "place" and isinstance(entry, dict):
            entry = {**entry, "kind": "place"}
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry.get("kind") not in (*_SOURCE_KINDS, "place"):
            what = "a name" if table == "place" else f"a name and a kind ({', '.join(_SOURCE_KINDS)})"
            raise OutletError(f"{path}: each [[{table}]] needs {what}")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise OutletError(f"{path}: aliases of {entry['name']!r} must be a list of strings")
        found.append(KnownSource(entry["name"], entry["kind"], tuple(aliases)))
    return found


def _outlet(path: str, data: dict) -> Outlet:
    _check(path, data)
    if not data.get("name") or not data.get("domains"):
        raise OutletError(f"{path}: an outlet needs a name and at least one domain")
    return Outlet(
        name=data["name"],
        domains=tuple(bare_host(d) for d in data["domains"]),
        aliases=tuple(data.get("aliases", ())),
        feeds=tuple(data.get("feeds", ())),
        sitemaps=tuple(data.get("sitemaps", ())),
        article_patterns=tuple(data.get("article_patterns", ())),
        delay=float(data["delay"]) if "delay" in data else None,
        wire=bool(data.get("wire", False)),
        kind=data.get("kind", "outlet"),
        origin_patterns=tuple(data.get("origin_patterns", ())),
        dateline_patterns=tuple(data.get("dateline_patterns", ())),
        path=path,
    )


def _read(name: str, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise OutletError(f"{name}: not valid TOML: {e}") from e


def _files(extra: Iterable[str | Path]) -> list[tuple[str, str]]:
    shipped = resources.files("provenance") / "_scrapers"
    found = [
        (f"scrapers/{f.name}", f.read_text(encoding="utf-8"))
        for f in sorted(shipped.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".toml")
    ]
    for folder in extra:
        folder = Path(folder)
        if not folder.is_dir():
            raise OutletError(f"{folder}: no such folder of outlet definitions")
        found += [(str(f), f.read_text(encoding="utf-8")) for f in sorted(folder.glob("*.toml"))]
    return found


def load(extra: Iterable[str | Path] = ()) -> Outlets:
    """Shipped definitions, then each folder in `extra`; a user's outlet with a shipped name replaces it."""
    outlets: dict[str, Outlet] = {}
    origin: list[str] = []
    dateline: list[str] = []
    sources: list[KnownSource] = []
    places: list[KnownSource] = []
    for name, text in _files(extra):
        data = _read(name, text)
        if Path(name).name == SOURCES_FILE:
            sources += _sources(name, data)
            continue
        if Path(name).name == PLACES_FILE:
            places += _sources(name, data, "place")
            continue
        if Path(name).name == DEFAULT_FILE:
            _check(name, data)
            origin += data.get("origin_patterns", [])
            dateline += data.get("dateline_patterns", [])
            continue
        outlet = _outlet(name, data)
        outlets[_name_key(outlet.name)] = outlet
        origin += outlet.origin_patterns
        dateline += outlet.dateline_patterns
    return Outlets(
        outlets=tuple(outlets.values()),
        origin_patterns=tuple(re.compile(p, re.IGNORECASE) for p in dict.fromkeys(origin)),
        dateline_patterns=tuple(re.compile(p) for p in dict.fromkeys(dateline)),
        sources=tuple(sources),
        places=tuple(places),
    )
