"""repub.fetch.hostmap: parsing REPUB_HOST_MAP and mapping real <-> wire URLs."""

from __future__ import annotations

import pytest

from repub.errors import ConfigError
from repub.fetch.hostmap import host_map_from_env, parse_host_map, parse_host_maps, to_real, to_wire

BASE = "http://127.0.0.1:8000"
MAP = {"www.example.com": f"{BASE}/www.example.com", "b.org": BASE}


def test_parse_pairs_lowercases_hosts_and_strips_slashes() -> None:
    text = " WWW.Example.com = http://127.0.0.1:8000/www.example.com/ ,, b.org=https://mirror.test "
    assert parse_host_map(text) == {
        "www.example.com": "http://127.0.0.1:8000/www.example.com",
        "b.org": "https://mirror.test",
    }
    assert parse_host_map("") == {}


def test_repeated_values_merge_and_later_wins() -> None:
    merged = parse_host_maps(["a.com=http://x.test/a,b.com=http://x.test/b", "a.com=http://y.test"])
    assert merged == {"a.com": "http://y.test", "b.com": "http://x.test/b"}
    assert host_map_from_env({"REPUB_HOST_MAP": "a.com=http://x.test"}) == {"a.com": "http://x.test"}
    assert host_map_from_env({}) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("www.rt.com", "bad host map entry 'www.rt.com': expected HOST=BASE"),
        ("=http://x.test", "bad host map entry '=http://x.test': expected HOST=BASE"),
        ("a.com=", "bad host map entry 'a.com=': expected HOST=BASE"),
        ("a.com=ftp://x.test", "bad host map entry 'a.com=ftp://x.test': BASE must be an http(s) URL"),
        ("a.com=127.0.0.1:8000", "BASE must be an http(s) URL"),
        ("a.com:443=http://x.test", "'a.com:443' is not a bare host name (no scheme, port or path)"),
        ("https://a.com=http://x.test", "'https://a.com' is not a bare host name"),
        ("a.com=http://x.test/?q=1", "BASE must not carry a query or fragment"),
    ],
)
def test_malformed_pairs_raise_config_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_host_map(f"ok.com=http://x.test,{text}")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_to_wire_keeps_path_prefix_query_and_percent_encoding() -> None:
    assert to_wire("https://www.example.com/a/b/?q=1&r=%2F", MAP) == f"{BASE}/www.example.com/a/b/?q=1&r=%2F"
    assert to_wire("https://www.example.com/x/%E2%9B%94", MAP) == f"{BASE}/www.example.com/x/%E2%9B%94"
    assert to_wire("https://www.example.com/x/%e2%9b%94", MAP) == f"{BASE}/www.example.com/x/%e2%9b%94"
    assert to_wire("https://www.example.com", MAP) == f"{BASE}/www.example.com/"
    assert to_wire("https://b.org/p#frag", MAP) == f"{BASE}/p"


def test_to_wire_host_is_case_insensitive_port_ignored_scheme_either() -> None:
    assert to_wire("https://WWW.EXAMPLE.COM:8443/a", MAP) == f"{BASE}/www.example.com/a"
    assert to_wire("http://www.example.com/a", MAP) == f"{BASE}/www.example.com/a"
    assert to_wire("https://other.net/a", MAP) == "https://other.net/a"
    assert to_wire("https://x/a", {"X": "http://h.test/pre/"}) == "http://h.test/pre/a"


def test_to_real_maps_absolute_and_relative_locations_back() -> None:
    wire = f"{BASE}/www.example.com/a/b"
    assert to_real(f"{BASE}/www.example.com/c?d=1", MAP) == "https://www.example.com/c?d=1"
    assert to_real("/www.example.com/b", MAP, base=wire) == "https://www.example.com/b"
    assert to_real("c", MAP, base=wire) == "https://www.example.com/a/c"
    assert to_real(f"{BASE}/www.example.com", MAP) == "https://www.example.com/"
    assert to_real("/www.example.com/b", MAP, base=wire, scheme="http") == "http://www.example.com/b"


def test_to_real_longest_prefix_wins_and_prefix_needs_a_boundary() -> None:
    # b.org owns the whole server, www.example.com only its prefix; /www.example.comx is b.org's.
    assert to_real(f"{BASE}/www.example.com/x", MAP) == "https://www.example.com/x"
    assert to_real(f"{BASE}/www.example.comx/x", MAP) == "https://b.org/www.example.comx/x"
    only_prefix = {"www.example.com": f"{BASE}/www.example.com"}
    assert to_real(f"{BASE}/secret", only_prefix) == f"{BASE}/secret"
    assert to_real("https://www.rt.com/x", only_prefix) == "https://www.rt.com/x"
