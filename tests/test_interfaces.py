"""bridge.interfaces: the same interfaces, methods and argument names as Twisted's."""

from __future__ import annotations

import pytest
from zope.interface import Interface, implementer
from zope.interface.interface import InterfaceClass, Method
from zope.interface.verify import verifyObject

from bridge import interfaces

tinterfaces = pytest.importorskip("twisted.internet.interfaces")

OURS = {name: getattr(interfaces, name) for name in interfaces.__all__ if name.startswith("I")}

# Where Twisted's interface spells an argument differently or leaves out a default we give
# (the reactor contract of this project), the difference is listed here on purpose.
ARGUMENT_DIFFERENCES = {
    ("IReactorSSL", "connectSSL"),  # Twisted's interface gives no defaults; its reactors do
    ("IReactorUDP", "listenUDP"),
    ("IReactorUNIXDatagram", "connectUNIXDatagram"),
    ("IReactorUNIXDatagram", "listenUNIXDatagram"),
    ("IReactorSocket", "adoptDatagramPort"),
    ("IUDPTransport", "write"),
    ("IReactorProcess", "spawnProcess"),
    ("IReactorCore", "iterate"),
}


def test_all_are_interfaces() -> None:
    for name, iface in OURS.items():
        assert isinstance(iface, InterfaceClass), name
        assert iface.__doc__, name


@pytest.mark.parametrize("name", sorted(OURS))
def test_same_names_as_twisted(name: str) -> None:
    theirs = getattr(tinterfaces, name)
    ours = OURS[name]
    assert sorted(ours.names(all=True)) == sorted(theirs.names(all=True))
    assert [b.__name__ for b in ours.__bases__] == [b.__name__ for b in theirs.__bases__]


@pytest.mark.parametrize("name", sorted(OURS))
def test_same_argument_names_as_twisted(name: str) -> None:
    theirs = getattr(tinterfaces, name)
    ours = OURS[name]
    for attr in ours.names(all=False):
        ours_desc = ours[attr]
        theirs_desc = theirs[attr]
        assert isinstance(ours_desc, Method) == isinstance(theirs_desc, Method), attr
        if not isinstance(ours_desc, Method):
            continue
        assert ours_desc.positional == theirs_desc.positional, (name, attr)
        assert ours_desc.varargs == theirs_desc.varargs, (name, attr)
        assert ours_desc.kwargs == theirs_desc.kwargs, (name, attr)
        if (name, attr) not in ARGUMENT_DIFFERENCES:
            assert ours_desc.required == theirs_desc.required, (name, attr)
        assert ours_desc.__doc__, (name, attr)


def test_verify_object_checks_signatures() -> None:
    @implementer(interfaces.IProtocol)
    class Good:
        def dataReceived(self, data: bytes) -> None:
            pass

        def connectionLost(self, reason: object) -> None:
            pass

        def makeConnection(self, transport: object) -> None:
            pass

        def connectionMade(self) -> None:
            pass

    @implementer(interfaces.IProtocol)
    class Bad(Good):
        def dataReceived(self) -> None:  # type: ignore[override]
            pass

    assert verifyObject(interfaces.IProtocol, Good())
    with pytest.raises(Exception, match="dataReceived"):
        verifyObject(interfaces.IProtocol, Bad())


def test_provided_by() -> None:
    @implementer(interfaces.IReactorTime)
    class FakeClock:
        pass

    assert interfaces.IReactorTime.providedBy(FakeClock())
    assert not interfaces.IReactorCore.providedBy(FakeClock())
    assert issubclass(interfaces.IReadWriteDescriptor, Interface)
    assert interfaces.IReadWriteDescriptor.extends(interfaces.IFileDescriptor)
    assert interfaces.IPushProducer.extends(interfaces.IProducer)
    assert interfaces.ITLSTransport.extends(interfaces.ITransport)


def test_public_surface() -> None:
    import bridge.interfaces as module

    assert sorted(module.__all__) == [
        "Binding",
        "IAcceptableCiphers",
        "IAddress",
        "ICipher",
        "IConnector",
        "IConsumer",
        "IDelayedCall",
        "IFileDescriptor",
        "IFileDescriptorReceiver",
        "IHalfCloseableDescriptor",
        "IHalfCloseableProtocol",
        "IHandshakeListener",
        "IHostResolution",
        "IHostnameResolver",
        "IListeningPort",
        "ILoggingContext",
        "IMulticastTransport",
        "INegotiated",
        "IOpenSSLClientConnectionCreator",
        "IOpenSSLContextFactory",
        "IOpenSSLServerConnectionCreator",
        "IProcessProtocol",
        "IProcessTransport",
        "IProducer",
        "IProtocol",
        "IProtocolFactory",
        "IProtocolNegotiationFactory",
        "IPullProducer",
        "IPushProducer",
        "IReactorCore",
        "IReactorDaemonize",
        "IReactorFDSet",
        "IReactorFromThreads",
        "IReactorInThreads",
        "IReactorMulticast",
        "IReactorPluggableNameResolver",
        "IReactorPluggableResolver",
        "IReactorProcess",
        "IReactorSSL",
        "IReactorSocket",
        "IReactorTCP",
        "IReactorTCP2",
        "IReactorThreads",
        "IReactorTime",
        "IReactorUDP",
        "IReactorUNIX",
        "IReactorUNIXDatagram",
        "IReactorWin32Events",
        "IReadDescriptor",
        "IReadWriteDescriptor",
        "IResolutionReceiver",
        "IResolver",
        "IResolverSimple",
        "ISSLTransport",
        "IServiceCollection",
        "IStreamClientEndpoint",
        "IStreamClientEndpointStringParserWithReactor",
        "IStreamServerEndpoint",
        "IStreamServerEndpointStringParser",
        "ISystemHandle",
        "ITCPTransport",
        "ITLSTransport",
        "ITransport",
        "IUDPTransport",
        "IUNIXDatagramConnectedTransport",
        "IUNIXDatagramTransport",
        "IUNIXTransport",
        "IWriteDescriptor",
    ]
    for name in module.__all__:
        assert getattr(module, name).__doc__, name


def _bridge_classes() -> list[type]:
    import importlib
    import inspect
    import pkgutil

    import bridge

    classes: dict[type, None] = {}
    for info in pkgutil.walk_packages(bridge.__path__, "bridge."):
        if info.name == "bridge.__main__":
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__.startswith("bridge."):
                classes[obj] = None
    return list(classes)


def test_every_bridge_class_provides_what_it_declares() -> None:
    """Each bridge class declaring an interface (@implementer) passes verifyClass."""
    from zope.interface import implementedBy
    from zope.interface.verify import verifyClass

    checked = 0
    for cls in _bridge_classes():
        for iface in implementedBy(cls):
            assert verifyClass(iface, cls), (cls, iface)
            checked += 1
    assert checked > 20


def test_binding_is_an_opaque_newtype_as_in_twisted() -> None:
    assert interfaces.Binding.__supertype__.__name__ == tinterfaces.Binding.__supertype__.__name__
    binding = interfaces.Binding(interfaces._Binding("127.0.0.1", 8080))
    assert binding._port == 8080 and not binding._reusePort
