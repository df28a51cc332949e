"""Settings from the environment and the command line, in one place.

Precedence: command-line option > environment variable > default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .fetch.hostmap import parse_host_maps
from .fetch.types import FetchSettings

DEFAULT_USER_AGENT = "repub/0.1 (+https://github.com/repub/repub; republished-article archiver)"


@dataclass(frozen=True)
class Settings:
    db: str | None = None  # --db PATH; None: the store resolves REPUB_DATABASE_URL, REPUB_DB, ./repub.db
    fetch: FetchSettings = field(default_factory=FetchSettings)


def build_settings(
    *,
    db: str | None = None,
    host_maps: Sequence[str] = (),
    user_agent: str | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Settings for one command: ``--host-map`` values add to (and override) ``REPUB_HOST_MAP``."""
    env = os.environ if env is None else env
    host_map = parse_host_maps([env.get("REPUB_HOST_MAP", ""), *host_maps])
    fetch = FetchSettings(
        user_agent=user_agent or env.get("REPUB_USER_AGENT") or DEFAULT_USER_AGENT,
        host_map=host_map,
        total_timeout=timeout or FetchSettings.total_timeout,
    )
    return Settings(db=db, fetch=fetch)
