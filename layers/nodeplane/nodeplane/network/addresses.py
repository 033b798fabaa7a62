"""What a node may register as its public address and country (pure checks, no I/O).

An address is an ``http`` or ``https`` URL of at most 2,048 characters whose host is not private, loopback,
link-local or otherwise non-public, unless the deployment allows those (the local runtime does, so a node on
127.0.0.1 can be tried out). A country is an ISO 3166-1 alpha-2 code.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

MAX_ADDRESS_LENGTH = 2048

# ISO 3166-1 alpha-2, the officially assigned codes
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY
    BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
    FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE
    RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT
    TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split()  # noqa: SIM905  (a table)
)
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+))*\.?$", re.IGNORECASE)


class AddressRefused(ValueError):
    """The address or country cannot be registered; the message says why."""


def check_country(country: str) -> None:
    if country not in COUNTRIES:
        raise AddressRefused(f"country must be an ISO 3166-1 alpha-2 code such as PT or DE, not {country!r}")


def check_public_address(address: str, *, allow_private: bool) -> None:
    if len(address) > MAX_ADDRESS_LENGTH:
        raise AddressRefused(f"public_address is longer than {MAX_ADDRESS_LENGTH} characters")
    try:
        parts = urlsplit(address)
        host = parts.hostname
        parts.port  # noqa: B018  (raises for a port out of range)
    except ValueError as exc:
        raise AddressRefused(f"public_address is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise AddressRefused("public_address must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("public_address must not carry credentials")
    if any(c.isspace() for c in address):
        raise AddressRefused("public_address must not contain whitespace")
    if not allow_private and not _public_host(host):
        raise AddressRefused(f"public_address host {host} is private, loopback or link-local")


def _public_host(host: str) -> bool:
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return False
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        if not _NUMERIC_HOST.match(name):
            return True  # a DNS name: what it resolves to is the node's concern, not something we can pin
        try:
            # the shorthand forms a resolver still accepts (127.1, 2130706433, 0x7f.1)
            ip = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
