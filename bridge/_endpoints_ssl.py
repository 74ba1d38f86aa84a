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

from zope.interface import directlyProvides, implementer, providedBy

from bridge import ssl as _ssl
from bridge._ssl_certs import _pem_blocks
from bridge.interfaces import (
    IHalfCloseableProtocol,
    IHandshakeListener,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from bridge.protocol import Protocol, connectionDone

if TYPE_CHECKING:
    from bridge.defer import Deferred
    from bridge.failure import Failure

__all__ = [
    "SSL4ClientEndpoint",
    "SSL4ServerEndpoint",
    "parse_ssl_client",
    "parse_ssl_server",
    "parse_tls_client",
    "wrapClientTLS",
    "wrapServerTLS",
]


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


def _label(kind: str) -> str:
    """Name the endpoint kind in messages: ``ssl server endpoint``, ``tls client endpoint``."""
    return f"{kind} endpoint" if kind.startswith("tls") else f"ssl {kind} endpoint"


def _check_options(kind: str, given: dict[str, str], known: tuple[str, ...]) -> None:
    for name in given:
        if name not in known:
            raise ValueError(
                f"{_label(kind)}: unknown option {name!r}; known options: {', '.join(known)}"
            )


def _integer(kind: str, name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"{_label(kind)}: {name}={value!r} is not an integer") from None


def _read(kind: str, name: str, path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ValueError(
            f"{_label(kind)}: cannot read {name}={path!r}: {exc.strerror or exc}"
        ) from exc


def _certificates_in(kind: str, name: str, path: str) -> list[_ssl.Certificate]:
    data = _read(kind, name, path)
    blocks = _pem_blocks(data, "CERTIFICATE")
    if not blocks:
        raise ValueError(
            f"{_label(kind)}: {name}={path!r} holds no PEM certificate "
            "('-----BEGIN CERTIFICATE-----')"
        )
    return [_ssl.Certificate.loadPEM(block) for block in blocks]


def _private_certificate(
    kind: str,
    cert_path: str,
    key_path: str | None,
    names: tuple[str, str] = ("certKey", "privateKey"),
) -> _ssl.PrivateCertificate:
    cert_name, key_name = names
    cert_pem = _read(kind, cert_name, cert_path)
    key_pem = cert_pem if key_path is None else _read(kind, key_name, key_path)
    try:
        cert = _ssl.Certificate.loadPEM(cert_pem)
    except ValueError as exc:
        raise ValueError(f"{_label(kind)}: {cert_name}={cert_path!r}: {exc}") from exc
    try:
        key = _ssl.KeyPair.load(key_pem, _ssl.FILETYPE_PEM)
    except ValueError as exc:
        where = key_path if key_path is not None else cert_path
        raise ValueError(f"{_label(kind)}: {key_name}={where!r}: {exc}") from exc
    try:
        return _ssl.PrivateCertificate.fromCertificateAndKeyPair(cert, key)
    except Exception as exc:
        raise ValueError(
            f"{_label(kind)}: {key_name}={key_path or cert_path!r} does not match "
            f"{cert_name}={cert_path!r}"
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


def _trust_root_from_dir(
    path: str, kind: str = "client", name: str = "caCertsDir"
) -> _ssl.OpenSSLCertificateAuthorities:
    """Trust every certificate in the ``*.pem`` files of the directory *path*."""
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        raise ValueError(
            f"{_label(kind)}: {name}={path!r} is not a readable directory: {exc.strerror or exc}"
        ) from exc
    certs: dict[bytes, _ssl.Certificate] = {}
    for entry in names:
        if not entry.lower().endswith(".pem"):
            continue
        try:
            with open(os.path.join(path, entry), "rb") as handle:
                data = handle.read()
        except OSError:
            continue  # unreadable files are skipped, as Twisted does
        for block in _pem_blocks(data, "CERTIFICATE"):
            cert = _ssl.Certificate.loadPEM(block)
            certs[cert.digest("sha256")] = cert
    if not certs:
        raise ValueError(
            f"{_label(kind)}: {name}={path!r} holds no *.pem CA certificate; "
            "nothing would be trusted"
        )
    return _ssl.trustRootFromCertificates(certs.values())


# -- wrapClientTLS / wrapServerTLS ------------------------------------------------------------


class _TLSStarter(Protocol):
    """Start TLS as soon as the connection is made, then pass every event to the user's protocol.

    Writes the user's protocol makes in ``connectionMade`` are held and sent encrypted once the
    handshake completes, as with Twisted's ``TLSMemoryBIOProtocol``.

    :ivar wrappedProtocol: the user's protocol.
    """

    def __init__(self, wrapped: Any, creator: object) -> None:
        self.wrappedProtocol = wrapped
        self._creator = creator
        extra = [i for i in (IHalfCloseableProtocol, IHandshakeListener) if i.providedBy(wrapped)]
        if extra:
            directlyProvides(self, *extra, *providedBy(self))

    def logPrefix(self) -> str:
        prefix = getattr(self.wrappedProtocol, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self.wrappedProtocol).__name__

    def makeConnection(self, transport: Any) -> None:
        self.connected = 1
        self.transport = transport
        start = getattr(transport, "startTLS", None)
        if start is None:
            raise TypeError(
                f"wrapClientTLS/wrapServerTLS: {transport!r} cannot start TLS "
                "(wrap a TCP endpoint such as HostnameEndpoint or TCP4ClientEndpoint)"
            )
        start(self._creator)
        self.wrappedProtocol.makeConnection(transport)

    def dataReceived(self, data: bytes) -> None:
        self.wrappedProtocol.dataReceived(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.wrappedProtocol.connectionLost(reason)

    def readConnectionLost(self) -> None:
        self.wrappedProtocol.readConnectionLost()

    def writeConnectionLost(self) -> None:
        self.wrappedProtocol.writeConnectionLost()

    def handshakeCompleted(self) -> None:
        self.wrappedProtocol.handshakeCompleted()


class _TLSStarterFactory:
    """Wrap a protocol factory so that each protocol it builds starts TLS first."""

    noisy = False

    def __init__(self, wrapped: Any, creator: object) -> None:
        self._wrapped = wrapped
        self._creator = creator

    def doStart(self) -> None:
        self._wrapped.doStart()

    def doStop(self) -> None:
        self._wrapped.doStop()

    def logPrefix(self) -> str:
        prefix = getattr(self._wrapped, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self._wrapped).__name__

    def buildProtocol(self, addr: object) -> _TLSStarter | None:
        proto = self._wrapped.buildProtocol(addr)
        return None if proto is None else _TLSStarter(proto, self._creator)

    def startedConnecting(self, connector: Any) -> None:
        hook = getattr(self._wrapped, "startedConnecting", None)
        if hook is not None:
            hook(connector)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        hook = getattr(self._wrapped, "clientConnectionFailed", None)
        if hook is not None:
            hook(connector, reason)

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        hook = getattr(self._wrapped, "clientConnectionLost", None)
        if hook is not None:
            hook(connector, reason)


def _unwrap(starter: _TLSStarter) -> Any:
    # The endpoint's own wrapper handed the connection to our starter; let the user's
    # protocol receive events directly from now on, where the transport allows it.
    rebind = getattr(starter.transport, "_rebind_protocol", None)
    if rebind is not None:
        rebind(starter.wrappedProtocol)
    return starter.wrappedProtocol


@implementer(IStreamClientEndpoint)
class _TLSWrapperClientEndpoint:
    def __init__(self, creator: object, wrapped: Any) -> None:
        self._creator = creator
        self._wrappedEndpoint = wrapped

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        d: Deferred[Any] = self._wrappedEndpoint.connect(
            _TLSStarterFactory(protocolFactory, self._creator)
        )
        return d.addCallback(_unwrap)

    def __repr__(self) -> str:
        return f"<wrapClientTLS {self._creator!r} over {self._wrappedEndpoint!r}>"


@implementer(IStreamServerEndpoint)
class _TLSWrapperServerEndpoint:
    def __init__(self, creator: object, wrapped: Any) -> None:
        self._creator = creator
        self._wrappedEndpoint = wrapped

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        d: Deferred[Any] = self._wrappedEndpoint.listen(
            _TLSStarterFactory(protocolFactory, self._creator)
        )
        return d

    def __repr__(self) -> str:
        return f"<wrapServerTLS {self._creator!r} over {self._wrappedEndpoint!r}>"


def _check_creator(creator: object, server_side: bool, where: str) -> None:
    # Fail at wrap time rather than at the first connection.
    try:
        _ssl._tls_context_for(creator, server_side=server_side)
    except TypeError as exc:
        raise TypeError(f"{where}: {exc}") from None


def wrapClientTLS(
    connectionCreator: object, wrappedEndpoint: Any, clock: object = None
) -> _TLSWrapperClientEndpoint:
    """Return a client endpoint that starts TLS on each connection *wrappedEndpoint* makes.

    :param connectionCreator: the client TLS settings, usually
        :func:`bridge.ssl.optionsForClientTLS`; an :class:`ssl.SSLContext` works too.
    :param wrappedEndpoint: a TCP client endpoint (``HostnameEndpoint``, ``TCP4ClientEndpoint``).
    :param clock: accepted for compatibility; unused.
    """
    _check_creator(connectionCreator, False, "wrapClientTLS")
    return _TLSWrapperClientEndpoint(connectionCreator, wrappedEndpoint)


def wrapServerTLS(
    connectionCreator: object, wrappedEndpoint: Any, clock: object = None
) -> _TLSWrapperServerEndpoint:
    """Return a server endpoint that starts TLS on each connection *wrappedEndpoint* accepts.

    :param connectionCreator: the server TLS settings (:class:`bridge.ssl.CertificateOptions`,
        :class:`bridge.ssl.DefaultOpenSSLContextFactory` or a server :class:`ssl.SSLContext`).
    :param wrappedEndpoint: a TCP server endpoint.
    :param clock: accepted for compatibility; unused.
    """
    _check_creator(connectionCreator, True, "wrapServerTLS")
    return _TLSWrapperServerEndpoint(connectionCreator, wrappedEndpoint)


_TLS_OPTIONS = (
    "host",
    "port",
    "timeout",
    "bindAddress",
    "certificate",
    "privateKey",
    "trustRoots",
    "endpoint",
)


def parse_tls_client(reactor: Any, *args: str, **kwargs: str) -> _TLSWrapperClientEndpoint:
    """Build a verified TLS client endpoint from a ``tls:`` description's parts.

    ``tls:example.com:443`` — options: ``host`` and ``port`` (or positionally), ``timeout``,
    ``bindAddress``, ``trustRoots`` (a directory of ``*.pem`` CAs to trust instead of the
    platform's), ``certificate`` and ``privateKey`` (a client certificate), ``endpoint`` (a
    client description to connect through; ``host`` is then only the name to verify).

    :raises ValueError: naming the missing, unknown or bad part.
    """
    kind = "tls client"
    if len(args) > 2:
        raise ValueError(f"tls client endpoint: too many positional parts {args!r}")
    names = ("host", "port")[: len(args)]
    for name, value in zip(names, args, strict=True):
        if name in kwargs:
            raise ValueError(f"tls client endpoint: {name} given both by position and as {name}=")
        kwargs = {**kwargs, name: value}
    for name in kwargs:
        if name not in _TLS_OPTIONS:
            raise ValueError(
                f"tls client endpoint: unknown option {name!r}; "
                f"known options: {', '.join(_TLS_OPTIONS)}"
            )
    for required in ("host", "port"):
        if required not in kwargs:
            raise ValueError(f"tls client endpoint: missing {required}, e.g. 'tls:example.com:443'")
    host = kwargs["host"]
    port = _integer(kind, "port", kwargs["port"])
    timeout = _integer(kind, "timeout", kwargs.get("timeout", 30))
    client_cert = None
    if "certificate" in kwargs:
        client_cert = _private_certificate(
            kind, kwargs["certificate"], kwargs.get("privateKey"), ("certificate", "privateKey")
        )
    elif "privateKey" in kwargs:
        raise ValueError("tls client endpoint: privateKey needs certificate")
    trust = (
        _trust_root_from_dir(kwargs["trustRoots"], kind, "trustRoots")
        if ("trustRoots" in kwargs)
        else None
    )
    options = _ssl.optionsForClientTLS(host, trustRoot=trust, clientCertificate=client_cert)
    from bridge import endpoints

    inner: Any
    if "endpoint" in kwargs:
        inner = endpoints.clientFromString(reactor, kwargs["endpoint"])
    else:
        bind = (kwargs["bindAddress"], 0) if "bindAddress" in kwargs else None
        inner = endpoints.HostnameEndpoint(reactor, host, port, timeout, bind)
    return wrapClientTLS(options, inner)
