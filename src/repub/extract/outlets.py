"""News agencies and outlets: one name per agency or outlet, its aliases, its own domains.

The data is ``repub/extract/data/outlets.toml``. ``find_outlet("The Associated Press")`` and
``find_outlet("AP")`` give the same ``Outlet``; ``outlet_of_url`` names the agency or outlet whose own
site a URL is on, so a wire credit on the wire's own site is not taken for a republication.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from repub.hosts import registrable_domain


@dataclass(frozen=True)
class Outlet:
    name: str  # the one name stored in credits and original.outlet
    kind: str  # "agency" or "outlet"
    aliases: tuple[str, ...]
    domains: tuple[str, ...]  # its own sites: registrable domains, or hosts under a shared one

    @property
    def is_agency(self) -> bool:
        return self.kind == "agency"

    def owns(self, url: str) -> bool:
        """Whether ``url`` (or a host) is on one of this agency's or outlet's own sites."""
        return any(domain in self.domains for domain in _domains_of(url))


def name_key(text: str) -> str:
    """How names are compared: NFKC, casefolded, dots and a leading "the" dropped, spaces squashed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace(".", "")
    text = re.sub(r"[\s\u00a0]+", " ", text).strip(" -–—,;:|/()[]'\"")
    return re.sub(r"^the ", "", text)


def find_outlet(text: str | None) -> Outlet | None:
    """The agency or outlet a whole name stands for ("AP", "The Associated Press"), else None."""
    if not text:
        return None
    return _by_name().get(name_key(text))


def outlet_of_url(url: str) -> Outlet | None:
    """The agency or outlet whose own site ``url`` (or a host) is on, else None."""
    table = _by_domain()
    return next((table[d] for d in _domains_of(url) if d in table), None)


def _domains_of(url: str) -> list[str]:
    """The host of ``url`` and its parents down to the registrable domain, most specific first:
    ``a.abcnews.go.com`` -> ``a.abcnews.go.com``, ``abcnews.go.com``, ``go.com``."""
    domain = registrable_domain(url)
    if not domain:
        return []
    host = (urlsplit(url).hostname if "/" in url else url.split(":")[0]) or ""
    labels = host.lower().strip(".").removeprefix("www.").split(".")
    out = [".".join(labels[i:]) for i in range(len(labels)) if ".".join(labels[i:]).endswith(domain)]
    return [d for d in out if len(d) >= len(domain)] or [domain]


def all_outlets() -> tuple[Outlet, ...]:
    return _load()


@functools.cache
def _load() -> tuple[Outlet, ...]:
    raw = tomllib.loads(resources.files("repub.extract").joinpath("data/outlets.toml").read_text("utf-8"))
    outlets = []
    for entry in raw["outlet"]:
        if entry["kind"] not in ("agency", "outlet"):
            raise ValueError(f"outlets.toml: {entry['name']}: kind must be agency or outlet")
        outlets.append(Outlet(entry["name"], entry["kind"], tuple(entry.get("aliases", ())),
                              tuple(d.lower() for d in entry.get("domains", ()))))
    return tuple(outlets)


@functools.cache
def _by_name() -> dict[str, Outlet]:
    table: dict[str, Outlet] = {}
    for outlet in _load():
        for alias in (outlet.name, *outlet.aliases):
            key = name_key(alias)
            if key in table and table[key] is not outlet:
                raise ValueError(f"outlets.toml: {alias!r} names both {table[key].name} and {outlet.name}")
            table[key] = outlet
    return table


@functools.cache
def _by_domain() -> dict[str, Outlet]:
    return {domain: outlet for outlet in _load() for domain in outlet.domains}
