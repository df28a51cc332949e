"""The sources file (TOML, default ./sources.toml): which sites to ingest from, and how politely.

    [settings]
    user_agent = "repub/0.1 (+https://example.org/repub)"   # must name a contact URL or email
    contact = "ops@example.org"

    [[source]]
    name = "tms"
    site = "https://www.transcend.org/tms/"
    feeds = ["https://www.transcend.org/tms/feed/"]
    sitemaps = ["https://www.transcend.org/tms/wp-sitemap.xml"]
    listings = ["https://www.transcend.org/tms/category/militarism/"]
    include = ['/tms/\\d{4}/\\d{2}/']
    exclude = ['/tms/private/']
    max_new = 50              # new articles per run (int > 0)
    follow_originals = true
    rate = 1.0                # requests per second per host (> 0): any key of [crawl] may be set here

    [crawl]                   # politeness defaults of every source (repub.crawl.settings)
    rate = 1.0
    concurrency = 2           # parallel requests per host (>= 1)
    robots = true             # obey robots.txt and its Crawl-delay

``check_sources`` reports every problem with its line; ``load_sources`` raises ConfigError on any.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..crawl.settings import DEFAULTS, KEYS, CrawlSettings
from ..errors import ConfigError

DEFAULT_SOURCES_PATH = Path("sources.toml")
DEFAULT_MAX_NEW = 50

SOURCE_KEYS = (
    "name",
    "site",
    "feeds",
    "sitemaps",
    "listings",
    "include",
    "exclude",
    "max_new",
    "follow_originals",
    *KEYS,  # a source's own politeness, over [crawl]
)
SETTINGS_KEYS = ("user_agent", "contact")
TOP_KEYS = ("settings", "crawl", "schedule", "source")
SCHEDULE_KEYS = ("ingest", "resync", "resync_older_than", "resync_limit")
_START_KEYS = ("feeds", "sitemaps", "listings")
# what re.compile raises for a pattern it cannot take: besides re.error, a repeat count past 2**32 - 2
# (a{99999999999}) and parentheses nested a thousand deep
REGEX_ERRORS = (re.error, OverflowError, RecursionError)
_CONTACT = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Source:
    name: str
    site: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # regexes searched in article URLs; none: every URL
    exclude: tuple[str, ...] = ()
    max_new: int = DEFAULT_MAX_NEW
    follow_originals: bool = True
    crawl: CrawlSettings = DEFAULTS  # [crawl] with the source's own keys over it

    @property
    def rate(self) -> float:
        return self.crawl.rate

    @property
    def concurrency(self) -> int:
        return self.crawl.concurrency

    @property
    def host(self) -> str:
        return (urlsplit(self.site).hostname or "").lower()


@dataclass(frozen=True)
class Schedule:
    """``[schedule]``: what ``repub worker --schedule`` runs and when, as crontab lines say it."""

    ingest: str | None = None  # cron expression, e.g. "*/15 * * * *"
    resync: str | None = None
    resync_older_than: str | None = None  # e.g. "24h" (repub.resync.when.parse_duration)
    resync_limit: int | None = None


@dataclass(frozen=True)
class SourcesConfig:
    sources: tuple[Source, ...]
    user_agent: str | None = None  # None: the command's default user agent
    contact: str | None = None
    path: Path | None = None
    crawl: CrawlSettings = DEFAULTS  # the [crawl] table over the built-in defaults
    schedule: Schedule = Schedule()

    def crawl_for(self, url: str) -> CrawlSettings:
        """The politeness for ``url``'s host: the first source whose site is on that host, else
        [crawl] (resync and the workers reach hosts by URL, not by source)."""
        host = (urlsplit(url).hostname or "").lower()
        for source in self.sources:
            if source.host == host:
                return source.crawl
        return self.crawl

    def get(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(f"no source named {name!r} in {self.path or 'the sources file'}")


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1-based line in the file, None when it cannot be placed
    message: str

    def format(self, path: str | Path) -> str:
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


def check_sources(path: str | Path = DEFAULT_SOURCES_PATH) -> list[Problem]:
    """Every problem in the sources file, in file order; [] when it is usable."""
    return _check(Path(path))[1]


def load_sources(path: str | Path = DEFAULT_SOURCES_PATH) -> SourcesConfig:
    """The parsed sources file; ConfigError naming the first problems (file:line: message) if any."""
    config, problems = _check(Path(path))
    if problems or config is None:
        shown = "; ".join(p.format(path) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ConfigError(shown + more)
    return config


def _check(path: Path) -> tuple[SourcesConfig | None, list[Problem]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(None, f"cannot read sources file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")  # the byte order mark Windows editors write is not TOML
    except UnicodeDecodeError as exc:
        return None, [Problem(None, f"not UTF-8 text: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(exc, text)]
    except RecursionError:  # tomllib recurses into each nested array or inline table
        return None, [Problem(None, "TOML syntax error: arrays or tables nested too deeply")]
    checker = _Checker(data, _Lines(text))
    config = checker.run(path)
    problems = sorted(checker.problems, key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else config), problems


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str) -> Problem:
    # tomllib ends its messages with "(at line 3, column 7)" or "(at end of document)"
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
    if match:
        return Problem(int(match.group(1)), f"TOML syntax error: {message[: match.start()]}")
    match = re.search(r"\s*\(at end of document\)$", message)
    if match:
        return Problem(max(1, len(text.splitlines())), f"TOML syntax error: {message[: match.start()]}")
    return Problem(None, f"TOML syntax error: {message}")


class _Lines:
    """Where tables, keys and values sit in the raw text (tomllib gives no positions)."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # table -> list of (header line, {key: line}); "" is the root table before any header
        self.tables: dict[str, list[tuple[int, dict[str, int]]]] = {"": [(0, {})]}
        current = self.tables[""][0][1]
        for number, line in enumerate(self.lines, start=1):
            header = self._HEADER.match(line)
            if header:
                current = {}
                self.tables.setdefault(header.group(1), []).append((number, current))
                continue
            key = self._KEY.match(line)
            if key:
                current.setdefault(next(g for g in key.groups() if g), number)

    def table(self, name: str, index: int = 0) -> tuple[int | None, dict[str, int]]:
        found = self.tables.get(name, [])
        if index < len(found):
            return found[index]
        return None, {}

    def value_line(self, start: int | None, value: str) -> int | None:
        """The first line at or after ``start`` (until the next table) holding the string ``value``."""
        if start is None:
            return None
        # a regex in a "basic" string has its backslashes doubled in the file
        spellings = (value, value.replace("\\", "\\\\"))
        for number in range(start, len(self.lines) + 1):
            line = self.lines[number - 1]
            if number > start and self._HEADER.match(line):
                return None
            if any(s in line for s in spellings):
                return number
        return None


class _Checker:
    def __init__(self, data: dict[str, Any], lines: _Lines) -> None:
        self.data = data
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(line, message))

    def run(self, path: Path) -> SourcesConfig:
        _, root_keys = self.lines.table("")
        for key in self.data:
            if key not in TOP_KEYS:
                self.add(
                    root_keys.get(key) or self._header_line(key),
                    f"unknown top-level key {key!r}" + _suggest(key, TOP_KEYS),
                )
        user_agent, contact = self._settings()
        crawl = self._crawl()
        schedule = self._schedule()
        sources: list[Source] = []
        tables = self.data.get("source", [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            self.add(root_keys.get("source"), "'source' must be [[source]] tables")
            tables = []
        if not tables:
            self.add(None, "no [[source]] tables: nothing to ingest")
        seen: dict[str, int | None] = {}
        for index, table in enumerate(tables):
            source = self._source(index, table, seen, crawl)
            if source is not None:
                sources.append(source)
        return SourcesConfig(tuple(sources), user_agent=user_agent, contact=contact, path=path, crawl=crawl,
                             schedule=schedule)

    def _schedule(self) -> Schedule:
        """The [schedule] table: cron expressions as crontab takes them (croniter checks them)."""
        table = self.data.get("schedule", {})
        header, keys = self.lines.table("schedule")
        if not isinstance(table, dict):
            self.add(self.lines.table("")[1].get("schedule"), "'schedule' must be a table")
            return Schedule()
        values: dict[str, Any] = {}
        for key, value in table.items():
            line = keys.get(key, header)
            if key not in SCHEDULE_KEYS:
                self.add(line, f"unknown key {key!r} in [schedule]" + _suggest(key, SCHEDULE_KEYS))
            elif key == "resync_limit":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    self.add(line, f"resync_limit in [schedule] must be an integer > 0, not {value!r}")
                else:
                    values[key] = value
            elif not isinstance(value, str) or not value.strip():
                self.add(line, f"{key} in [schedule] must be a non-empty string")
            elif key == "resync_older_than":
                from ..resync.when import parse_duration

                try:
                    parse_duration(value)
                    values[key] = value
                except ValueError as err:
                    self.add(line, f"resync_older_than in [schedule]: {err}")
            else:
                from croniter import croniter

                if croniter.is_valid(value):
                    values[key] = value
                else:
                    self.add(line, f"{key} in [schedule] is not a cron expression: {value!r}")
        return Schedule(**values)

    def _crawl(self) -> CrawlSettings:
        """The [crawl] table: politeness every source starts from."""
        table = self.data.get("crawl", {})
        header, keys = self.lines.table("crawl")
        if not isinstance(table, dict):
            self.add(self.lines.table("")[1].get("crawl"), "'crawl' must be a table")
            return DEFAULTS
        for key in table:
            if key not in KEYS:
                self.add(keys.get(key, header),
                         f"unknown key {key!r} in [crawl]" + _suggest(key, tuple(KEYS)))
        return self._crawl_keys(table, "[crawl]", keys, header, DEFAULTS)

    def _crawl_keys(self, table: dict[str, Any], label: str, keys: dict[str, int], anchor: int | None,
                    base: CrawlSettings) -> CrawlSettings:
        values: dict[str, Any] = {}
        for key, (kind, check, wanted) in KEYS.items():
            if key not in table:
                continue
            value = self._number(table, key, label, keys, anchor, kind, None, wanted, check)
            if value is not None:
                values[key] = value
        return base.override(**values)

    def _header_line(self, name: str) -> int | None:
        return self.lines.table(name)[0]

    def _settings(self) -> tuple[str | None, str | None]:
        settings = self.data.get("settings", {})
        header, keys = self.lines.table("settings")
        if not isinstance(settings, dict):
            self.add(self.lines.table("")[1].get("settings"), "'settings' must be a table")
            return None, None
        for key in settings:
            if key not in SETTINGS_KEYS:
                self.add(
                    keys.get(key, header), f"unknown key {key!r} in [settings]" + _suggest(key, SETTINGS_KEYS)
                )
        values: dict[str, str | None] = {}
        for key in SETTINGS_KEYS:
            value = settings.get(key)
            if value is not None and not (isinstance(value, str) and value.strip()):
                self.add(keys.get(key, header), f"{key} in [settings] must be a non-empty string")
                value = None
            values[key] = value
        # servers' operators need a way to reach whoever runs the crawler
        if values["user_agent"] and not _CONTACT.search(values["user_agent"]):
            self.add(
                keys.get("user_agent", header),
                "user_agent must include a contact URL or email, e.g. 'repub/0.1 (+https://example.org/bot)'",
            )
        if values["contact"] and not _CONTACT.search(values["contact"]):
            self.add(keys.get("contact", header), "contact must be a URL or an email address")
        return values["user_agent"], values["contact"]

    def _source(self, index: int, table: dict[str, Any], seen: dict[str, int | None],
                crawl: CrawlSettings) -> Source | None:
        header, keys = self.lines.table("source", index)
        name = table.get("name")
        label = f"source {name!r}" if isinstance(name, str) and name else f"source #{index + 1}"
        # problems about the whole source point at its name line, else at its [[source]] header
        anchor = keys.get("name", header)
        before = len(self.problems)

        for key in table:
            if key not in SOURCE_KEYS:
                self.add(
                    keys.get(key, header), f"unknown key {key!r} in {label}" + _suggest(key, SOURCE_KEYS)
                )

        if "name" not in table:
            self.add(header, f"{label} has no name")
        elif not isinstance(name, str) or not name.strip():
            self.add(anchor, f"{label}: name must be a non-empty string")
        elif name in seen:
            self.add(anchor, f"duplicate source name {name!r} (first on line {seen[name]})")
        else:
            seen[name] = anchor

        site = table.get("site")
        if site is None:
            self.add(anchor, f"{label} has no site")
        elif not isinstance(site, str) or not _is_http_url(site):
            self.add(keys.get("site", anchor), f"site of {label} must be an http(s) URL, not {site!r}")

        lists: dict[str, tuple[str, ...]] = {}
        for key in (*_START_KEYS, "include", "exclude"):
            lists[key] = self._string_list(table, key, label, keys, anchor)
        # (a start list of the wrong type was reported above; an absent or empty one is reported here)
        if not any(lists[k] for k in _START_KEYS) and all(
            isinstance(table.get(k, []), list) for k in _START_KEYS
        ):
            self.add(anchor, f"{label} has no start points: give feeds, sitemaps or listings")
        for key in _START_KEYS:
            for url in lists[key]:
                if not _is_http_url(url):
                    line = self.lines.value_line(keys.get(key), url) or keys.get(key, anchor)
                    self.add(line, f"{key} of {label}: {url!r} is not an http(s) URL")
        for key in ("include", "exclude"):
            for pattern in lists[key]:
                try:
                    re.compile(pattern)
                except REGEX_ERRORS as exc:
                    line = self.lines.value_line(keys.get(key), pattern) or keys.get(key, anchor)
                    self.add(line, f"bad regex {pattern!r} in {key} of {label}: {exc}")

        max_new = self._number(table, "max_new", label, keys, anchor, int, DEFAULT_MAX_NEW, "an integer > 0",
                               lambda v: v > 0)
        own = self._crawl_keys(table, label, keys, anchor, crawl)
        follow = table.get("follow_originals", True)
        if not isinstance(follow, bool):
            self.add(
                keys.get("follow_originals", anchor), f"follow_originals of {label} must be true or false"
            )

        if len(self.problems) > before or not isinstance(name, str) or not isinstance(site, str):
            return None
        return Source(
            name=name,
            site=site,
            **lists,
            max_new=int(max_new),
            follow_originals=follow,
            crawl=own,
        )

    def _string_list(
        self, table: dict[str, Any], key: str, label: str, keys: dict[str, int], anchor: int | None
    ) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):  # a single start point written without brackets
            self.add(keys.get(key, anchor), f"{key} of {label} must be a list: {key} = [{value!r}]")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(keys.get(key, anchor), f"{key} of {label} must be a list of strings")
            return ()
        return tuple(value)

    def _number(
        self,
        table: dict[str, Any],
        key: str,
        label: str,
        keys: dict[str, int],
        anchor: int | None,
        kind: type,
        default: Any,
        wanted: str,
        check: Any,
    ) -> Any:
        """A number (or, for ``kind`` bool, true or false) that passes ``check``; else the problem
        is recorded and ``default`` returned."""
        value = table.get(key, default)
        if kind is bool:
            ok_type = isinstance(value, bool)
        else:  # bool is an int subclass in Python: `max_new = true` must not pass as 1
            ok_type = not isinstance(value, bool) and (
                isinstance(value, int) if kind is int else isinstance(value, int | float))
        if not ok_type or not check(value):
            self.add(keys.get(key, anchor), f"{key} of {label} must be {wanted}, not {value!r}")
            return default
        return kind(value)


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # "http://[::1": a bracketed host that is not an IPv6 address
        return False
    return parts.scheme in ("http", "https") and bool(host)


def _suggest(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
