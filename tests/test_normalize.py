"""The normalizer: canonical URLs, ISO dates, clean NFC text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repub.errors import RepubError
from repub.evidence import Evidence
from repub.extract.types import Extracted, LeadImage, OriginalRef
from repub.normalize import BadURL, canonical_url, clean_body, clean_line, iso_date, normalize
from repub.normalize.dates import instant


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://WWW.Transcend.ORG/tms/2020/10/x/", "https://www.transcend.org/tms/2020/10/x/"),
        ("https://www.rt.com:443/op-ed/1-x/#comments", "https://www.rt.com/op-ed/1-x/"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("https://x.com/a/?utm_source=rss&utm_medium=feed&id=7&fbclid=abc", "https://x.com/a/?id=7"),
        ("https://x.com/a?ocid=msn&gclid=1&mc_cid=2&_ga=3", "https://x.com/a"),
        ("https://transcend.org/tms/2025/12/baud-%e2%9b%94/", "https://transcend.org/tms/2025/12/baud-%E2%9B%94/"),
        ("https://transcend.org/tms/2025/12/baud-⛔/", "https://transcend.org/tms/2025/12/baud-%E2%9B%94/"),
        ("https://x.com/%7Euser/a%2Fb", "https://x.com/~user/a%2Fb"),
        ("  https://x.com//a//b  ", "https://x.com/a/b"),
        # an archive's snapshot keeps the original's address whole (issue 16: not mangled)
        ("https://web.archive.org/web/20190717140047/http://www.modabot.de/paris-haute-couture",
         "https://web.archive.org/web/20190717140047/http://www.modabot.de/paris-haute-couture"),
        ("https://web.archive.org/web/20200808063632/https://www.przepisy.pl/przepis/x?a=1",
         "https://web.archive.org/web/20200808063632/https://www.przepisy.pl/przepis/x?a=1"),
        ("https://münchen.de/a", "https://xn--mnchen-3ya.de/a"),  # one host, punycode or Unicode
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


@pytest.mark.parametrize(
    "bad", ["notaurl", "ftp://x.com/a", "javascript:alert(1)", "https://", "http://x:99999/", "http://..", "http://./",
            "https://.example.de/", "https://a..b/x"]
)
def test_canonical_url_rejects(bad: str) -> None:
    with pytest.raises(BadURL):
        canonical_url(bad)


@given(st.text(max_size=200))
def test_canonical_url_returns_or_raises_own_error(text: str) -> None:
    try:
        result = canonical_url(text)
    except RepubError:
        return
    assert result.startswith(("http://", "https://"))
    assert canonical_url(result) == result  # idempotent


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){1,3}", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)
def test_canonical_url_idempotent_on_generated_urls(scheme: str, host: str, path: str) -> None:
    url = f"{scheme}://{host}/{path}"
    try:
        once = canonical_url(url)
    except RepubError:
        return
    assert canonical_url(once) == once


def test_iso_dates_keep_the_pages_offset() -> None:
    assert iso_date(date(2020, 10, 23)) == "2020-10-23"
    # A time with no zone stays without one: the page did not say it was UTC.
    assert iso_date(datetime(2020, 10, 23, 5, 47)) == "2020-10-23T05:47:00"
    moscow = timezone(timedelta(hours=3))
    assert iso_date(datetime(2020, 10, 23, 8, 47, 12, 999, tzinfo=moscow)) == "2020-10-23T08:47:12+03:00"
    # A Pacific evening is that day, not the next UTC day.
    pacific = timezone(timedelta(hours=-8))
    assert iso_date(datetime(2020, 2, 19, 20, 0, 10, tzinfo=pacific)) == "2020-02-19T20:00:10-08:00"
    assert iso_date(datetime(2020, 10, 23, 5, 47, tzinfo=UTC)) == "2020-10-23T05:47:00Z"
    assert iso_date(datetime(2020, 10, 23, 5, 47, tzinfo=timezone(timedelta(0)))) == "2020-10-23T05:47:00Z"
    assert iso_date(datetime(2020, 10, 23, 5, 47, tzinfo=timezone(timedelta(hours=5, minutes=30)))) == (
        "2020-10-23T05:47:00+05:30"
    )
    assert iso_date(None) is None


def test_instant_orders_dates_written_with_other_offsets() -> None:
    assert instant("2020-02-19T20:00:10-08:00") == datetime(2020, 2, 20, 4, 0, 10, tzinfo=UTC)
    assert instant("2020-02-20T04:00:10Z") == instant("2020-02-19T20:00:10-08:00")
    assert instant("2020-02-20T04:00:10") == datetime(2020, 2, 20, 4, 0, 10, tzinfo=UTC)  # no zone: as UTC
    assert instant("2020-02-19") == datetime(2020, 2, 19, tzinfo=UTC)
    assert instant("2020-12") == datetime(2020, 12, 1, tzinfo=UTC)
    assert instant(None) is None
    assert instant("") is None
    assert instant("sometime") is None
    stored = ["2020-02-20T01:00:00Z", "2020-02-19T20:00:10-08:00", "2020-02-19", "2020-02-20T09:00:00+09:00"]
    assert sorted(stored, key=instant) == [  # type: ignore[arg-type]
        "2020-02-19", "2020-02-20T09:00:00+09:00", "2020-02-20T01:00:00Z", "2020-02-19T20:00:10-08:00",
    ]


def test_clean_text() -> None:
    assert clean_line("  Cafe\u0301\u00a0 au\tlait \u200b") == "Café au lait"
    assert clean_line(" \n ") is None
    # ASCII lines (read by str.split): the same whitespace as any other line, no more
    assert clean_line(" a \t\r\x0b\x0c b\n c ") == "a b c"
    assert clean_line("a\x1cb \x1f c") == "a\x1cb \x1f c"  # file separators are not spaces
    assert clean_line("\t\r ") is None
    assert clean_body("One\n  two.\n\n\n Three \n\n") == "One two.\n\nThree"
    assert clean_body("A\nB") == "A\n\nB"  # single newlines are paragraph breaks when no blank lines


def test_normalize_record() -> None:
    page = Extracted(
        url="https://WWW.Transcend.org/tms/2020/10/x/?utm_campaign=a",
        site="transcend.org",
        extractor="transcend.org",
        title=" A  Title\u00a0",
        authors=["Poppy McPherson", " Ruma Paul ", "poppy mcpherson"],
        published=date(2020, 10, 26),
        language="EN",
        lead_image=LeadImage(url="https://x/img.jpg", caption=" cap ", credit=" Sputnik / R "),
        tags=["Russia", "", "russia", "China"],
        body_text="p1\n\np2",
        original=OriginalRef(
            url="https://www.rt.com/op-ed/1-x/#top", outlet="RT", published=date(2020, 10, 23),
            evidence=[Evidence("go-to-original", {"url": "https://www.rt.com/op-ed/1-x/#top"})],
        ),
    )
    record = normalize(page)
    assert record.url == "https://www.transcend.org/tms/2020/10/x/"
    assert record.title == "A Title"
    assert record.authors == ["Poppy McPherson", "Ruma Paul"]
    assert record.published_at == "2020-10-26"
    assert record.language == "en"
    assert (record.lead_image_url, record.lead_image_caption, record.lead_image_credit) == (
        "https://x/img.jpg", "cap", "Sputnik / R",
    )
    assert record.tags == ["Russia", "China"]
    assert record.body_text == "p1\n\np2"
    assert record.original is not None
    assert (record.original.url, record.original.outlet, record.original.published_at) == (
        "https://www.rt.com/op-ed/1-x/", "RT", "2020-10-23",
    )
    # the evidence's URL is made canonical like the original's, so the two agree; one item: its strength
    assert record.original.evidence == [Evidence("go-to-original", {"url": "https://www.rt.com/op-ed/1-x/"})]
    assert record.original.confidence == 0.95
