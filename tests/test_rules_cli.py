"""``repub rules test`` and ``repub rules list``, run in-process through repub.cli.main."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fixturedata import all_fixtures
from repub.cli import main
from repub.extract.rules import load_rules
from webserver import FIXTURE_SITES

RT_OPED = "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"
RULE_SITES = ("transcend.org", "rt.com")
RULE_FIXTURES = [f for f in all_fixtures() if f.expected.get("site") in RULE_SITES]


def test_rules_test_passes_on_the_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rules", "test", "--fixtures", str(FIXTURE_SITES)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    n = len(RULE_FIXTURES)
    assert n == 11  # 8 TMS + 3 RT pages (fixtures/README.md); generic pages are skipped
    assert lines[-1] == f"{n} pages, {n} ok, 0 failed"
    assert f"ok  rt.com  {RT_OPED}" in lines
    assert sum(line.startswith("ok  transcend.org  https://") for line in lines) == 8
    # Reuters, Consortium News etc. have no rule: not tested by this command.
    assert not any("reuters.com" in line for line in lines)


def test_rules_test_site_filter_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rules", "test", "--fixtures", str(FIXTURE_SITES), "--site", "rt.com", "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert rows[-1] == {"pages": 3, "ok": 3, "failed": 0}
    assert {r["site"] for r in rows[:-1]} == {"rt.com"}
    assert RT_OPED in {r["url"] for r in rows[:-1]}
    assert all(r["ok"] is True and r["problems"] == [] for r in rows[:-1])


def _copy_rt_oped(tmp_path: Path) -> Path:
    """The RT op-ed fixture under tmp_path/www.rt.com/…; returns its expected.json."""
    source = FIXTURE_SITES / "www.rt.com" / "op-ed" / "504399-russia-china-military-alliance-washington"
    target = tmp_path / "www.rt.com" / "op-ed" / source.name
    shutil.copytree(source, target)
    return target / "expected.json"


def test_rules_test_reports_a_wrong_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected_path = _copy_rt_oped(tmp_path)
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    true_title = expected["title"]
    expected["title"] = "A deliberately wrong title"
    expected["lead_image"]["credit"] = "Nobody"
    expected_path.write_text(json.dumps(expected), encoding="utf-8")

    code = main(["rules", "test", "--fixtures", str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines == [
        f"FAIL rt.com {RT_OPED}: title: expected 'A deliberately wrong title' got {true_title!r}; "
        "lead_image.credit: expected 'Nobody' got 'Sputnik / Ramil Sitdikov'",
        "1 pages, 0 ok, 1 failed",
    ]


def test_rules_test_of_no_such_site_lists_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    # A --site typo must not look like a green run, nor like a rule without pages.
    code = main(["rules", "test", "--fixtures", str(FIXTURE_SITES), "--site", "rt.comm"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    sites = sorted(rule.site for rule in load_rules())
    assert "rt.com" in sites and "transcend.org" in sites
    assert err == f"repub: no site rule for 'rt.comm'; the rules are: {', '.join(sites)}\n"


def test_rules_test_without_pages_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rules", "test", "--fixtures", str(tmp_path), "--site", "rt.com"])
    assert code == 1
    assert capsys.readouterr().out.splitlines() == ["0 pages, 0 ok, 0 failed"]


def test_rules_test_missing_folder_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rules", "test", "--fixtures", str(tmp_path / "nope")])
    assert code == 3
    assert "fixtures folder not found" in capsys.readouterr().err


def test_rules_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    # Other rule files may be added later; these two rules print as a site line and its layout lines.
    assert "rt.com  hosts www.rt.com, rt.com\n    layout 2016  valid from 2016-01-01\n" in out
    assert (
        "transcend.org  hosts www.transcend.org, transcend.org  path ^/tms/\n"
        "    layout wp  valid from 2008-01-01\n"
    ) in out


def test_rules_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--json"]) == 0
    rows = {r["site"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["rt.com"]["hosts"] == ["www.rt.com", "rt.com"]
    assert rows["rt.com"]["path"] is None
    assert rows["transcend.org"]["layouts"] == [{"name": "wp", "valid_from": "2008-01-01"}]
    assert rows["transcend.org"]["file"].endswith("sites/transcend.org.toml")
