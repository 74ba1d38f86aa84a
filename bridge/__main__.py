"""Command line: ``python -m bridge run SCRIPT`` runs a Twisted-style program on bridge.

``run`` installs the ``twisted.*`` import aliases (:func:`bridge.compat.install`), chooses the
event loop (``--loop asyncio|uvloop``, else ``BRIDGE_LOOP``, else asyncio) and runs the
script as ``__main__`` with the remaining arguments in ``sys.argv``, as ``python SCRIPT``
would. The reactor is still created on first use, so scripts that call ``reactor.run()`` and
scripts that start with ``asyncio.run(main())`` (guest mode) both work.

Exit status: the script's own (``sys.exit``), 1 for an uncaught exception, 2 for a usage
error (unknown option, missing script, uvloop asked for but not installed).
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from collections.abc import Sequence

__all__ = ["main"]

_PROG = "bridge"
_EPILOG = """\
examples:
  python -m bridge run server.py --port 8080      run an unmodified Twisted script
  python -m bridge run --loop uvloop server.py    ... on uvloop
  python -m bridge run -m mypackage.tool ARGS     run a module, like python -m

Options of `run` go before SCRIPT; everything after SCRIPT is passed to the script.
See docs/porting.md for the twisted.* names bridge provides.
"""


class _UsageError(Exception):
    """A command-line mistake: reported on stderr with exit status 2."""


def _version_text() -> str:
    from bridge import __version__
    from bridge.compat import uvloop_version

    uv = uvloop_version()
    uv_text = "uvloop " + ".".join(map(str, uv)) if uv else "uvloop not installed"
    py = ".".join(map(str, sys.version_info[:3]))
    return f"bridge {__version__} (Python {py}, {uv_text})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="bridge: Twisted's reactor, Deferred and protocols on asyncio or uvloop.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version_text())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run a Twisted-style script on bridge",
        description="Run SCRIPT as __main__ with twisted.* imports resolving to bridge.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default=None,
        help="event loop to run on (default: $BRIDGE_LOOP, else asyncio)",
    )
    run.add_argument(
        "--no-twisted-aliases",
        dest="aliases",
        action="store_false",
        help="do not map twisted.* imports to bridge (for scripts that import bridge directly)",
    )
    run.add_argument(
        "-m",
        dest="module",
        action="store_true",
        help="SCRIPT is a module name to run, as with python -m",
    )
    run.add_argument("script", metavar="SCRIPT", help="the Python file (or module, with -m)")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="script arguments")
    return parser


def _choose_loop(loop: str | None) -> None:
    """Make *loop* the backend for the reactor and for ``asyncio.run`` in the script."""
    if loop is None:
        return
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise _UsageError(
                "--loop uvloop: uvloop is not installed (pip install 'bridge[uvloop]')"
            ) from None
        import asyncio

        # Guest-mode scripts (asyncio.run(main())) get a uvloop loop too. The policy API is
        # deprecated from Python 3.14 on; bridge supports 3.10-3.13.
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    # The reactor is made on first use and reads BRIDGE_LOOP then; child processes inherit it.
    os.environ["BRIDGE_LOOP"] = loop


def _run(args: argparse.Namespace) -> None:
    if args.module:
        import importlib.util

        try:
            found = importlib.util.find_spec(args.script) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise _UsageError(f"run: no module named {args.script!r}")
    elif not os.path.isfile(args.script):
        reason = "is a directory" if os.path.isdir(args.script) else "no such file"
        raise _UsageError(f"run: can't open script {args.script!r}: {reason}")
    _choose_loop(args.loop)
    if args.aliases:
        from bridge import compat

        try:
            compat.install()
        except RuntimeError as exc:
            raise _UsageError(f"run: {exc}") from None
    if args.module:
        sys.argv = [args.script, *args.args]
        runpy.run_module(args.script, run_name="__main__", alter_sys=True)
        return
    script = os.path.abspath(args.script)
    sys.argv = [args.script, *args.args]
    # As `python SCRIPT` does: the script's folder comes first on sys.path.
    sys.path.insert(0, os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bridge`` command line; return the exit status.

    :param argv: the arguments after the program name (default ``sys.argv[1:]``).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        _run(args)
    except _UsageError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
