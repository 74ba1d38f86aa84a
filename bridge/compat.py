"""Version checks for Python and uvloop, kept in one place.

Everything in bridge that depends on the interpreter or on the uvloop version asks this
module instead of testing ``sys.version_info`` itself.
"""

from __future__ import annotations

import sys
import time
from asyncio import AbstractEventLoop

__all__ = [
    "PY311",
    "PY312",
    "PY313",
    "clock_resolution",
    "is_uvloop",
    "uvloop_available",
    "uvloop_version",
]

#: True on Python 3.11 and later (``asyncio.timeout``, ``TaskGroup``, ``except*``).
PY311 = sys.version_info >= (3, 11)
#: True on Python 3.12 and later (eager tasks: ``asyncio.Task(..., eager_start=True)``).
PY312 = sys.version_info >= (3, 12)
#: True on Python 3.13 and later.
PY313 = sys.version_info >= (3, 13)

_MONOTONIC_RESOLUTION = time.get_clock_info("monotonic").resolution


def uvloop_version() -> tuple[int, ...] | None:
    """Return the installed uvloop version as a tuple of ints, or None without uvloop."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        text = version("uvloop")
    except (ImportError, PackageNotFoundError):
        return None
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def uvloop_available() -> bool:
    """Return True when uvloop can be imported."""
    return uvloop_version() is not None


def is_uvloop(loop: AbstractEventLoop) -> bool:
    """Return True when *loop* is a uvloop loop (without importing uvloop)."""
    return type(loop).__module__.split(".", 1)[0] == "uvloop"


def clock_resolution(loop: AbstractEventLoop) -> float:
    """Return the resolution of ``loop.time()`` in seconds.

    .. note:: uvloop's clock advances in whole milliseconds; the stdlib loop uses
       ``time.monotonic()``.
    """
    if is_uvloop(loop):
        return 1e-3
    return float(_MONOTONIC_RESOLUTION)


# --- twisted-name aliases (H7) ---
#
# ``install()`` puts a meta path finder in front of ``sys.meta_path`` that answers every
# ``twisted`` / ``twisted.*`` import: names bridge implements resolve to bridge's own module
# objects (so ``twisted.internet.defer.Deferred is bridge.defer.Deferred``), the packages in
# between are small synthetic modules, and anything else fails with an ImportError that names
# the missing piece and points at the porting guide. Nothing happens unless install() is called.

import importlib  # noqa: E402
import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
import types  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import cast  # noqa: E402

__all__ += ["TWISTED_ALIASES", "install", "installed", "uninstall"]

PORTING_GUIDE = "docs/porting.md"

#: ``twisted.*`` module name -> the bridge module that stands in for it.
TWISTED_ALIASES: dict[str, str] = {
    "twisted.internet.defer": "bridge.defer",
    "twisted.internet.protocol": "bridge.protocol",
    "twisted.internet.task": "bridge.task",
    "twisted.internet.threads": "bridge.threads",
    "twisted.internet.endpoints": "bridge.endpoints",
    "twisted.internet.error": "bridge.error",
    "twisted.internet.interfaces": "bridge.interfaces",
    "twisted.internet.address": "bridge.address",
    "twisted.internet.testing": "bridge.testing",
    "twisted.internet.ssl": "bridge.ssl",
    "twisted.internet.utils": "bridge.utils",
    "twisted.internet.stdio": "bridge.stdio",
    "twisted.protocols.basic": "bridge.basic",
    "twisted.python.failure": "bridge.failure",
    "twisted.python.log": "bridge.log",
    "twisted.python.threadpool": "bridge.threads",
    "twisted.test.proto_helpers": "bridge.testing",
    "twisted.trial.unittest": "bridge.trial",
}

# Modules bridge writes itself (no bridge counterpart of the same shape).
_SYNTHETIC_MODULES = frozenset(
    {
        "twisted.internet.main",
        "twisted.internet.asyncioreactor",
        "twisted.internet.default",
        "twisted.internet.epollreactor",
        "twisted.internet.selectreactor",
        "twisted.internet.pollreactor",
    }
)
_PACKAGES = frozenset(
    {"twisted", "twisted.internet", "twisted.protocols", "twisted.python", "twisted.test"}
    | {"twisted.trial"}
)
_REACTOR_MODULE = "twisted.internet.reactor"
_MARKER = "__bridge_compat__"
_MODULE_ATTRS = ("__name__", "__spec__", "__loader__", "__package__", "__path__", "__file__")


def _is_twisted_name(name: str) -> bool:
    return name == "twisted" or name.startswith("twisted.")


def _not_provided(name: str, detail: str = "") -> ImportError:
    message = (
        f"No module named {name!r}: bridge.compat.install() maps twisted.* names to bridge, and "
        f"bridge does not provide {name}{detail}. See {PORTING_GUIDE} for the supported names "
        "and how to port code that needs others."
    )
    # A plain ImportError, not ModuleNotFoundError: `from twisted.internet import x` would
    # swallow the latter and report a bare "cannot import name 'x'" instead of this message.
    return ImportError(message, name=name)


def _install_reactor(reactor: object) -> None:
    """Make *reactor* bridge's global reactor, as ``twisted.internet.main.installReactor`` does."""
    from bridge import _runtime
    from bridge._reactor import AsyncioReactor
    from bridge.error import ReactorAlreadyInstalledError

    if not isinstance(reactor, AsyncioReactor):
        raise TypeError(
            f"installReactor() under bridge takes a bridge reactor, got {type(reactor).__name__}; "
            "to run on a particular asyncio loop use bridge.install(loop) or "
            "twisted.internet.asyncioreactor.install(loop)"
        )
    if _runtime.is_installed():
        raise ReactorAlreadyInstalledError(
            "installReactor(): a bridge reactor is installed already; install your reactor "
            "before anything uses `twisted.internet.reactor`"
        )
    _runtime._reactor = reactor
    sys.modules[_REACTOR_MODULE] = reactor  # type: ignore[assignment]


def _install_on_loop(eventloop: object = None) -> None:
    """Install bridge's reactor on *eventloop* (``asyncioreactor.install``'s signature)."""
    import bridge

    bridge.install(eventloop)  # type: ignore[arg-type]


def _install_default() -> None:
    """Install bridge's reactor on the default loop (``epollreactor.install`` and friends)."""
    import bridge

    bridge.install()


def _reactor_class() -> type:
    from bridge._reactor import AsyncioReactor

    return AsyncioReactor


def _populate_synthetic(module: types.ModuleType) -> None:
    name = module.__name__
    if name == "twisted.internet.main":
        module.__doc__ = "bridge's stand-in for twisted.internet.main."
        module.installReactor = _install_reactor  # type: ignore[attr-defined]

        from bridge import error

        # As in Twisted, these are exception *instances* (code wraps them: Failure(CONNECTION_LOST)
        # or returns them from doRead); bridge.error's constants of the same name are Failures.
        module.CONNECTION_DONE = error.ConnectionDone("Connection done")  # type: ignore[attr-defined]
        module.CONNECTION_LOST = error.ConnectionLost("Connection lost")  # type: ignore[attr-defined]
        module.__all__ = ["CONNECTION_DONE", "CONNECTION_LOST", "installReactor"]  # type: ignore[attr-defined]
    else:
        # The reactor-selection modules: install() puts bridge's reactor in place, on the given
        # asyncio loop for asyncioreactor and on the default loop for the others.
        module.__doc__ = f"bridge's stand-in for {name}: install() installs bridge's reactor."
        if name == "twisted.internet.asyncioreactor":
            module.install = _install_on_loop  # type: ignore[attr-defined]

            def reactor_getattr(attr: str) -> object:
                if attr == "AsyncioSelectorReactor":
                    return _reactor_class()
                raise AttributeError(f"module {name!r} has no attribute {attr!r} under bridge")

            module.__getattr__ = reactor_getattr  # type: ignore[method-assign]
        else:
            module.install = _install_default  # type: ignore[attr-defined]
        module.__all__ = ["install"]  # type: ignore[attr-defined]


def _package_getattr(package: str) -> Callable[[str], object]:
    def __getattr__(attr: str) -> object:  # noqa: N807 (a module __getattr__)
        full = f"{package}.{attr}"
        if full == _REACTOR_MODULE:
            import bridge

            return bridge.reactor
        if full in TWISTED_ALIASES or full in _SYNTHETIC_MODULES or full in _PACKAGES:
            return importlib.import_module(full)
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise AttributeError(
            f"module {package!r} has no attribute {attr!r}: bridge does not provide {full} "
            f"(see {PORTING_GUIDE})"
        )

    return __getattr__


class _TwistedAliasLoader(importlib.abc.Loader):
    """Hand out bridge's modules (or the reactor, or synthetic modules) for twisted.* names."""

    def __init__(self) -> None:
        # importlib stamps the alias's spec onto whatever create_module returns; remember the
        # object's own attributes so exec_module can put them back (bridge.defer stays
        # bridge.defer for reload, pickling and introspection).
        self._saved: dict[str, dict[str, object]] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        name = spec.name
        if name == _REACTOR_MODULE:
            # Twisted itself keeps the reactor *object* in sys.modules under this name.
            import bridge

            target: object = bridge.reactor
        elif name in TWISTED_ALIASES:
            target_name = TWISTED_ALIASES[name]
            try:
                target = importlib.import_module(target_name)
            except ModuleNotFoundError as exc:
                if exc.name != target_name:
                    raise
                raise _not_provided(name, f" (its stand-in {target_name} is missing)") from exc
        else:
            return None  # synthetic package or module: a fresh module object
        self._saved[name] = {
            attr: vars(target)[attr] for attr in _MODULE_ATTRS if attr in vars(target)
        }
        return cast(types.ModuleType, target)

    def exec_module(self, module: types.ModuleType) -> None:
        spec = module.__spec__  # the alias's spec, stamped by importlib just before this call
        name = spec.name if spec is not None else module.__name__
        saved = self._saved.pop(name, None)
        if saved is not None:
            for attr in _MODULE_ATTRS:
                if attr in saved:
                    setattr(module, attr, saved[attr])
                elif attr in vars(module):
                    delattr(module, attr)
            return
        setattr(module, _MARKER, True)
        if name in _PACKAGES:
            module.__doc__ = f"bridge's stand-in for the {name} package."
            module.__getattr__ = _package_getattr(name)  # type: ignore[method-assign]
        else:
            _populate_synthetic(module)


class _TwistedAliasFinder(importlib.abc.MetaPathFinder):
    """Answer every ``twisted`` / ``twisted.*`` import; see :func:`install`."""

    def __init__(self) -> None:
        self._loader = _TwistedAliasLoader()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not _is_twisted_name(fullname):
            return None
        known = (
            fullname in TWISTED_ALIASES
            or fullname in _SYNTHETIC_MODULES
            or fullname in _PACKAGES
            or fullname == _REACTOR_MODULE
        )
        if not known:
            raise _not_provided(fullname)
        return importlib.machinery.ModuleSpec(
            fullname, self._loader, is_package=fullname in _PACKAGES
        )


_finder: _TwistedAliasFinder | None = None


def installed() -> bool:
    """Return True when :func:`install` is in effect."""
    return _finder is not None


def install() -> None:
    """Make ``twisted.*`` imports resolve to bridge, so unmodified Twisted code runs on it.

    After this, ``from twisted.internet import reactor, defer`` gives bridge's reactor and
    :mod:`bridge.defer`, ``from twisted.protocols.basic import LineReceiver`` gives
    :class:`bridge.basic.LineReceiver`, and so on for the names in :data:`TWISTED_ALIASES`
    (plus ``twisted.internet.main`` and the ``*reactor.install()`` modules). Importing a
    Twisted name bridge does not provide raises :class:`ImportError` naming it and
    pointing at the porting guide. Calling it again is a no-op.

    :raises RuntimeError: the real Twisted is imported already: its modules and bridge's
        cannot be mixed, so call ``install()`` first (``python -m bridge run`` does).
    """
    global _finder
    if _finder is not None:
        return
    real = sys.modules.get("twisted")
    if real is not None and getattr(real, _MARKER, None) is None:
        where = getattr(real, "__file__", None) or "?"
        raise RuntimeError(
            f"bridge.compat.install(): the real Twisted is imported already (twisted from "
            f"{where}); its modules and bridge's cannot be mixed. Call install() before "
            "anything imports twisted, e.g. first thing in your program or with "
            "`python -m bridge run SCRIPT`."
        )
    _finder = _TwistedAliasFinder()
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Undo :func:`install`: remove the finder and forget the ``twisted.*`` aliases.

    Modules that already imported a twisted name keep the bridge objects they got.
    """
    global _finder
    if _finder is None:
        return
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
    for name in [n for n in sys.modules if _is_twisted_name(n)]:
        del sys.modules[name]
