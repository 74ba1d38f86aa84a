"""twisted.internet.main.CONNECTION_DONE/CONNECTION_LOST are exception instances, and
protocol.connectionDone is the Failure Protocol.connectionLost gets by default."""

from twisted.internet import main, protocol

for name in ("CONNECTION_DONE", "CONNECTION_LOST"):
    value = getattr(main, name)
    print(name, type(value).__name__, isinstance(value, Exception), str(value))
print(
    "connectionDone", type(protocol.connectionDone).__name__, protocol.connectionDone.type.__name__
)
