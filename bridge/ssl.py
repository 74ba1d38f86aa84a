"""TLS context factories, certificates and trust roots, built on the standard :mod:`ssl` module.

This module mirrors ``twisted.internet.ssl``: the context factories Twisted-style code passes to
``listenSSL``/``connectSSL``/``startTLS`` and to the SSL endpoints
(:class:`DefaultOpenSSLContextFactory`, :class:`ClientContextFactory`, :class:`CertificateOptions`,
:func:`optionsForClientTLS`), PEM certificate and key loading (:class:`Certificate`,
:class:`PrivateCertificate`, :class:`KeyPair`) and trust roots (:func:`platformTrust`,
:func:`trustRootFromCertificates`). It needs neither pyOpenSSL nor cryptography (only
``KeyPair.generate``/``selfSignedCert`` use ``cryptography`` when it is installed).

Every factory turns into an :class:`ssl.SSLContext`, which the reactor hands to asyncio
(``loop.create_server(ssl=...)``, ``loop.create_connection(ssl=...)``, ``loop.start_tls``).

.. note:: ``getContext()`` returns an :class:`ssl.SSLContext`, not pyOpenSSL's
   ``OpenSSL.SSL.Context``. Code that calls OpenSSL-specific methods on it (``set_verify``,
   ``use_certificate_file``, ``set_info_callback``...) must use the stdlib equivalents
   (``verify_mode``, ``load_cert_chain``, ...). An SSLContext is also either a server or a client
   context; :class:`CertificateOptions` builds the one each side needs.
"""

from __future__ import annotations

import enum
import os
import ssl
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from zope.interface import implementer

from bridge._constants import ConstantsEnum
from bridge._ssl_certs import (
    DN,
    FILETYPE_ASN1,
    FILETYPE_PEM,
    Certificate,
    DistinguishedName,
    KeyPair,
    PrivateCertificate,
    _load_cert_chain,
    _load_chain_from_memory,
    _pem_blocks,
    _read_file,
    _ssl_error,
    remember_certificate,
)
from bridge.interfaces import IOpenSSLContextFactory

__all__ = [
    "DN",
    "FILETYPE_ASN1",
    "FILETYPE_PEM",
    "TLS_METHOD",
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
    "SSLv23_METHOD",
    "TLSVersion",
    "TLSv1_1_METHOD",
    "TLSv1_2_METHOD",
    "TLSv1_METHOD",
    "VerificationError",
    "optionsForClientTLS",
    "platformTrust",
    "protocolNegotiationMechanisms",
    "trustRootFromCertificates",
]

# pyOpenSSL's method constants, with pyOpenSSL's values, so both spellings work as ``method``.
SSLv23_METHOD = 3
"""Negotiate the best TLS version both sides allow (pyOpenSSL's ``SSL.SSLv23_METHOD``)."""
TLSv1_METHOD = 4
"""Speak TLS 1.0 only (pyOpenSSL's ``SSL.TLSv1_METHOD``); OpenSSL 3 usually refuses it."""
TLSv1_1_METHOD = 5
"""Speak TLS 1.1 only (pyOpenSSL's ``SSL.TLSv1_1_METHOD``); OpenSSL 3 usually refuses it."""
TLSv1_2_METHOD = 6
"""Speak TLS 1.2 only (pyOpenSSL's ``SSL.TLSv1_2_METHOD``)."""
TLS_METHOD = 7
"""Negotiate the best TLS version both sides allow (pyOpenSSL's ``SSL.TLS_METHOD``)."""

_NEGOTIATE_METHODS = {None, SSLv23_METHOD, TLS_METHOD, 8, 9}  # 8, 9: TLS_SERVER/CLIENT_METHOD


class VerificationError(Exception):
    """Raise when a certificate or host name fails verification."""


# -- protocol negotiation (deprecated in Twisted 26.10: every backend has ALPN) ----------------


class ProtocolNegotiationSupport(enum.Flag):
    """The next-protocol negotiation mechanisms a TLS library offers (flags).

    Kept for old code: Twisted 26.10 deprecates it, since every TLS backend supports ALPN.
    """

    NOSUPPORT = 0
    NPN = 1
    ALPN = 2

    @classmethod
    def iterconstants(cls) -> Iterator[ProtocolNegotiationSupport]:
        """Iterate over the mechanisms (NPN, ALPN), as ``constantly`` flags do."""
        return iter((cls.NPN, cls.ALPN))

    @classmethod
    def lookupByName(cls, name: str) -> ProtocolNegotiationSupport:
        """Return the flag called *name*; ``ValueError`` if there is none."""
        member = cls.__members__.get(name)
        if member is None:
            raise ValueError(name)
        return member

    @classmethod
    def lookupByValue(cls, value: int) -> ProtocolNegotiationSupport:
        """Return the flag (or combination) with *value*; ``ValueError`` if it is invalid."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(value) from None

    def __repr__(self) -> str:
        names = sorted(m.name for m in type(self) if m.value and m in self and m.name)
        shown = names[0] if len(names) == 1 else "{" + ",".join(names) + "}"
        return f"<{type(self).__name__}={shown if names else '{}'}>"

    __str__ = __repr__


def protocolNegotiationMechanisms() -> ProtocolNegotiationSupport:
    """Return the negotiation mechanisms available: ALPN with the stdlib :mod:`ssl`."""
    if ssl.HAS_ALPN:
        return ProtocolNegotiationSupport.ALPN
    return ProtocolNegotiationSupport.NOSUPPORT


# -- TLS versions ----------------------------------------------------------------------------


class TLSVersion(ConstantsEnum):
    """TLS protocol versions, for ``raiseMinimumTo`` and friends of :class:`CertificateOptions`."""

    SSLv3 = "SSLv3"
    TLSv1_0 = "TLSv1_0"
    TLSv1_1 = "TLSv1_1"
    TLSv1_2 = "TLSv1_2"
    TLSv1_3 = "TLSv1_3"

    @property
    def _stdlib(self) -> ssl.TLSVersion:
        return _STDLIB_VERSIONS[self]

    @property
    def _rank(self) -> int:
        return list(TLSVersion).index(self)


_STDLIB_VERSIONS = {
    TLSVersion.SSLv3: ssl.TLSVersion.SSLv3,
    TLSVersion.TLSv1_0: ssl.TLSVersion.TLSv1,
    TLSVersion.TLSv1_1: ssl.TLSVersion.TLSv1_1,
    TLSVersion.TLSv1_2: ssl.TLSVersion.TLSv1_2,
    TLSVersion.TLSv1_3: ssl.TLSVersion.TLSv1_3,
}
_PINNED_METHODS = {
    TLSv1_METHOD: TLSVersion.TLSv1_0,
    TLSv1_1_METHOD: TLSVersion.TLSv1_1,
    TLSv1_2_METHOD: TLSVersion.TLSv1_2,
}


def _version_range(
    method: object, owner: str
) -> tuple[ssl.TLSVersion | None, ssl.TLSVersion | None]:
    """Map a pyOpenSSL-style *method* to a (minimum, maximum) pair; None leaves the default."""
    if method in _NEGOTIATE_METHODS:
        return None, None
    if isinstance(method, int) and method in _PINNED_METHODS:
        version = _PINNED_METHODS[method]._stdlib
        return version, version
    raise ValueError(
        f"{owner}: unsupported TLS method {method!r}; use TLS_METHOD (negotiate), "
        "TLSv1_2_METHOD, or CertificateOptions(raiseMinimumTo=TLSVersion.TLSv1_3)"
    )


# -- Trust roots -----------------------------------------------------------------------------


class OpenSSLCertificateAuthorities:
    """A trust root made of explicit CA certificates.

    :param caCerts: the :class:`Certificate` objects to trust.
    """

    def __init__(self, caCerts: Sequence[Certificate]) -> None:
        self._caCerts = list(caCerts)

    def _add_to_context(self, context: ssl.SSLContext) -> None:
        pems = "".join(Certificate.dumpPEM(c).decode("ascii") for c in self._caCerts)
        if pems:
            context.load_verify_locations(cadata=pems)


class OpenSSLDefaultPaths:
    """A trust root made of the platform's default CA store (OpenSSL's default paths)."""

    def _add_to_context(self, context: ssl.SSLContext) -> None:
        context.load_default_certs(
            ssl.Purpose.SERVER_AUTH
            if context.protocol == ssl.PROTOCOL_TLS_CLIENT
            else ssl.Purpose.CLIENT_AUTH
        )


def platformTrust() -> OpenSSLDefaultPaths:
    """Return a trust root for the CAs the platform trusts."""
    return OpenSSLDefaultPaths()


def trustRootFromCertificates(certificates: Iterable[Certificate]) -> OpenSSLCertificateAuthorities:
    """Return a trust root that trusts exactly *certificates*.

    :raises TypeError: if an item is not a :class:`Certificate`.
    """
    certs = list(certificates)
    for cert in certs:
        if not isinstance(cert, Certificate):
            raise TypeError(
                f"trustRootFromCertificates needs bridge.ssl.Certificate objects, got {cert!r}"
            )
    return OpenSSLCertificateAuthorities(certs)


def _as_trust_root(root: object, owner: str) -> OpenSSLCertificateAuthorities | OpenSSLDefaultPaths:
    if isinstance(root, (OpenSSLCertificateAuthorities, OpenSSLDefaultPaths)):
        return root
    if isinstance(root, Certificate):
        return OpenSSLCertificateAuthorities([root])
    raise TypeError(
        f"{owner}: trustRoot must be platformTrust(), trustRootFromCertificates([...]) or a "
        f"Certificate, got {root!r}"
    )


# -- Ciphers and DH parameters ---------------------------------------------------------------


class AcceptableCiphers:
    """The cipher suites a connection may use, as an OpenSSL cipher string.

    .. note:: Applies to TLS 1.2 and below; the stdlib cannot restrict TLS 1.3 suites.
    """

    def __init__(self, cipherString: str) -> None:
        self._cipher_string = cipherString

    @classmethod
    def fromOpenSSLCipherString(cls, cipherString: str) -> AcceptableCiphers:
        """Return the ciphers an OpenSSL cipher string (``"ECDHE+AESGCM"``) selects."""
        try:
            ssl.create_default_context().set_ciphers(cipherString)
        except ssl.SSLError as exc:
            raise ValueError(f"no cipher matches the cipher string {cipherString!r}") from exc
        return cls(cipherString)


class DiffieHellmanParameters:
    """Diffie-Hellman parameters loaded from a PEM file, for DHE cipher suites on a server."""

    def __init__(self, path: str) -> None:
        self._path = path

    @classmethod
    def fromFile(cls, filePath: object) -> DiffieHellmanParameters:
        """Use the DH parameters in *filePath* (a path or an object with a ``path``)."""
        return cls(os.fspath(getattr(filePath, "path", filePath)))  # type: ignore[call-overload]


# -- Context factories -----------------------------------------------------------------------


@implementer(IOpenSSLContextFactory)
class ContextFactory:
    """Base class of objects that make an :class:`ssl.SSLContext` through :meth:`getContext`."""

    isClient: ClassVar[int] = 0

    def getContext(self) -> ssl.SSLContext:
        """Return the context; subclasses override this."""
        raise NotImplementedError(f"{type(self).__name__}.getContext()")

    def _context_for_side(self, server_side: bool) -> ssl.SSLContext:
        return self.getContext()


class DefaultOpenSSLContextFactory(ContextFactory):
    """A server context factory that loads a certificate and private key from PEM files.

    The files are read at once, so a missing file, bad PEM or a key that does not match the
    certificate raises here, naming the file.

    :param privateKeyFileName: path of the PEM private key (may be the same as the certificate).
    :param certificateFileName: path of the PEM certificate (chain).
    :param sslmethod: :data:`TLS_METHOD` (negotiate, the default) or a pinned method such as
        :data:`TLSv1_2_METHOD`.
    """

    _context: ssl.SSLContext | None = None

    def __init__(
        self,
        privateKeyFileName: str,
        certificateFileName: str,
        sslmethod: int = TLS_METHOD,
    ) -> None:
        self.privateKeyFileName = privateKeyFileName
        self.certificateFileName = certificateFileName
        self.sslmethod = sslmethod
        self.cacheContext()

    def cacheContext(self) -> None:
        """Build the context now, so that configuration errors surface early."""
        if self._context is not None:
            return
        owner = type(self).__name__
        cert_pem = _read_file(self.certificateFileName, owner, "certificateFileName")
        key_pem = _read_file(self.privateKeyFileName, owner, "privateKeyFileName")
        if not _pem_blocks(cert_pem, "CERTIFICATE"):
            raise _ssl_error(
                f"{owner}: certificateFileName {self.certificateFileName!r} holds no "
                "'-----BEGIN CERTIFICATE-----' block"
            )
        if not _pem_blocks(key_pem, "PRIVATE KEY"):
            raise _ssl_error(
                f"{owner}: privateKeyFileName {self.privateKeyFileName!r} holds no "
                "'-----BEGIN ... PRIVATE KEY-----' block"
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        low, high = _version_range(self.sslmethod, owner)
        if low is not None and high is not None:
            context.minimum_version, context.maximum_version = low, high
        _load_cert_chain(
            context,
            os.fspath(self.certificateFileName),
            os.fspath(self.privateKeyFileName),
            owner,
            f"certificateFileName {self.certificateFileName!r}",
            f"privateKeyFileName {self.privateKeyFileName!r}",
        )
        remember_certificate(context, Certificate.loadPEM(cert_pem).dump())
        self._context = context

    def getContext(self) -> ssl.SSLContext:
        """Return the (cached) server context."""
        self.cacheContext()
        if self._context is None:  # pragma: no cover - cacheContext sets it or raises
            raise RuntimeError("DefaultOpenSSLContextFactory: context was not built")
        return self._context

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_context", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class ClientContextFactory(ContextFactory):
    """A client context factory that does NOT verify the server.

    As in Twisted, this legacy factory checks neither the certificate nor the host name; use
    :func:`optionsForClientTLS` for verified connections.
    """

    isClient: ClassVar[int] = 1
    method: int = TLS_METHOD

    def getContext(self) -> ssl.SSLContext:
        """Return a new client context with verification off and TLS 1.2 as the minimum."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        low, high = _version_range(self.method, type(self).__name__)
        context.minimum_version = low or ssl.TLSVersion.TLSv1_2
        if high is not None:
            context.maximum_version = high
        return context


class CertificateOptions(ContextFactory):
    """The security settings of a TLS server or client.

    Keyword names and defaults follow Twisted's ``CertificateOptions``; *privateKey* is a
    :class:`KeyPair` and *certificate*, *caCerts* and *extraCertChain* hold
    :class:`Certificate` objects. ``getContext()`` returns a server context; a client side
    (``connectSSL``, ``startTLS`` on a client) gets a client context built from the same settings.

    Accepted for compatibility but without effect on the stdlib backend: *verifyDepth*,
    *verifyOnce*, *enableSingleUseKeys* (always on), *enableSessions*, *fixBrokenPeers*.

    :raises TypeError: for mutually exclusive arguments (*trustRoot* with *verify*,
        *caCerts* or *requireCertificate*; *method* with the version bounds).
    :raises ValueError: for an inconsistent combination, naming it.
    """

    def __init__(
        self,
        privateKey: KeyPair | None = None,
        certificate: Certificate | None = None,
        method: int | None = None,
        verify: bool | None = None,
        caCerts: Sequence[Certificate] | None = None,
        verifyDepth: int = 9,
        requireCertificate: bool | None = None,
        verifyOnce: bool = True,
        enableSingleUseKeys: bool = True,
        enableSessions: bool = False,
        fixBrokenPeers: bool = False,
        enableSessionTickets: bool = False,
        extraCertChain: Sequence[Certificate] | None = None,
        acceptableCiphers: AcceptableCiphers | None = None,
        dhParameters: DiffieHellmanParameters | None = None,
        trustRoot: object = None,
        acceptableProtocols: Sequence[bytes] | None = None,
        raiseMinimumTo: TLSVersion | None = None,
        insecurelyLowerMinimumTo: TLSVersion | None = None,
        lowerMaximumSecurityTo: TLSVersion | None = None,
        contextForServerName: Callable[[bytes | None], ssl.SSLContext | None] | None = None,
    ) -> None:
        owner = "CertificateOptions"
        _exclusive(
            owner,
            trustRoot=trustRoot,
            verify=verify,
            caCerts=caCerts,
            requireCertificate=requireCertificate,
            method=method,
            raiseMinimumTo=raiseMinimumTo,
            insecurelyLowerMinimumTo=insecurelyLowerMinimumTo,
            lowerMaximumSecurityTo=lowerMaximumSecurityTo,
        )
        if (privateKey is None) != (certificate is None):
            raise ValueError(f"{owner}: specify neither or both of privateKey and certificate")
        if privateKey is not None and not isinstance(privateKey, KeyPair):
            raise TypeError(f"{owner}: privateKey must be a bridge.ssl.KeyPair, got {privateKey!r}")
        if certificate is not None and not isinstance(certificate, Certificate):
            raise TypeError(
                f"{owner}: certificate must be a bridge.ssl.Certificate, got {certificate!r}"
            )
        if extraCertChain and certificate is None:
            raise ValueError(f"{owner}: extraCertChain needs a certificate and privateKey")
        self.privateKey = privateKey
        self.certificate = certificate
        self.method = method
        self.verifyDepth = verifyDepth
        self.verifyOnce = verifyOnce
        self.enableSingleUseKeys = enableSingleUseKeys
        self.enableSessions = enableSessions
        self.fixBrokenPeers = fixBrokenPeers
        self.enableSessionTickets = enableSessionTickets
        self.extraCertChain = list(extraCertChain or ())
        self.acceptableCiphers = acceptableCiphers
        self.dhParameters = dhParameters
        self.acceptableProtocols = list(acceptableProtocols) if acceptableProtocols else None
        self.contextForServerName = contextForServerName
        self.requireCertificate = True if requireCertificate is None else requireCertificate
        if trustRoot is not None:
            self.trustRoot: OpenSSLCertificateAuthorities | OpenSSLDefaultPaths | None = (
                _as_trust_root(trustRoot, owner)
            )
            self.verify = True
        else:
            self.verify = bool(verify)
            if self.verify != bool(caCerts):
                raise ValueError(
                    f"{owner}: specify client CA certificate information (caCerts or trustRoot)"
                    " if and only if enabling certificate verification (verify=True)"
                )
            self.trustRoot = trustRootFromCertificates(caCerts) if caCerts else None
        self._minimum, self._maximum = self._version_bounds(
            method, raiseMinimumTo, insecurelyLowerMinimumTo, lowerMaximumSecurityTo
        )
        self._server: ssl.SSLContext | None = None
        self._client: ssl.SSLContext | None = None
        if certificate is not None:
            self._server_context()  # fail now, not at the first connection

    @staticmethod
    def _version_bounds(
        method: int | None,
        raise_to: TLSVersion | None,
        lower_to: TLSVersion | None,
        maximum: TLSVersion | None,
    ) -> tuple[TLSVersion | ssl.TLSVersion, TLSVersion | ssl.TLSVersion | None]:
        if method is not None:
            low, high = _version_range(method, "CertificateOptions")
            return (low or TLSVersion.TLSv1_2), high
        minimum = TLSVersion.TLSv1_2
        if raise_to is not None and raise_to._rank > minimum._rank:
            minimum = raise_to
        if lower_to is not None:
            minimum = lower_to
        if maximum is not None and maximum._rank < minimum._rank:
            raise ValueError(
                f"CertificateOptions: lowerMaximumSecurityTo={maximum.name} is below the "
                f"minimum TLS version {minimum.name}; no version is left to negotiate"
            )
        return minimum, maximum

    def _configure(self, context: ssl.SSLContext) -> None:
        low, high = self._minimum, self._maximum
        context.minimum_version = low._stdlib if isinstance(low, TLSVersion) else low
        if high is not None:
            context.maximum_version = high._stdlib if isinstance(high, TLSVersion) else high
        if not self.enableSessionTickets:
            context.options |= ssl.OP_NO_TICKET
        if self.acceptableCiphers is not None:
            context.set_ciphers(self.acceptableCiphers._cipher_string)
        if self.acceptableProtocols:
            context.set_alpn_protocols([p.decode("ascii") for p in self.acceptableProtocols])
        if self.certificate is not None and self.privateKey is not None:
            _load_chain_from_memory(
                context,
                self.certificate,
                self.privateKey,
                self.extraCertChain,
                "CertificateOptions",
            )
        if self.trustRoot is not None:
            self.trustRoot._add_to_context(context)

    def _server_context(self) -> ssl.SSLContext:
        if self._server is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._configure(context)
            if self.verify:
                context.verify_mode = (
                    ssl.CERT_REQUIRED if self.requireCertificate else ssl.CERT_OPTIONAL
                )
            if self.dhParameters is not None:
                context.load_dh_params(self.dhParameters._path)
            if self.contextForServerName is not None:
                context.sni_callback = _sni_callback(self.contextForServerName)
            self._server = context
        return self._server

    def _client_context(self) -> ssl.SSLContext:
        if self._client is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_REQUIRED if self.verify else ssl.CERT_NONE
            self._configure(context)
            self._client = context
        return self._client

    def getContext(self) -> ssl.SSLContext:
        """Return the server-side context (cached)."""
        return self._server_context()

    def _context_for_side(self, server_side: bool) -> ssl.SSLContext:
        return self.getContext() if server_side else self._client_context()


def _sni_callback(
    choose: Callable[[bytes | None], ssl.SSLContext | None],
) -> Callable[[ssl.SSLObject, str | None, ssl.SSLContext], None]:
    def callback(obj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        context = choose(name.encode("idna") if name is not None else None)
        if context is not None:
            obj.context = context

    return callback


def _exclusive(owner: str, **given: object) -> None:
    pairs = [
        ("trustRoot", "requireCertificate"),
        ("trustRoot", "verify"),
        ("trustRoot", "caCerts"),
        ("method", "insecurelyLowerMinimumTo"),
        ("method", "raiseMinimumTo"),
        ("raiseMinimumTo", "insecurelyLowerMinimumTo"),
        ("method", "lowerMaximumSecurityTo"),
    ]
    for first, second in pairs:
        if given[first] is not None and given[second] is not None:
            raise TypeError(
                f"The {first!r} and {second!r} arguments to {owner} are mutually exclusive."
            )


class ClientTLSOptions(ContextFactory):
    """Client settings that verify the server's certificate and host name.

    Made by :func:`optionsForClientTLS`; ``getContext()`` returns the client context and
    ``hostname`` is checked against the server's certificate (and sent as SNI).
    """

    isClient: ClassVar[int] = 1

    def __init__(self, hostname: str, context: ssl.SSLContext) -> None:
        self._hostname = hostname
        self._context = context

    @property
    def hostname(self) -> str:
        """The host name the server's certificate must match."""
        return self._hostname

    @property
    def _server_hostname(self) -> str:
        return self._hostname

    def getContext(self) -> ssl.SSLContext:
        """Return the verifying client context."""
        return self._context

    def _context_for_side(self, server_side: bool) -> ssl.SSLContext:
        if server_side:
            raise TypeError(
                "optionsForClientTLS() options are for the client side of a connection; "
                "a server needs CertificateOptions or DefaultOpenSSLContextFactory"
            )
        return self._context

    def __repr__(self) -> str:
        return f"<ClientTLSOptions hostname={self._hostname!r}>"


def optionsForClientTLS(
    hostname: str,
    trustRoot: object = None,
    clientCertificate: PrivateCertificate | None = None,
    acceptableProtocols: Sequence[bytes] | None = None,
    *,
    extraCertificateOptions: dict[str, Any] | None = None,
    sendServerName: bool | None = None,
) -> ClientTLSOptions:
    """Return client options that verify the server's certificate and that it matches *hostname*.

    :param hostname: the server's host name (text), or an IP address.
    :param trustRoot: the CAs to trust: :func:`platformTrust` (the default),
        :func:`trustRootFromCertificates` or one :class:`Certificate`.
    :param clientCertificate: a :class:`PrivateCertificate` to present to the server.
    :param acceptableProtocols: ALPN protocol names to offer, most preferred first.
    :param extraCertificateOptions: more :class:`CertificateOptions` keyword arguments.
    :param sendServerName: accepted for compatibility; the stdlib always sends SNI for a
        host name and never for an IP address.
    """
    if isinstance(hostname, bytes):
        raise TypeError(
            "optionsForClientTLS requires text for host names, not bytes: "
            f"pass {hostname.decode('ascii', 'replace')!r}"
        )
    if not isinstance(hostname, str):
        raise TypeError(f"optionsForClientTLS: hostname must be str, got {hostname!r}")
    extra = dict(extraCertificateOptions or {})
    for forbidden in ("trustRoot", "privateKey", "certificate", "acceptableProtocols"):
        if forbidden in extra:
            raise TypeError(
                f"optionsForClientTLS: pass {forbidden} as an argument, "
                "not in extraCertificateOptions"
            )
    if clientCertificate is not None:
        extra["privateKey"] = clientCertificate.privateKey
        extra["certificate"] = clientCertificate
    options = CertificateOptions(
        trustRoot=platformTrust() if trustRoot is None else trustRoot,
        acceptableProtocols=acceptableProtocols,
        **extra,
    )
    context = options._client_context()
    context.check_hostname = True
    # Twisted matches the name against subjectAltName only (service_identity): a certificate
    # with no subjectAltName fails even when its commonName is the host name.
    context.hostname_checks_common_name = False
    return ClientTLSOptions(hostname, context)


# -- what the reactor calls ------------------------------------------------------------------


def _tls_context_for(creator: object, *, server_side: bool) -> tuple[ssl.SSLContext, str | None]:
    """Turn *creator* into an SSLContext for one side, plus the host name a client must check.

    *creator* is an :class:`ssl.SSLContext`, one of this module's factories, or any object with
    a ``getContext()`` method returning an SSLContext.
    """
    side = "server" if server_side else "client"
    hostname: str | None = None
    if isinstance(creator, ssl.SSLContext):
        context = creator
    elif isinstance(creator, ContextFactory):
        context = creator._context_for_side(server_side)
        hostname = getattr(creator, "_server_hostname", None)
    elif callable(getattr(creator, "getContext", None)):
        context = creator.getContext()  # type: ignore[attr-defined]
    else:
        raise TypeError(
            f"TLS {side} needs an ssl.SSLContext or a context factory with getContext() "
            f"(e.g. bridge.ssl.optionsForClientTLS), got {creator!r}"
        )
    if not isinstance(context, ssl.SSLContext):
        raise TypeError(
            f"getContext() of {creator!r} returned {context!r}; bridge needs an ssl.SSLContext "
            "(pyOpenSSL contexts are not supported: build the context with bridge.ssl)"
        )
    wrong = ssl.PROTOCOL_TLS_CLIENT if server_side else ssl.PROTOCOL_TLS_SERVER
    if context.protocol == wrong:
        raise TypeError(
            f"TLS {side}: {creator!r} gives a "
            f"{'client' if server_side else 'server'}-side ssl.SSLContext "
            f"({context.protocol.name}); use a {side} context (ssl.PROTOCOL_TLS_"
            f"{side.upper()}) or a bridge.ssl factory for the {side} side"
        )
    return context, hostname
