"""Agencies and outlets (repub.extract.outlets) and registrable domains (repub.hosts)."""

from __future__ import annotations

import pytest

from repub.extract.outlets import all_outlets, find_outlet, name_key, outlet_of_url
from repub.hosts import ends_in_public_suffix, registrable_domain, same_registrable_domain


@pytest.mark.parametrize(
    "written", ["AP", "The Associated Press", "Associated Press", "A.P.", "the  associated press"]
)
def test_every_way_of_writing_the_associated_press_is_one_agency(written):
    outlet = find_outlet(written)
    assert outlet is not None
    assert (outlet.name, outlet.kind) == ("Associated Press", "agency")


def test_outlets_and_agencies_have_one_stored_name():
    assert find_outlet("Deutsche Presse-Agentur").name == "dpa"
    assert find_outlet("Agence France-Presse").name == "AFP"
    assert find_outlet("DER SPIEGEL").name == find_outlet("Spiegel Online").name == "DER SPIEGEL"
    assert find_outlet("BBC").kind == "outlet"
    assert find_outlet("Jane Doe") is None
    assert find_outlet("") is None
    assert find_outlet(None) is None


def test_an_outlet_owns_its_own_sites_only():
    ap = find_outlet("AP")
    assert ap.owns("https://apnews.com/article/x") and ap.owns("https://www.apnews.com/")
    assert not ap.owns("https://www.example-news.com/ap-story")
    assert outlet_of_url("https://www.reuters.com/world/x").name == "Reuters"
    assert outlet_of_url("https://edition.cnn.com/2020/x").name == "CNN"
    assert outlet_of_url("https://www.independent.co.uk/x").name == "The Independent"
    assert outlet_of_url("https://www.independent.ie/x").name == "Irish Independent"
    assert outlet_of_url("https://example.org/x") is None
    # a host under a domain others share: only that host is the outlet's
    assert outlet_of_url("https://abcnews.go.com/US/x").name == "ABC News"
    assert outlet_of_url("https://www.go.com/") is None


def test_the_data_file_is_consistent():
    outlets = all_outlets()
    assert len({o.name for o in outlets}) == len(outlets)
    domains = [d for o in outlets for d in o.domains]
    assert len(set(domains)) == len(domains)
    assert all(registrable_domain(d) and d.endswith(registrable_domain(d)) for d in domains)
    assert name_key("  The A.P. ") == "ap"


def test_registrable_domains_follow_the_public_suffix_list():
    assert registrable_domain("https://www.bbc.co.uk/news/x") == "bbc.co.uk"
    assert registrable_domain("foo.example.org") == "example.org"
    assert registrable_domain("news.yahoo.co.jp:443") == "yahoo.co.jp"
    # a private suffix: each blog is a site of its own
    assert registrable_domain("https://one.blogspot.com/") == "one.blogspot.com"
    assert registrable_domain("münchen.de") == registrable_domain("xn--mnchen-3ya.de") == "xn--mnchen-3ya.de"
    assert registrable_domain("127.0.0.1:8000") == "127.0.0.1"
    assert registrable_domain("") == ""


def test_a_name_ends_in_a_public_suffix_when_it_is_a_domain_name():
    assert [ends_in_public_suffix(n) for n in ("correctiv.org", "wdr.de", "bbc.co.uk", "Mobilsicher.DE")] == [
        True, True, True, True
    ]
    assert [ends_in_public_suffix(n) for n in ("robert.stitz", "christian.stadtfeld", "admin")] == [
        False, False, False
    ]


def test_hosts_that_share_a_word_are_different_domains():
    assert not same_registrable_domain("foo.example.org", "bar.example.com")
    assert not same_registrable_domain("https://www.independent.co.uk/", "https://www.independent.ie/")
    assert same_registrable_domain("https://www.rt.com/a", "https://rt.com/b")
    assert not same_registrable_domain("", "")
