"""The one guarded outbound HTTP client: every request to an address a user typed goes through here.

Why: a team maintainer registers chat and webhook URLs, and the worker POSTs to them from inside the company
network. Without a guard that is a server-side request forgery: `http://127.0.0.1:6379/`,
`https://169.254.169.254/latest/meta-data/`, `http://2130706433/` or a name that resolves to `10.0.0.1` would
all be reached from the worker. So, for every request:

1. resolve the host once (`getaddrinfo`, which also turns integer and short forms such as `2130706433` or
   `127.1` into the address they mean);
2. refuse if *any* address it resolves to is not public (loopback, RFC 1918 and RFC 4193 private, link-local,
   CGNAT shared space, multicast, reserved, unspecified, documentation ranges, and IPv6 forms that embed such
   an IPv4 address: IPv4-mapped, 6to4, NAT64) unless the operator's allowlist
   (`OUTBOUND_ALLOWED_NETWORKS`, CIDRs, empty by default, also with `DEBUG=1`) names its network;
3. connect to the address that was checked, never to the name again (no second lookup between check and
   connect, so DNS rebinding cannot swap the address); TLS still verifies the certificate for the name;
4. never follow redirects, and never keep a response body: callers get the status, `Retry-After` and a short
   fixed reason written here, never text chosen by the remote server.

The standard library does all of this in a few lines (`http.client` with the socket opened by us); the Python
SSRF libraries we looked at either are unmaintained or allow loopback only, not an operator's CIDR list.
Proxies from the environment are not used: an egress proxy would resolve names itself, after our check.
"""

from __future__ import annotations

import email.utils
import http
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

USER_AGENT = "Agora/1.0 (+outbound)"
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not covered by the `ipaddress` flags on every supported Python: CGNAT (RFC 6598) and NAT64's local prefix.
EXTRA_BLOCKED = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("64:ff9b:1::/48"))


class OutboundRefused(Exception):
    """The destination may not be contacted. `str()` is a short reason fit to show to the endpoint's owner."""


@dataclass(frozen=True)
class Answer:
    """What the caller learns from a request: never the body."""

    status: int | None  # None: no HTTP answer (refused, network error, timeout)
    reason: str  # short, fixed, written by us
    retry_after: float | None = None
    refused: bool = False  # the guard refused the destination: nothing was sent, retrying cannot help


# --- addresses ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _parse_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"OUTBOUND_ALLOWED_NETWORKS: {entry!r} is not a network (use CIDR such as 10.20.0.0/16)."
            ) from None
    return tuple(networks)


def allowed_networks() -> tuple[IPNetwork, ...]:
    """The operator's allowlist; read at call time so tests and per-process settings both apply."""
    return _parse_networks(tuple(e for e in getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", ()) if e.strip()))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64), which is where the packet really goes."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def why_internal(address: IPAddress) -> str | None:
    """Why `address` is not a public destination, or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a link-local address"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = why_internal(embedded)
            return f"an IPv6 form of {reason}" if reason else None
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private network address"),
        ("is_reserved", "a reserved address"),
    )
    for flag, reason in checks:
        if getattr(address, flag):
            return reason
    if any(address in network for network in EXTRA_BLOCKED if network.version == address.version):
        return "a shared (carrier-grade NAT) address"
    if not address.is_global:
        return "a non-public address"
    return None


def check_address(address: IPAddress) -> None:
    """Raise OutboundRefused unless `address` is public or in the operator's allowlist."""
    if any(address.version == n.version and address in n for n in allowed_networks()):
        return
    reason = why_internal(address)
    if reason:
        raise OutboundRefused(
            f"The address is {reason}; Agora does not send to internal networks "
            "(an operator can allow one with OUTBOUND_ALLOWED_NETWORKS)."
        )


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (literal IPs and integer forms included), in resolver order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise LookupError(host) from exc
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and len(sockaddr) >= 4 and sockaddr[3]:
            address = ipaddress.IPv6Address(f"{address}%{sockaddr[3]}")
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_addresses(host: str, port: int) -> list[IPAddress]:
    """Resolve and check: every address must pass (a name may not mix a public and an internal answer)."""
    addresses = resolve(host, port)
    if not addresses:
        raise LookupError(host)
    for address in addresses:
        check_address(address)
    return addresses


def _target(url: str, *, allow_http: bool) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefused("The URL must be an absolute https:// URL.")
    if parts.scheme == "http" and not allow_http:
        raise OutboundRefused("The URL must use https.")
    if parts.username or parts.password:
        raise OutboundRefused("Credentials in the URL are not supported.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("The URL has an invalid port.") from None
    return parts.scheme, parts.hostname, port


def check_url(url: str, *, allow_http: bool = False) -> None:
    """Registration-time check: refuse literal internal addresses and names that resolve to one.

    A name that does not resolve right now is accepted (the web process may not see the worker's DNS, and
    DNS has outages); every send resolves and checks again, so nothing unchecked is ever contacted.
    """
    _scheme, host, port = _target(url, allow_http=allow_http)
    try:
        checked_addresses(host, port)
    except LookupError:
        return


# --- the client ---------------------------------------------------------------------------------------------
class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to an address we checked; `Host` still names the host."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to an address we checked, verifying the certificate for the host name (SNI included)."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((str(self._address), self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_reason(status: int) -> str:
    """`HTTP 503 Service Unavailable` from our own table, never the phrase the server sent."""
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def post(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    allow_http: bool = False,
) -> Answer:
    """POST `body` to `url` through the guard. Never raises for the destination's sake: returns an Answer."""
    try:
        scheme, host, port = _target(url, allow_http=allow_http)
        addresses = checked_addresses(host, port)
    except OutboundRefused as exc:
        return Answer(status=None, reason=f"refused: {exc}", refused=True)
    except LookupError:
        return Answer(status=None, reason="the host name does not resolve")
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    last = Answer(status=None, reason="could not connect")
    for address in addresses:  # every one was checked; try them in resolver order like a browser would
        connection = connection_class(host, port, address=address, timeout=timeout)
        try:
            connection.request(
                "POST",
                target,
                body=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    **(headers or {}),
                },
            )
            response = connection.getresponse()
            status = response.status
            retry_after = parse_retry_after(response.getheader("Retry-After"))
            return Answer(status=status, reason=status_reason(status), retry_after=retry_after)
        except ssl.SSLCertVerificationError:
            return Answer(status=None, reason="the TLS certificate is not valid for this host")
        except ssl.SSLError:
            return Answer(status=None, reason="the TLS handshake failed")
        except TimeoutError:
            last = Answer(status=None, reason="timed out")
        except ConnectionRefusedError:
            last = Answer(status=None, reason="connection refused")
        except (OSError, http.client.HTTPException):
            last = Answer(status=None, reason="network error")
        finally:
            connection.close()
    return last
