"""One small fact about URLs that every stage needs: the host a site is known by."""

from __future__ import annotations

from urllib.parse import urlsplit


def bare_host(url: str) -> str:
    """The lower-cased host without a leading ``www.`` ("" when there is none).

    It is the site key of pages no rule covers, the outlet named by a bare link, and how a listing
    tells its own links (TMS links both www.transcend.org and transcend.org).
    """
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")
