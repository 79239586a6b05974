"""Which channel URLs may be called (docs/notifications.md): the gateway applies the rule when a
channel is created, the notifier again before every delivery attempt (what a name resolves to
can change). Pure: each service resolves the host itself and hands the addresses in.

Outside development only ``https`` to public addresses; development also allows ``http`` and
loopback (tests and the demo run a local receiver). Private, link-local (which holds the
169.254.169.254 metadata service), shared (CGNAT), reserved, multicast, unspecified and the
known cloud metadata addresses are never allowed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Cloud metadata endpoints that are not in a private or link-local range.
_METADATA = frozenset(
    {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}
)
_DEFAULT_PORTS = {"https": 443, "http": 80}


class UrlRefused(ValueError):
    """Why a channel URL may not be used (the message is shown to the caller)."""


@dataclass(frozen=True, slots=True)
class UrlTarget:
    """Where a channel URL points: the host to resolve and the port to call."""

    host: str
    port: int


def check_url_shape(url: str, *, development: bool) -> UrlTarget:
    """Scheme, host and port of a channel URL (https only outside development, no credentials);
    raises :class:`UrlRefused` naming what is wrong."""
    parts = urlsplit(url)
    allowed = ("https", "http") if development else ("https",)
    if parts.scheme not in allowed:
        raise UrlRefused(f"the scheme must be {' or '.join(allowed)}, not {parts.scheme!r}")
    if not parts.hostname:
        raise UrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials in the URL are not allowed")
    try:
        port = parts.port
    except ValueError:
        raise UrlRefused("the port must be a number from 0 to 65535") from None
    return UrlTarget(parts.hostname, port or _DEFAULT_PORTS[parts.scheme])


def _refusal(address: str, development: bool) -> tuple[str, str] | None:
    """(the address as compared, what it is) when it may not be called."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if development else (str(ip), "a loopback address")
    if ip in _METADATA:
        return str(ip), "a cloud metadata address"
    for flag, what in (
        (ip.is_link_local, "link-local"),
        (ip.is_private, "private"),
        (ip.is_multicast, "multicast"),
        (ip.is_reserved, "reserved"),
        (ip.is_unspecified, "unspecified"),
    ):
        if flag:
            return str(ip), f"a {what} address"
    if not ip.is_global:
        return str(ip), "a non-public address"
    return None


def refused_address(address: str, *, development: bool) -> str | None:
    """Why one address a channel host resolves to may not be called (``"10.0.0.5 is a private
    address"``), or None when it may. Raises ValueError for a string that is not an address."""
    refusal = _refusal(address, development)
    return None if refusal is None else f"{refusal[0]} is {refusal[1]}"


def refused_host(host: str, addresses: Iterable[str], *, development: bool) -> str | None:
    """Why a host that resolves to ``addresses`` may not be called, naming its first refused
    address's kind (``"hooks.example resolves to a private address"``), or None."""
    for address in addresses:
        refusal = _refusal(address, development)
        if refusal is not None:
            return f"{host} resolves to {refusal[1]}"
    return None
