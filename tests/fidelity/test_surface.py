"""Differential API-surface test: bridge's modules against the Twisted modules they stand for.

For every ``twisted.*`` module that :data:`bridge.compat.TWISTED_ALIASES` maps to a bridge
module, each public name of the Twisted module (its ``__all__``, or the names its source
defines at top level when it has none) must exist in the bridge module; each public member of a
Twisted class (class attributes, methods, and instance attributes for the classes in
:data:`INSTANCES`) must exist on the bridge class or instance (members that Python's builtin
bases provide, such as ``BaseException.args``, are not Twisted's API); and each parameter of a
Twisted function, method or constructor must be accepted by bridge's by the same keyword, with
the positional parameters in the same order (``self``, ``cls`` and Twisted's positional-by-
convention ``_x`` parameters are not compared).

Exceptions are explicit, as entries of the form ``"module:Name"``, ``"module:Class.member"`` or
``"module:function(param)"`` / ``"module:Class.method(param)"``:

- :data:`OMITTED`: deliberate omissions, each documented in ``docs/porting.md``.
- :data:`NET_PENDING`: gaps in the networking modules that net-fidelity is adding.

Both lists must stay exact: an entry that is no longer missing fails
:func:`test_allow_lists_are_not_stale`, so the lists shrink as the gaps close.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import warnings
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("twisted")

from bridge.compat import TWISTED_ALIASES

# -- the allow-lists -------------------------------------------------------------------------

#: Deliberate omissions (docs/porting.md says why, in the section named in each comment).
OMITTED: dict[str, str] = {
    # "Errors, addresses, framing and test helpers": EventLoggingObserver needs twisted.logger.
    "twisted.internet.testing:EventLoggingObserver": "needs twisted.logger",
    "twisted.test.proto_helpers:EventLoggingObserver": "needs twisted.logger",
    # "TLS": no certificate requests or CA signing, no pyOpenSSL connection objects.
    "twisted.internet.ssl:CertificateRequest": "no certificate requests",
    "twisted.internet.ssl:KeyPair.certificateRequest": "no certificate requests",
    "twisted.internet.ssl:KeyPair.requestObject": "no certificate requests",
    "twisted.internet.ssl:KeyPair.newCertificate": "no CA signing",
    "twisted.internet.ssl:KeyPair.signCertificateRequest": "no CA signing",
    "twisted.internet.ssl:KeyPair.signRequestObject": "no CA signing",
    "twisted.internet.ssl:PrivateCertificate.certificateRequest": "no certificate requests",
    "twisted.internet.ssl:PrivateCertificate.newCertificate": "no CA signing",
    "twisted.internet.ssl:PrivateCertificate.signCertificateRequest": "no CA signing",
    "twisted.internet.ssl:PrivateCertificate.signRequestObject": "no CA signing",
    "twisted.internet.ssl:AcceptableCiphers.selectCiphers": "documented as not provided",
    "twisted.internet.ssl:CertificateOptions.clientConnectionForTLS": "no pyOpenSSL connection",
    "twisted.internet.ssl:CertificateOptions.serverConnectionForTLS": "no pyOpenSSL connection",
    # "TLS": certificates and keys hold PEM/DER bytes, not the pyOpenSSL objects Twisted wraps.
    "twisted.internet.ssl:Certificate.__init__(original)": "PEM/DER bytes, not pyOpenSSL",
    "twisted.internet.ssl:PrivateCertificate.__init__(original)": "PEM/DER bytes, not pyOpenSSL",
    "twisted.internet.ssl:KeyPair.__init__(osslpkey)": "PEM/DER bytes, not pyOpenSSL",
    "twisted.internet.ssl:DiffieHellmanParameters.__init__(parameters)": "a file path",
    "twisted.internet.ssl:AcceptableCiphers.__init__(ciphers)": "OpenSSL cipher strings",
}

#: Gaps in the networking modules: net-fidelity is adding these. Delete a line when it lands.
NET_PENDING: set[str] = set()

# -- what Twisted documents ------------------------------------------------------------------


def _failure(module: ModuleType) -> Any:
    failure = (
        "twisted.python.failure" if module.__name__.startswith("twisted") else "bridge.failure"
    )
    return importlib.import_module(failure).Failure(ValueError("x"))


def _cooperator(module: ModuleType) -> Any:
    return module.Cooperator(started=False)


def _make(name: str, *args: object) -> Callable[[ModuleType], Any]:
    return lambda module: getattr(module, name)(*args)


def _makers(*names: str) -> dict[str, Callable[[ModuleType], Any]]:
    return {name: _make(name) for name in names}


#: Classes whose members are also checked on an instance (Twisted sets many in ``__init__``).
INSTANCES: dict[str, dict[str, Callable[[ModuleType], Any]]] = {
    "twisted.internet.defer": {
        **_makers("Deferred", "DeferredLock", "DeferredQueue"),
        "DeferredList": _make("DeferredList", []),
        "DeferredSemaphore": _make("DeferredSemaphore", 2),
        "FirstError": lambda m: m.FirstError(_failure(m), 0),
    },
    "twisted.internet.task": {
        "Clock": _make("Clock"),
        "LoopingCall": _make("LoopingCall", print),
        "Cooperator": _cooperator,
        "CooperativeTask": lambda m: _cooperator(m).cooperate(iter(())),
    },
    "twisted.python.failure": {"Failure": _failure},
    "twisted.python.log": {
        "FileLogObserver": lambda m: m.FileLogObserver(io.StringIO()),
        **_makers("LogPublisher", "PythonLoggingObserver", "StdioOnnaStick", "DefaultObserver"),
    },
    "twisted.python.threadpool": _makers("ThreadPool"),
    "twisted.internet.testing": {
        **_makers(
            "StringTransport",
            "StringTransportWithDisconnection",
            "MemoryReactor",
            "MemoryReactorClock",
            "AccumulatingProtocol",
            "FakeDatagramTransport",
            "StringIOWithoutClosing",
        ),
        "LineSendingProtocol": _make("LineSendingProtocol", []),
        "NonStreamingProducer": lambda m: m.NonStreamingProducer(m.StringTransport()),
    },
    "twisted.test.proto_helpers": {},  # filled in below: the same classes as testing's
    "twisted.trial.unittest": {
        "Todo": _make("Todo", "reason"),
        **_makers("SynchronousTestCase", "TestCase"),
    },
    "twisted.internet.protocol": _makers(
        "Factory",
        "Protocol",
        "ClientFactory",
        "ServerFactory",
        "ReconnectingClientFactory",
        "DatagramProtocol",
        "ProcessProtocol",
    ),
    "twisted.protocols.basic": _makers(
        "LineReceiver",
        "LineOnlyReceiver",
        "NetstringReceiver",
        "Int8StringReceiver",
        "Int16StringReceiver",
        "Int32StringReceiver",
        "FileSender",
    ),
    "twisted.internet.address": {
        "IPv4Address": _make("IPv4Address", "TCP", "127.0.0.1", 1),
        "UNIXAddress": _make("UNIXAddress", "/sock"),
        "HostnameAddress": _make("HostnameAddress", b"host", 1),
    },
}

INSTANCES["twisted.test.proto_helpers"] = INSTANCES["twisted.internet.testing"]


def _top_level_names(module: ModuleType) -> set[str]:
    """The names a module's source binds at top level (also inside top-level if/try)."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for part in (
                    node.body,
                    node.orelse,
                    node.finalbody,
                    *(h.body for h in node.handlers),
                ):
                    visit(part)

    visit(ast.parse(inspect.getsource(module)).body)
    return names


def public_names(module: ModuleType) -> list[str]:
    """Twisted's public names of *module*: ``__all__``, else its public top-level names."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return sorted(set(declared))
    return sorted(
        name
        for name in _top_level_names(module)
        if not name.startswith("_") and hasattr(module, name)
    )


def _builtin_members(cls: type) -> set[str]:
    # Members inherited from builtins (BaseException.args, object.__init__...) are Python's,
    # not Twisted's API (bridge's Failure, for one, is deliberately no BaseException).
    found: set[str] = set()
    for base in cls.__mro__:
        if base.__module__ == "builtins":
            found.update(vars(base))
    return found


def _members(obj: object) -> set[str]:
    from zope.interface.interface import InterfaceClass

    if isinstance(obj, InterfaceClass):
        return set(obj.names(all=True))
    cls = obj if isinstance(obj, type) else type(obj)
    skip = _builtin_members(cls)
    return {name for name in dir(obj) if not name.startswith("_") and name not in skip}


def _has(obj: object, name: str) -> bool:
    from zope.interface.interface import InterfaceClass

    if isinstance(obj, InterfaceClass):
        return name in obj.names(all=True)
    return hasattr(obj, name)


def _pair(twisted_name: str) -> tuple[ModuleType, ModuleType]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs = importlib.import_module(twisted_name)
        ours = importlib.import_module(TWISTED_ALIASES[twisted_name])
    return theirs, ours


def _get(module: ModuleType, name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(module, name)


# -- the comparisons: each yields the allow-list keys of what bridge lacks -------------------


def missing_names(twisted_name: str) -> Iterator[str]:
    theirs, ours = _pair(twisted_name)
    for name in public_names(theirs):
        if not hasattr(ours, name):
            yield f"{twisted_name}:{name}"


def _class_pairs(twisted_name: str) -> Iterator[tuple[str, Any, Any]]:
    theirs, ours = _pair(twisted_name)
    for name in public_names(theirs):
        their_obj, our_obj = _get(theirs, name), getattr(ours, name, None)
        if inspect.isclass(their_obj) and inspect.isclass(our_obj):
            yield name, their_obj, our_obj


def missing_members(twisted_name: str) -> Iterator[str]:
    theirs, ours = _pair(twisted_name)
    makers = INSTANCES.get(twisted_name, {})
    for name, their_cls, our_cls in _class_pairs(twisted_name):
        their_obj, our_obj = their_cls, our_cls
        if name in makers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                their_obj, our_obj = makers[name](theirs), makers[name](ours)
        for member in sorted(_members(their_obj) | _members(their_cls)):
            if not (_has(our_obj, member) or _has(our_cls, member)):
                yield f"{twisted_name}:{name}.{member}"


def _callables(twisted_name: str) -> Iterator[tuple[str, Any, Any]]:
    theirs, ours = _pair(twisted_name)
    for name in public_names(theirs):
        their_obj, our_obj = _get(theirs, name), getattr(ours, name, None)
        if our_obj is None:
            continue
        if (inspect.isfunction(their_obj) or inspect.ismethod(their_obj)) and callable(our_obj):
            yield name, their_obj, our_obj
        elif inspect.isclass(their_obj) and inspect.isclass(our_obj):
            # The constructor's keywords too (Twisted's own __init__, not object's or an
            # exception base's).
            their_init = inspect.getattr_static(their_obj, "__init__", None)
            if inspect.isfunction(their_init) and not _is_zope_interface(their_obj):
                yield f"{name}.__init__", their_obj.__init__, our_obj.__init__
            for member in sorted(_members(their_obj)):
                static = inspect.getattr_static(their_obj, member, None)
                if isinstance(static, classmethod | staticmethod) or inspect.isfunction(static):
                    our_member = getattr(our_obj, member, None)
                    if callable(our_member):
                        yield f"{name}.{member}", getattr(their_obj, member), our_member


def _is_zope_interface(obj: object) -> bool:
    from zope.interface.interface import InterfaceClass

    return isinstance(obj, InterfaceClass)


def _signature(f: object) -> inspect.Signature | None:
    try:
        return inspect.signature(f)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def unaccepted_parameters(twisted_name: str) -> Iterator[str]:
    """Twisted's parameters that bridge's callable does not take by name or in position."""
    for label, their_f, our_f in _callables(twisted_name):
        theirs, ours = _signature(their_f), _signature(our_f)
        if theirs is None or ours is None:
            continue
        our_params = ours.parameters
        var_kw = any(p.kind is p.VAR_KEYWORD for p in our_params.values())
        var_pos = any(p.kind is p.VAR_POSITIONAL for p in our_params.values())
        our_positional = [p.name for p in our_params.values() if p.kind in _POSITIONAL]
        index = 0
        for param in theirs.parameters.values():
            if param.kind not in _POSITIONAL and param.kind is not param.KEYWORD_ONLY:
                continue
            position = index if param.kind in _POSITIONAL else None
            index += param.kind in _POSITIONAL
            # Underscore names (log.err's _stuff) are positional by convention; self/cls too.
            if param.name.startswith("_") or param.name in ("self", "cls"):
                continue
            ours_param = our_params.get(param.name)
            by_name = (
                param.kind is param.POSITIONAL_ONLY
                or (ours_param is not None and ours_param.kind is not ours_param.POSITIONAL_ONLY)
                or (ours_param is None and var_kw)
            )
            in_place = (
                position is None
                or var_pos
                or (position < len(our_positional) and our_positional[position] == param.name)
                or (param.kind is param.POSITIONAL_ONLY and position < len(our_positional))
                or (ours_param is None and var_kw and position >= len(our_positional))
            )
            if not (by_name and in_place):
                yield f"{twisted_name}:{label}({param.name})"


# -- the tests -------------------------------------------------------------------------------

MODULES = sorted(TWISTED_ALIASES)
CHECKS = {
    "names": missing_names,
    "members": missing_members,
    "parameters": unaccepted_parameters,
}


def _gaps(twisted_name: str, check: str) -> list[str]:
    allowed = set(OMITTED) | NET_PENDING
    return [key for key in CHECKS[check](twisted_name) if key not in allowed]


@pytest.mark.parametrize("twisted_name", MODULES)
def test_public_names_exist(twisted_name: str) -> None:
    gaps = _gaps(twisted_name, "names")
    assert not gaps, "missing in bridge:\n" + "\n".join(gaps)


@pytest.mark.parametrize("twisted_name", MODULES)
def test_class_members_exist(twisted_name: str) -> None:
    gaps = _gaps(twisted_name, "members")
    assert not gaps, "missing in bridge:\n" + "\n".join(gaps)


@pytest.mark.parametrize("twisted_name", MODULES)
def test_parameters_accepted(twisted_name: str) -> None:
    gaps = _gaps(twisted_name, "parameters")
    assert not gaps, "not accepted by bridge:\n" + "\n".join(gaps)


def test_allow_lists_are_not_stale() -> None:
    """Every allow-listed entry is still missing: drop the entry once the gap is closed."""
    found = {key for name in MODULES for check in CHECKS.values() for key in check(name)}
    assert sorted(set(OMITTED) - found) == []
    assert sorted(NET_PENDING - found) == []


def test_allow_lists_do_not_overlap() -> None:
    assert set(OMITTED) & NET_PENDING == set()


def test_public_names_reads_top_level_definitions() -> None:
    log, _ = _pair("twisted.python.log")
    names = public_names(log)
    # Bound inside ``if "theLogPublisher" not in globals():`` in Twisted's source.
    assert {"theLogPublisher", "addObserver", "msg", "FileLogObserver"} <= set(names)
    assert not any(name.startswith("_") for name in names)
