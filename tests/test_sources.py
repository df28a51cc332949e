"""The sources file: a good file loads; each kind of mistake is reported with its line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from repub.crawl import CrawlSettings
from repub.discover import Problem, Source, SourcesConfig, check_sources, load_sources
from repub.errors import ConfigError

REPO_SAMPLE = Path(__file__).resolve().parent.parent / "sources.toml"

GOOD = """\
[settings]
user_agent = "repub/0.1 (+https://example.org/repub)"
contact = "ops@example.org"

[[source]]
name = "tms"
site = "https://www.transcend.org/tms/"
feeds = ["https://www.transcend.org/tms/feed/"]
sitemaps = ["https://www.transcend.org/tms/wp-sitemap.xml"]
listings = ["https://www.transcend.org/tms/category/militarism/"]
include = ['/tms/\\d{4}/\\d{2}/']
exclude = ["/tms/private/"]
max_new = 20
follow_originals = false
rate = 0.5
concurrency = 1

[[source]]
name = "rt-opinion"
site = "https://www.rt.com/"
sitemaps = ["https://www.rt.com/sitemap_2020.xml"]
rate = 2
"""

BAD = """\
[settings]
user_agent = "repub/0.1"
contakt = "ops@example.org"

[[source]]
name = "tms"
site = "https://www.transcend.org/tms/"
feed = ["https://www.transcend.org/tms/feed/"]
sitemaps = ["ftp://www.transcend.org/tms/wp-sitemap.xml"]
include = [
  '/tms/\\d{4}/',
  "/tms/(unclosed/",
]
max_new = 0
rate = "fast"
concurrency = true

[[source]]
name = "tms"
site = "www.transcend.org"
listings = "https://www.transcend.org/tms/category/militarism/"
exclude = ["[a-"]
follow_originals = "yes"

[[source]]
site = "https://www.rt.com/"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    assert check_sources(path) == []
    config = load_sources(path)
    assert config == SourcesConfig(
        sources=(
            Source(
                name="tms",
                site="https://www.transcend.org/tms/",
                feeds=("https://www.transcend.org/tms/feed/",),
                sitemaps=("https://www.transcend.org/tms/wp-sitemap.xml",),
                listings=("https://www.transcend.org/tms/category/militarism/",),
                include=(r"/tms/\d{4}/\d{2}/",),
                exclude=("/tms/private/",),
                max_new=20,
                follow_originals=False,
                crawl=CrawlSettings(rate=0.5, concurrency=1),
            ),
            Source(
                name="rt-opinion",
                site="https://www.rt.com/",
                sitemaps=("https://www.rt.com/sitemap_2020.xml",),
                max_new=50,
                follow_originals=True,
                crawl=CrawlSettings(rate=2.0, concurrency=2),
            ),
        ),
        user_agent="repub/0.1 (+https://example.org/repub)",
        contact="ops@example.org",
        path=path,
    )
    assert isinstance(config.get("rt-opinion").rate, float)
    with pytest.raises(ConfigError, match="no source named 'nope'"):
        config.get("nope")


def test_a_file_saved_with_a_byte_order_mark_loads_the_same(tmp_path: Path) -> None:
    """Notepad saves UTF-8 with a BOM, which tomllib takes for a bad statement on line 1."""
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert check_sources(path) == []
    (tmp_path / "plain").mkdir()
    plain = load_sources(_write(tmp_path / "plain", GOOD))
    assert load_sources(path) == dataclasses.replace(plain, path=path)


def test_repo_sample_is_valid() -> None:
    config = load_sources(REPO_SAMPLE)
    assert [s.name for s in config.sources] == ["tms"]
    assert config.get("tms").feeds == ("https://www.transcend.org/tms/feed/",)


def test_bad_file_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    assert check_sources(_write(tmp_path, BAD)) == [
        Problem(
            2, "user_agent must include a contact URL or email, e.g. 'repub/0.1 (+https://example.org/bot)'"
        ),
        Problem(3, "unknown key 'contakt' in [settings] (did you mean 'contact'?)"),
        Problem(8, "unknown key 'feed' in source 'tms' (did you mean 'feeds'?)"),
        Problem(
            9, "sitemaps of source 'tms': 'ftp://www.transcend.org/tms/wp-sitemap.xml' is not an http(s) URL"
        ),
        Problem(
            12,
            "bad regex '/tms/(unclosed/' in include of source 'tms': "
            "missing ), unterminated subpattern at position 5",
        ),
        Problem(14, "max_new of source 'tms' must be an integer > 0, not 0"),
        Problem(15, "rate of source 'tms' must be a number > 0, not 'fast'"),
        Problem(16, "concurrency of source 'tms' must be an integer >= 1, not True"),
        Problem(19, "duplicate source name 'tms' (first on line 6)"),
        Problem(20, "site of source 'tms' must be an http(s) URL, not 'www.transcend.org'"),
        Problem(
            21,
            "listings of source 'tms' must be a list: "
            "listings = ['https://www.transcend.org/tms/category/militarism/']",
        ),
        Problem(22, "bad regex '[a-' in exclude of source 'tms': unterminated character set at position 0"),
        Problem(23, "follow_originals of source 'tms' must be true or false"),
        Problem(25, "source #3 has no name"),
        Problem(25, "source #3 has no start points: give feeds, sitemaps or listings"),
    ]


def test_load_raises_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD)
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    message = str(caught.value)
    assert message.startswith(
        f"{path}:2: user_agent must include a contact URL or email, "
        "e.g. 'repub/0.1 (+https://example.org/bot)'; "
        f"{path}:3: unknown key 'contakt' in [settings] (did you mean 'contact'?); "
        f"{path}:8: unknown key 'feed' in source 'tms' (did you mean 'feeds'?)"
    )
    assert message.endswith(" (and 12 more)")
    assert "\n" not in message


def test_example_message_shape(tmp_path: Path) -> None:
    text = GOOD.replace('feeds = ["https://www.transcend.org/tms/feed/"]', 'feed = ["x"]')
    with pytest.raises(ConfigError) as caught:
        load_sources(_write(tmp_path, text))
    assert (
        str(caught.value)
        == f"{tmp_path / 'sources.toml'}:8: unknown key 'feed' in source 'tms' (did you mean 'feeds'?)"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[[source]]\nname = "a"\nsite "https://e.org/"\n',
            Problem(3, "TOML syntax error: Expected '=' after a key in a key/value pair"),
        ),
        (
            '[[source]]\nname = "a"\nfeeds = ["https://e.org/feed/"\n',
            Problem(3, "TOML syntax error: Unclosed array"),
        ),
        ('[[source]]\nname = "a"\nname = "b"\n', Problem(3, "TOML syntax error: Cannot overwrite a value")),
        ("", Problem(None, "no [[source]] tables: nothing to ingest")),
        (
            'sources = []\n[[source]]\nname = "a"\nsite = "https://e.org/"\nfeeds = ["https://e.org/f"]\n',
            Problem(1, "unknown top-level key 'sources' (did you mean 'source'?)"),
        ),
        (
            '[[source]]\nname = "a"\nsite = "https://e.org/"\nfeeds = []\nsitemaps = []\n',
            Problem(2, "source 'a' has no start points: give feeds, sitemaps or listings"),
        ),
        (
            '[[source]]\nname = "a"\nsite = "https://e.org/"\nlistings = ["/relative/"]\n',
            Problem(4, "listings of source 'a': '/relative/' is not an http(s) URL"),
        ),
        (
            '[settings]\ncontact = "nobody"\n[[source]]\nname = "a"\nsite = "https://e.org/"\nfeeds = ["https://e.org/f"]\n',
            Problem(2, "contact must be a URL or an email address"),
        ),
        # each of these raised out of check_sources (a traceback from `repub sources check` and `ingest`)
        (
            '[[source]]\nname = "a"\nsite = "https://e.org/"\nfeeds = ["http://[::1"]\n',
            Problem(4, "feeds of source 'a': 'http://[::1' is not an http(s) URL"),
        ),
        (
            '[[source]]\nname = "a"\nsite = "https://[not-ipv6]/"\nfeeds = ["https://e.org/f"]\n',
            Problem(3, "site of source 'a' must be an http(s) URL, not 'https://[not-ipv6]/'"),
        ),
        (
            '[[source]]\nname = "a"\nsite = "https://e.org/"\nfeeds = ["https://e.org/f"]\n'
            'include = ["a{99999999999}"]\n',
            Problem(5, "bad regex 'a{99999999999}' in include of source 'a': "
                       "the repetition number is too large"),
        ),
        (
            '[[source]]\nname = "a"\nsite = "https://e.org/"\nfeeds = ["https://e.org/f"]\n'
            f'exclude = ["{"(" * 2000}x{")" * 2000}"]\n',
            Problem(5, f"bad regex '{'(' * 2000}x{')' * 2000}' in exclude of source 'a': "
                       "maximum recursion depth exceeded"),
        ),
        (
            '[[source]]\nname = "a"\nsite = "https://e.org/"\nfeeds = ' + "[" * 5000 + "]" * 5000 + "\n",
            Problem(None, "TOML syntax error: arrays or tables nested too deeply"),
        ),
    ],
)
def test_single_problems(tmp_path: Path, text: str, problem: Problem) -> None:
    assert check_sources(_write(tmp_path, text)) == [problem]


def test_missing_file(tmp_path: Path) -> None:
    assert check_sources(tmp_path / "none.toml") == [
        Problem(None, "cannot read sources file: No such file or directory")
    ]
    with pytest.raises(ConfigError, match=r"none\.toml: cannot read sources file"):
        load_sources(tmp_path / "none.toml")
