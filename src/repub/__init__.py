"""repub: scrape republished articles, find their originals, keep both with provenance and history."""

__version__ = "0.1.0"
