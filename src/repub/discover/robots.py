"""robots.txt as a policy object (a thin layer over protego, which follows RFC 9309 and Google)."""

from __future__ import annotations

from dataclasses import dataclass, field

from protego import Protego


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
        # "repub/0.1 (+https://...)" must match "User-agent: repub"
        return self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else "*"

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
