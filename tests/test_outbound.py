"""The outbound policy (config/outbound.py) with real sockets: what a URL may point to, that the
connection goes to the address checked (looked up once), that nothing follows a redirect, and
that a kept connection is not reused once the policy refuses where it goes.

The test settings allow plain http and 127.0.0.1/32 + ::1/128 (the dispatch tests' receivers);
127.0.0.2 stays refused, so a listener there proves that nothing connected."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from config import outbound
from config.outbound import OutboundRefused
from tests.outbound_parts import Answering, Tripwire

NOTHING_ALLOWED = override_settings(CANDOR_OUTBOUND_ALLOWED_NETWORKS=[])


def refusal(url: str) -> str:
    with pytest.raises(OutboundRefused) as refused:
        outbound.check_url(url)
    return refused.value.reason


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    wire = Tripwire()
    yield wire
    wire.stop()


@pytest.fixture
def server() -> Iterator[Answering]:
    answering = Answering()
    yield answering
    answering.stop()


def post(url: str, **kwargs: Any) -> outbound.Reply:
    return outbound.request("POST", url, body=b"{}", headers={}, timeout=5, **kwargs)


@NOTHING_ALLOWED
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/", "is a loopback address"),
        ("https://127.0.0.1:8000/admin/", "is a loopback address"),
        ("https://10.0.0.1/", "is a private address"),
        ("https://192.168.1.1/", "is a private address"),
        ("https://169.254.169.254/latest/meta-data/", "is a link-local address"),
        ("https://[::1]/", "is a loopback address"),
        ("https://[::ffff:127.0.0.1]/", "is a loopback address"),
        ("https://[::ffff:a00:1]/", "is a private address"),
        ("https://[64:ff9b::a9fe:a9fe]/", "is a link-local address"),  # NAT64 of 169.254.169.254
        ("https://[fe80::1]/", "is a link-local address"),
        ("https://[fd00::1]/", "is a private address"),
        ("https://0.0.0.0/", "is an unspecified address"),
        ("https://[::]/", "is an unspecified address"),
        ("https://224.0.0.1/", "is a multicast address"),
        ("https://100.64.0.1/", "is a non-public address"),
        ("https://240.0.0.1/", "is a reserved address"),
        ("https://localhost/", "resolves to a loopback address"),
        ("https://LOCALHOST./", "resolves to a loopback address"),
        ("https://2130706433/", "resolves to a loopback address"),  # 127.0.0.1 as one number
        ("https://0x7f.1/", "resolves to a loopback address"),
        ("http://93.184.215.14/", "uses http, which is not allowed (use https)"),
        ("ftp://example.org/hook", "must use https"),
        ("file:///etc/passwd", "must use https"),
        ("https:///hooks", "has no host"),
        ("https://example.org:99999/", "is not a valid URL"),
        ("https://" + "a" * 64 + ".example/", "has an invalid host name"),
    ],
)
def test_the_policy_refuses_every_non_public_destination_and_says_why(url, reason) -> None:
    with override_settings(CANDOR_OUTBOUND_ALLOW_HTTP=False):
        assert refusal(url) == reason


@override_settings(CANDOR_OUTBOUND_ALLOW_HTTP=False)
def test_public_addresses_and_names_not_yet_resolving_are_accepted() -> None:
    outbound.check_url("https://93.184.215.14/hooks")
    outbound.check_url("https://[2606:4700::1]:8443/hooks?x=1")
    # A name that does not resolve (.invalid never does) is checked again at every request.
    outbound.check_url("https://hooks.partner.invalid/candor")


def test_plain_http_is_accepted_only_where_the_setting_allows_it() -> None:
    with override_settings(CANDOR_OUTBOUND_ALLOW_HTTP=True):
        outbound.check_url("http://93.184.215.14/")
    with override_settings(CANDOR_OUTBOUND_ALLOW_HTTP=False):
        assert refusal("http://93.184.215.14/") == "uses http, which is not allowed (use https)"


def test_the_allow_list_admits_networks_and_host_names_and_nothing_more() -> None:
    with override_settings(CANDOR_OUTBOUND_ALLOWED_NETWORKS=["10.20.0.0/16", "localhost"]):
        outbound.check_url("https://10.20.3.4/")
        outbound.check_url("https://[::ffff:10.20.3.4]/")  # the same address, IPv4-mapped
        outbound.check_url("https://localhost/")  # allowed by name, wherever it points
        assert refusal("https://10.21.0.1/") == "is a private address"
        assert refusal("https://127.0.0.1/") == "is a loopback address"
    with override_settings(CANDOR_OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        outbound.check_url("https://localhost/")  # by the address it resolves to
        assert refusal("https://127.0.0.2/") == "is a loopback address"


def test_a_malformed_network_in_the_allow_list_is_a_configuration_error() -> None:
    with (
        override_settings(CANDOR_OUTBOUND_ALLOWED_NETWORKS=["10.0.0.0/33"]),
        pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"),
    ):
        outbound.check_url("https://10.0.0.1/")


def test_a_refused_address_is_never_connected_to(tripwire) -> None:
    for url in (tripwire.url(), f"http://[::ffff:127.0.0.2]:{tripwire.port}/"):
        with pytest.raises(OutboundRefused, match="is a loopback address"):
            post(url)
    assert tripwire.connections == 0
    # The listener is real: an allowed request would have reached it.
    with (
        override_settings(CANDOR_OUTBOUND_ALLOWED_NETWORKS=["127.0.0.2/32"]),
        # What the listener does: accept, close; the request meets it as a reset or a broken pipe.
        pytest.raises((ConnectionResetError, BrokenPipeError)),
    ):
        post(tripwire.url())
    assert tripwire.connections == 1


def test_a_name_is_looked_up_once_and_the_checked_address_is_the_one_connected_to(
    server, tripwire, monkeypatch
) -> None:
    """DNS rebinding: the first answer is checked and used; a later, different answer (here
    the refused 127.0.0.2) is never asked for, and the Host header still names the host."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.partner.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    url = f"http://hooks.partner.test:{server.port}/hooks/candor"
    assert post(url).status == 200
    assert post(url).status == 200  # over the kept-alive connection
    assert lookups == ["hooks.partner.test"]
    assert server.hosts == [f"hooks.partner.test:{server.port}"] * 2
    assert server.connections == 1
    outbound.forget(outbound.destination(url))
    # A new connection looks the name up again, and that answer is checked in its turn.
    with pytest.raises(OutboundRefused, match="resolves to a loopback address"):
        post(url)
    assert tripwire.connections == 0


def test_a_name_with_any_refused_address_is_refused(monkeypatch) -> None:
    real = socket.getaddrinfo

    def dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "split.partner.test":
            return real("93.184.215.14", port, *args, **kwargs) + real(
                "10.0.0.5", port, *args, **kwargs
            )
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    assert refusal("https://split.partner.test/") == "resolves to a private address"


def test_a_redirect_to_a_refused_address_is_not_followed(server, tripwire) -> None:
    server.status = 302
    server.headers = {"Location": tripwire.url()}
    assert post(server.url()).status == 302
    server.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    assert post(server.url()).status == 302
    assert len(server.hosts) == 2
    assert tripwire.connections == 0


def test_at_most_the_cap_of_an_answer_is_read_and_its_connection_is_not_reused(server) -> None:
    server.body = b"x" * (outbound.MAX_RESPONSE_BYTES * 4)
    reply = post(server.url())
    assert reply.body == b"x" * outbound.MAX_RESPONSE_BYTES
    server.body = b"ok"
    assert post(server.url()).body == b"ok"
    assert server.connections == 2  # the unread rest was never taken for the next answer


def test_a_kept_connection_is_not_reused_once_the_policy_refuses_its_address(server) -> None:
    assert post(server.url()).status == 200
    with NOTHING_ALLOWED, pytest.raises(OutboundRefused, match="is a loopback address"):
        post(server.url())
    assert len(server.hosts) == 1
    assert post(server.url()).status == 200  # allowed again: a new connection
    assert server.connections == 2


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Path:
    """A self-signed certificate for the name ``localhost`` only (key and cert in one file)."""
    folder = tmp_path_factory.mktemp("tls")
    pem = folder / "localhost.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    pem.write_text((folder / "key.pem").read_text() + (folder / "cert.pem").read_text())
    return pem


def test_over_https_the_certificate_is_checked_against_the_host_name_not_the_address(
    certificate,
) -> None:
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(certificate)
    trusted = ssl.create_default_context(cafile=str(certificate))
    tls = Answering(tls=served)
    by_name, by_address = tls.url(host="localhost", scheme="https"), tls.url(scheme="https")
    try:
        # The default trust anchors refuse the self-signed certificate.
        with pytest.raises(ssl.SSLCertVerificationError):
            post(by_name)
        # localhost resolves to the allowed 127.0.0.1; the connection goes there, and the
        # certificate for "localhost" matches the URL's host.
        assert post(by_name, tls_context=trusted).status == 200
        # The same server by its address: the certificate does not name it.
        with pytest.raises(ssl.SSLCertVerificationError):
            post(by_address, tls_context=trusted)
    finally:
        outbound.forget(outbound.destination(by_name))
        tls.stop()
    assert tls.hosts == [f"localhost:{tls.port}"]
