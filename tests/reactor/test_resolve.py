"""The reactor's pluggable resolvers (IReactorPluggableResolver / IReactorPluggableNameResolver)."""

from __future__ import annotations

from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from bridge import error, protocol
from bridge._reactor import AsyncioReactor
from bridge._reactor._resolve import (
    ComplexResolverSimplifier,
    GAIResolver,
    SimpleResolverComplexifier,
)
from bridge.address import IPv4Address, IPv6Address
from bridge.defer import Deferred, fail, succeed
from bridge.endpoints import HostnameEndpoint, TCP4ClientEndpoint
from bridge.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IReactorPluggableNameResolver,
    IReactorPluggableResolver,
    IResolutionReceiver,
    IResolverSimple,
)


@implementer(IResolutionReceiver)
class Receiver:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.done: Deferred[list[Any]] = Deferred()

    def resolutionBegan(self, resolution: Any) -> None:
        self.events.append(("began", resolution.name))

    def addressResolved(self, address: Any) -> None:
        self.events.append(address)

    def resolutionComplete(self) -> None:
        self.events.append("complete")
        self.done.callback(self.events)


@implementer(IResolverSimple)
class FixedSimple:
    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.asked: list[tuple[Any, ...]] = []

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
        self.asked.append((name, timeout))
        if self.answer is None:
            return fail(error.DNSLookupError(name))
        return succeed(self.answer)


@implementer(IHostnameResolver)
class FixedNames:
    def __init__(self, *hosts: str) -> None:
        self.hosts = hosts
        self.asked: list[tuple[Any, ...]] = []

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        self.asked.append((hostName, portNumber, addressTypes, transportSemantics))
        from bridge._reactor._resolve import HostResolution

        resolution = HostResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        for host in self.hosts:
            kind = IPv6Address if ":" in host else IPv4Address
            resolutionReceiver.addressResolved(kind("TCP", host, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


def test_reactor_provides_pluggable_resolvers(reactor: AsyncioReactor) -> None:
    assert verifyObject(IReactorPluggableResolver, reactor)
    assert verifyObject(IReactorPluggableNameResolver, reactor)
    assert isinstance(reactor.nameResolver, GAIResolver)
    assert verifyObject(IHostnameResolver, reactor.nameResolver)
    assert verifyObject(IResolverSimple, reactor.resolver)
    with pytest.raises(AttributeError):
        reactor.nameResolver = FixedNames()  # type: ignore[misc]


def test_gai_resolver_reports_began_addresses_complete(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    receiver = Receiver()
    resolution = reactor.nameResolver.resolveHostName(receiver, "localhost", 80, [IPv4Address])
    assert verifyObject(IHostResolution, resolution)
    assert receiver.events == [("began", "localhost")]  # synchronously
    events = run_until(receiver.done)
    assert events == [("began", "localhost"), IPv4Address("TCP", "127.0.0.1", 80), "complete"]


def test_gai_resolver_udp_semantics_and_unknown_name(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    receiver = Receiver()
    reactor.nameResolver.resolveHostName(receiver, "127.0.0.1", 53, None, "UDP")
    assert run_until(receiver.done)[1] == IPv4Address("UDP", "127.0.0.1", 53)
    missing = Receiver()
    reactor.nameResolver.resolveHostName(missing, "no-such-host.invalid")
    assert run_until(missing.done) == [("began", "no-such-host.invalid"), "complete"]


def test_cancelled_resolution_only_completes(reactor: AsyncioReactor, run_until: Any) -> None:
    receiver = Receiver()
    reactor.nameResolver.resolveHostName(receiver, "localhost").cancel()
    assert run_until(receiver.done) == [("began", "localhost"), "complete"]


def test_install_resolver_wraps_it_as_name_resolver(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    simple = FixedSimple("10.0.0.7")
    previous = reactor.installResolver(simple)
    assert isinstance(previous, ComplexResolverSimplifier)
    assert reactor.resolver is simple
    assert isinstance(reactor.nameResolver, SimpleResolverComplexifier)
    assert run_until(reactor.resolve("db.example")) == "10.0.0.7"
    receiver = Receiver()
    reactor.nameResolver.resolveHostName(receiver, "db.example", 5432)
    assert run_until(receiver.done)[1:] == [IPv4Address("TCP", "10.0.0.7", 5432), "complete"]
    assert reactor.installResolver(previous) is simple


def test_install_resolver_refuses_non_providers(reactor: AsyncioReactor) -> None:
    with pytest.raises(AssertionError, match="IResolverSimple"):
        reactor.installResolver(object())


def test_install_name_resolver_backs_resolve(reactor: AsyncioReactor, run_until: Any) -> None:
    names = FixedNames("10.1.1.1", "10.1.1.2")
    previous = reactor.installNameResolver(names)
    assert isinstance(previous, GAIResolver)
    assert reactor.nameResolver is names
    assert run_until(reactor.resolve("x.example")) == "10.1.1.1"
    assert names.asked == [("x.example", 0, [IPv4Address], "TCP")]
    reactor.installNameResolver(FixedNames())
    with pytest.raises(error.DNSLookupError) as info:
        run_until(reactor.resolve("y.example"))
    assert str(info.value) == "DNS lookup failed: y.example."


def test_resolve_literals_skip_the_resolver(reactor: AsyncioReactor) -> None:
    simple = FixedSimple(None)
    reactor.installResolver(simple)
    seen: list[str] = []
    reactor.resolve("10.2.3.4").addCallback(seen.append)
    reactor.resolve("").addCallback(seen.append)
    assert seen == ["10.2.3.4", "0.0.0.0"]
    assert simple.asked == []


class _Failed(protocol.ClientFactory):
    def __init__(self) -> None:
        self.reason: Deferred[Any] = Deferred()

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        self.reason.callback([reason])


def test_connect_tcp_resolves_through_the_installed_resolver(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    received: Deferred[Any] = Deferred()

    class Server(protocol.Protocol):
        def connectionMade(self) -> None:
            received.callback(self.transport.getPeer().host)  # type: ignore[union-attr]

    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Server), interface="127.0.0.1")
    names = FixedNames("127.0.0.1")
    reactor.installNameResolver(names)
    client = protocol.ClientFactory.forProtocol(protocol.Protocol)
    connector = reactor.connectTCP("server.example", port.getHost().port, client)
    assert run_until(received) == "127.0.0.1"
    assert names.asked == [("server.example", 0, [IPv4Address], "TCP")]
    connector.disconnect()
    run_until(port.stopListening())


def test_connect_tcp_reports_the_resolver_failure(reactor: AsyncioReactor, run_until: Any) -> None:
    reactor.installNameResolver(FixedNames())
    factory = _Failed()
    reactor.connectTCP("nowhere.example", 80, factory)
    [reason] = run_until(factory.reason)
    assert reason.check(error.DNSLookupError)
    assert str(reason.value) == "DNS lookup failed: nowhere.example."
    d = TCP4ClientEndpoint(reactor, "nowhere.example", 80).connect(factory)
    with pytest.raises(error.DNSLookupError):
        run_until(d)


def test_hostname_endpoint_uses_name_resolver(reactor: AsyncioReactor, run_until: Any) -> None:
    names = FixedNames()
    reactor.installNameResolver(names)
    endpoint = HostnameEndpoint(reactor, b"nowhere.example", 80)
    with pytest.raises(error.DNSLookupError) as info:
        run_until(endpoint.connect(protocol.Factory.forProtocol(protocol.Protocol)))
    assert info.value.args == ("no results for hostname lookup: nowhere.example",)
    assert names.asked == [("nowhere.example", 80, None, "TCP")]
