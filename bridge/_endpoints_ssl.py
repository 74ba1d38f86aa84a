"""TLS endpoints and the ``ssl:`` endpoint-string parsers, re-exported by :mod:`bridge.endpoints`.

:class:`SSL4ServerEndpoint` and :class:`SSL4ClientEndpoint` mirror Twisted's classes of the same
names on top of ``reactor.listenSSL``/``reactor.connectSSL``. :func:`parse_ssl_server` and
:func:`parse_ssl_client` turn the parts of an ``ssl:`` description (already split and unescaped by
``serverFromString``/``clientFromString``) into those endpoints.

.. note:: ``clientFromString(reactor, "ssl:host=example.com:port=443")`` verifies the server's
   certificate against the platform's trust store and its host name against ``hostname=`` (or
   ``host=`` when no hostname is given). Twisted verifies nothing unless ``hostname=`` or
   ``caCertsDir=`` is given.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from zope.interface import implementer

from bridge import ssl as _ssl
from bridge._ssl_certs import _pem_blocks
from bridge.interfaces import IStreamClientEndpoint, IStreamServerEndpoint

if TYPE_CHECKING:
    from bridge.defer import Deferred

__all__ = ["SSL4ClientEndpoint", "SSL4ServerEndpoint", "parse_ssl_client", "parse_ssl_server"]


@implementer(IStreamServerEndpoint)
class SSL4ServerEndpoint:
    """A TLS server endpoint on IPv4 (or IPv6 with an IPv6 *interface*).

    :param reactor: the reactor whose ``listenSSL`` to use.
    :param port: the port number; 0 picks a free one.
    :param sslContextFactory: an :class:`ssl.SSLContext` or a server context factory
        (:class:`bridge.ssl.DefaultOpenSSLContextFactory`, :class:`bridge.ssl.CertificateOptions`).
    :param backlog: the listen queue length.
    :param interface: the address to bind; ``""`` for all IPv4 interfaces.
    """

    def __init__(
        self,
        reactor: Any,
        port: int,
        sslContextFactory: object,
        backlog: int = 50,
        interface: str = "",
    ) -> None:
        self._reactor = reactor
        self._port = port
        self._sslContextFactory = sslContextFactory
        self._backlog = backlog
        self._interface = interface

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Listen with *protocolFactory*; fire with the listening port or fail with the error."""
        from bridge.defer import maybeDeferred

        return maybeDeferred(
            self._reactor.listenSSL,
            self._port,
            protocolFactory,
            contextFactory=self._sslContextFactory,
            backlog=self._backlog,
            interface=self._interface,
        )

    def __repr__(self) -> str:
        return f"<SSL4ServerEndpoint port={self._port} interface={self._interface!r}>"


@implementer(IStreamClientEndpoint)
class SSL4ClientEndpoint:
    """A TLS client endpoint.

    :param reactor: the reactor whose ``connectSSL`` to use.
    :param host: the server's host name or address.
    :param port: the server's port.
    :param sslContextFactory: an :class:`ssl.SSLContext` or a client context factory, usually
        :func:`bridge.ssl.optionsForClientTLS`.
    :param timeout: seconds to wait for the connection (and TLS handshake).
    :param bindAddress: a ``(host, port)`` to bind the local end to, or None.
    """

    def __init__(
        self,
        reactor: Any,
        host: str,
        port: int,
        sslContextFactory: object,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> None:
        self._reactor = reactor
        self._host = host
        self._port = port
        self._sslContextFactory = sslContextFactory
        self._timeout = timeout
        self._bindAddress = bindAddress

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect with *protocolFactory*; fire with the connected protocol.

        The Deferred fails with the connection error (:class:`bridge.error.SSLError` for a failed
        handshake); cancelling it stops the attempt.
        """
        from bridge.endpoints import _connect_with

        def start(factory: Any) -> Any:
            return self._reactor.connectSSL(
                self._host,
                self._port,
                factory,
                self._sslContextFactory,
                timeout=self._timeout,
                bindAddress=self._bindAddress,
            )

        return _connect_with(self._reactor, start, protocolFactory)

    def __repr__(self) -> str:
        return f"<SSL4ClientEndpoint {self._host}:{self._port}>"


# -- "ssl:" strings ---------------------------------------------------------------------------

_SERVER_OPTIONS = (
    "port",
    "privateKey",
    "certKey",
    "sslmethod",
    "interface",
    "backlog",
    "extraCertChain",
    "dhParameters",
)
_CLIENT_OPTIONS = (
    "host",
    "port",
    "timeout",
    "bindAddress",
    "certKey",
    "privateKey",
    "caCertsDir",
    "hostname",
)


def _check_options(kind: str, given: dict[str, str], known: tuple[str, ...]) -> None:
    for name in given:
        if name not in known:
            raise ValueError(
                f"ssl {kind} endpoint: unknown option {name!r}; known options: {', '.join(known)}"
            )


def _integer(kind: str, name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"ssl {kind} endpoint: {name}={value!r} is not an integer") from None


def _read(kind: str, name: str, path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ValueError(
            f"ssl {kind} endpoint: cannot read {name}={path!r}: {exc.strerror or exc}"
        ) from exc


def _certificates_in(kind: str, name: str, path: str) -> list[_ssl.Certificate]:
    data = _read(kind, name, path)
    blocks = _pem_blocks(data, "CERTIFICATE")
    if not blocks:
        raise ValueError(
            f"ssl {kind} endpoint: {name}={path!r} holds no PEM certificate "
            "('-----BEGIN CERTIFICATE-----')"
        )
    return [_ssl.Certificate.loadPEM(block) for block in blocks]


def _private_certificate(
    kind: str, cert_path: str, key_path: str | None
) -> _ssl.PrivateCertificate:
    cert_pem = _read(kind, "certKey", cert_path)
    key_pem = cert_pem if key_path is None else _read(kind, "privateKey", key_path)
    try:
        cert = _ssl.Certificate.loadPEM(cert_pem)
    except ValueError as exc:
        raise ValueError(f"ssl {kind} endpoint: certKey={cert_path!r}: {exc}") from exc
    try:
        key = _ssl.KeyPair.load(key_pem, _ssl.FILETYPE_PEM)
    except ValueError as exc:
        where = key_path if key_path is not None else cert_path
        raise ValueError(f"ssl {kind} endpoint: privateKey={where!r}: {exc}") from exc
    try:
        return _ssl.PrivateCertificate.fromCertificateAndKeyPair(cert, key)
    except Exception as exc:
        raise ValueError(
            f"ssl {kind} endpoint: privateKey={key_path or cert_path!r} does not match "
            f"certKey={cert_path!r}"
        ) from exc


def parse_ssl_server(reactor: Any, *args: str, **kwargs: str) -> SSL4ServerEndpoint:
    """Build a :class:`SSL4ServerEndpoint` from an ``ssl:`` server description's parts.

    ``ssl:443:privateKey=key.pem:certKey=cert.pem`` — options: ``port`` (or the first
    positional part), ``privateKey`` (default ``server.pem``), ``certKey`` (default: the
    privateKey file), ``sslmethod`` (e.g. ``TLSv1_2_METHOD``), ``interface``, ``backlog``,
    ``extraCertChain`` (a PEM file of intermediate certificates), ``dhParameters``.

    :raises ValueError: naming the missing, unknown or bad part.
    """
    kind = "server"
    if len(args) > 1:
        raise ValueError(f"ssl server endpoint: too many positional parts {args!r}; use name=value")
    if args:
        if "port" in kwargs:
            raise ValueError("ssl server endpoint: port given both by position and as port=")
        kwargs = {"port": args[0], **kwargs}
    _check_options(kind, kwargs, _SERVER_OPTIONS)
    if "port" not in kwargs:
        raise ValueError("ssl server endpoint: missing port, e.g. 'ssl:443:privateKey=key.pem'")
    port = _integer(kind, "port", kwargs["port"])
    backlog = _integer(kind, "backlog", kwargs.get("backlog", 50))
    key_path = kwargs.get("privateKey", "server.pem")
    cert_path = kwargs.get("certKey", key_path)
    private = _private_certificate(kind, cert_path, key_path)
    options: dict[str, Any] = {}
    if "sslmethod" in kwargs:
        method = getattr(_ssl, kwargs["sslmethod"], None)
        if not kwargs["sslmethod"].endswith("_METHOD") or not isinstance(method, int):
            raise ValueError(
                f"ssl server endpoint: unknown sslmethod={kwargs['sslmethod']!r}; "
                "use TLS_METHOD, SSLv23_METHOD or TLSv1_2_METHOD"
            )
        options["method"] = method
    if "extraCertChain" in kwargs:
        options["extraCertChain"] = _certificates_in(
            kind, "extraCertChain", kwargs["extraCertChain"]
        )
    if "dhParameters" in kwargs:
        path = kwargs["dhParameters"]
        if not os.path.exists(path):
            raise ValueError(f"ssl server endpoint: dhParameters={path!r} does not exist")
        options["dhParameters"] = _ssl.DiffieHellmanParameters.fromFile(path)
    context = _ssl.CertificateOptions(privateKey=private.privateKey, certificate=private, **options)
    return SSL4ServerEndpoint(reactor, port, context, backlog, kwargs.get("interface", ""))


def parse_ssl_client(reactor: Any, *args: str, **kwargs: str) -> SSL4ClientEndpoint:
    """Build a :class:`SSL4ClientEndpoint` from an ``ssl:`` client description's parts.

    ``ssl:host=example.com:port=443`` — options: ``host`` and ``port`` (or positionally),
    ``timeout``, ``bindAddress`` (a local host to bind), ``hostname`` (the name to verify;
    default ``host``), ``caCertsDir`` (a directory of ``*.pem`` CA certificates to trust instead
    of the platform's), ``certKey`` and ``privateKey`` (a client certificate).

    :raises ValueError: naming the missing, unknown or bad part.
    """
    kind = "client"
    if len(args) > 2:
        raise ValueError(f"ssl client endpoint: too many positional parts {args!r}")
    if len(args) == 2:
        kwargs = {"host": args[0], "port": args[1], **kwargs}
    elif len(args) == 1:
        kwargs = {("port" if "host" in kwargs else "host"): args[0], **kwargs}
    _check_options(kind, kwargs, _CLIENT_OPTIONS)
    for required in ("host", "port"):
        if required not in kwargs:
            raise ValueError(
                f"ssl client endpoint: missing {required}, e.g. 'ssl:host=example.com:port=443'"
            )
    host = kwargs["host"]
    port = _integer(kind, "port", kwargs["port"])
    timeout = _integer(kind, "timeout", kwargs.get("timeout", 30))
    bind = (kwargs["bindAddress"], 0) if "bindAddress" in kwargs else None
    client_cert = None
    if "certKey" in kwargs:
        client_cert = _private_certificate(kind, kwargs["certKey"], kwargs.get("privateKey"))
    elif "privateKey" in kwargs:
        raise ValueError("ssl client endpoint: privateKey needs certKey (the client certificate)")
    trust: object = None
    if "caCertsDir" in kwargs:
        trust = _trust_root_from_dir(kwargs["caCertsDir"])
    options = _ssl.optionsForClientTLS(
        kwargs.get("hostname", host), trustRoot=trust, clientCertificate=client_cert
    )
    return SSL4ClientEndpoint(reactor, host, port, options, timeout, bind)


def _trust_root_from_dir(path: str) -> _ssl.OpenSSLCertificateAuthorities:
    """Trust every certificate in the ``*.pem`` files of the directory *path*."""
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        raise ValueError(
            f"ssl client endpoint: caCertsDir={path!r} is not a readable directory: "
            f"{exc.strerror or exc}"
        ) from exc
    certs: dict[bytes, _ssl.Certificate] = {}
    for name in names:
        if not name.lower().endswith(".pem"):
            continue
        try:
            with open(os.path.join(path, name), "rb") as handle:
                data = handle.read()
        except OSError:
            continue  # unreadable files are skipped, as Twisted does
        for block in _pem_blocks(data, "CERTIFICATE"):
            cert = _ssl.Certificate.loadPEM(block)
            certs[cert.digest("sha256")] = cert
    if not certs:
        raise ValueError(
            f"ssl client endpoint: caCertsDir={path!r} holds no *.pem CA certificate; "
            "nothing would be trusted"
        )
    return _ssl.trustRootFromCertificates(certs.values())
