"""The host map: serve real hostnames from another base URL (a local test/demo server, a mirror).

``www.rt.com=http://127.0.0.1:8000/www.rt.com`` sends a request for ``https://www.rt.com/x?q`` to
``http://127.0.0.1:8000/www.rt.com/x?q``. Only the wire request changes: everything recorded keeps the
real URL, so ``to_real`` maps wire URLs (redirect Locations) back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

from repub.errors import ConfigError

ENV_VAR = "REPUB_HOST_MAP"
_EXAMPLE = "www.rt.com=http://127.0.0.1:8000/www.rt.com"
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")


def parse_host_map(text: str) -> dict[str, str]:
    """Parse comma-separated ``HOST=BASE`` pairs; host names are lower-cased, BASE loses a trailing /."""
    result: dict[str, str] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        host, sep, base = entry.partition("=")
        host, base = host.strip().lower(), base.strip()
        if not sep or not host or not base:
            raise ConfigError(f"bad host map entry {entry!r}: expected HOST=BASE, e.g. {_EXAMPLE}")
        if not _HOST_RE.match(host):
            raise ConfigError(f"bad host map entry {entry!r}: {host!r} is not a bare host name"
                              " (no scheme, port or path)")
        try:
            parts = urlsplit(base)
        except ValueError as exc:
            raise ConfigError(f"bad host map entry {entry!r}: {exc}") from None
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"bad host map entry {entry!r}: BASE must be an http(s) URL, e.g. {_EXAMPLE}")
        if parts.query or parts.fragment:
            raise ConfigError(f"bad host map entry {entry!r}: BASE must not carry a query or fragment")
        result[host] = base.rstrip("/")
    return result


def parse_host_maps(values: Iterable[str]) -> dict[str, str]:
    """Merge several values (env var, repeated ``--host-map``); a later entry for a host wins."""
    merged: dict[str, str] = {}
    for value in values:
        merged.update(parse_host_map(value))
    return merged


def host_map_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    return parse_host_map(environ.get(ENV_VAR, ""))


def _lowered(host_map: Mapping[str, str]) -> dict[str, str]:
    # Hand-built maps may not be lower-cased; matching is case-insensitive either way.
    return {host.lower(): base.rstrip("/") for host, base in host_map.items()}


def to_wire(url: str, host_map: Mapping[str, str]) -> str:
    """The URL actually requested for real ``url``; unchanged when its host is not mapped."""
    parts = urlsplit(url)
    base = _lowered(host_map).get((parts.hostname or "").lower())
    if base is None or parts.scheme.lower() not in ("http", "https"):
        return url
    # Concatenate raw strings: the path's percent-encoding must reach the server untouched.
    wire = base + (parts.path or "/")
    return f"{wire}?{parts.query}" if parts.query else wire


def to_real(
    wire_url: str, host_map: Mapping[str, str], *, base: str | None = None, scheme: str = "https"
) -> str:
    """Map a wire URL back to the real URL it serves; ``base`` resolves a relative Location first.

    ``scheme`` is the real scheme to use (the wire URL cannot tell whether http or https was asked for).
    URLs not under any BASE are returned as they are (absolute).
    """
    if base is not None:
        wire_url = urljoin(base, wire_url)
    wire = urlsplit(wire_url)
    best: tuple[str, str] | None = None  # (host, BASE path prefix); the longest prefix wins
    for host, target in _lowered(host_map).items():
        tparts = urlsplit(target)
        if tparts.scheme.lower() != wire.scheme.lower() or tparts.netloc.lower() != wire.netloc.lower():
            continue
        prefix = tparts.path
        if prefix and wire.path != prefix and not wire.path.startswith(prefix + "/"):
            continue
        if best is None or len(prefix) > len(best[1]):
            best = (host, prefix)
    if best is None:
        return wire_url
    host, prefix = best
    return urlunsplit((scheme, host, wire.path[len(prefix) :] or "/", wire.query, wire.fragment))
