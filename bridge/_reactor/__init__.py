"""AsyncioReactor: Twisted's reactor API as a thin facade over an asyncio event loop.

The facade owns small single-purpose parts and delegates to them: :class:`Timers`
(``callLater`` on ``loop.call_at``), :class:`FDWatcher` (``addReader`` on
``loop.add_reader``), :class:`Lifecycle` (run/stop/crash, system events, signals) and the
thread support. Networking and processes are thin lazy delegations to the sibling modules
``tcp``, ``unix``, ``udp``, ``ssl`` and ``process``.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import signal
from asyncio import AbstractEventLoop
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from zope.interface import implementer

from bridge._delayed import DelayedCall
from bridge._reactor._log import log_error
from bridge._reactor.core import Lifecycle, TriggerID
from bridge._reactor.fd import FDWatcher
from bridge._reactor.threads import FromThreads, ThreadPool
from bridge._reactor.time import Timers, reactor_call_later
from bridge.interfaces import (
    IReactorCore,
    IReactorFDSet,
    IReactorFromThreads,
    IReactorInThreads,
    IReactorMulticast,
    IReactorPluggableNameResolver,
    IReactorPluggableResolver,
    IReactorProcess,
    IReactorSocket,
    IReactorSSL,
    IReactorTCP,
    IReactorThreads,
    IReactorTime,
    IReactorUDP,
    IReactorUNIX,
    IReactorUNIXDatagram,
)

if TYPE_CHECKING:
    from bridge.defer import Deferred

__all__ = ["AsyncioReactor", "ThreadPool"]


_INF = float("inf")
# Twisted's cap on one sleep: 2**31 milliseconds (epoll_wait takes a C int of milliseconds).
_LONGEST_SLEEP = 2147483.0


def _nothing() -> None:
    pass


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
    IReactorUNIXDatagram,
    IReactorUDP,
    IReactorMulticast,
    IReactorPluggableResolver,
    IReactorPluggableNameResolver,
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
        self._start_called = False
        #: The signal that stopped the reactor (set by sigInt/sigTerm), as in Twisted.
        self._exitSignal: int | None = None
        self._lifecycle.on_signal = self._on_signal
        from bridge._reactor._resolve import ComplexResolverSimplifier, GAIResolver

        self._name_resolver: Any = GAIResolver(self)
        #: The ``IResolverSimple`` behind :meth:`resolve` and ``connectTCP`` (see
        #: :meth:`installResolver`); it always agrees with :attr:`nameResolver`.
        self.resolver: Any = ComplexResolverSimplifier(self._name_resolver, self)

    @property
    def _asyncioEventloop(self) -> AbstractEventLoop:
        """The asyncio loop, under the (private but widely used) name Twisted's reactor uses."""
        return self._loop

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
        """Run the loop for a moment: one iteration, or *delay* seconds if that is positive.

        As in Twisted, iterating does not start the reactor (startup triggers wait for
        :meth:`run` or :meth:`startRunning`).
        """
        loop = self._loop
        if loop.is_running():
            raise RuntimeError(
                "iterate() while the loop is running: it can only drive an idle loop"
            )
        loop.call_later(delay, loop.stop)
        self._lifecycle.drive(loop.run_forever)

    # -- Twisted's loop-driving API (ReactorBase), over asyncio ---------------------------------

    #: Whether the reactor supports threads (always, as Twisted's once threads are set up).
    usingThreads = True
    #: Twisted's ReactorBase attribute; Twisted itself never sets it, so it stays False.
    installed = False

    def startRunning(self, installSignalHandlers: bool = True) -> None:
        """Fire the "startup" event now, without running the loop (see :meth:`mainLoop`).

        Twisted programs that drive the loop themselves, or that run inside an asyncio
        application, call this. A guest reactor (its loop run by someone else) starts by
        itself as soon as the loop runs; calling this then is harmless.

        :raises ReactorAlreadyRunning: if the reactor already started.
        :raises ReactorNotRestartable: if it ran and stopped.
        """
        from bridge.error import ReactorAlreadyRunning, ReactorNotRestartable

        lc = self._lifecycle
        if lc.shut_down:
            raise ReactorNotRestartable()
        if lc.started:
            if lc.auto_started and not lc.owner and not self._start_called:
                self._start_called = True
                return
            raise ReactorAlreadyRunning()
        self._start_called = True
        lc.start()
        if installSignalHandlers:
            lc._install_signals()

    def mainLoop(self) -> None:
        """Run the loop until the reactor stops; :meth:`startRunning` must have been called.

        Returns at once if the reactor has not started, as Twisted's does.
        """
        if self._lifecycle.started:
            self._lifecycle.run(False)

    def runUntilCurrent(self) -> None:
        """Run the calls due now: ``callFromThread`` calls, then the due ``callLater`` calls.

        The loop runs these by itself; this is for code that drives the loop by hand. Inside
        a timed call, the timers are left alone (they are being run).
        """
        calls = self._from_threads
        if calls.queue:
            calls._drain()
        timers = self._timers
        if timers.handle_when != -_INF:  # not inside Timers._fire
            handle = timers._handle
            if handle is not None:
                handle.cancel()
                timers._handle = None
            timers._fire()

    def timeout(self) -> float | None:
        """Return how long the loop may sleep before the next timed call (None: no call)."""
        calls = self._timers.delayed_calls()
        if not calls:
            return None
        return max(0.0, min(_LONGEST_SLEEP, calls[0].getTime() - self.seconds()))

    def doIteration(self, delay: float | None) -> None:
        """Run the idle loop: one iteration if *delay* is 0 or None, else for *delay* seconds.

        .. note:: Twisted's returns as soon as some I/O was handled; asyncio has no
           "one iteration that may block" primitive, so a positive *delay* is spent in full.

        :raises RuntimeError: if the loop is already running.
        """
        loop = self._loop
        if loop.is_running():
            raise RuntimeError(
                "doIteration() while the loop is running: it can only drive an idle loop"
            )
        if delay is None or delay <= 0:
            loop.call_soon(loop.stop)
        else:
            loop.call_later(delay, loop.stop)
        self._lifecycle.drive(loop.run_forever)

    doPoll = doIteration

    def wakeUp(self) -> None:
        """Wake the loop up (from any thread) so that it looks at its queues again."""
        with contextlib.suppress(RuntimeError):  # a closed loop: nothing to wake
            self._loop.call_soon_threadsafe(_nothing)

    def disconnectAll(self) -> None:
        """Drop every connection and listening port at once, as the shutdown event does.

        Connections get ``connectionLost(ConnectionLost)``, listening ports stop, pending
        connection attempts fail; readers and writers added with ``addReader``/``addWriter``
        are removed and get ``connectionLost`` too.
        """
        from bridge._reactor._registry import registry
        from bridge.error import ConnectionLost
        from bridge.failure import Failure

        registry(self).disconnect_all()
        for selectable in self.removeAll():
            lost = getattr(selectable, "connectionLost", None)
            if lost is not None:
                try:
                    lost(Failure(ConnectionLost()))
                except Exception:
                    log_error(f"Unhandled error in {selectable!r}.connectionLost()")

    @property
    def threadpool(self) -> ThreadPool | None:
        """The reactor's thread pool, or None until something uses it (:meth:`getThreadPool`)."""
        return self._pool

    def sigInt(self, number: int, frame: object = None) -> None:
        """Handle SIGINT: log it and stop the reactor (as the installed handler does)."""
        self._signal_stop("SIGINT", number)

    def sigTerm(self, number: int, frame: object = None) -> None:
        """Handle SIGTERM: log it and stop the reactor."""
        self._signal_stop("SIGTERM", number)

    def sigBreak(self, number: int, frame: object = None) -> None:
        """Handle SIGBREAK (Windows): log it and stop the reactor."""
        self._signal_stop("SIGBREAK", number)

    def _signal_stop(self, name: str, number: int) -> None:
        from bridge import log

        log.msg(f"Received {name}, shutting down.")
        self._exitSignal = number
        self.callFromThread(self._lifecycle.stop_on_signal)

    def _on_signal(self, number: int) -> None:
        handler = self.sigInt if number == signal.SIGINT else self.sigTerm
        handler(number)

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

    def resolve(self, name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        """Return a Deferred firing with an IPv4 address of host *name*.

        An IPv4 address is returned as it is (``""`` gives ``"0.0.0.0"``); anything else is
        asked of :attr:`resolver` (``resolver.getHostByName(name, timeout)``), by default
        the loop's ``getaddrinfo``. A name that is not found fails with ``DNSLookupError``.

        :param timeout: passed on to the resolver. The default one fails with
            ``DNSLookupError`` after ``sum(timeout)`` seconds (Twisted's waits for ever).
        """
        from bridge._reactor._resolve import resolve

        return resolve(self, name, timeout)

    # -- IReactorPluggableResolver / IReactorPluggableNameResolver ----------------------------

    @property
    def nameResolver(self) -> Any:
        """The ``IHostnameResolver`` used for host names (read-only; see
        :meth:`installNameResolver`). By default it asks the loop's ``getaddrinfo``."""
        return self._name_resolver

    def installResolver(self, resolver: Any) -> Any:
        """Use the ``IResolverSimple`` *resolver* from now on; return the previous one.

        :attr:`nameResolver` becomes *resolver* seen as an ``IHostnameResolver``, so
        ``HostnameEndpoint`` uses it too (one IPv4 address per name).

        :raises AssertionError: (as Twisted's) if *resolver* does not provide
            ``IResolverSimple``.
        """
        from bridge._reactor._resolve import SimpleResolverComplexifier
        from bridge.interfaces import IResolverSimple

        if not IResolverSimple.providedBy(resolver):
            raise AssertionError(
                f"installResolver() needs an IResolverSimple provider, got {resolver!r}; "
                "declare it with @implementer(IResolverSimple)"
            )
        previous, self.resolver = self.resolver, resolver
        self._name_resolver = SimpleResolverComplexifier(resolver)
        return previous

    def installNameResolver(self, resolver: Any) -> Any:
        """Use the ``IHostnameResolver`` *resolver* from now on; return the previous one.

        :attr:`resolver` (behind :meth:`resolve` and ``connectTCP``) becomes *resolver*
        seen as an ``IResolverSimple``.
        """
        from bridge._reactor._resolve import ComplexResolverSimplifier

        previous, self._name_resolver = self._name_resolver, resolver
        self.resolver = ComplexResolverSimplifier(resolver, self)
        return previous

    # -- IReactorTime -----------------------------------------------------------------------

    def seconds(self) -> float:
        """Return the loop's clock, ``loop.time()`` (monotonic, not the epoch)."""
        return self._loop.time()

    # A plain function from time.py as the method: no facade frame on this hot path.
    callLater = reactor_call_later

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

    def listenUNIXDatagram(
        self, address: str, protocol: Any, maxPacketSize: int = 8192, mode: int = 0o666
    ) -> Any:
        """Bind a datagram protocol to a UNIX datagram socket; see ``IReactorUNIXDatagram``."""
        return _impl("unix_datagram").listen_unix_datagram(
            self, address, protocol, maxPacketSize, mode
        )

    def connectUNIXDatagram(
        self,
        address: str,
        protocol: Any,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
        bindAddress: str | None = None,
    ) -> Any:
        """Connect a datagram protocol to a UNIX datagram socket; see ``IReactorUNIXDatagram``."""
        return _impl("unix_datagram").connect_unix_datagram(
            self, address, protocol, maxPacketSize, mode, bindAddress
        )

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
