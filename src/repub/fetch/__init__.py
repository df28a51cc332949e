"""The fetch stage: URL + FetchSettings in, Page (or FetchError) out. The only package on the network."""

from repub.errors import FetchError
from repub.fetch.client import HTML_TYPES, Fetcher, fetch_page
from repub.fetch.guard import check_url
from repub.fetch.hostmap import parse_host_map, parse_host_maps, to_real, to_wire
from repub.fetch.types import FetchSettings, Page

__all__ = [
    "HTML_TYPES", "FetchError", "FetchSettings", "Fetcher", "Page", "check_url", "fetch_page",
    "parse_host_map", "parse_host_maps", "to_real", "to_wire",
]
