"""The reactor's life cycle: system event triggers, run/stop/crash, signals.

``run()`` drives the asyncio loop with ``loop.run_forever()``. A reactor bound to a loop that
something else runs (``asyncio.run(main())``) is in *guest mode*: it starts when the loop first
runs its callbacks, and ``stop()`` runs the shutdown triggers without stopping the host's loop.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from asyncio import AbstractEventLoop
from collections.abc import Callable
from typing import Any

from bridge._reactor._log import log_error
from bridge.error import ReactorAlreadyRunning, ReactorNotRestartable, ReactorNotRunning

__all__ = ["Lifecycle", "SystemEvent", "TriggerID"]

_PHASES = ("before", "during", "after")

#: Opaque handle returned by addSystemEventTrigger: (event type, phase, entry).
TriggerID = tuple[str, str, object]

_Trigger = tuple[Callable[..., object], tuple[object, ...], dict[str, object]]


class SystemEvent:
    """One system event ("startup", "shutdown", ...) with before/during/after triggers.

    Like Twisted's, triggers are consumed as they run, and triggers added while the event
    fires run in the same firing. A before-trigger returning a Deferred holds the during
    phase back until that Deferred fires.
    """

    __slots__ = ("after", "before", "during", "firing")

    def __init__(self) -> None:
        self.before: list[_Trigger] = []
        self.during: list[_Trigger] = []
        self.after: list[_Trigger] = []
        self.firing = False

    def add(self, phase: str, trigger: _Trigger) -> None:
        """Register *trigger* in *phase*."""
        if phase not in _PHASES:
            raise KeyError(f"invalid phase {phase!r}: use 'before', 'during' or 'after'")
        getattr(self, phase).append(trigger)

    def remove(self, phase: str, trigger: _Trigger) -> None:
        """Unregister *trigger* from *phase*; ValueError if it is not registered."""
        if phase not in _PHASES:
            raise KeyError(f"invalid phase {phase!r}: use 'before', 'during' or 'after'")
        triggers: list[_Trigger] = getattr(self, phase)
        for i, entry in enumerate(triggers):
            if entry is trigger:
                del triggers[i]
                return
        raise ValueError("removeSystemEventTrigger(): no such trigger (already run or removed)")

    def fire(self, on_done: Callable[[], object] | None = None) -> None:
        """Run the before phase, wait for its Deferreds, then the during and after phases.

        :param on_done: called after the after phase.
        """
        self.firing = True
        pending: list[Any] = []
        before = self.before
        while before:
            result = _call_trigger(before.pop(0))
            if result is not None and _is_deferred(result):
                pending.append(result)
        if not pending:
            self._finish(on_done)
            return
        remaining = [len(pending)]

        def on_result(result: object) -> None:
            if _is_failure(result):
                log_failure(result, "Unhandled error in a 'before' system event trigger")
            remaining[0] -= 1
            if remaining[0] == 0:
                self._finish(on_done)

        for d in pending:
            d.addBoth(on_result)

    def _finish(self, on_done: Callable[[], object] | None) -> None:
        self.firing = False
        for phase in (self.during, self.after):
            while phase:
                _call_trigger(phase.pop(0))
        if on_done is not None:
            on_done()


def _is_deferred(result: object) -> bool:
    try:
        from bridge.defer import Deferred
    except ImportError:  # pragma: no cover - before bridge.defer exists
        return hasattr(result, "addBoth")
    return isinstance(result, Deferred)


def _is_failure(result: object) -> bool:
    try:
        from bridge.failure import Failure
    except ImportError:  # pragma: no cover - before bridge.failure exists
        return False
    return isinstance(result, Failure)


def _log_msg(text: str) -> None:
    from bridge import log

    log.msg(text)


def log_failure(failure: object, why: str) -> None:
    """Log *failure* (a Failure that nobody else will receive) through ``bridge.log``."""
    try:
        from bridge import log
    except ImportError:  # pragma: no cover
        import logging

        logging.getLogger("bridge").error("%s: %s", why, failure)
        return
    log.err(failure, why)


def _call_trigger(trigger: _Trigger) -> object:
    f, args, kw = trigger
    try:
        return f(*args, **kw)
    except Exception:
        log_error(f"Unhandled error in system event trigger {f!r}")
        return None


class Lifecycle:
    """Run, stop and crash a reactor on *loop*; owns the system events and signal handlers."""

    def __init__(self, loop: AbstractEventLoop) -> None:
        self._loop = loop
        self.events: dict[str, SystemEvent] = {}
        self.running = False
        # started: the "startup" event has begun. stopped: stop() was called (or never
        # started). started_before: a shutdown has happened, so run() may not start again.
        self.started = False
        self.stopping = False
        self.shut_down = False
        self.owner = False
        self._signals: list[tuple[int, Any]] = []
        #: Called with the signal number for SIGINT/SIGTERM; by default the reactor stops.
        self.on_signal: Callable[[int], object] | None = None
        #: True once "startup" was fired by auto_start (guest mode or run()), not startRunning().
        self.auto_started = False
        # While iterate()/doIteration() drive the loop, the reactor does not start by itself
        # (as in Twisted, iterating does not start the reactor): auto_start waits until later.
        self.hold_auto_start = False
        self._auto_start_held = False
        self._shutdown_waiters: list[Callable[[], object]] = []
        self.add_trigger("during", "startup", self._really_start, (), {})
        self.add_trigger("during", "shutdown", self._halt, (), {})
        if not loop.is_closed():
            # Start whenever the loop first runs its callbacks: inside reactor.run(), or as a
            # guest of whoever runs the loop (asyncio.run, run_until_complete, ...).
            self._start_pending = True
            # Thread-safe: a running loop may be running in another thread.
            loop.call_soon_threadsafe(self.auto_start)
        else:
            self._start_pending = False

    # -- triggers ---------------------------------------------------------------------------

    def add_trigger(
        self,
        phase: str,
        event_type: str,
        f: Callable[..., object],
        args: tuple[object, ...],
        kw: dict[str, object],
    ) -> TriggerID:
        """Register ``f(*args, **kw)`` for *phase* of *event_type*; return its ID."""
        if not callable(f):
            raise TypeError(f"addSystemEventTrigger() needs a callable, got {f!r}")
        trigger: _Trigger = (f, args, kw)
        event = self.events.get(event_type)
        if event is None:
            event = self.events[event_type] = SystemEvent()
        event.add(phase, trigger)
        return (event_type, phase, trigger)

    def remove_trigger(self, trigger_id: object) -> None:
        """Unregister the trigger *trigger_id* returned by :meth:`add_trigger`."""
        event_type: str
        phase: str
        trigger: _Trigger
        try:
            event_type, phase, trigger = trigger_id  # type: ignore[misc]
            event = self.events[event_type]
        except (TypeError, ValueError, KeyError):
            raise ValueError(
                f"removeSystemEventTrigger(): {trigger_id!r} is not a trigger ID "
                "returned by addSystemEventTrigger()"
            ) from None
        event.remove(phase, trigger)

    def fire(self, event_type: str, on_done: Callable[[], object] | None = None) -> None:
        """Fire the system event *event_type*; call *on_done* when all phases have run."""
        event = self.events.get(event_type)
        if event is None:
            event = self.events[event_type] = SystemEvent()
        event.fire(on_done)

    # -- starting ---------------------------------------------------------------------------

    def auto_start(self) -> None:
        """Fire "startup" if nothing has started the reactor yet (guest mode)."""
        if self.hold_auto_start:
            self._auto_start_held = True
            return
        self._start_pending = False
        if not self.started and not self.shut_down:
            self.auto_started = True
            self.start()

    def drive(self, run: Callable[[], object]) -> None:
        """Call *run* (which runs the loop for a while) without starting the reactor."""
        self.hold_auto_start = True
        try:
            run()
        finally:
            self.hold_auto_start = False
            if self._auto_start_held:
                self._auto_start_held = False
                self._loop.call_soon(self.auto_start)

    def start(self) -> None:
        """Fire the "startup" event; the reactor is running from its during phase on."""
        self.started = True
        self.stopping = False
        self.fire("startup")

    def _really_start(self) -> None:
        self.running = True

    def call_when_running(
        self, f: Callable[..., object], args: tuple[object, ...], kw: dict[str, object]
    ) -> TriggerID | None:
        if self.running:
            f(*args, **kw)
            return None
        return self.add_trigger("after", "startup", f, args, kw)

    def run(self, install_signal_handlers: bool) -> None:
        """Own the loop: start (if needed) and run it until stop() or crash()."""
        loop = self._loop
        if loop.is_running():
            raise ReactorAlreadyRunning(
                "reactor.run() called while its asyncio loop is already running: the reactor "
                "is a guest of that loop and is already started (callLater, listenTCP, "
                "threads all work). Don't call run(); await your program's work instead, and "
                "call reactor.stop() to fire the shutdown triggers "
                "(see docs/asyncio-integration.md)."
            )
        if self.shut_down:
            raise ReactorNotRestartable(
                "reactor.run() after the reactor has stopped: a reactor runs once; "
                "install a fresh one (bridge.install()) to run again"
            )
        if self.stopping:
            raise ReactorNotRestartable("reactor.run() while it is shutting down")
        self.owner = True
        if not self.started and not self._start_pending:
            # auto_start is queued when the reactor is made; after a crash() it is not.
            self._start_pending = True
            loop.call_soon(self.auto_start)
        if install_signal_handlers:
            self._install_signals()
        try:
            loop.run_forever()
        finally:
            self._remove_signals()
            self.owner = False
        _log_msg("Main loop terminated.")  # as Twisted's mainLoop, on a normal return

    # -- stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Begin shutdown: fire the "shutdown" event on the next loop iteration."""
        if not self.started and self._start_pending and self._loop.is_running():
            # A guest reactor stopped before its first loop iteration: start it now, so
            # that startup and shutdown both happen, in order.
            self.auto_start()
        if not self.started or self.stopping or self.shut_down:
            raise ReactorNotRunning("Can't stop reactor that isn't running.")
        self.stopping = True
        self._loop.call_soon(self.fire, "shutdown", self._shutdown_finished)

    def crash(self) -> None:
        """Stop the loop now, without running shutdown triggers."""
        self.running = False
        self.started = False
        # The startup triggers were consumed; a later run() starts again (as in Twisted).
        self.add_trigger("during", "startup", self._really_start, (), {})
        if self.owner and self._loop.is_running():
            self._loop.stop()

    def _halt(self) -> None:
        self.running = False
        if self.owner and self._loop.is_running():
            self._loop.stop()

    def _shutdown_finished(self) -> None:
        self.shut_down = True
        self.stopping = False
        waiters, self._shutdown_waiters = self._shutdown_waiters, []
        for waiter in waiters:
            waiter()

    def when_shut_down(self, callback: Callable[[], object]) -> None:
        """Call *callback* once the shutdown event has finished (at once if it has)."""
        if self.shut_down:
            callback()
        else:
            self._shutdown_waiters.append(callback)

    # -- signals ----------------------------------------------------------------------------

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals can only be handled in the main thread
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Leave signals alone that the application already handles, with
            # loop.add_signal_handler or signal.signal: only default dispositions are ours.
            current = signal.getsignal(sig)
            if current not in (signal.SIG_DFL, signal.default_int_handler, None):
                continue
            try:
                self._loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue
            self._signals.append((sig, current))

    def _remove_signals(self) -> None:
        signals, self._signals = self._signals, []
        for sig, previous in signals:
            # A closed loop or another thread: nothing left to undo.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.remove_signal_handler(sig)
            # uvloop leaves its own Python-level handler in place after
            # remove_signal_handler, which would swallow the signal from now on: put back
            # the disposition we found.
            if signal.getsignal(sig) is not previous:
                with contextlib.suppress(ValueError):  # not the main thread
                    signal.signal(sig, previous)

    def _on_signal(self, sig: int) -> None:
        if self.on_signal is not None:
            self.on_signal(sig)
            return
        self.stop_on_signal()

    def stop_on_signal(self) -> None:
        """Stop because of a signal, unless the reactor is not running or already stopping."""
        if self.started and not self.stopping and not self.shut_down:
            self.stop()
