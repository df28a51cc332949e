"""robots.txt as a policy object (a thin layer over protego, which follows RFC 9309 and Google)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from repub.errors import FetchError

# robots.txt is plain text; anything else served for it (an HTML error page, say) is not a policy
ROBOTS_TYPES = frozenset({"text/plain"})
REFUSED = "refused by robots.txt"  # the message of a URL a host's robots.txt disallows (kind "robots")


def refused_by_robots(err: FetchError) -> bool:
    """Whether ``err`` is a URL robots.txt disallows: the site's wish, counted apart from failures
    (a robots.txt that cannot be read is a failure of its host)."""
    return err.kind == "robots" and err.message == REFUSED


def robots_url(url: str) -> str:
    """Where the robots.txt governing ``url`` lives (per scheme, host and port, RFC 9309 2.3)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


@dataclass
class RobotsPolicy:
    """What one host's robots.txt allows ``user_agent``; build with ``from_text`` or ``allow_all``."""

    user_agent: str
    _parser: Protego | None = field(default=None, repr=False)

    @classmethod
    def from_text(cls, text: str, user_agent: str) -> RobotsPolicy:
        """Parse robots.txt text; protego is lenient, so any text gives a policy."""
        return cls(user_agent=user_agent, _parser=Protego.parse(text))

    @classmethod
    def allow_all(cls, user_agent: str) -> RobotsPolicy:
        """For a host whose robots.txt is missing (404): everything is allowed, no delay."""
        return cls(user_agent=user_agent)

    @property
    def _token(self) -> str:
        # robots.txt groups name a product token ("repub"), not a whole User-Agent header:
        # "repub/0.1 (+https://...)" must match "User-agent: repub"; an agent with no name before its
        # "/" ("/0.1 (+https://...)", which the sources check lets through) answers to "*" only
        product = self.user_agent.split("/", 1)[0].split()
        return product[0] if product else "*"

    def allowed(self, url: str) -> bool:
        return True if self._parser is None else self._parser.can_fetch(url, self._token)

    @property
    def crawl_delay(self) -> float | None:
        """Seconds between requests asked for by the matching group, if any."""
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(self._token)
        return float(delay) if delay is not None else None

    @property
    def sitemaps(self) -> list[str]:
        """``Sitemap:`` lines, in file order: start points like the configured sitemaps."""
        return [] if self._parser is None else list(dict.fromkeys(self._parser.sitemaps))


def policy_after_failure(err: FetchError, user_agent: str) -> RobotsPolicy | None:
    """The policy when fetching robots.txt failed, or None when it is unreachable.

    RFC 9309 2.3.1: a robots.txt that does not exist (4xx) allows everything; one that is unreachable
    (5xx, network errors) means "assume complete disallow" until it can be read, which the caller
    reports as the host's problem rather than as a refusal of each URL."""
    if err.kind == "http" and err.status is not None and 400 <= err.status < 500:
        return RobotsPolicy.allow_all(user_agent)
    if err.kind in ("wrong-type", "not-html", "empty"):  # served, but not as text: nothing to obey
        return RobotsPolicy.allow_all(user_agent)
    return None
