"""``repub serve`` in a real browser: Debian's Chromium driven by Selenium through Debian's chromedriver.

Nothing is downloaded: the driver's path is given (Selenium Manager is never asked, and SE_OFFLINE tells
it so), and Chromium runs headless with its background networking, component updates and first-run
work off, in a fresh profile. The tests skip, saying why, where the Debian packages are not installed
(``apt-get install chromium chromium-driver``); on CI (``CI`` set: .ci/run sets it and installs the
packages) they fail instead, as a check that did not run is no check.

With ``REPUB_SCREENSHOTS=DIR`` (e.g. docs/img) each page is also saved as a PNG there, by these same
tests, so the screenshots in the docs show what the code does.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from webworld import DISCLAIMER, HOSTILE, RT_URL, TMS_COPY, ZNET_COPY, Served, World

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")


def _missing(why: str) -> None:
    """Skip, saying why, on a developer's machine; on CI (CI set, as .ci/run sets it) a skipped browser
    test would be a check silently not run, so the run fails instead."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"browser tests cannot run on CI: {why}", pytrace=False)
    pytest.skip(f"browser tests skipped: {why}", allow_module_level=True)


if not (CHROMIUM.exists() and DRIVER.exists()):
    _missing("Debian's chromium and chromium-driver are not installed (apt-get install chromium "
             "chromium-driver)")
try:
    from selenium import webdriver
except ImportError:
    _missing("selenium is not installed (make install installs the dev extra)")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENSHOTS = os.environ.get("REPUB_SCREENSHOTS")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--no-default-browser-check", "--disable-sync", "--disable-domain-reliability",
         "--disable-client-side-phishing-detection", "--dns-prefetch-disable", "--window-size=1280,1000")


@pytest.fixture(scope="module")
def served(web_world: World) -> Iterator[Served]:
    with Served(web_world.env()) as server:
        yield server


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[Any]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never fetch a driver or a browser
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def visit(browser: Any, served: Served, path: str, **params: str) -> None:
    browser.get(served.base + path + (f"?{urlencode(params)}" if params else ""))


def shot(browser: Any, name: str) -> None:
    """The page as a PNG in $REPUB_SCREENSHOTS, the whole of its height."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height), 700), 2400))
    browser.save_screenshot(str(folder / f"{name}.png"))
    browser.set_window_size(1280, 1000)


def wait_for(browser: Any, selector: str) -> list[Any]:
    WebDriverWait(browser, 30).until(ready.presence_of_element_located((By.CSS_SELECTOR, selector)))
    return browser.find_elements(By.CSS_SELECTOR, selector)


def test_search_finds_an_article(browser: Any, served: Served) -> None:
    visit(browser, served, "/")
    box = wait_for(browser, "input[name=q]")[0]
    box.send_keys("Fowdy", Keys.ENTER)
    WebDriverWait(browser, 30).until(ready.url_contains("q=Fowdy"))
    urls = [e.text for e in wait_for(browser, ".hit .url")]
    assert {RT_URL, TMS_COPY, ZNET_COPY} <= set(urls)
    marks = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".snippet mark")]
    assert all(m.casefold() == "fowdy" for m in marks)
    shot(browser, "search")


def test_the_comparison_shows_the_copys_disclaimer_as_added_text(browser: Any, served: Served) -> None:
    visit(browser, served, "/compare", url=ZNET_COPY)
    added = wait_for(browser, "tr.row-added ins.added")
    assert len(added) == 1 and added[0].text.startswith(DISCLAIMER)
    # highlighted: the added paragraph's own colour, not the page's
    colour = added[0].value_of_css_property("background-color")
    assert colour == "rgba(216, 245, 220, 1)"
    cut = browser.find_elements(By.CSS_SELECTOR, "tr.row-cut del.cut")
    assert len(cut) == 1 and cut[0].text.startswith("Yet the fact that Putin")
    changed = browser.find_elements(By.CSS_SELECTOR, "tr.row-changed ins")
    assert [e.text for e in changed] == ["no"]
    shot(browser, "compare")


@pytest.mark.parametrize("path", ["/?q=harbour", f"/article?{urlencode({'url': HOSTILE})}",
                                  f"/history?{urlencode({'url': HOSTILE})}"])
def test_a_stored_script_never_runs(browser: Any, served: Served, path: str) -> None:
    browser.get(served.base + path)
    wait_for(browser, "main")
    assert browser.execute_script("return typeof window.__repubPwned") == "undefined"
    shown = browser.find_element(By.TAG_NAME, "main").text
    assert "<script>window.__repubPwned = 1</script>" in shown
    if path.startswith("/article"):
        assert 'Local <img src=x onerror="window.__repubPwned = 2"> news' in shown  # the section


def test_export_downloads_a_file_with_the_right_rows(browser: Any, served: Served,
                                                      downloads: Path) -> None:
    visit(browser, served, "/", q="nato")
    link = wait_for(browser, "#export-jsonl")[0]
    before = set(downloads.iterdir())
    link.click()
    deadline = time.monotonic() + 60
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = [p for p in set(downloads.iterdir()) - before if not p.name.endswith(".crdownload")]
        if files:
            break
        time.sleep(0.2)
    assert len(files) == 1 and files[0].name.startswith("repub-") and files[0].suffix == ".jsonl"
    rows = [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]
    expected = served.get("/api/search", params={"q": "nato", "per_page": 200}).json()
    assert sorted(r["url"] for r in rows) == sorted(r["url"] for r in expected["results"])
    assert len(rows) == expected["total"]


def test_the_timeline_shows_one_point_per_copy(browser: Any, served: Served) -> None:
    visit(browser, served, "/article", url=RT_URL)
    points = wait_for(browser, "svg.timeline circle.copy-point")
    copies = served.get("/api/article", params={"url": RT_URL}).json()["republications"]
    assert sorted(p.get_attribute("data-url") for p in points) == sorted(c["url"] for c in copies)
    assert len(points) == 2
    shot(browser, "article")
    link = browser.find_element(By.CSS_SELECTOR, f'svg.timeline a:has(circle[data-url="{ZNET_COPY}"])')
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", link)
    WebDriverWait(browser, 30).until(ready.url_contains("/compare?"))
    assert wait_for(browser, "h1")[0].text == "The copy beside its original"


def test_history_and_runs_pages(browser: Any, served: Served) -> None:
    visit(browser, served, "/history", url=RT_URL)
    assert [e.text for e in wait_for(browser, ".field-diff ins")] == ["Should", "Be", "Worried?"]
    shot(browser, "history")
    visit(browser, served, "/runs")
    assert wait_for(browser, "svg.daychart rect.bar-failed")
    shot(browser, "runs")
