"""AsyncioReactor: Twisted's reactor API as a thin facade over an asyncio event loop.

The facade owns small single-purpose parts and delegates to them: :class:`Timers`
(``callLater`` on ``loop.call_at``), :class:`FDWatcher` (``addReader`` on
``loop.add_reader``), :class:`Lifecycle` (run/stop/crash, system events, signals) and the
thread support. Networking and processes are thin lazy delegations to the sibling modules
``tcp``, ``unix``, ``udp``, ``ssl`` and ``process``.
"""

from __future__ import annotations

import contextvars
import importlib
from asyncio import AbstractEventLoop
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from zope.interface import implementer

from bridge._delayed import DelayedCall
from bridge._reactor._log import log_error
from bridge._reactor.core import Lifecycle, TriggerID
from bridge._reactor.fd import FDWatcher
from bridge._reactor.threads import FromThreads, ThreadPool
from bridge._reactor.time import ReactorCall, Timers, check_call_later
from bridge.interfaces import (
    IReactorCore,
    IReactorFDSet,
    IReactorFromThreads,
    IReactorInThreads,
    IReactorMulticast,
    IReactorProcess,
    IReactorSocket,
    IReactorSSL,
    IReactorTCP,
    IReactorThreads,
    IReactorTime,
    IReactorUDP,
    IReactorUNIX,
)

if TYPE_CHECKING:
    from bridge.defer import Deferred

__all__ = ["AsyncioReactor", "ThreadPool"]


_is_callable = callable
_copy_context = contextvars.copy_context


def _impl(name: str) -> Any:
    # Networking and processes live in sibling modules that land independently; import
    # them on first use so the reactor imports without them.
    return importlib.import_module(f"bridge._reactor.{name}")


@implementer(
    IReactorCore,
    IReactorTime,
    IReactorFDSet,
    IReactorThreads,
    IReactorFromThreads,
    IReactorInThreads,
    IReactorTCP,
    IReactorUNIX,
    IReactorUDP,
    IReactorMulticast,
    IReactorSocket,
    IReactorSSL,
    IReactorProcess,
)
class AsyncioReactor:
    """A Twisted-compatible reactor running on *loop* (stdlib asyncio or uvloop).

    Made by :func:`bridge.install`; ``bridge.reactor`` is the installed one.

    :ivar _loop: the asyncio event loop; other ``bridge._reactor`` modules use it directly.
    """

    def __init__(self, loop: AbstractEventLoop) -> None:
        """Bind a new reactor to *loop*; if the loop is running, it starts as a guest."""
        if not isinstance(loop, AbstractEventLoop):
            raise TypeError(
                f"AsyncioReactor() needs an asyncio event loop, got {type(loop).__name__}"
            )
        if loop.is_closed():
            raise RuntimeError(f"AsyncioReactor({loop!r}): the event loop is closed")
        self._loop = loop
        self._timers = Timers(loop)
        self._fds = FDWatcher(loop)
        self._lifecycle = Lifecycle(loop)
        self._from_threads = FromThreads(loop)
        # Called first by _teardown(), in order; other _reactor modules append to it.
        self._teardown_hooks: list[Callable[[], object]] = []
        self._pool: ThreadPool | None = None
        self._pool_size = 10

    # -- IReactorCore -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True from the startup event's during phase until the shutdown's during phase."""
        return self._lifecycle.running

    def run(self, installSignalHandlers: bool = True) -> None:
        """Run the loop until :meth:`stop` (or :meth:`crash`), firing startup/shutdown events.

        :param installSignalHandlers: install SIGINT/SIGTERM handlers (main thread only) that
            stop the reactor gracefully. Signals the application already handles are left alone.
        :raises ReactorAlreadyRunning: when the loop is already running (guest mode).
        :raises ReactorNotRestartable: when the reactor already ran and stopped.
        """
        self._lifecycle.run(bool(installSignalHandlers))

    def stop(self) -> None:
        """Fire the shutdown event; stop the loop afterwards if :meth:`run` is driving it.

        In guest mode the loop keeps running: it belongs to the application.

        :raises ReactorNotRunning: when the reactor is not running or already stopping.
        """
        self._lifecycle.stop()

    def crash(self) -> None:
        """Stop the loop at once, without firing shutdown triggers."""
        self._lifecycle.crash()

    def iterate(self, delay: float = 0) -> None:
        """Run one iteration of the loop, waiting at most *delay* seconds for events."""
        loop = self._loop
        if loop.is_running():
            raise RuntimeError(
                "iterate() while the loop is running: it can only drive an idle loop"
            )
        loop.call_later(delay, loop.stop)
        loop.run_forever()

    def fireSystemEvent(self, eventType: str) -> None:
        """Fire the system event *eventType* (all its before/during/after triggers)."""
        self._lifecycle.fire(eventType)

    def addSystemEventTrigger(
        self,
        phase: str,
        eventType: str,
        callable: Callable[..., object],
        *args: object,
        **kw: object,
    ) -> TriggerID:
        """Call ``callable(*args, **kw)`` in *phase* ("before", "during", "after") of *eventType*.

        :return: an ID for :meth:`removeSystemEventTrigger`.
        :raises KeyError: for an unknown phase.
        """
        return self._lifecycle.add_trigger(phase, eventType, callable, args, kw)

    def removeSystemEventTrigger(self, triggerID: object) -> None:
        """Unregister the trigger *triggerID* returned by :meth:`addSystemEventTrigger`.

        :raises ValueError: if it is not registered (any more).
        """
        self._lifecycle.remove_trigger(triggerID)

    def callWhenRunning(
        self, callable: Callable[..., object], *args: object, **kw: object
    ) -> TriggerID | None:
        """Call ``callable(*args, **kw)`` once the reactor runs (at once if it already does).

        :return: a trigger ID while the call is still pending, else None.
        """
        return self._lifecycle.call_when_running(callable, args, kw)

    def resolve(self, name: str, timeout: object = (1, 3, 11, 45)) -> Deferred[str]:
        """Return a Deferred firing with the IPv4 address of host *name*.

        Uses the loop's resolver (``loop.getaddrinfo``).

        :param timeout: seconds (a number, or a sequence whose sum is used) before the
            lookup fails with DNSLookupError.
        """
        from bridge._reactor._resolve import resolve

        return resolve(self, name, timeout)

    # -- IReactorTime -----------------------------------------------------------------------

    def seconds(self) -> float:
        """Return the loop's clock, ``loop.time()`` (monotonic, not the epoch)."""
        return self._loop.time()

    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object, **kw: object
    ) -> DelayedCall:
        """Call ``callable(*args, **kw)`` in *delay* seconds; return a DelayedCall.

        Calls due at the same time run in the order they were scheduled; each runs in the
        :mod:`contextvars` context of the code that scheduled it. An exception in the call is
        logged through ``bridge.log.err``.

        :raises TypeError: if *callable* is not callable (e.g. a coroutine object).
        :raises ValueError: if *delay* is negative.
        """
        # Timers.call_later inlined: one Python frame less on a hot path.
        if not _is_callable(callable) or delay < 0:
            check_call_later(delay, callable)
        timers = self._timers
        when = timers.seconds() + delay
        seq = timers.next_seq
        timers.next_seq = seq + 1
        dc = ReactorCall(when, callable, args, kw, timers, _copy_context(), seq)
        timers.new.append(dc)
        if when < timers.handle_when:
            timers.arm(when)
        return dc

    def getDelayedCalls(self) -> list[DelayedCall]:
        """Return the pending DelayedCalls, earliest first."""
        return self._timers.delayed_calls()

    # -- IReactorFDSet ----------------------------------------------------------------------

    def addReader(self, reader: Any) -> None:
        """Call ``reader.doRead()`` whenever ``reader.fileno()`` is readable."""
        self._fds.add_reader(reader)

    def addWriter(self, writer: Any) -> None:
        """Call ``writer.doWrite()`` whenever ``writer.fileno()`` is writable."""
        self._fds.add_writer(writer)

    def removeReader(self, reader: Any) -> None:
        """Stop watching *reader* for readability."""
        self._fds.remove_reader(reader)

    def removeWriter(self, writer: Any) -> None:
        """Stop watching *writer* for writability."""
        self._fds.remove_writer(writer)

    def removeAll(self) -> list[Any]:
        """Stop watching every reader and writer; return them."""
        return self._fds.remove_all()

    def getReaders(self) -> list[Any]:
        """Return the watched readers."""
        return self._fds.readers()

    def getWriters(self) -> list[Any]:
        """Return the watched writers."""
        return self._fds.writers()

    # -- IReactorThreads --------------------------------------------------------------------

    def callFromThread(self, callable: Callable[..., object], *args: object, **kw: object) -> None:
        """Run ``callable(*args, **kw)`` in the reactor's thread; safe from any thread.

        Wakes the loop at once; calls from one thread run in the order they were made.
        """
        # A hot path: FromThreads is driven inline rather than through a method.
        if kw:
            callable = partial(callable, *args, **kw)
            args = ()
        calls = self._from_threads
        calls.queue.append((_copy_context(), callable, args))
        if not calls.wake_pending:
            calls.wake()

    def getThreadPool(self) -> ThreadPool:
        """Return the reactor's thread pool, creating it on first use.

        The pool starts when the reactor runs and is joined during shutdown.
        """
        pool = self._pool
        if pool is None:
            pool = self._pool = ThreadPool(0, self._pool_size, "bridge.reactor")
            self._lifecycle.add_trigger("during", "shutdown", self._stop_pool, (), {})
            if self._lifecycle.running:
                pool.start()
            else:
                self._lifecycle.call_when_running(pool.start, (), {})
        return pool

    def _stop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()

    def callInThread(self, callable: Callable[..., object], *args: object, **kw: object) -> None:
        """Run ``callable(*args, **kw)`` in a thread of the reactor's pool."""
        self.getThreadPool().callInThread(callable, *args, **kw)

    def suggestThreadPoolSize(self, size: int) -> None:
        """Let the thread pool grow to *size* threads."""
        self._pool_size = size
        if self._pool is not None:
            self._pool.adjustPoolsize(maxthreads=size)

    # -- networking and processes (implemented in sibling modules) --------------------------

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        """Listen for TCP connections on *port*; see ``IReactorTCP.listenTCP``."""
        return _impl("tcp").listen_tcp(self, port, factory, backlog, interface)

    def connectTCP(
        self,
        host: str,
        port: int,
        factory: Any,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> Any:
        """Connect to TCP *host*:*port*; see ``IReactorTCP.connectTCP``."""
        return _impl("tcp").connect_tcp(self, host, port, factory, timeout, bindAddress)

    def listenUNIX(
        self, address: str, factory: Any, backlog: int = 50, mode: int = 0o666, wantPID: int = 0
    ) -> Any:
        """Listen on the UNIX socket *address*; see ``IReactorUNIX.listenUNIX``."""
        return _impl("unix").listen_unix(self, address, factory, backlog, mode, wantPID)

    def connectUNIX(
        self, address: str, factory: Any, timeout: float = 30, checkPID: int = 0
    ) -> Any:
        """Connect to the UNIX socket *address*; see ``IReactorUNIX.connectUNIX``."""
        return _impl("unix").connect_unix(self, address, factory, timeout, checkPID)

    def listenUDP(
        self, port: int, protocol: Any, interface: str = "", maxPacketSize: int = 8192
    ) -> Any:
        """Bind a UDP socket on *port*; see ``IReactorUDP.listenUDP``."""
        return _impl("udp").listen_udp(self, port, protocol, interface, maxPacketSize)

    def listenSSL(
        self, port: int, factory: Any, contextFactory: Any, backlog: int = 50, interface: str = ""
    ) -> Any:
        """Listen for TLS connections on *port*; see ``IReactorSSL.listenSSL``."""
        return _impl("ssl").listen_ssl(self, port, factory, contextFactory, backlog, interface)

    def connectSSL(
        self,
        host: str,
        port: int,
        factory: Any,
        contextFactory: Any,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> Any:
        """Connect with TLS to *host*:*port*; see ``IReactorSSL.connectSSL``."""
        return _impl("ssl").connect_ssl(
            self, host, port, factory, contextFactory, timeout, bindAddress
        )

    def listenMulticast(
        self,
        port: int,
        protocol: Any,
        interface: str = "",
        maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> Any:
        """Bind a multicast-capable UDP socket; see ``IReactorMulticast.listenMulticast``."""
        return _impl("udp").listen_multicast(
            self, port, protocol, interface, maxPacketSize, listenMultiple
        )

    def adoptStreamPort(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        """Listen on an already listening socket; see ``IReactorSocket.adoptStreamPort``."""
        return _impl("tcp").adopt_stream_port(self, fileDescriptor, addressFamily, factory)

    def adoptStreamConnection(self, fileDescriptor: int, addressFamily: int, factory: Any) -> None:
        """Take over a connected socket; see ``IReactorSocket.adoptStreamConnection``."""
        _impl("tcp").adopt_stream_connection(self, fileDescriptor, addressFamily, factory)

    def adoptDatagramPort(
        self, fileDescriptor: int, addressFamily: int, protocol: Any, maxPacketSize: int = 8192
    ) -> Any:
        """Take over a bound UDP socket; see ``IReactorSocket.adoptDatagramPort``."""
        return _impl("udp").adopt_datagram_port(
            self, fileDescriptor, addressFamily, protocol, maxPacketSize
        )

    def spawnProcess(
        self,
        processProtocol: Any,
        executable: bytes | str,
        args: Any = (),
        env: Any = {},  # noqa: B006 - Twisted's signature; never mutated
        path: bytes | str | None = None,
        uid: int | None = None,
        gid: int | None = None,
        usePTY: bool = False,
        childFDs: Any = None,
    ) -> Any:
        """Start a child process; see ``IReactorProcess.spawnProcess``."""
        return _impl("process").spawn_process(
            self, processProtocol, executable, args, env, path, uid, gid, usePTY, childFDs
        )

    # -- bridge-only helpers ----------------------------------------------------------------

    def _teardown(self) -> None:
        """Release everything this reactor holds on its loop: timers, descriptors, threads.

        Runs the ``_teardown_hooks`` first, while the loop is still open. The loop is idle
        there when called by ``teardown_reactor`` and running (guest mode) when called by
        ``ateardown_reactor``: hooks check ``loop.is_running()``.
        """
        hooks, self._teardown_hooks = self._teardown_hooks, []
        for hook in hooks:
            try:
                hook()
            except Exception:
                log_error(f"Unhandled error in reactor teardown hook {hook!r}")
        self._timers.clear()
        self._fds.remove_all()
        self._stop_pool()
        self._lifecycle._remove_signals()

    def __repr__(self) -> str:
        state = "running" if self.running else "not running"
        kind = type(self._loop)
        return f"<AsyncioReactor {state} on {kind.__module__}.{kind.__name__}>"
