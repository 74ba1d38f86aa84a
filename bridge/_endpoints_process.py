"""Endpoints on child processes and on standard I/O.

``ProcessEndpoint`` runs a child process per ``connect()`` and hands an ordinary
``IProtocol`` the child's stdout as ``dataReceived`` and its stdin as ``transport.write``;
``StandardIOEndpoint`` listens on this process's own stdin/stdout. Re-exported by
:mod:`bridge.endpoints`, like Twisted's ``twisted.internet.endpoints`` counterparts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zope.interface import implementer

from bridge import log
from bridge._constants import ConstantsEnum
from bridge._reactor.process import _ProcessAddress
from bridge.defer import Deferred, fail, succeed
from bridge.error import ConnectionDone, ProcessDone
from bridge.failure import Failure
from bridge.interfaces import (
    IConsumer,
    IProcessTransport,
    IPushProducer,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from bridge.protocol import ProcessProtocol

__all__ = ["ProcessEndpoint", "StandardErrorBehavior", "StandardIOEndpoint"]


class StandardErrorBehavior(ConstantsEnum):
    """What a :class:`ProcessEndpoint` does with what the child writes to stderr.

    :cvar LOG: log it (the default).
    :cvar DROP: drop it.
    """

    LOG = "LOG"
    DROP = "DROP"


@implementer(IProcessTransport, IConsumer, IPushProducer)
class _ProcessEndpointTransport:
    """The transport of a ProcessEndpoint's protocol: the process transport, as ITransport."""

    def __init__(self, process: Any) -> None:
        self._process = process

    @property
    def pid(self) -> int | None:
        """The child's process ID, or ``None`` once it has exited."""
        pid: int | None = self._process.pid
        return pid

    def __getattr__(self, name: str) -> Any:
        # Everything else (signalProcess, closeStdin, registerProducer...) is the process's.
        return getattr(self._process, name)

    def write(self, data: bytes) -> None:
        """Write *data* to the child's stdin."""
        self._process.write(data)

    def writeSequence(self, seq: Iterable[bytes]) -> None:
        """Write each chunk of *seq* to the child's stdin."""
        self._process.writeSequence(seq)

    def loseConnection(self) -> None:
        """Close the child's stdin, stdout and stderr."""
        self._process.loseConnection()

    def getPeer(self) -> Any:
        """Return the child's (empty) address."""
        return self._process.getPeer()

    def getHost(self) -> Any:
        """Return this side's (empty) address."""
        return self._process.getHost()

    def closeStdin(self) -> None:
        """Close the child's stdin."""
        self._process.closeStdin()

    def closeStdout(self) -> None:
        """Close the child's stdout."""
        self._process.closeStdout()

    def closeStderr(self) -> None:
        """Close the child's stderr."""
        self._process.closeStderr()

    def closeChildFD(self, descriptor: int) -> None:
        """Close the child's descriptor *descriptor*."""
        self._process.closeChildFD(descriptor)

    def writeToChild(self, childFD: int, data: bytes) -> None:
        """Write *data* to the child's descriptor *childFD*."""
        self._process.writeToChild(childFD, data)

    def signalProcess(self, signalID: str | int) -> None:
        """Send a signal to the child (see ``IProcessTransport.signalProcess``)."""
        self._process.signalProcess(signalID)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let *producer* write to the child's stdin."""
        self._process.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        """Stop using the registered producer."""
        self._process.unregisterProducer()

    def pauseProducing(self) -> None:
        """Stop reading the child's output."""
        self._process.pauseProducing()

    def resumeProducing(self) -> None:
        """Read the child's output again."""
        self._process.resumeProducing()

    def stopProducing(self) -> None:
        """Close the child's pipes."""
        self._process.stopProducing()


class _WrapIProtocol(ProcessProtocol):
    """Drive an ``IProtocol`` from a child process's events."""

    def __init__(self, proto: Any, executable: object, errFlag: StandardErrorBehavior) -> None:
        self.protocol = proto
        self.executable = executable
        self.errFlag = errFlag

    def makeConnection(self, transport: Any) -> None:
        self.transport = _ProcessEndpointTransport(transport)
        self.protocol.makeConnection(self.transport)

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        if childFD == 1:
            self.protocol.dataReceived(data)
        elif childFD == 2 and self.errFlag == StandardErrorBehavior.LOG:
            log.msg(
                f"Process {self.executable!r} wrote stderr unhandled by {self.protocol!r}: {data!r}"
            )

    def processEnded(self, reason: Failure) -> None:
        if reason.check(ProcessDone) and reason.value.status == 0:  # type: ignore[attr-defined]
            self.protocol.connectionLost(Failure(ConnectionDone()))
        else:
            self.protocol.connectionLost(reason)


@implementer(IStreamClientEndpoint)
class ProcessEndpoint:
    """An endpoint whose every ``connect()`` runs a child process.

    The parameters are those of ``reactor.spawnProcess`` (*args* is the whole argv), plus:

    :param errFlag: what to do with the child's stderr (:class:`StandardErrorBehavior`).
    """

    def __init__(
        self,
        reactor: Any,
        executable: bytes | str,
        args: Sequence[bytes | str] = (),
        env: Mapping[Any, Any] | None = {},  # Twisted's signature; never mutated
        path: bytes | str | None = None,
        uid: int | None = None,
        gid: int | None = None,
        usePTY: bool = False,
        childFDs: Mapping[int, object] | None = None,
        errFlag: StandardErrorBehavior = StandardErrorBehavior.LOG,
    ) -> None:
        self._reactor = reactor
        self._executable = executable
        self._args = args
        self._env = env
        self._path = path
        self._uid = uid
        self._gid = gid
        self._usePTY = usePTY
        self._childFDs = childFDs
        self._errFlag = errFlag

    def __repr__(self) -> str:
        return f"<ProcessEndpoint {self._executable!r} args={list(self._args)!r}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Start the child and connect a protocol built by *protocolFactory* to it.

        :returns: a Deferred firing with the protocol once the child runs, or failing with
            the reason it could not be started (``FileNotFoundError``...).
        """
        try:
            proto = protocolFactory.buildProtocol(_ProcessAddress())
            if proto is None:
                raise ValueError(
                    f"{protocolFactory!r}.buildProtocol() returned None: no protocol to connect"
                )
            self._reactor.spawnProcess(
                _WrapIProtocol(proto, self._executable, self._errFlag),
                self._executable,
                self._args,
                self._env,
                self._path,
                self._uid,
                self._gid,
                self._usePTY,
                self._childFDs,
            )
        except Exception:
            return fail()
        return succeed(proto)


@implementer(IStreamServerEndpoint)
class StandardIOEndpoint:
    """An endpoint that "listens" on this process's standard input and output.

    :param reactor: the reactor to use.
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor

    def listen(self, stdioProtocolFactory: Any) -> Deferred[Any]:
        """Connect a protocol built by *stdioProtocolFactory* to stdin/stdout.

        :returns: a Deferred firing with the ``StandardIO`` transport.
        """
        from bridge.stdio import PipeAddress, StandardIO

        try:
            proto = stdioProtocolFactory.buildProtocol(PipeAddress())
            return succeed(StandardIO(proto, reactor=self._reactor))
        except Exception:
            return fail()
