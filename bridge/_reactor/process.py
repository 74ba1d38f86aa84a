"""Child processes: ``reactor.spawnProcess`` and the process transport.

Built on ``loop.subprocess_exec`` with an ``asyncio.SubprocessProtocol``, so the child's pipes
are asyncio's own pipe transports (C transports under uvloop) and its exit is watched by the
loop's own machinery (a child watcher on the stdlib loop, libuv under uvloop).

Twisted's ``spawnProcess`` is synchronous: the child exists, ``transport.pid`` is set and the
protocol's ``makeConnection`` has run when it returns. ``subprocess_exec`` is a coroutine, but
both loops start the child in its first step, before anything is awaited; so we run that first
step at once (see :mod:`bridge._reactor._spawn`) and let the loop drive the rest (connecting the
pipes). Until the pipes are connected, writes, closes and pauses are recorded and replayed.

Child file descriptors other than asyncio's three standard pipes (``childFDs`` entries such as
``{3: "r"}``, ``{0: "r"}`` or ``{4: 4}``) are made here: a pipe from ``os.pipe()`` whose parent
end is wrapped by ``loop.connect_read_pipe``/``connect_write_pipe`` and whose child end is moved
to its number in the child by a ``preexec_fn``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal as _signal
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zope.interface import implementer

from bridge._reactor._spawn import (
    _as_bytes,
    _check_args,
    _check_env,
    _FDPlan,
    _make_preexec,
    _occupy,
    _peek_subprocess_transport,
    _plan_fds,
    _start_coroutine,
)
from bridge.error import ProcessDone, ProcessExitedAlready, ProcessTerminated
from bridge.interfaces import IAddress, IConsumer, IProcessTransport, IPushProducer

__all__ = ["ProcessTransport", "spawn_process"]

_logger = logging.getLogger("bridge")

# Twisted's names for signalProcess; any other "NAME" with a signal.SIGNAME works too.
_SIGNAL_NAMES = ("HUP", "STOP", "INT", "KILL", "TERM")

_HIGH_WATER = 64 * 1024

_TEARDOWN_TIMEOUT = 5.0


@implementer(IAddress)
@dataclass(frozen=True, slots=True)
class _ProcessAddress:
    """The address of a process transport's peer and host: there is none to speak of."""


# -- statuses and signals ----------------------------------------------------------------------


def _signal_number(signalID: object) -> int:
    if isinstance(signalID, bool) or not isinstance(signalID, (int, str)):
        raise TypeError(f"signalProcess() needs a signal name or number, got {signalID!r}")
    if isinstance(signalID, int):
        return signalID
    name = signalID.upper()
    number = getattr(_signal, name if name.startswith("SIG") else f"SIG{name}", None)
    if not isinstance(number, int):
        raise ValueError(
            f"signalProcess({signalID!r}): unknown signal; use one of "
            f"{', '.join(repr(n) for n in _SIGNAL_NAMES)} or a signal number"
        )
    return int(number)


def _exit_reason(returncode: int) -> ProcessDone | ProcessTerminated:
    """Turn asyncio's returncode (-N for signal N) into Twisted's reason, with a wait status."""
    if returncode == 0:
        return ProcessDone(0)
    if returncode < 0:
        return ProcessTerminated(None, -returncode, -returncode)
    return ProcessTerminated(returncode, None, returncode << 8)


# -- the transport ------------------------------------------------------------------------------


class _Pipe:
    """One of the child's descriptors as seen from the parent: its asyncio transport and state."""

    __slots__ = ("child_fd", "close_requested", "lost", "pending", "readable", "transport")

    def __init__(self, child_fd: int, readable: bool) -> None:
        self.child_fd = child_fd
        self.readable = readable
        self.transport: Any = None  # asyncio ReadTransport/WriteTransport once connected
        self.pending: list[bytes] = []  # writes made before the transport was connected
        self.close_requested = False
        self.lost = False

    def attach(self, transport: Any, paused: bool) -> None:
        self.transport = transport
        if transport is None or transport.is_closing():
            # Already gone (uvloop notices a quick child's exit before connection_made):
            # its connection_lost is on its way; what was to be written has no reader.
            self.pending.clear()
            return
        if self.readable:
            if paused:
                transport.pause_reading()
        else:
            transport.set_write_buffer_limits(high=_HIGH_WATER)
            if self.pending:
                transport.writelines(self.pending)
                self.pending.clear()
        if self.close_requested:
            transport.close()

    def write(self, data: bytes) -> None:
        if self.close_requested or self.lost:
            return  # like Twisted: writing to a closed descriptor drops the data
        if self.transport is None:
            self.pending.append(bytes(data))
        else:
            self.transport.write(data)

    def close(self) -> None:
        if self.close_requested or self.lost:
            return
        self.close_requested = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.close_requested = True
        self.pending.clear()
        transport = self.transport
        if transport is None or self.lost:
            return
        if not self.readable:
            transport.abort()
        elif not transport.is_closing():
            transport.close()  # uvloop's read pipe transports have no abort(); same thing

    def set_paused(self, paused: bool) -> None:
        transport = self.transport
        if not self.readable or transport is None or self.lost or transport.is_closing():
            return
        if paused:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()


@implementer(IProcessTransport, IConsumer, IPushProducer)
class ProcessTransport:
    """The transport of a child process started by ``reactor.spawnProcess``.

    :ivar pid: the child's process ID, or ``None`` once it has exited (as in Twisted).
    :ivar status: the child's wait status once it has exited, else ``-1``.
    :ivar proto: the process protocol.

    ``write`` goes to the child's standard input; ``pauseProducing``/``resumeProducing``
    stop and restart reading everything the child writes (the child blocks when its pipe
    fills, so memory stays bounded).
    """

    def __init__(self, reactor: Any, proto: Any, executable: bytes) -> None:
        self.reactor = reactor
        self.proto = proto
        self.pid: int | None = None
        self.status = -1
        self._executable = executable
        self._last_pid: int | None = None
        self._pipes: dict[int, _Pipe] = {}
        self._aio: Any = None  # asyncio's SubprocessTransport
        self._paused = False
        self._exit_reason: ProcessDone | ProcessTerminated | None = None
        self._aio_finished = False  # asyncio's connection_lost: exited and its pipes closed
        self._ended = False
        self._pending_signals: list[int] = []
        self._producer: Any = None
        self._producer_streaming = False
        self._producer_paused = False
        self._pty = False
        self._spawning: asyncio.Future[None] | None = None  # subprocess_exec still running
        self._ended_waiter: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.pid is not None else f"exited status={self.status}"
        return f"<ProcessTransport {self._executable.decode(errors='replace')!r} {state}>"

    # -- IProcessTransport ------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write *data* to the child's standard input."""
        self.writeToChild(0, data)

    def writeSequence(self, seq: Iterable[bytes]) -> None:
        """Write each chunk of *seq* to the child's standard input."""
        for chunk in seq:
            self.writeToChild(0, chunk)

    def writeToChild(self, childFD: int, data: bytes) -> None:
        """Write *data* to the child's descriptor *childFD* (one the parent writes to).

        :raises KeyError: if *childFD* is not a pipe the parent writes to.
        :raises TypeError: if *data* is text.
        """
        if isinstance(data, str):
            raise TypeError(
                f"writeToChild({childFD}, {data[:20]!r}): data must be bytes, not str; "
                "encode it first"
            )
        pipe = self._pipes.get(childFD)
        if pipe is None or pipe.readable:
            raise KeyError(
                f"writeToChild({childFD}): the child has no descriptor {childFD} "
                "the parent writes to (childFDs entry 'w')"
            )
        pipe.write(data)
        if childFD == 0 and pipe.transport is None and sum(map(len, pipe.pending)) > _HIGH_WATER:
            self._stdin_pause_writing()  # as the pipe transport would, once connected

    def closeStdin(self) -> None:
        """Close the child's standard input (after writing what is buffered)."""
        self.closeChildFD(0)

    def closeStdout(self) -> None:
        """Stop reading the child's standard output and close it."""
        self.closeChildFD(1)

    def closeStderr(self) -> None:
        """Stop reading the child's standard error and close it."""
        self.closeChildFD(2)

    def closeChildFD(self, descriptor: int) -> None:
        """Close the parent's end of the child's descriptor *descriptor*, if it is a pipe."""
        if self._pty:
            return  # as in Twisted, a PTY only closes as a whole (loseConnection)
        pipe = self._pipes.get(descriptor)
        if pipe is not None:
            pipe.close()

    def loseConnection(self) -> None:
        """Close the child's standard input, error and output (with a PTY: the PTY)."""
        if self._pty:
            for pipe in self._pipes.values():
                pipe.close()
            return
        self.closeStdin()
        self.closeStderr()
        self.closeStdout()

    def signalProcess(self, signalID: str | int) -> None:
        """Send the signal *signalID* ("TERM", "KILL", "INT", "HUP", "STOP" or a number).

        :raises bridge.error.ProcessExitedAlready: if the child has exited.
        """
        signum = _signal_number(signalID)
        if self._exit_reason is not None:
            raise ProcessExitedAlready(
                f"signalProcess({signalID!r}): process {self._last_pid} has already exited"
            )
        if self.pid is None:  # spawned, but the pid is only known once the pipes connect
            self._pending_signals.append(signum)
            return
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError as exc:
            raise ProcessExitedAlready(
                f"signalProcess({signalID!r}): process {self.pid} has already exited"
            ) from exc

    def getPeer(self) -> _ProcessAddress:
        """Return the (empty) address of the child."""
        return _ProcessAddress()

    def getHost(self) -> _ProcessAddress:
        """Return the (empty) address of this side."""
        return _ProcessAddress()

    # -- IPushProducer: reading from the child ----------------------------------------------

    def pauseProducing(self) -> None:
        """Stop reading from the child's pipes until :meth:`resumeProducing`."""
        self._paused = True
        for pipe in self._pipes.values():
            pipe.set_paused(True)

    def resumeProducing(self) -> None:
        """Read from the child's pipes again."""
        self._paused = False
        for pipe in self._pipes.values():
            pipe.set_paused(False)

    def stopProducing(self) -> None:
        """Close all of the child's pipes (``loseConnection``)."""
        self.loseConnection()

    # -- IConsumer: writing to the child's stdin --------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let *producer* write to the child's stdin, paused while the pipe's buffer is full.

        :raises RuntimeError: if a producer is registered already.
        """
        if self._producer is not None:
            raise RuntimeError(
                f"registerProducer({producer!r}): {self._producer!r} is registered already; "
                "unregisterProducer() first"
            )
        self._producer = producer
        self._producer_streaming = bool(streaming)
        self._producer_paused = False
        if not streaming:
            self.reactor._loop.call_soon(self._pull_more)

    def unregisterProducer(self) -> None:
        """Stop using the registered producer."""
        self._producer = None

    def _pull_more(self) -> None:
        producer = self._producer
        if producer is None or self._producer_streaming or self._producer_paused:
            return
        stdin = self._pipes.get(0)
        if stdin is None or stdin.close_requested or stdin.lost:
            return
        self._call_user(producer.resumeProducing, "producer.resumeProducing")
        if self._producer is producer and not self._producer_paused:
            self.reactor._loop.call_soon(self._pull_more)

    def _stdin_pause_writing(self) -> None:
        if self._producer_paused:
            return
        self._producer_paused = True
        if self._producer is not None and self._producer_streaming:
            self._call_user(self._producer.pauseProducing, "producer.pauseProducing")

    def _stdin_resume_writing(self) -> None:
        # Not from inside the pipe transport's callback: the stdlib transport ends
        # _write_ready by closing if close() was called meanwhile, even with data written
        # meanwhile still buffered (a producer that writes its last chunk and closes stdin).
        self.reactor._loop.call_soon(self._resume_producer)

    def _resume_producer(self) -> None:
        if not self._producer_paused:
            return
        self._producer_paused = False
        if self._producer is None:
            return
        if self._producer_streaming:
            self._call_user(self._producer.resumeProducing, "producer.resumeProducing")
        else:
            self._pull_more()

    # -- events from asyncio -----------------------------------------------------------------

    def _call_user(self, f: Callable[..., object], what: str, *args: object) -> bool:
        try:
            f(*args)
        except Exception:
            from bridge import log

            log.err(None, f"Unhandled error in {what} of {self.proto!r}")
            return False
        return True

    def _connected(self, aio_transport: Any) -> None:
        """asyncio connected the standard pipes: attach them and replay what was recorded."""
        self._aio = aio_transport
        if self.pid is None and self._exit_reason is None:
            self.pid = self._last_pid = aio_transport.get_pid()
        for fd, pipe in self._pipes.items():
            if fd < 3 and pipe.transport is None and not pipe.lost:
                self._attach(pipe, aio_transport.get_pipe_transport(fd))
        signals, self._pending_signals = self._pending_signals, []
        for signum in signals:
            with contextlib.suppress(ProcessExitedAlready):
                self.signalProcess(signum)

    def _attach(self, pipe: _Pipe, transport: Any) -> None:
        pipe.attach(transport, self._paused)
        if (
            pipe.child_fd == 0
            and self._producer_paused
            and transport is not None
            and transport.get_write_buffer_size() <= _HIGH_WATER
        ):
            self._stdin_resume_writing()  # the backlog fitted into the pipe at once

    def _data(self, fd: int, data: bytes) -> None:
        pipe = self._pipes.get(fd)
        if pipe is None or pipe.close_requested:
            return
        if not self._call_user(self.proto.childDataReceived, "childDataReceived", fd, data):
            pipe.close()  # as in Twisted, an error in the handler closes that descriptor

    def _pipe_lost(self, fd: int) -> None:
        pipe = self._pipes.get(fd)
        if pipe is None or pipe.lost:
            return
        pipe.lost = True
        if fd == 0:
            self._producer = None
        self._call_user(self.proto.childConnectionLost, "childConnectionLost", fd)
        self._maybe_ended()

    def _exited(self, returncode: int | None) -> None:
        if self._exit_reason is not None:
            return
        if returncode is None:  # asyncio could not learn the status (child reaped elsewhere)
            returncode = 255
        reason = self._exit_reason = _exit_reason(returncode)
        self.status = reason.status if isinstance(reason.status, int) else 0
        self.pid = None
        for pipe in self._pipes.values():
            if not pipe.readable:
                # Nobody reads it any more (unless a grandchild inherited it); uvloop would
                # not notice by itself, and processEnded waits for every pipe.
                pipe.close()
        from bridge.failure import Failure

        self._call_user(self.proto.processExited, "processExited", Failure(reason))
        self._maybe_ended()

    def _aio_done(self) -> None:
        self._aio_finished = True
        self._maybe_ended()

    def _notify_ended(self) -> None:
        waiter = self._ended_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _maybe_ended(self) -> None:
        if self._ended or self._exit_reason is None or not self._aio_finished:
            return
        if not all(pipe.lost for pipe in self._pipes.values()):
            return
        self._ended = True
        _live(self.reactor).discard(self)
        if self._aio is not None:
            self._aio.close()  # releases the handle; the child has exited, nothing is killed
        from bridge.failure import Failure

        try:
            self._call_user(self.proto.processEnded, "processEnded", Failure(self._exit_reason))
        finally:
            self._notify_ended()

    def _failed(self, exc: BaseException) -> None:
        """The spawn failed after the child started (asyncio could not connect its pipes)."""
        from bridge import log

        log.err(exc, f"spawnProcess({self._executable!r}): setting up the child's pipes failed")
        if self._ended:
            return
        self._ended = True
        _live(self.reactor).discard(self)
        for pipe in self._pipes.values():
            pipe.abort()
        from bridge.failure import Failure

        try:
            self._call_user(self.proto.processEnded, "processEnded", Failure(exc))
        finally:
            self._notify_ended()

    def _shutdown(self) -> None:
        """The reactor is shutting down with this child still running: report, close pipes."""
        _logger.warning(
            "Reactor shutdown: child process %s (%s) is still running; closing its pipes",
            self.pid if self.pid is not None else self._last_pid,
            self._executable.decode(errors="replace"),
        )
        for pipe in self._pipes.values():
            pipe.abort()


class _SubprocessAdapter(asyncio.SubprocessProtocol):
    """asyncio's side of a child: forwards its events to the :class:`ProcessTransport`."""

    def __init__(self, process: ProcessTransport) -> None:
        self.process = process

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.process._connected(transport)

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        self.process._data(fd, data if isinstance(data, bytes) else data.encode())

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.process._pipe_lost(fd)

    def process_exited(self) -> None:
        aio = self.process._aio
        self.process._exited(aio.get_returncode() if aio is not None else None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.process._aio_done()

    def pause_writing(self) -> None:
        self.process._stdin_pause_writing()

    def resume_writing(self) -> None:
        self.process._stdin_resume_writing()


class _OwnPipeProtocol(asyncio.Protocol):
    """The parent's end of a pipe made here (childFDs beyond asyncio's three)."""

    def __init__(
        self, process: ProcessTransport, child_fd: int, data_fd: int | None = None
    ) -> None:
        self.process = process
        self.child_fd = child_fd
        # uvloop's write transport on a PTY master reads it too (to notice the close), and
        # hands what it read to the protocol: that is the child's output.
        self.data_fd = child_fd if data_fd is None else data_fd

    def data_received(self, data: bytes) -> None:
        self.process._data(self.data_fd, data)

    def eof_received(self) -> bool | None:
        return None  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.process._pipe_lost(self.child_fd)

    def pause_writing(self) -> None:
        if self.child_fd == 0:
            self.process._stdin_pause_writing()

    def resume_writing(self) -> None:
        if self.child_fd == 0:
            self.process._stdin_resume_writing()


# -- live processes per reactor (for shutdown) -------------------------------------------------

_registries: weakref.WeakKeyDictionary[Any, set[ProcessTransport]] = weakref.WeakKeyDictionary()


def _live(reactor: Any) -> set[ProcessTransport]:
    try:
        return _registries[reactor]
    except KeyError:
        pass
    except TypeError:
        return set()
    live: set[ProcessTransport] = set()
    _registries[reactor] = live

    def shutdown() -> None:
        for process in list(live):
            try:
                process._shutdown()
            except Exception:
                from bridge import log

                log.err(None, f"Error closing {process!r} at reactor shutdown")

    add_trigger = getattr(reactor, "addSystemEventTrigger", None)
    if add_trigger is not None:
        add_trigger("during", "shutdown", shutdown)
    hooks = getattr(reactor, "_teardown_hooks", None)
    if isinstance(hooks, list):
        hooks.append(lambda: _teardown(reactor, live))
    return live


def _teardown(reactor: Any, live: set[ProcessTransport]) -> None:
    """Release the reactor's children before its loop goes away (``AsyncioReactor._teardown``).

    Spawns still connecting their pipes are driven to completion, and children still
    running are reported and killed, then waited for: nothing is left for the garbage
    collector, which would otherwise meet asyncio transports on a closed loop.
    """
    loop: asyncio.AbstractEventLoop = reactor._loop
    if loop.is_closed():
        return
    idle = not loop.is_running()
    spawning = [p._spawning for p in live if p._spawning is not None and not p._spawning.done()]
    if spawning and idle:
        loop.run_until_complete(asyncio.wait(spawning, timeout=_TEARDOWN_TIMEOUT))
    waiters = []
    for process in list(live):
        _logger.warning(
            "Reactor teardown: killing child process %s (%s), still running",
            process._last_pid,
            process._executable.decode(errors="replace"),
        )
        with contextlib.suppress(ProcessExitedAlready, ProcessLookupError):
            process.signalProcess("KILL")
        for pipe in process._pipes.values():
            pipe.abort()
        waiter = process._ended_waiter = loop.create_future()
        waiters.append(waiter)
    if waiters and idle:
        loop.run_until_complete(asyncio.wait(waiters, timeout=_TEARDOWN_TIMEOUT))


# -- spawnProcess -------------------------------------------------------------------------------


def spawn_process(
    reactor: Any,
    processProtocol: Any,
    executable: bytes | str,
    args: Sequence[bytes | str] = (),
    env: Mapping[Any, Any] | None = None,
    path: bytes | str | None = None,
    uid: int | None = None,
    gid: int | None = None,
    usePTY: object = False,
    childFDs: Mapping[int, object] | None = None,
) -> ProcessTransport:
    """Start *executable* with *args* as a child process talking to *processProtocol*.

    Implements ``IReactorProcess.spawnProcess``. The child runs when this returns, the
    returned transport has its ``pid`` and the protocol's ``makeConnection`` has run.

    :param args: the whole argv, ``args[0]`` included (bytes or str items).
    :param env: the child's whole environment; ``None`` inherits this process's.
    :param path: the child's working directory; ``None`` keeps the current one.
    :param uid: switch the child to this user ID before exec.
    :param gid: switch the child to this group ID before exec.
    :param usePTY: give the child a pseudo-terminal as stdin/stdout/stderr: ``True`` for
        a new one, or an open ``(master, slave, name)`` to use (both are then ours to close).
    :param childFDs: child descriptor -> ``'r'`` (the parent reads it), ``'w'`` (the parent
        writes it) or a parent descriptor number; absent descriptors are not passed. The
        default is ``{0: 'w', 1: 'r', 2: 'r'}``.
    :raises OSError: (``FileNotFoundError``, ``PermissionError``...) when the executable
        cannot be run; the protocol is then not connected.
    :raises TypeError: for an argument that is neither bytes nor str.

    .. note:: Under uvloop the child's ``argv[0]`` is always *executable* (libuv has no
       separate program path). Descriptors 0-2 left out of *childFDs* are ``/dev/null`` in
       the child rather than closed.
    """
    exe, argv = _check_args(executable, args)
    child_env = _check_env(env)
    cwd = None if path is None else _as_bytes(path, "path")
    for name, value in (("uid", uid), ("gid", gid)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"spawnProcess(): {name} must be an int or None, got {value!r}")
    loop: asyncio.AbstractEventLoop = reactor._loop
    if loop.is_closed():
        raise RuntimeError("spawnProcess(): the reactor's event loop is closed")

    pty_slave: int | None = None
    pty_master: int | None = None
    if usePTY:
        import pty

        # Twisted ignores childFDs with a PTY as well, and accepts (master, slave, name).
        if isinstance(usePTY, (tuple, list)):
            pty_master, pty_slave = int(usePTY[0]), int(usePTY[1])
        else:
            pty_master, pty_slave = pty.openpty()
        plan = _FDPlan([pty_slave] * 3, {}, {}, {}, [])
    else:
        plan = _plan_fds(childFDs)

    own_ends: dict[int, int] = {}  # child fd -> parent end, for pipes made here
    child_ends: list[int] = []
    placeholders: list[int] = []
    try:
        for child_fd, readable in plan.own_pipes.items():
            r, w = os.pipe()
            parent_end, child_end = (r, w) if readable else (w, r)
            own_ends[child_fd] = parent_end
            child_ends.append(child_end)
            if child_fd < 3:
                plan.stdio[child_fd] = child_end
            else:
                plan.dups[child_fd] = child_end
        if plan.dups and plan.pass_fds:
            # Popen would let pass_fds switch close_fds back on and close what preexec_fn
            # dup'ed; dup2(fd, fd) through a temporary copy keeps fd open in the child too.
            plan.dups.update((fd, fd) for fd in plan.pass_fds)
            plan.pass_fds = []
        _occupy(plan.dups, placeholders)
        process = ProcessTransport(reactor, processProtocol, exe)
        adapter = _SubprocessAdapter(process)
        kwargs: dict[str, Any] = {}
        if plan.pass_fds:
            kwargs["pass_fds"] = tuple(plan.pass_fds)
        if plan.dups and not _is_uvloop(loop):
            kwargs["close_fds"] = False  # else Popen closes the fds preexec_fn dup'ed
        preexec = _make_preexec(plan.dups, uid, gid, pty_slave)
        if preexec is not None:
            kwargs["preexec_fn"] = preexec
        coro = loop.subprocess_exec(
            lambda: adapter,
            *argv,
            stdin=plan.stdio[0],
            stdout=plan.stdio[1],
            stderr=plan.stdio[2],
            env=child_env,
            cwd=cwd,
            executable=exe,
            **kwargs,
        )
        process._spawning = _start_coroutine(loop, coro, process._failed)
    except BaseException:
        for fd in own_ends.values():
            os.close(fd)
        if pty_master is not None:
            os.close(pty_master)
        raise
    finally:
        for fd in child_ends + placeholders:
            os.close(fd)
        if pty_slave is not None:
            os.close(pty_slave)

    aio = _peek_subprocess_transport(coro, adapter)
    if aio is not None:
        process.pid = process._last_pid = aio.get_pid()
    for fd, readable in plan.asyncio_pipes.items():
        process._pipes[fd] = _Pipe(fd, readable)
    for fd, readable in plan.own_pipes.items():
        process._pipes[fd] = _Pipe(fd, readable)
        _connect_own_pipe(loop, process, fd, readable, own_ends[fd])
    if pty_master is not None:
        _connect_pty(loop, process, pty_master)
    _live(reactor).add(process)
    processProtocol.makeConnection(process)
    return process


def _is_uvloop(loop: asyncio.AbstractEventLoop) -> bool:
    return type(loop).__module__.split(".", 1)[0] == "uvloop"


def _connect_own_pipe(
    loop: asyncio.AbstractEventLoop,
    process: ProcessTransport,
    child_fd: int,
    readable: bool,
    parent_end: int,
) -> None:
    pipe = process._pipes[child_fd]
    file = os.fdopen(parent_end, "rb" if readable else "wb", buffering=0)
    proto = _OwnPipeProtocol(process, child_fd)
    if readable:
        coro: Any = loop.connect_read_pipe(lambda: proto, file)
    else:
        coro = loop.connect_write_pipe(lambda: proto, file)

    def connected(task: asyncio.Future[Any]) -> None:
        if task.cancelled() or task.exception() is not None:
            exc = task.exception() if not task.cancelled() else asyncio.CancelledError()
            file.close()
            from bridge import log

            log.err(exc, f"connecting child descriptor {child_fd} of {process!r} failed")
            process._pipe_lost(child_fd)
            return
        transport, _ = task.result()
        process._attach(pipe, transport)

    loop.create_task(coro).add_done_callback(connected)


def _connect_pty(loop: asyncio.AbstractEventLoop, process: ProcessTransport, master: int) -> None:
    """Read the PTY master as the child's fd 1 and write it as its fd 0 (as Twisted does)."""
    process._pty = True
    write_end = os.dup(master)
    reader = _Pipe(1, True)
    writer = _Pipe(0, False)
    process._pipes[1] = reader
    process._pipes[0] = writer
    read_file = os.fdopen(master, "rb", buffering=0)
    write_file = os.fdopen(write_end, "wb", buffering=0)

    def attach(pipe: _Pipe, file: Any) -> Callable[[asyncio.Future[Any]], None]:
        def connected(task: asyncio.Future[Any]) -> None:
            if task.cancelled() or task.exception() is not None:
                file.close()
                process._pipe_lost(pipe.child_fd)
                return
            process._attach(pipe, task.result()[0])

        return connected

    loop.create_task(
        loop.connect_read_pipe(lambda: _OwnPipeProtocol(process, 1), read_file)
    ).add_done_callback(attach(reader, read_file))
    loop.create_task(
        loop.connect_write_pipe(lambda: _OwnPipeProtocol(process, 0, 1), write_file)
    ).add_done_callback(attach(writer, write_file))


if sys.platform == "win32":  # pragma: no cover - bridge's process support is POSIX only
    raise ImportError("bridge._reactor.process supports POSIX systems only")
