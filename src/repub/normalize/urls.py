"""Canonical URLs: the key every article is stored under."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ..errors import RepubError

# Query parameters that only say how a reader arrived; they never select different content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ocid", "cmpid", "s_cid",
        "ito", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "spm", "smid", "ref_src", "ncid", "soc_src", "soc_trk", "guccounter",
        "guce_referrer", "guce_referrer_sig", "__twitter_impression",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters that need no percent-encoding in a path; anything else keeps (upper-cased) escapes.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class BadURL(RepubError):
    """A URL that cannot be an article's address."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


_SLASHES = re.compile(r"(?<!https:)(?<!http:)/{2,}")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalize_escapes(path: str) -> str:
    """Upper-case escapes, decode those of unreserved characters; keep %2F and friends escaped."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(fix, path)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters.

    The path keeps its case; its percent-escapes are re-encoded one consistent way so that
    ``/a%e2%9b%94`` and ``/a⛔`` are the same article.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as err:  # "Invalid IPv6 URL": http://[::1
        raise BadURL(f"bad URL {url!r}: {err}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise BadURL(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    if not host.strip("."):  # "http://.." has a hostname of dots only
        raise BadURL(f"no host in URL: {url!r}")
    if "" in host.split("."):  # "https://.example.de/", "https://a..b/": an empty label
        raise BadURL(f"bad host in URL: {url!r}")
    # An undecodable IDN keeps its lower-cased form; the fetcher reports the real problem.
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    try:
        port = parts.port
    except ValueError as err:
        raise BadURL(f"bad port in URL: {url!r}") from err
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalize_escapes(quote(parts.path, safe=_PATH_SAFE + "%")) or "/"
    # Runs of slashes are one, except after an address's scheme inside the path: an archive's snapshot
    # (web.archive.org/web/<time>/https://original/) keeps its original's address whole.
    path = _SLASHES.sub("/", path)
    query_pairs = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    query = urlencode(query_pairs, quote_via=quote, safe="/:@!$'()*+,;-._~")
    return urlunsplit((scheme, netloc, path, query, ""))
