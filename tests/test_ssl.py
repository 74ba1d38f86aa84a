"""Tests for bridge.ssl: certificates, keys, trust roots and context factories.

No event loop here: contexts are checked by their settings and by a TLS handshake pumped
through in-memory BIOs. Certificates are made at test time with trustme.
"""

from __future__ import annotations

import contextlib
import pickle
import ssl
import warnings
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge import ssl as bssl
from bridge.error import VerifyError


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1", common_name="bridge test server")


@pytest.fixture
def pem_files(tmp_path: Path, server_cert: trustme.LeafCert) -> tuple[str, str]:
    key = tmp_path / "key.pem"
    cert = tmp_path / "cert.pem"
    server_cert.private_key_pem.write_to_path(str(key))
    server_cert.cert_chain_pems[0].write_to_path(str(cert))
    return str(key), str(cert)


def _private(cert: trustme.LeafCert) -> bssl.PrivateCertificate:
    return bssl.PrivateCertificate.loadPEM(cert.private_key_and_cert_chain_pem.bytes())


def _ca_cert(ca: trustme.CA) -> bssl.Certificate:
    return bssl.Certificate.loadPEM(ca.cert_pem.bytes())


def _handshake(
    server: ssl.SSLContext, client: ssl.SSLContext, hostname: str | None
) -> tuple[ssl.SSLObject, ssl.SSLObject]:
    """Run a TLS handshake between two contexts through memory BIOs; raise what it raises."""
    s_in, s_out, c_in, c_out = (ssl.MemoryBIO() for _ in range(4))
    s_obj = server.wrap_bio(s_in, s_out, server_side=True)
    c_obj = client.wrap_bio(c_in, c_out, server_side=False, server_hostname=hostname)
    done = {"s": False, "c": False}
    for _ in range(20):
        for name, obj in (("c", c_obj), ("s", s_obj)):
            if not done[name]:
                try:
                    obj.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return s_obj, c_obj
    raise AssertionError("handshake did not finish")


# -- Certificate -----------------------------------------------------------------------------


def test_certificate_loadpem_reads_subject_issuer_serial(server_cert: trustme.LeafCert) -> None:
    pem = server_cert.cert_chain_pems[0].bytes()
    cert = bssl.Certificate.loadPEM(pem)
    reference = x509.load_pem_x509_certificate(pem)
    assert cert.getSubject().commonName == b"bridge test server"
    assert cert.getSubject().CN == b"bridge test server"
    assert cert.getIssuer().organizationName == b"trustme v1.2.1"
    assert cert.serialNumber() == reference.serial_number
    sha = reference.fingerprint(hashes.SHA256()).hex().upper()
    assert cert.digest("sha256") == ":".join(sha[i : i + 2] for i in range(0, 64, 2)).encode()


def test_certificate_der_and_pem_round_trip(server_cert: trustme.LeafCert) -> None:
    cert = bssl.Certificate.loadPEM(server_cert.cert_chain_pems[0].bytes())
    assert bssl.Certificate.load(cert.dump()) == cert
    assert bssl.Certificate.load(cert.dumpPEM(), bssl.FILETYPE_PEM) == cert
    assert bssl.Certificate.loadPEM(cert.dumpPEM().decode()) == cert
    assert hash(bssl.Certificate.load(cert.dump())) == hash(cert)
    assert "bridge test server" in repr(cert)
    assert "Serial Number" in cert.inspect()


def test_certificate_loadpem_without_block_names_the_problem() -> None:
    with pytest.raises(ValueError, match="no '-----BEGIN CERTIFICATE-----' block"):
        bssl.Certificate.loadPEM(b"hello")


def test_certificate_load_rejects_garbage_der() -> None:
    with pytest.raises(ValueError, match=r"not an X\.509 certificate"):
        bssl.Certificate.load(b"\x30\x03\x02\x01\x01")
    with pytest.raises(ValueError, match="unknown format"):
        bssl.Certificate.load(b"", format=99)


def test_certificate_load_rejects_str_that_is_not_data() -> None:
    with pytest.raises(TypeError, match="needs bytes"):
        bssl.Certificate.loadPEM(42)  # type: ignore[arg-type]


def test_distinguished_name_attributes() -> None:
    dn = bssl.DN(CN="example.com", organizationName=b"Org")
    assert dn.commonName == b"example.com"
    assert dn["organizationName"] == b"Org"
    assert "Common Name: example.com" in dn.inspect()
    with pytest.raises(AttributeError):
        _ = dn.localityName
    with pytest.raises(AttributeError, match="not a distinguished-name attribute"):
        dn.bogus = b"x"


# -- keys and private certificates -----------------------------------------------------------


def test_private_certificate_loadpem_pairs_key_and_certificate(
    server_cert: trustme.LeafCert,
) -> None:
    private = _private(server_cert)
    assert private.getSubject().CN == b"bridge test server"
    assert b"PRIVATE KEY" in private.privateKey.dump(bssl.FILETYPE_PEM)
    again = bssl.PrivateCertificate.loadPEM(private.dumpPEM())
    assert again == private


def test_private_certificate_rejects_key_that_does_not_match(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    other_key = bssl.KeyPair.load(
        ca.issue_cert("other.example").private_key_pem.bytes(), bssl.FILETYPE_PEM
    )
    cert_der = bssl.Certificate.loadPEM(server_cert.cert_chain_pems[0].bytes()).dump()
    with pytest.raises(VerifyError, match="privateKey does not match the certificate"):
        bssl.PrivateCertificate.load(cert_der, other_key)


def test_private_certificate_loadpem_needs_a_key(server_cert: trustme.LeafCert) -> None:
    with pytest.raises(ValueError, match="holds no private key"):
        bssl.PrivateCertificate.loadPEM(server_cert.cert_chain_pems[0].bytes())


def test_private_certificate_from_certificate_and_key_pair(server_cert: trustme.LeafCert) -> None:
    cert = bssl.Certificate.loadPEM(server_cert.cert_chain_pems[0].bytes())
    key = bssl.KeyPair.load(server_cert.private_key_pem.bytes(), bssl.FILETYPE_PEM)
    private = bssl.PrivateCertificate.fromCertificateAndKeyPair(cert, key)
    assert private == cert
    assert private.privateKey is key


def test_keypair_der_round_trip(server_cert: trustme.LeafCert) -> None:
    key = bssl.KeyPair.load(server_cert.private_key_pem.bytes(), bssl.FILETYPE_PEM)
    again = bssl.KeyPair.load(key.dump())
    assert again.dump(bssl.FILETYPE_PEM) == key.dump(bssl.FILETYPE_PEM)


def test_keypair_refuses_encrypted_and_missing_keys() -> None:
    encrypted = (
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    with pytest.raises(ValueError, match="encrypted"):
        bssl.KeyPair.load(encrypted, bssl.FILETYPE_PEM)
    with pytest.raises(ValueError, match=r"no '-----BEGIN \.\.\. PRIVATE KEY-----' block"):
        bssl.KeyPair.load(b"nothing", bssl.FILETYPE_PEM)
    with pytest.raises(ValueError, match="not a DER-encoded private key"):
        bssl.KeyPair.load(b"\x04\x00")


# -- DefaultOpenSSLContextFactory ------------------------------------------------------------


def test_default_factory_builds_a_server_context(pem_files: tuple[str, str]) -> None:
    key, cert = pem_files
    factory = bssl.DefaultOpenSSLContextFactory(key, cert)
    context = factory.getContext()
    assert isinstance(context, ssl.SSLContext)
    assert context.protocol == ssl.PROTOCOL_TLS_SERVER
    assert factory.getContext() is context
    assert factory.isClient == 0


def test_default_factory_names_a_missing_file(pem_files: tuple[str, str], tmp_path: Path) -> None:
    key, _ = pem_files
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(FileNotFoundError, match=r"certificateFileName '.*nope\.pem'"):
        bssl.DefaultOpenSSLContextFactory(key, missing)
    with pytest.raises(FileNotFoundError, match=r"privateKeyFileName '.*nope\.pem'"):
        bssl.DefaultOpenSSLContextFactory(missing, pem_files[1])


def test_default_factory_names_a_file_without_pem(
    pem_files: tuple[str, str], tmp_path: Path
) -> None:
    key, cert = pem_files
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not pem at all")
    with pytest.raises(ssl.SSLError, match=r"certificateFileName '.*junk\.pem' holds no"):
        bssl.DefaultOpenSSLContextFactory(key, str(junk))
    with pytest.raises(ssl.SSLError, match=r"privateKeyFileName '.*junk\.pem' holds no"):
        bssl.DefaultOpenSSLContextFactory(str(junk), cert)


def test_default_factory_names_a_key_that_does_not_match(
    ca: trustme.CA, pem_files: tuple[str, str], tmp_path: Path
) -> None:
    other = tmp_path / "other-key.pem"
    ca.issue_cert("other.example").private_key_pem.write_to_path(str(other))
    with pytest.raises(ssl.SSLError, match=r"privateKeyFileName '.*other-key\.pem' does not match"):
        bssl.DefaultOpenSSLContextFactory(str(other), pem_files[1])


def test_default_factory_pins_a_method(pem_files: tuple[str, str]) -> None:
    context = bssl.DefaultOpenSSLContextFactory(
        *pem_files, sslmethod=bssl.TLSv1_2_METHOD
    ).getContext()
    assert context.minimum_version == context.maximum_version == ssl.TLSVersion.TLSv1_2
    with pytest.raises(ValueError, match="unsupported TLS method 2"):
        bssl.DefaultOpenSSLContextFactory(*pem_files, sslmethod=2)


def test_default_factory_pickles_without_its_context(pem_files: tuple[str, str]) -> None:
    factory = bssl.DefaultOpenSSLContextFactory(*pem_files)
    copy = pickle.loads(pickle.dumps(factory))
    assert copy.certificateFileName == factory.certificateFileName
    assert isinstance(copy.getContext(), ssl.SSLContext)


# -- ClientContextFactory and CertificateOptions ---------------------------------------------


def test_client_context_factory_does_not_verify() -> None:
    context = bssl.ClientContextFactory().getContext()
    assert context.protocol == ssl.PROTOCOL_TLS_CLIENT
    assert context.verify_mode == ssl.CERT_NONE
    assert not context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert bssl.ClientContextFactory.isClient == 1


def test_client_context_factory_handshakes_with_any_certificate(
    server_cert: trustme.LeafCert,
) -> None:
    server = _private(server_cert).options().getContext()
    _, client = _handshake(server, bssl.ClientContextFactory().getContext(), "wrong.example")
    assert client.version() is not None


@pytest.mark.parametrize(
    ("kwargs", "pair"),
    [
        ({"trustRoot": bssl.platformTrust(), "verify": True}, "'trustRoot' and 'verify'"),
        ({"trustRoot": bssl.platformTrust(), "caCerts": []}, "'trustRoot' and 'caCerts'"),
        (
            {"trustRoot": bssl.platformTrust(), "requireCertificate": False},
            "'trustRoot' and 'requireCertificate'",
        ),
        ({"method": bssl.TLS_METHOD, "raiseMinimumTo": bssl.TLSVersion.TLSv1_3}, "'method'"),
        (
            {
                "raiseMinimumTo": bssl.TLSVersion.TLSv1_3,
                "insecurelyLowerMinimumTo": bssl.TLSVersion.TLSv1_0,
            },
            "'raiseMinimumTo' and 'insecurelyLowerMinimumTo'",
        ),
    ],
)
def test_certificate_options_mutually_exclusive_arguments(
    kwargs: dict[str, object], pair: str
) -> None:
    with pytest.raises(TypeError, match=f"{pair}.*mutually exclusive"):
        bssl.CertificateOptions(**kwargs)  # type: ignore[arg-type]


def test_certificate_options_inconsistent_arguments(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    private = _private(server_cert)
    with pytest.raises(ValueError, match="neither or both of privateKey and certificate"):
        bssl.CertificateOptions(privateKey=private.privateKey)
    with pytest.raises(ValueError, match="if and only if enabling certificate verification"):
        bssl.CertificateOptions(verify=True)
    with pytest.raises(ValueError, match="if and only if enabling certificate verification"):
        bssl.CertificateOptions(caCerts=[_ca_cert(ca)])
    with pytest.raises(TypeError, match=r"privateKey must be a bridge\.ssl\.KeyPair"):
        bssl.CertificateOptions(privateKey=b"key", certificate=private)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lowerMaximumSecurityTo=TLSv1_1 is below"):
        bssl.CertificateOptions(lowerMaximumSecurityTo=bssl.TLSVersion.TLSv1_1)
    with pytest.raises(TypeError, match="trustRoot must be"):
        bssl.CertificateOptions(trustRoot="/etc/ssl")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_certificate_options_versions() -> None:
    def bounds(**kw: object) -> tuple[ssl.TLSVersion, ssl.TLSVersion]:
        context = bssl.CertificateOptions(**kw).getContext()  # type: ignore[arg-type]
        return context.minimum_version, context.maximum_version

    assert bounds()[0] == ssl.TLSVersion.TLSv1_2
    assert bounds(raiseMinimumTo=bssl.TLSVersion.TLSv1_3)[0] == ssl.TLSVersion.TLSv1_3
    assert bounds(raiseMinimumTo=bssl.TLSVersion.TLSv1_0)[0] == ssl.TLSVersion.TLSv1_2
    assert bounds(insecurelyLowerMinimumTo=bssl.TLSVersion.TLSv1_1)[0] == ssl.TLSVersion.TLSv1_1
    assert bounds(lowerMaximumSecurityTo=bssl.TLSVersion.TLSv1_2)[1] == ssl.TLSVersion.TLSv1_2
    assert bounds(method=bssl.TLSv1_2_METHOD) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)


def test_certificate_options_server_verification_modes(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    private = _private(server_cert)
    plain = private.options().getContext()
    assert plain.verify_mode == ssl.CERT_NONE
    assert plain.options & ssl.OP_NO_TICKET
    required = private.options(_ca_cert(ca)).getContext()
    assert required.verify_mode == ssl.CERT_REQUIRED
    optional = bssl.CertificateOptions(
        privateKey=private.privateKey,
        certificate=private,
        verify=True,
        caCerts=[_ca_cert(ca)],
        requireCertificate=False,
    ).getContext()
    assert optional.verify_mode == ssl.CERT_OPTIONAL
    tickets = bssl.CertificateOptions(enableSessionTickets=True).getContext()
    assert not tickets.options & ssl.OP_NO_TICKET


def test_certificate_options_client_side_context(ca: trustme.CA) -> None:
    options = bssl.CertificateOptions(verify=True, caCerts=[_ca_cert(ca)])
    context, hostname = bssl._tls_context_for(options, server_side=False)
    assert context.protocol == ssl.PROTOCOL_TLS_CLIENT
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert not context.check_hostname  # CertificateOptions checks the chain, not the name
    assert hostname is None


def test_certificate_options_alpn_and_ciphers(server_cert: trustme.LeafCert) -> None:
    private = _private(server_cert)
    server = bssl.CertificateOptions(
        privateKey=private.privateKey,
        certificate=private,
        acceptableProtocols=[b"h2", b"http/1.1"],
        acceptableCiphers=bssl.AcceptableCiphers.fromOpenSSLCipherString("ECDHE+AESGCM"),
    ).getContext()
    client = bssl.CertificateOptions(acceptableProtocols=[b"http/1.1"])._client_context()
    _, c_obj = _handshake(server, client, "localhost")
    assert c_obj.selected_alpn_protocol() == "http/1.1"
    with pytest.raises(ValueError, match="no cipher matches"):
        bssl.AcceptableCiphers.fromOpenSSLCipherString("NOT-A-CIPHER")


# -- optionsForClientTLS ---------------------------------------------------------------------


def test_options_for_client_tls_verifies_certificate_and_host_name(ca: trustme.CA) -> None:
    options = bssl.optionsForClientTLS("localhost", trustRoot=_ca_cert(ca))
    context = options.getContext()
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert options.hostname == "localhost"
    assert bssl._tls_context_for(options, server_side=False) == (context, "localhost")


def test_options_for_client_tls_handshake_succeeds_with_trusted_ca(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    server = _private(server_cert).options().getContext()
    for name in ("localhost", "127.0.0.1"):
        client = bssl.optionsForClientTLS(name, trustRoot=_ca_cert(ca)).getContext()
        _, c_obj = _handshake(server, client, name)
        peer = bssl.Certificate.load(c_obj.getpeercert(binary_form=True) or b"")
        assert peer.getSubject().CN == b"bridge test server"


def test_options_for_client_tls_rejects_untrusted_certificate(
    server_cert: trustme.LeafCert,
) -> None:
    server = _private(server_cert).options().getContext()
    stranger = _ca_cert(trustme.CA())
    client = bssl.optionsForClientTLS("localhost", trustRoot=stranger).getContext()
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        _handshake(server, client, "localhost")


def test_options_for_client_tls_rejects_host_name_mismatch(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    server = _private(server_cert).options().getContext()
    client = bssl.optionsForClientTLS("example.com", trustRoot=_ca_cert(ca)).getContext()
    with pytest.raises(ssl.SSLCertVerificationError, match=r"[Hh]ostname mismatch"):
        _handshake(server, client, "example.com")


def test_options_for_client_tls_default_trust_is_the_platform() -> None:
    options = bssl.optionsForClientTLS("example.com")
    assert options.getContext().verify_mode == ssl.CERT_REQUIRED


def test_options_for_client_tls_presents_a_client_certificate(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    client_cert = _private(ca.issue_cert("client@example.com"))
    server = _private(server_cert).options(_ca_cert(ca)).getContext()
    client = bssl.optionsForClientTLS(
        "localhost", trustRoot=_ca_cert(ca), clientCertificate=client_cert
    ).getContext()
    s_obj, _ = _handshake(server, client, "localhost")
    seen = bssl.Certificate.load(s_obj.getpeercert(binary_form=True) or b"")
    assert seen == client_cert


def test_server_requiring_client_certificate_rejects_anonymous_client(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    server = _private(server_cert).options(_ca_cert(ca)).getContext()
    client = bssl.optionsForClientTLS("localhost", trustRoot=_ca_cert(ca)).getContext()
    with pytest.raises(ssl.SSLError):
        _, c_obj = _handshake(server, client, "localhost")
        # TLS 1.3: the client learns of the rejection at its first read.
        c_obj.read(1)


def test_options_for_client_tls_argument_errors() -> None:
    with pytest.raises(TypeError, match="requires text for host names, not bytes"):
        bssl.optionsForClientTLS(b"example.com")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pass trustRoot as an argument"):
        bssl.optionsForClientTLS(
            "example.com", extraCertificateOptions={"trustRoot": bssl.platformTrust()}
        )
    with pytest.raises(TypeError, match="client side"):
        bssl._tls_context_for(bssl.optionsForClientTLS("example.com"), server_side=True)


# -- trust roots and the reactor's conversion ------------------------------------------------


def test_trust_root_from_certificates_checks_items(ca: trustme.CA) -> None:
    root = bssl.trustRootFromCertificates([_ca_cert(ca)])
    assert isinstance(root, bssl.OpenSSLCertificateAuthorities)
    with pytest.raises(TypeError, match=r"needs bridge\.ssl\.Certificate objects"):
        bssl.trustRootFromCertificates([b"pem"])  # type: ignore[list-item]


def test_tls_context_for_accepts_contexts_and_get_context_objects() -> None:
    raw = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert bssl._tls_context_for(raw, server_side=False) == (raw, None)

    class Legacy:
        def getContext(self) -> ssl.SSLContext:
            return raw

    assert bssl._tls_context_for(Legacy(), server_side=False) == (raw, None)


def test_tls_context_for_explains_bad_input() -> None:
    with pytest.raises(TypeError, match=r"needs an ssl\.SSLContext or a context factory"):
        bssl._tls_context_for(object(), server_side=True)

    class PyOpenSSLStyle:
        def getContext(self) -> object:
            return object()

    with pytest.raises(TypeError, match="pyOpenSSL contexts are not supported"):
        bssl._tls_context_for(PyOpenSSLStyle(), server_side=True)
    with pytest.raises(TypeError, match=r"client-side ssl\.SSLContext"):
        bssl._tls_context_for(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), server_side=True)
    with pytest.raises(TypeError, match=r"server-side ssl\.SSLContext"):
        bssl._tls_context_for(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), server_side=False)


def test_module_exports() -> None:
    assert sorted(bssl.__all__) == sorted(
        [
            "DN",
            "FILETYPE_ASN1",
            "FILETYPE_PEM",
            "SSLv23_METHOD",
            "TLS_METHOD",
            "TLSv1_1_METHOD",
            "TLSv1_2_METHOD",
            "TLSv1_METHOD",
            "AcceptableCiphers",
            "Certificate",
            "CertificateOptions",
            "ClientContextFactory",
            "ClientTLSOptions",
            "ContextFactory",
            "DefaultOpenSSLContextFactory",
            "DiffieHellmanParameters",
            "DistinguishedName",
            "KeyPair",
            "OpenSSLCertificateAuthorities",
            "OpenSSLDefaultPaths",
            "PrivateCertificate",
            "ProtocolNegotiationSupport",
            "TLSVersion",
            "VerificationError",
            "optionsForClientTLS",
            "platformTrust",
            "protocolNegotiationMechanisms",
            "trustRootFromCertificates",
        ]
    )
    for name in bssl.__all__:
        assert hasattr(bssl, name), name


def test_context_factories_provide_iopensslcontextfactory(
    ca: trustme.CA, pem_files: tuple[str, str]
) -> None:
    from zope.interface.verify import verifyObject

    from bridge.interfaces import IOpenSSLContextFactory

    for factory in (
        bssl.DefaultOpenSSLContextFactory(*pem_files),
        bssl.ClientContextFactory(),
        bssl.CertificateOptions(),
        bssl.optionsForClientTLS("localhost", trustRoot=_ca_cert(ca)),
    ):
        assert verifyObject(IOpenSSLContextFactory, factory)


# -- "ssl:" endpoint strings -----------------------------------------------------------------


def test_parse_ssl_server_builds_an_endpoint(pem_files: tuple[str, str]) -> None:
    from bridge._endpoints_ssl import SSL4ServerEndpoint, parse_ssl_server

    key, cert = pem_files
    endpoint = parse_ssl_server(
        None, "8443", privateKey=key, certKey=cert, interface="127.0.0.1", backlog="7"
    )
    assert isinstance(endpoint, SSL4ServerEndpoint)
    assert (endpoint._port, endpoint._interface, endpoint._backlog) == (8443, "127.0.0.1", 7)
    context = bssl._tls_context_for(endpoint._sslContextFactory, server_side=True)[0]
    assert context.protocol == ssl.PROTOCOL_TLS_SERVER
    pinned = parse_ssl_server(
        None, port="0", privateKey=key, certKey=cert, sslmethod="TLSv1_2_METHOD"
    )
    pinned_context = bssl._tls_context_for(pinned._sslContextFactory, server_side=True)[0]
    assert pinned_context.maximum_version == ssl.TLSVersion.TLSv1_2


def test_parse_ssl_server_key_and_certificate_in_one_file(
    tmp_path: Path, server_cert: trustme.LeafCert
) -> None:
    from bridge._endpoints_ssl import parse_ssl_server

    both = tmp_path / "both.pem"
    both.write_bytes(server_cert.private_key_and_cert_chain_pem.bytes())
    endpoint = parse_ssl_server(None, "0", privateKey=str(both))
    assert endpoint._sslContextFactory.certificate.getSubject().CN == b"bridge test server"


def test_parse_ssl_server_extra_chain(
    ca: trustme.CA, pem_files: tuple[str, str], tmp_path: Path
) -> None:
    from bridge._endpoints_ssl import parse_ssl_server

    chain = tmp_path / "chain.pem"
    chain.write_bytes(ca.cert_pem.bytes())
    key, cert = pem_files
    endpoint = parse_ssl_server(None, "0", privateKey=key, certKey=cert, extraCertChain=str(chain))
    assert endpoint._sslContextFactory.extraCertChain == [_ca_cert(ca)]
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"extraCertChain='.*empty\.pem' holds no PEM certificate"):
        parse_ssl_server(None, "0", privateKey=key, certKey=cert, extraCertChain=str(empty))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, r"missing port"),
        (("x",), {}, r"port='x' is not an integer"),
        (("1", "2"), {}, r"too many positional parts"),
        (("1",), {"port": "2"}, r"port given both by position and as port="),
        (("1",), {"colour": "red"}, r"unknown option 'colour'; known options: port, "),
        (("1",), {"backlog": "many"}, r"backlog='many' is not an integer"),
        (("1",), {"privateKey": "/nonexistent/key.pem"}, r"cannot read certKey='/nonexistent"),
        (("1",), {"sslmethod": "SSLv2"}, r"unknown sslmethod='SSLv2'"),
    ],
)
def test_parse_ssl_server_errors_name_the_bad_part(
    args: tuple[str, ...], kwargs: dict[str, str], message: str, pem_files: tuple[str, str]
) -> None:
    from bridge._endpoints_ssl import parse_ssl_server

    key, cert = pem_files
    if "privateKey" not in kwargs and args[:1] != ("x",) and "backlog" not in kwargs:
        kwargs = {"privateKey": key, "certKey": cert, **kwargs}
    with pytest.raises(ValueError, match=f"^ssl server endpoint: .*{message}"):
        parse_ssl_server(None, *args, **kwargs)


def test_parse_ssl_server_key_that_does_not_match(
    ca: trustme.CA, pem_files: tuple[str, str], tmp_path: Path
) -> None:
    from bridge._endpoints_ssl import parse_ssl_server

    other = tmp_path / "other.key"
    ca.issue_cert("other.example").private_key_pem.write_to_path(str(other))
    with pytest.raises(ValueError, match=r"privateKey='.*other\.key' does not match certKey="):
        parse_ssl_server(None, "0", privateKey=str(other), certKey=pem_files[1])


def test_parse_ssl_client_verifies_by_default() -> None:
    from bridge._endpoints_ssl import SSL4ClientEndpoint, parse_ssl_client

    endpoint = parse_ssl_client(None, host="example.com", port="443", timeout="9")
    assert isinstance(endpoint, SSL4ClientEndpoint)
    assert (endpoint._host, endpoint._port, endpoint._timeout) == ("example.com", 443, 9)
    context, hostname = bssl._tls_context_for(endpoint._sslContextFactory, server_side=False)
    assert hostname == "example.com"
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    positional = parse_ssl_client(None, "example.org", "8443", hostname="alt.example.org")
    assert (positional._host, positional._port) == ("example.org", 8443)
    assert positional._sslContextFactory.hostname == "alt.example.org"
    bound = parse_ssl_client(None, "443", host="h", bindAddress="127.0.0.1")
    assert (bound._port, bound._bindAddress) == (443, ("127.0.0.1", 0))


def test_parse_ssl_client_ca_certs_dir_and_client_certificate(
    ca: trustme.CA, tmp_path: Path, server_cert: trustme.LeafCert
) -> None:
    from bridge._endpoints_ssl import parse_ssl_client

    cas = tmp_path / "cas"
    cas.mkdir()
    (cas / "mine.pem").write_bytes(ca.cert_pem.bytes())
    (cas / "notes.txt").write_bytes(b"ignored")
    both = tmp_path / "client.pem"
    both.write_bytes(server_cert.private_key_and_cert_chain_pem.bytes())
    endpoint = parse_ssl_client(
        None, host="localhost", port="1", caCertsDir=str(cas), certKey=str(both)
    )
    context = endpoint._sslContextFactory.getContext()
    assert [c["subject"] for c in context.get_ca_certs()] == [
        c["subject"] for c in _trusting(ca).get_ca_certs()
    ]


def _trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(context)
    return context


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {"port": "1"}, r"missing host"),
        (("h",), {}, r"missing port"),
        (("h", "1", "x"), {}, r"too many positional parts"),
        (("h", "p"), {}, r"port='p' is not an integer"),
        (("h", "1"), {"timeout": "soon"}, r"timeout='soon' is not an integer"),
        (("h", "1"), {"verify": "no"}, r"unknown option 'verify'"),
        (("h", "1"), {"privateKey": "k.pem"}, r"privateKey needs certKey"),
        (("h", "1"), {"caCertsDir": "/nonexistent"}, r"caCertsDir='/nonexistent' is not a"),
    ],
)
def test_parse_ssl_client_errors_name_the_bad_part(
    args: tuple[str, ...], kwargs: dict[str, str], message: str
) -> None:
    from bridge._endpoints_ssl import parse_ssl_client

    with pytest.raises(ValueError, match=f"^ssl client endpoint: .*{message}"):
        parse_ssl_client(None, *args, **kwargs)


def test_parse_ssl_client_empty_ca_dir_is_refused(tmp_path: Path) -> None:
    from bridge._endpoints_ssl import parse_ssl_client

    with pytest.raises(ValueError, match=r"holds no \*\.pem CA certificate"):
        parse_ssl_client(None, "h", "1", caCertsDir=str(tmp_path))


# -- differential: the same PEM through real Twisted (pyOpenSSL) and bridge.ssl ---------------


def _twisted_ssl() -> Any:
    return pytest.importorskip("twisted.internet.ssl", reason="Twisted TLS needs pyOpenSSL")


@pytest.mark.filterwarnings("ignore:X509.get_:DeprecationWarning")  # inside Twisted
def test_certificate_fields_match_twisted(server_cert: trustme.LeafCert) -> None:
    tssl = _twisted_ssl()
    pem = server_cert.private_key_and_cert_chain_pem.bytes()
    theirs, ours = tssl.PrivateCertificate.loadPEM(pem), bssl.PrivateCertificate.loadPEM(pem)
    assert ours.digest() == theirs.digest()
    assert ours.digest("sha256") == theirs.digest("sha256")
    assert ours.serialNumber() == theirs.serialNumber()
    assert dict(ours.getSubject()) == dict(theirs.getSubject())
    assert dict(ours.getIssuer()) == dict(theirs.getIssuer())
    assert ours.getSubject().inspect() == theirs.getSubject().inspect()
    assert bssl.Certificate.dumpPEM(ours) == tssl.Certificate.dumpPEM(theirs)
    assert ours.dump() == theirs.dump()
    # Twisted's inspect() of a Certificate (not the private one) has the same lines.
    plain = server_cert.cert_chain_pems[0].bytes()
    assert bssl.Certificate.loadPEM(plain).inspect() == tssl.Certificate.loadPEM(plain).inspect()


@pytest.mark.filterwarnings("ignore:X509.get_:DeprecationWarning")  # inside Twisted
def test_distinguished_name_inspect_matches_twisted() -> None:
    tssl = _twisted_ssl()
    fields = {
        "commonName": b"a",
        "emailAddress": b"e",
        "countryName": b"c",
        "localityName": b"l",
        "stateOrProvinceName": b"s",
        "organizationName": b"o",
        "organizationalUnitName": b"u",
    }
    assert bssl.DN(**fields).inspect() == tssl.DN(**fields).inspect()


# -- robustness of the DER reader --------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_certificate_load_of_arbitrary_bytes_raises_value_error_only(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        bssl.Certificate.load(data)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_truncated_or_corrupted_certificates_raise_value_error_only(
    server_cert: trustme.LeafCert, data: st.DataObject
) -> None:
    der = bssl.Certificate.loadPEM(server_cert.cert_chain_pems[0].bytes()).dump()
    cut = data.draw(st.integers(0, len(der)))
    flip = data.draw(st.integers(0, len(der) - 1))
    corrupted = bytearray(der[:cut])
    if flip < len(corrupted):
        corrupted[flip] ^= data.draw(st.integers(1, 255))
    with contextlib.suppress(ValueError):
        bssl.Certificate.load(bytes(corrupted))
    with contextlib.suppress(ValueError):
        bssl.KeyPair.load(bytes(corrupted))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyOpenSSL's X509 getters
def test_pyopenssl_x509_look_alikes_match_pyopenssl(server_cert: trustme.LeafCert) -> None:
    crypto = pytest.importorskip("OpenSSL.crypto")
    pem = server_cert.cert_chain_pems[0].bytes()
    theirs = crypto.load_certificate(crypto.FILETYPE_PEM, pem)
    ours = bssl.Certificate.loadPEM(pem)
    for name in ("CN", "commonName", "O", "OU", "L", "emailAddress"):
        assert getattr(ours.get_subject(), name) == getattr(theirs.get_subject(), name), name
    assert ours.get_subject().get_components() == theirs.get_subject().get_components()
    assert ours.get_issuer().get_components() == theirs.get_issuer().get_components()
    assert repr(ours.get_subject()) == repr(theirs.get_subject())
    assert ours.get_serial_number() == theirs.get_serial_number()
    assert ours.get_notBefore() == theirs.get_notBefore()
    assert ours.get_notAfter() == theirs.get_notAfter()
    assert ours.has_expired() == theirs.has_expired()
    assert ours.digest("sha256") == theirs.digest("sha256")
    with pytest.raises(AttributeError):
        _ = ours.get_subject().bogus


def test_expired_certificate_is_reported_and_rejected(ca: trustme.CA) -> None:
    import datetime

    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    expired = ca.issue_cert(
        "localhost", not_before=past, not_after=past + datetime.timedelta(days=1)
    )
    private = _private(expired)
    assert private.has_expired()
    assert private.get_notAfter() == b"20010102000000Z"
    client = bssl.optionsForClientTLS("localhost", trustRoot=_ca_cert(ca)).getContext()
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired"):
        _handshake(private.options().getContext(), client, "localhost")


def test_rsa_keys_load_too(ca: trustme.CA) -> None:
    rsa = ca.issue_cert("localhost", key_type=trustme.KeyType.RSA)
    private = _private(rsa)
    assert b"PRIVATE KEY" in private.privateKey.dump(bssl.FILETYPE_PEM)
    assert bssl.KeyPair.load(private.privateKey.dump()).dump() == private.privateKey.dump()
    client = bssl.optionsForClientTLS("localhost", trustRoot=_ca_cert(ca)).getContext()
    _handshake(private.options().getContext(), client, "localhost")


# -- key generation (optional cryptography) ------------------------------------------------------


def test_generate_and_self_signed_certificate_serve_tls() -> None:
    pytest.importorskip("cryptography")
    key = bssl.KeyPair.generate(size=2048)
    cert = key.selfSignedCert(7, commonName="localhost", organizationName="bridge")
    assert isinstance(cert, bssl.PrivateCertificate)
    assert cert.serialNumber() == 7
    assert cert.getSubject().commonName == b"localhost"
    assert cert.getIssuer() == cert.getSubject()
    assert not cert.has_expired()
    authority = bssl.Certificate.load(cert.dump())
    client = bssl.optionsForClientTLS("localhost", trustRoot=authority).getContext()
    # The certificate has a commonName but no subjectAltName: as with Twisted (service_identity),
    # the host-name check does not fall back to the commonName.
    with pytest.raises(ssl.SSLCertVerificationError, match=r"[Hh]ostname mismatch"):
        _handshake(cert.options().getContext(), client, "localhost")
    client.check_hostname = False  # the chain itself verifies
    _, c_obj = _handshake(cert.options().getContext(), client, "localhost")
    assert bssl.Certificate.load(c_obj.getpeercert(binary_form=True) or b"") == cert


def test_generate_without_cryptography_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(NotImplementedError, match="needs the optional 'cryptography' package"):
        bssl.KeyPair.generate()


def test_protocol_negotiation_support_as_twisted() -> None:
    tssl = pytest.importorskip("twisted.internet.ssl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs, mechanisms = tssl.ProtocolNegotiationSupport, tssl.protocolNegotiationMechanisms()
    ours = bssl.ProtocolNegotiationSupport
    assert repr(ours.NPN | ours.ALPN) == repr(theirs.NPN | theirs.ALPN)
    assert repr(ours.NOSUPPORT) == repr(theirs.NOSUPPORT)
    assert [repr(f) for f in ours.iterconstants()] == [repr(f) for f in theirs.iterconstants()]
    assert repr(bssl.protocolNegotiationMechanisms()) == repr(mechanisms)


def test_key_pair_hash_matches_its_certificate() -> None:
    pytest.importorskip("cryptography")
    key = bssl.KeyPair.generate()
    cert = key.selfSignedCert(1, commonName="example")
    assert key.keyHash() == cert.getPublicKey().keyHash()
    assert key.matches(cert.getPublicKey()) and cert.getPublicKey().matches(key)
    assert key.inspect().startswith("2048-bit RSA Key Pair with Hash: ")
    assert not key.matches(bssl.KeyPair.generate())
