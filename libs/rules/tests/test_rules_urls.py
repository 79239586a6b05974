"""Which channel URLs may be called (guard_rules.urls): shape, then every resolved address."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard_rules.urls import (
    UrlRefused,
    UrlTarget,
    check_url_shape,
    refused_address,
    refused_host,
)


@pytest.mark.parametrize(
    ("address", "development", "refused"),
    [("127.0.0.1", True, None), ("127.0.0.1", False, "loopback"), ("::1", False, "loopback"),
     ("10.0.0.5", True, "private"), ("192.168.1.1", False, "private"),
     ("172.16.3.4", False, "private"), ("169.254.169.254", True, "link-local"),
     ("fe80::1", False, "link-local"), ("fe80::1%eth0", False, "link-local"),
     ("100.100.100.200", False, "metadata"), ("fd00:ec2::254", False, "metadata"),
     ("::ffff:10.0.0.1", False, "private"), ("0.0.0.0", False, "address"),
     ("100.64.0.1", False, "non-public"), ("224.0.0.1", False, "multicast"),
     ("93.184.216.34", False, None), ("2606:4700::1111", False, None)],
)  # fmt: skip
def test_refused_addresses(address: str, development: bool, refused: str | None) -> None:
    reason = refused_address(address, development=development)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None
        assert refused in reason


def test_a_mapped_address_is_named_as_the_ipv4_it_maps() -> None:
    assert refused_address("::ffff:10.0.0.1", development=False) == "10.0.0.1 is a private address"


def test_a_host_is_refused_by_its_first_refused_address() -> None:
    public = ["93.184.216.34", "2606:4700::1111"]
    assert refused_host("hooks.example.com", public, development=False) is None
    assert (
        refused_host("hooks.example.com", [*public, "10.1.2.3", "127.0.0.1"], development=False)
        == "hooks.example.com resolves to a private address"
    )
    assert refused_host("localhost", ["127.0.0.1"], development=True) is None
    assert refused_host("localhost", ["::1"], development=False) == (
        "localhost resolves to a loopback address"
    )


def test_url_shapes() -> None:
    assert check_url_shape("https://hooks.example.com/x", development=False) == UrlTarget(
        "hooks.example.com", 443
    )
    assert check_url_shape("http://127.0.0.1:9/x", development=True) == UrlTarget("127.0.0.1", 9)
    assert check_url_shape("http://[::1]/x", development=True) == UrlTarget("::1", 80)
    for url, development in (("http://hooks.example.com/x", False), ("ftp://x/y", True),
                             ("https:///nohost", False), ("https://u:p@x.com/", False),
                             ("https://x.com:99999/", False), ("https://x.com:port/", True)):  # fmt: skip
        with pytest.raises(UrlRefused):
            check_url_shape(url, development=development)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.ip_addresses(), st.booleans())
def test_only_global_addresses_pass_outside_development(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, development: bool
) -> None:
    reason = refused_address(str(ip), development=development)
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    effective = mapped or ip
    if development and effective.is_loopback:
        assert reason is None
    elif reason is None:
        assert effective.is_global
        assert not effective.is_multicast
