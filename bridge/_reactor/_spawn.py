"""What ``spawnProcess`` does before a process transport exists.

Checking and encoding its arguments, planning the child's descriptors from ``childFDs`` (and
the ``preexec_fn`` that moves them into place), and driving ``loop.subprocess_exec``: its first
step runs at once, so that the child exists when ``spawnProcess`` returns, and the loop runs
the rest. Used by :mod:`bridge._reactor.process`.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__: list[str] = []

_DEFAULT_CHILD_FDS: dict[int, object] = {0: "w", 1: "r", 2: "r"}


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
) -> asyncio.Future[None]:
    """Run *coro*'s first step now and the rest on *loop*, like a Task without the wait.

    Exceptions from the first step propagate to the caller; later ones go to *on_error*.
    :returns: a future resolved (with None) once *coro* has finished, however it did.
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
        yielded = _FINISHED
    finally:
        if running is None:
            asyncio._set_running_loop(None)
    finished: asyncio.Future[None] = loop.create_future()
    if yielded is _FINISHED:
        finished.set_result(None)
    else:
        _wait_then_step(loop, coro, yielded, on_error, finished)
    return finished


_FINISHED = object()


def _wait_then_step(
    loop: asyncio.AbstractEventLoop,
    coro: Any,
    yielded: Any,
    on_error: Callable[[BaseException], None],
    finished: asyncio.Future[None],
) -> None:
    def step(_: object = None) -> None:
        try:
            nxt = coro.send(None)
        except StopIteration:
            finished.set_result(None)
            return
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            finished.set_result(None)
            on_error(exc)
            return
        _wait_then_step(loop, coro, nxt, on_error, finished)

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


# -- holding descriptor numbers during the spawn -----------------------------------------------


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
