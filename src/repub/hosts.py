"""Small facts about hosts that every stage needs: the host a site is known by, its registrable domain."""

from __future__ import annotations

import contextlib
import functools
from urllib.parse import urlsplit

import tldextract


def bare_host(url: str) -> str:
    """The lower-cased host without a leading ``www.`` ("" when there is none).

    It is the site key of pages no rule covers, the outlet named by a bare link, and how a listing
    tells its own links (TMS links both www.transcend.org and transcend.org).
    """
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def registrable_domain(host_or_url: str) -> str:
    """The domain a registrant owns, by the Public Suffix List: ``www.bbc.co.uk`` -> ``bbc.co.uk``,
    ``foo.example.org`` -> ``example.org``, ``a.blogspot.com`` -> ``a.blogspot.com`` (private suffixes
    count: two blogs are two sites). Punycode and Unicode hosts give the same (IDNA) answer. An IP
    address, ``localhost`` or a host without a known suffix is its own registrable domain; "" for none.

    tldextract's bundled copy of the list is used, never fetched (no network at run time).
    """
    host = urlsplit(host_or_url).hostname if "/" in host_or_url else host_or_url.split(":")[0]
    return _registrable((host or "").strip().strip(".").lower())


@functools.lru_cache(maxsize=4096)
def _registrable(host: str) -> str:
    # a run asks about the same few hundred hosts again and again (text reuse compares every candidate's
    # URL with the page's): the IDNA encoding and the suffix trie walk cost ~25 us a call
    if not host:
        return ""
    with contextlib.suppress(UnicodeError):  # a label too long for IDNA: keep it as written
        host = host.encode("idna").decode("ascii")
    parts = _extractor()(host)
    if not parts.suffix or not parts.domain:
        return host
    return f"{parts.domain}.{parts.suffix}"


def ends_in_public_suffix(name: str) -> bool:
    """Whether ``name`` ends in a suffix of the Public Suffix List ("correctiv.org", "wdr.de"): a domain
    name, not a CMS login such as "robert.stitz"."""
    return bool(_extractor()(name.strip().lower()).suffix)


def same_registrable_domain(a: str, b: str) -> bool:
    """Whether two URLs or hosts belong to one registrable domain (www.x.com and news.x.com do)."""
    left, right = registrable_domain(a), registrable_domain(b)
    return bool(left) and left == right


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # suffix_list_urls=() reads the snapshot shipped inside tldextract; cache_dir=None writes nothing.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
