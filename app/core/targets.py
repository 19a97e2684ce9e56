"""Which URLs the service may call on a tenant's word: no loopback, private or link-local
targets (SSRF).

Webhook subscriptions and identity providers (their issuer and its ``jwks_uri``) name URLs
the server then calls. A URL is checked when it is stored and again, resolved, before it
is called (a name can be re-pointed at an internal address after it was accepted).
``VEERKRACHT_WEBHOOK_ALLOW_PRIVATE_TARGETS=true`` allows them for webhooks,
``VEERKRACHT_OIDC_ALLOW_PRIVATE_ISSUERS=true`` for identity providers (tests, a receiver or
an identity provider inside the network).
"""

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from app.core.config import get_settings


class TargetRefused(ValueError):
    """The URL points at an address the service may not call."""


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _refused(address: str) -> bool:
    # Only addresses that are globally reachable: a deny-list of "private" ranges missed the
    # shared address space (100.64.0.0/10, where some clouds keep their metadata service),
    # site-local IPv6, and IPv4 addresses carried inside IPv6.
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if carried is None and ip in _NAT64:
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None and _refused(str(carried)):
            return True
        if ip.is_site_local:
            return True
    return not ip.is_global or ip.is_multicast


def split_target(url: str) -> SplitResult:
    """``url`` split, or TargetRefused where Python's parser refuses what our schemas'
    patterns let through: brackets around no IPv6 address ("https://[b.35B7D]"), a port
    past 65535. Parsed later, at the call, either would be a 500."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (read to check it)
    except ValueError as exc:
        raise TargetRefused("the host or the port is not a valid one") from exc
    return parts


def check_target(url: str, *, resolve: bool = True) -> list[str]:
    """A webhook URL: see ``refuse_private`` (unless webhooks may call private targets)."""
    if get_settings().webhook_allow_private_targets:
        split_target(url)
        return []
    return refuse_private(url, resolve=resolve)


def refuse_private(url: str, *, resolve: bool = True) -> list[str]:
    """Refuse a URL whose host is (or resolves to) an address that is not globally
    reachable; the addresses checked (none when the host is not resolved here)."""
    host = split_target(url).hostname or ""
    if host in ("localhost",) or host.endswith(".localhost"):
        raise TargetRefused(f"{host} is a loopback name")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if not resolve:
            return []
        try:
            addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, None)]
        except OSError as exc:
            raise TargetRefused(f"{host} does not resolve") from exc
    for address in addresses:
        if _refused(address):
            raise TargetRefused(f"{host} is a loopback or private address ({address})")
    return addresses


def pinned(
    url: str, *, check: Callable[[str], list[str]] = check_target
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL to connect to, with its extra headers and request extensions: the host is
    resolved and checked once, and the connection goes to the address that was checked.

    Resolving again to connect would let a name answer a public address to the check and
    a loopback one to the connection (DNS rebinding). The name stays in ``Host`` and, for
    HTTPS, in SNI and the certificate check; the connection is not reused for another name
    on the same address (``Connection: close``).
    """
    parts = urlsplit(url)
    addresses = check(url)
    host = parts.hostname or ""
    if not addresses or addresses[0] == host:
        return url, {}, {}  # a literal address, or private targets allowed: nothing to pin
    address = addresses[0]
    netloc = (f"[{address}]" if ":" in address else address) + (
        f":{parts.port}" if parts.port else ""
    )
    direct = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "Connection": "close"}
    return direct, headers, ({"sni_hostname": host} if parts.scheme == "https" else {})
