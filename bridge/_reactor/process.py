"""Child processes: ``reactor.spawnProcess`` and the process transport.

Built on ``loop.subprocess_exec`` with an ``asyncio.SubprocessProtocol``, so the child's pipes
are asyncio's own pipe transports (C transports under uvloop) and its exit is watched by the
loop's own machinery (a child watcher on the stdlib loop, libuv under uvloop).

Twisted's ``spawnProcess`` is synchronous: the child exists, ``transport.pid`` is set and the
protocol's ``makeConnection`` has run when it returns. ``subprocess_exec`` is a coroutine, but
both loops start the child in its first step, before anything is awaited; so we run that first
step at once (see :func:`_start_coroutine`) and let the loop drive the rest (connecting the
pipes). Until the pipes are connected, writes, closes and pauses are recorded and replayed.

Child file descriptors other than asyncio's three standard pipes (``childFDs`` entries such as
``{3: "r"}``, ``{0: "r"}`` or ``{4: 4}``) are made here: a pipe from ``os.pipe()`` whose parent
end is wrapped by ``loop.connect_read_pipe``/``connect_write_pipe`` and whose child end is moved
to its number in the child by a ``preexec_fn``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal as _signal
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zope.interface import implementer

from bridge.error import ProcessDone, ProcessExitedAlready, ProcessTerminated
from bridge.interfaces import IAddress, IConsumer, IProcessTransport, IPushProducer

__all__ = ["ProcessTransport", "spawn_process"]

_logger = logging.getLogger("bridge")

# Twisted's names for signalProcess; any other "NAME" with a signal.SIGNAME works too.
_SIGNAL_NAMES = ("HUP", "STOP", "INT", "KILL", "TERM")

_DEFAULT_CHILD_FDS: dict[int, object] = {0: "w", 1: "r", 2: "r"}

_HIGH_WATER = 64 * 1024


@implementer(IAddress)
@dataclass(frozen=True, slots=True)
class _ProcessAddress:
    """The address of a process transport's peer and host: there is none to speak of."""


# -- argument checking ------------------------------------------------------------------------


def _as_bytes(value: object, what: str) -> bytes:
    """Encode *value* (bytes or str, or a path-like) for exec, or raise a teaching TypeError."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return os.fsencode(value)
    if isinstance(value, os.PathLike):
        return os.fsencode(value)
    raise TypeError(
        f"spawnProcess(): {what} must be bytes or str, got {type(value).__name__} {value!r}"
    )


def _check_args(executable: object, args: object) -> tuple[bytes, list[bytes]]:
    exe = _as_bytes(executable, "executable")
    if isinstance(args, (str, bytes)):
        raise TypeError(
            f"spawnProcess(): args must be a sequence of arguments, got {args!r}; "
            f"try args=[{args!r}]"
        )
    if not isinstance(args, Iterable):
        raise TypeError(f"spawnProcess(): args must be a sequence, got {type(args).__name__}")
    argv = [_as_bytes(arg, f"args[{i}]") for i, arg in enumerate(args)]
    if not argv:
        raise ValueError(
            "spawnProcess(): args is empty; by convention args[0] is the program name, "
            f"e.g. args=[{executable!r}]"
        )
    for i, arg in enumerate(argv):
        if b"\0" in arg:
            raise ValueError(f"spawnProcess(): args[{i}] contains a NUL byte: {arg!r}")
    return exe, argv


def _check_env(env: object) -> dict[bytes, bytes] | None:
    """Apply Twisted's rule: ``None`` inherits ``os.environ``, a mapping is the whole env."""
    if env is None:
        return None
    if not isinstance(env, Mapping):
        raise TypeError(f"spawnProcess(): env must be a mapping or None, got {env!r}")
    result: dict[bytes, bytes] = {}
    for key, value in env.items():
        k = _as_bytes(key, f"env key {key!r}")
        if not k or b"=" in k or b"\0" in k:
            raise ValueError(f"spawnProcess(): invalid environment variable name {key!r}")
        result[k] = _as_bytes(value, f"env[{key!r}]")
    return result


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


# -- childFDs -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _FDPlan:
    """How each child file descriptor is set up, derived from ``childFDs``."""

    stdio: list[int]  # subprocess_exec's stdin/stdout/stderr: PIPE, DEVNULL or an int
    asyncio_pipes: dict[int, bool]  # fd -> readable, for asyncio's own pipes (0/1/2)
    own_pipes: dict[int, bool]  # fd -> readable, for pipes made here
    dups: dict[int, int]  # child fd -> parent fd to dup onto it (preexec_fn)
    pass_fds: list[int]


def _plan_fds(childFDs: object) -> _FDPlan:
    spec = _DEFAULT_CHILD_FDS if childFDs is None else childFDs
    if not isinstance(spec, Mapping):
        raise TypeError(f"spawnProcess(): childFDs must be a dict or None, got {childFDs!r}")
    plan = _FDPlan([asyncio.subprocess.DEVNULL] * 3, {}, {}, {}, [])
    for child_fd, what in spec.items():
        if isinstance(child_fd, bool) or not isinstance(child_fd, int) or child_fd < 0:
            raise TypeError(f"spawnProcess(): childFDs key {child_fd!r} is not a descriptor")
        if what in ("r", "w"):
            readable = what == "r"
            # asyncio's PIPEs go parent->child on fd 0 and child->parent on 1 and 2.
            if child_fd < 3 and readable == (child_fd != 0):
                plan.stdio[child_fd] = asyncio.subprocess.PIPE
                plan.asyncio_pipes[child_fd] = readable
            else:
                plan.own_pipes[child_fd] = readable
        elif isinstance(what, int) and not isinstance(what, bool) and what >= 0:
            if child_fd < 3:
                plan.stdio[child_fd] = what
            elif child_fd == what:
                plan.pass_fds.append(what)
            else:
                plan.dups[child_fd] = what
        else:
            raise ValueError(
                f"spawnProcess(): childFDs[{child_fd}] = {what!r}: use 'r' (the parent reads), "
                "'w' (the parent writes) or a parent descriptor number to hand down"
            )
    return plan


def _make_preexec(
    dups: dict[int, int], uid: int | None, gid: int | None, pty_slave: int | None
) -> Callable[[], None] | None:
    """Build the child-side set-up asyncio has no option for, or None when none is needed.

    It runs in the forked child before exec (under uvloop, before libuv sets up fds 0-2, which
    is why descriptors are moved to temporary numbers first).
    """
    if not dups and uid is None and gid is None and pty_slave is None:
        return None
    pairs = sorted(dups.items())

    def preexec() -> None:
        if pty_slave is not None:
            import fcntl
            import termios

            os.setsid()
            fcntl.ioctl(pty_slave, termios.TIOCSCTTY, 0)
        # Two passes, so that {3: 4, 4: 3} swaps instead of clobbering.
        temps = [(target, os.dup(source)) for target, source in pairs]
        for target, temp in temps:
            os.dup2(temp, target)  # dup2 clears close-on-exec: the child keeps it
            os.close(temp)
        if gid is not None:
            os.setgid(gid)
        if uid is not None:
            os.setuid(uid)

    return preexec


# -- the coroutine driver ---------------------------------------------------------------------


def _start_coroutine(
    loop: asyncio.AbstractEventLoop, coro: Any, on_error: Callable[[BaseException], None]
) -> None:
    """Run *coro*'s first step now and the rest on *loop*, like a Task without the wait.

    Exceptions from the first step propagate to the caller; later ones go to *on_error*.
    """
    running = asyncio._get_running_loop()
    if running is not loop and (running is not None or loop.is_running()):
        coro.close()
        raise RuntimeError(
            "spawnProcess() must be called in the reactor's thread, not while another loop "
            "runs or from another thread; use reactor.callFromThread(reactor.spawnProcess, ...)"
        )
    # asyncio's child watchers need a running loop (get_running_loop()); Twisted allows
    # spawnProcess before reactor.run(), so the loop is marked running for that one step.
    if running is None:
        asyncio._set_running_loop(loop)
    try:
        yielded = coro.send(None)
    except StopIteration:
        return
    finally:
        if running is None:
            asyncio._set_running_loop(None)
    _wait_then_step(loop, coro, yielded, on_error)


def _wait_then_step(
    loop: asyncio.AbstractEventLoop,
    coro: Any,
    yielded: Any,
    on_error: Callable[[BaseException], None],
) -> None:
    def step(_: object = None) -> None:
        try:
            nxt = coro.send(None)
        except StopIteration:
            return
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            on_error(exc)
            return
        _wait_then_step(loop, coro, nxt, on_error)

    if yielded is None:  # a bare yield: just give the loop a turn
        loop.call_soon(step)
        return
    # A Future yielded by `await`; Task._step clears this flag the same way.
    yielded._asyncio_future_blocking = False
    yielded.add_done_callback(step)


def _peek_subprocess_transport(coro: Any, protocol: object) -> Any:
    """Find the subprocess transport that *coro* (a suspended subprocess_exec) has created.

    subprocess_exec only returns the transport once the pipes are connected, a loop turn or
    more later, but it has spawned the child already; its local variables hold the transport.
    Python coroutines expose them as ``cr_frame.f_locals``; uvloop's Cython coroutines only
    through the garbage collector's referents of their closure. Returns None if neither works
    (a future loop may differ); then ``pid`` is set when the pipes are connected.
    """
    c = coro
    for _ in range(4):
        if c is None:
            return None
        frame = getattr(c, "cr_frame", None)
        found = _transport_among(frame.f_locals.values() if frame is not None else (), protocol)
        if found is None:  # Cython's coroutines have a frame, but an empty one
            holders = gc.get_referents(c)
            found = _transport_among((o for h in holders for o in gc.get_referents(h)), protocol)
        if found is not None:
            return found
        c = getattr(c, "cr_await", None)
    return None


def _transport_among(candidates: Iterable[object], protocol: object) -> Any:
    for obj in candidates:
        get_protocol = getattr(obj, "get_protocol", None)
        if get_protocol is not None and hasattr(obj, "get_pid"):
            try:
                if get_protocol() is protocol:
                    return obj
            except Exception:
                continue
    return None


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

        self._call_user(self.proto.processEnded, "processEnded", Failure(self._exit_reason))

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

        self._call_user(self.proto.processEnded, "processEnded", Failure(exc))

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
    return live


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
        _start_coroutine(loop, coro, process._failed)
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


def _occupy(dups: dict[int, int], held: list[int]) -> None:
    """Hold (in *held*) the child fd numbers of *dups* that are free here, until the spawn.

    The loop opens descriptors of its own while spawning (uvloop's socketpairs); were one
    of them to get a number preexec_fn then dup2()s onto, the child's stdio would break.
    """
    for target in dups:
        if _is_open(target):
            continue
        fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        if fd != target:
            os.dup2(fd, target, inheritable=False)
            os.close(fd)
        held.append(target)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


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
