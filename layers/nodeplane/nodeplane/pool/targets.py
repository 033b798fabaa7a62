"""Which addresses SSH discovery may connect to.

A deployment refuses, unless ``SSH_PRIVATE_TARGETS=allow`` (template parameter ``SshPrivateTargets``), every
address that reaches its own side of the network rather than a customer's server: loopback, link-local (the
instance metadata service at 169.254.169.254 among them), AWS's IPv6 metadata address fd00:ec2::254 and the other
unique-local and private ranges, carrier-grade NAT, the unspecified address (which Linux connects to loopback),
multicast, broadcast and reserved ranges, also when written as IPv4-mapped, 6to4 or NAT64 IPv6. The local runtime
allows them, so a server on 127.0.0.1 can be tried out.
"""

from __future__ import annotations

import ipaddress

from nodeplane.settings import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_IETF = ipaddress.ip_network("192.0.0.0/24")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DOCUMENTATION = (
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("2001:db8::/32"),
)


def private_targets_allowed() -> bool:
    return settings().ssh_private_targets == "allow"


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refused_kind(address: Address) -> str | None:
    """What makes ``address`` internal ("loopback", "link-local", ...), or None for an address on the internet."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return refused_kind(embedded)
        if address.scope_id:
            return "link-local"
    if any(address in net for net in _DOCUMENTATION if net.version == address.version):
        return None  # examples in documentation and tests; no network routes them
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private or address in _CGNAT or address in _IETF),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
    )
    return next((kind for kind, hit in checks if hit), None)


def parse_address(host: str) -> Address | None:
    """``host`` as an IP address when it is one (an IPv6 zone kept), else None (a name)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def refusal(host: str, address: Address) -> str | None:
    """Why discovery will not connect to ``address`` (``host`` names it, or resolves to it), or None."""
    if private_targets_allowed():
        return None
    kind = refused_kind(address)
    if kind is None:
        return None
    via = "" if host == str(address) else f" (resolves to {address})"
    return (
        f"{host}{via} is a {kind} address; this deployment connects only to public addresses "
        "(SshPrivateTargets=allow permits loopback, link-local and private ones)"
    )
