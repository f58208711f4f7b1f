"""The one guarded way out: every request Candor makes to a URL a user typed (a partner's
webhook now, the evidence archiver later) goes through ``request``, and every URL a user types
is checked by ``check_url`` before it is saved.

What is guaranteed:
- only ``https`` (plain ``http`` only where ``CANDOR_OUTBOUND_ALLOW_HTTP`` is set);
- the host is resolved once and *every* address it resolves to is checked: loopback, private,
  link-local, multicast, reserved, unspecified and other non-public addresses are refused, also
  when written in an IPv4-mapped or NAT64 form; the connection is made to a checked address,
  never to what a second lookup would answer (DNS rebinding gains nothing);
- a kept-alive connection is reused only while the addresses it was made to pass the policy
  in force at the time of the request;
- redirects are never followed (the caller sees the 3xx); at most ``MAX_RESPONSE_BYTES`` of an
  answer are read;
- ``CANDOR_OUTBOUND_ALLOWED_NETWORKS`` lists networks (CIDR) and host names allowed anyway.

Infrastructure shared by the apps: it imports none of them."""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_RESPONSE_BYTES = 64 * 1024
REFUSED = "destination refused by policy"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# The well-known NAT64 prefix (RFC 6052) carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The destination is one Candor may not connect to. ``reason`` completes "The URL …" in
    words for the person who typed it ("resolves to a private address")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Destination:
    """Where a URL points: scheme, host (lower case, no brackets), port and request target."""

    scheme: str
    host: str
    port: int
    target: str


@dataclass(frozen=True)
class Reply:
    """A receiver's answer: its status and at most ``MAX_RESPONSE_BYTES`` of its body."""

    status: int
    body: bytes


@dataclass(frozen=True)
class _Allowed:
    networks: tuple[Network, ...]
    hosts: frozenset[str]


@functools.cache
def _parse_allowed(entries: tuple[str, ...]) -> _Allowed:
    networks: list[Network] = []
    hosts: set[str] = set()
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if "/" in entry or ":" in entry:  # meant as a network, but is not one
                raise ImproperlyConfigured(
                    f"CANDOR_OUTBOUND_ALLOWED_NETWORKS: {entry!r} is not a network."
                ) from None
            hosts.add(entry.lower().rstrip("."))
    return _Allowed(tuple(networks), frozenset(hosts))


def _allowed() -> _Allowed:
    # Read on every call, so that a changed setting (a test, a reload) applies at once.
    return _parse_allowed(tuple(settings.CANDOR_OUTBOUND_ALLOWED_NETWORKS))


def destination(url: str) -> Destination:
    """The parts of ``url`` that say where it goes; ``OutboundRefused`` if its scheme is not
    allowed or it names no host. Nothing is resolved."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise OutboundRefused("is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme == "http":
        if not settings.CANDOR_OUTBOUND_ALLOW_HTTP:
            raise OutboundRefused("uses http, which is not allowed (use https)")
    elif scheme != "https":
        raise OutboundRefused("must use https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("has no host")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme, host, port or (443 if scheme == "https" else 80), target)


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _kind_refused(address: IPAddress) -> str | None:
    """Which kind of non-public address this is, or None for a public one."""
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:  # e.g. 100.64.0.0/10, shared by carriers (CGNAT)
        return "a non-public address"
    return None


def check_address(address: IPAddress, *, literal: bool = False) -> None:
    """``OutboundRefused`` unless ``address`` is public or in an allowed network."""
    inner = _unwrapped(address)
    allowed = _allowed()
    if any(a in n for a in {address, inner} for n in allowed.networks):
        return
    kind = _kind_refused(inner)
    if kind is not None:
        raise OutboundRefused(f"{'is' if literal else 'resolves to'} {kind}")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(where: Destination) -> tuple[str, ...]:
    """Every address the host resolves to, all of them checked (a host name listed in
    ``CANDOR_OUTBOUND_ALLOWED_NETWORKS`` is allowed wherever it points). ``OutboundRefused``
    if any is refused; ``OSError`` (``socket.gaierror``) if the name does not resolve."""
    try:
        infos = socket.getaddrinfo(
            where.host, where.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except UnicodeError:  # a label IDNA cannot encode (empty, longer than 63 characters)
        raise OutboundRefused("has an invalid host name") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    _check_all(addresses, where)
    return addresses


def _check_all(addresses: Iterable[str], where: Destination) -> None:
    if where.host in _allowed().hosts:
        return
    literal = _literal(where.host) is not None
    for address in addresses:
        check_address(ipaddress.ip_address(address), literal=literal)


def check_url(url: str) -> None:
    """What a service calls before saving a URL a user typed: ``OutboundRefused`` if the URL
    or any address its host resolves to now is refused. A name that does not resolve (yet)
    is accepted: every request checks again, so it can only be used once it points somewhere
    allowed."""
    where = destination(url)
    with contextlib.suppress(socket.gaierror):
        resolve(where)


def _connect_pinned(addresses: tuple[str, ...], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first checked address that answers."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout)
        except OSError as e:
            error = e
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked addresses only; the Host header still names the URL's host."""

    def __init__(self, host: str, port: int, *, addresses: tuple[str, ...], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.pinned_addresses = addresses

    def connect(self) -> None:
        self.sock = _connect_pinned(self.pinned_addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As ``_PinnedHTTPConnection``, over TLS: SNI and the certificate check use the URL's
    host name, not the address connected to."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: tuple[str, ...],
        timeout: float,
        context: ssl.SSLContext,
    ):
        super().__init__(host, port, timeout=timeout, context=context)
        self.pinned_addresses = addresses
        self.tls_context = context

    def connect(self) -> None:
        sock = _connect_pinned(self.pinned_addresses, self.port, self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


Pinned = _PinnedHTTPConnection | _PinnedHTTPSConnection
# Per process (a forked worker child must not share its parent's sockets): scheme, host and
# port → a kept-alive connection, made to checked addresses.
_pool: dict[tuple[int, str, str, int], Pinned] = {}


def _key(where: Destination) -> tuple[int, str, str, int]:
    return (os.getpid(), where.scheme, where.host, where.port)


def _connection(
    where: Destination, timeout: float, tls_context: ssl.SSLContext | None
) -> tuple[Pinned, bool]:
    """A connection to checked addresses of the destination, and whether it was used before."""
    kept = _pool.get(_key(where))
    if kept is not None:
        try:
            # The policy may have tightened since the connection was made: check again.
            _check_all(kept.pinned_addresses, where)
        except OutboundRefused:
            forget(where)
            raise
        return kept, True
    addresses = resolve(where)
    connection: Pinned
    if where.scheme == "https":
        connection = _PinnedHTTPSConnection(
            where.host,
            where.port,
            addresses=addresses,
            timeout=timeout,
            context=tls_context or _default_tls_context(),
        )
    else:
        connection = _PinnedHTTPConnection(
            where.host, where.port, addresses=addresses, timeout=timeout
        )
    _pool[_key(where)] = connection
    return connection, False


def forget(where: Destination) -> None:
    """Close and drop the process's kept connection to the destination, if any."""
    connection = _pool.pop(_key(where), None)
    if connection is not None:
        connection.close()


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str],
    timeout: float,
    tls_context: ssl.SSLContext | None = None,
) -> Reply:
    """Make one request under the policy, over the process's kept-alive connection to the
    host. Raises ``OutboundRefused`` for a refused destination (nothing was sent), else what
    the socket or ``http.client`` raises. A kept connection the receiver closed meanwhile
    fails before any answer: the request is made once more on a new connection (a webhook's
    idempotency key lets its receiver drop a second copy). ``tls_context`` (default: the
    system's trust anchors) applies to a new connection; a kept one keeps the context it was
    made with."""
    where = destination(url)
    for _ in range(2):
        connection, reused = _connection(where, timeout, tls_context)
        try:
            connection.request(method, where.target, body=body, headers=dict(headers))
            response = connection.getresponse()
            data = response.read(MAX_RESPONSE_BYTES + 1)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            forget(where)
            if not reused:
                raise
            continue
        except BaseException:
            forget(where)
            raise
        # An answer longer than the cap, or one the receiver ends by closing, ends the
        # connection: what is left of it must not be read as the next answer.
        if response.will_close or not response.isclosed():
            forget(where)
        return Reply(response.status, data[:MAX_RESPONSE_BYTES])
    raise AssertionError("unreachable")  # pragma: no cover
