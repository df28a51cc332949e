"""Hostile-web tests: a local server misbehaving in every way we know, driven through the real CLI."""
