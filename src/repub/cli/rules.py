"""Site-rule commands: ``rules test`` (saved pages against their expected records) and ``rules list``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RepubError
from ..extract import extract
from ..extract.rules import SiteRule, find_rule, load_rules
from ..fetch.charset import decode_html
from ..normalize import normalize, record_json
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, JSON_HELP, add_command, emit_json, error

# A dev checkout keeps its fixtures at the top of the repo; the command is usually run from there, but
# `repub rules test` from another directory of the checkout should still find them.
_CHECKOUT_FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sites"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rules = commands.add_parser("rules", help="site rules: test them on saved pages, list them",
                                description="Site rules: test them on saved pages, list them.",
                                epilog="exit codes: see `repub rules ACTION --help`")
    actions = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")

    test = add_command(actions, "rules test",
                       "extract every rule-covered saved page and compare it with its expected.json")
    test.add_argument(
        "--fixtures", type=Path, metavar="DIR",
        help="folder searched for <path>/index.html + expected.json (default ./fixtures/sites)",
    )
    test.add_argument("--site",
                      help="only pages of this rule's site (e.g. rt.com; exit 2 when no rule has it)")
    test.add_argument("--json", action="store_true", help="one JSON object per page, then a summary")
    test.set_defaults(run=cmd_test)

    lst = add_command(actions, "rules list", "list the site rules: site, hosts, layouts")
    lst.add_argument("--json", action="store_true", help=JSON_HELP)
    lst.set_defaults(run=cmd_list)


# ---------------------------------------------------------------------------------------------- test


@dataclass
class PageResult:
    url: str
    site: str
    page: Path
    # "field: expected 'x' got 'y'" per mismatching field (sub-fields of objects as lead_image.url).
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def fixtures_dir(given: Path | None) -> Path:
    if given is not None:
        if not given.is_dir():
            raise ConfigError(f"fixtures folder not found: {given}")
        return given
    for candidate in (Path("fixtures") / "sites", _CHECKOUT_FIXTURES):
        if candidate.is_dir():
            return candidate
    raise ConfigError("no fixtures/sites folder here; pass --fixtures DIR")


def rule_pages(root: Path, site: str | None = None) -> Iterator[tuple[Path, dict[str, Any], SiteRule]]:
    """(index.html, expected record, rule) for each saved page whose expected URL a rule claims."""
    for page in sorted(root.rglob("index.html")):
        expected_path = page.with_name("expected.json")
        if not expected_path.is_file():
            continue
        try:
            expected = json.loads(expected_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ConfigError(f"{expected_path}: cannot read: {err}") from err
        url = expected.get("url") if isinstance(expected, dict) else None
        if not isinstance(url, str):
            raise ConfigError(f"{expected_path}: no \"url\" key")
        rule = find_rule(url)
        # Pages no rule claims go through the generic extractor: not this command's business.
        if rule is None or (site is not None and site != rule.site):
            continue
        yield page, expected, rule


def compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """One line per differing field; objects (lead_image, original) are compared key by key."""
    problems = []
    for key, want in expected.items():
        if key not in got:
            problems.append(f"{key}: expected {_show(want)} got no such field")
            continue
        have = got[key]
        if isinstance(want, dict) and isinstance(have, dict):
            problems.extend(
                f"{key}.{sub}: expected {_show(sub_want)} got {_show(have.get(sub))}"
                for sub, sub_want in want.items() if have.get(sub) != sub_want
            )
        elif have != want:
            problems.append(f"{key}: expected {_show(want)} got {_show(have)}")
    return problems


def _show(value: Any, limit: int = 300) -> str:
    # repr-like quoting, but a body_text of thousands of characters must not flood the terminal.
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_page(page: Path, expected: dict[str, Any], rule: SiteRule) -> PageResult:
    url = expected["url"]
    result = PageResult(url=url, site=rule.site, page=page)
    text, _charset = decode_html(page.read_bytes())
    try:
        got = record_json(normalize(extract(text, url)))
    except RepubError as err:  # one broken page is a failed page, not a stopped run
        result.problems.append(f"extract failed: {err}")
        return result
    result.problems = compare(expected, got)
    return result


def cmd_test(args: argparse.Namespace) -> int:
    if args.site is not None:
        sites = sorted(rule.site for rule in load_rules())
        if args.site not in sites:  # a typo must not pass for a rule without saved pages
            error(f"no site rule for {args.site!r}; the rules are: {', '.join(sites)}")
            return EXIT_USAGE
    root = fixtures_dir(args.fixtures)
    results = [check_page(page, expected, rule) for page, expected, rule in rule_pages(root, args.site)]
    for res in results:
        if args.json:
            emit_json({"url": res.url, "site": res.site, "page": str(res.page), "ok": res.ok,
                       "problems": res.problems})
        elif res.ok:
            print(f"ok  {res.site}  {res.url}")
        else:
            print(f"FAIL {res.site} {res.url}: {'; '.join(res.problems)}")
    failed = sum(not r.ok for r in results)
    summary = f"{len(results)} pages, {len(results) - failed} ok, {failed} failed"
    if args.json:
        emit_json({"pages": len(results), "ok": len(results) - failed, "failed": failed})
    else:
        print(summary)
    # No page at all is a failure too: a typo in --site or --fixtures must not pass silently.
    return EXIT_FAILED if failed or not results else EXIT_OK


# ---------------------------------------------------------------------------------------------- list


def cmd_list(args: argparse.Namespace) -> int:
    for rule in load_rules():
        layouts = [{"name": lay.name, "valid_from": lay.valid_from.isoformat() if lay.valid_from else None}
                   for lay in rule.layouts]
        if args.json:
            emit_json({"site": rule.site, "hosts": list(rule.hosts),
                       "path": rule.path.pattern if rule.path else None, "layouts": layouts,
                       "file": str(rule.source) if rule.source else None})
            continue
        path = f"  path {rule.path.pattern}" if rule.path else ""
        print(f"{rule.site}  hosts {', '.join(rule.hosts)}{path}")
        for lay in layouts:
            print(f"    layout {lay['name']}  valid from {lay['valid_from'] or '-'}")
    return EXIT_OK
