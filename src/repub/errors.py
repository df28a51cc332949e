"""repub's own error types. Every expected failure is one of these and carries one readable line."""

from __future__ import annotations


class RepubError(Exception):
    """Base of every error repub raises on purpose; ``str(err)`` is one line meant for a person."""


class ConfigError(RepubError):
    """Bad settings: an unparsable host map, database URL, sources file..."""


class FetchError(RepubError):
    """A page could not be fetched or was refused (timeout, 4xx/5xx, not HTML, too big, bad URL...).

    ``kind`` is a short machine-readable reason (``timeout``, ``http``, ``not-html``, ``too-large``,
    ``connect``, ``bad-url``, ``redirects``, ``empty``, ``blocked``, ``protocol`` (the server broke
    HTTP, e.g. closed mid-body), ``encoding`` (unsupported or corrupt Content-Encoding, or a corrupt gzip
    file), ``wrong-type`` (a discovery document of a type not asked for), ``bot-wall`` (a bot-protection
    challenge or block page, see ``repub.fetch.botwall``)), ``status`` the
    HTTP status when one was received, ``bytes`` what was read before giving up.
    """

    def __init__(
        self,
        url: str,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        final_url: str | None = None,
        nbytes: int = 0,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.kind = kind
        self.message = message
        self.status = status
        self.final_url = final_url or url
        self.nbytes = nbytes
        self.retry_after = retry_after  # the response's Retry-After header, as sent (429/503)


class ExtractError(RepubError):
    """A page was fetched but no article could be extracted from it."""


class StoreError(RepubError):
    """The database could not be opened, migrated or written."""
