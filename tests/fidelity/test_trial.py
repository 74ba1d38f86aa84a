"""Differential fidelity test of bridge.trial: one trial test module, two test runners.

``trial_cases/trial_sample.py`` imports only ``twisted.*`` names. It runs under
``python -m twisted.trial`` on real Twisted and under pytest with ``bridge.compat.install()``
in effect (on stdlib asyncio and on uvloop). Every test must end in the same category:
``ok``, ``bad`` (trial's FAILURE or ERROR; pytest's failed or error), ``skipped`` or ``todo``
(trial's TODO, pytest's xfail).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.fidelity import _runner

HERE = Path(__file__).resolve().parent
CASES = HERE / "trial_cases"
MODULE = "trial_sample"
PYTHON = sys.executable
TIMEOUT = 90.0

#: "Class.test_name" -> divergence (xfail reason).
KNOWN: dict[str, str] = {}

#: "Class.test_name" -> documented deliberate difference: not compared.
DELIBERATE: dict[str, str] = {
    "MoreSyncTests.test_setUpClass_ran": (
        "deliberate (docs/testing.md): bridge.trial calls setUpClass/tearDownClass; "
        "trial ignores them"
    ),
}

_TRIAL_LINE = re.compile(rf"^{MODULE}\.(\w+\.\w+) \.\.\. \[(\w+(?: \w+)*)\]", re.M)
_TRIAL_CATEGORY = {
    "OK": "ok",
    "FAIL": "bad",
    "FAILURE": "bad",
    "ERROR": "bad",
    "SKIPPED": "skipped",
    "TODO": "todo",
    "SUCCESS": "ok",
}
_ORDER = ("ok", "skipped", "todo", "bad")


def _test_ids() -> list[str]:
    tree = ast.parse((CASES / f"{MODULE}.py").read_text())
    ids = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                is_function = isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                if is_function and item.name.startswith("test"):
                    ids.append(f"{node.name}.{item.name}")
    return ids


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", **extra)
    if "BRIDGE_LOOP" not in extra:
        env.pop("BRIDGE_LOOP", None)
    return env


def _run_trial(tmp: Path) -> dict[str, str]:
    proc = subprocess.run(
        [
            PYTHON,
            "-m",
            "twisted.trial",
            f"--temp-directory={tmp / '_trial_temp'}",
            "--reporter=bwverbose",
            MODULE,
        ],
        cwd=str(CASES),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    outcomes = {
        name: _TRIAL_CATEGORY.get(status.split()[0], status)
        for name, status in _TRIAL_LINE.findall(proc.stdout)
    }
    if not outcomes:
        raise AssertionError(f"trial reported nothing:\n{proc.stdout}\n{proc.stderr}")
    return outcomes


_PYTEST_MAIN = (
    "import sys, bridge.compat as c; c.install(); import pytest; "
    "sys.exit(pytest.main(sys.argv[1:]))"
)


def _run_pytest(tmp: Path, loop: str) -> dict[str, str]:
    ini = tmp / f"pytest-{loop}.ini"
    ini.write_text(
        "[pytest]\npython_files = trial_*.py\nasyncio_default_fixture_loop_scope = function\n"
    )
    junit = tmp / f"junit-{loop}.xml"
    proc = subprocess.run(
        [
            PYTHON,
            "-c",
            _PYTEST_MAIN,
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(ini),
            "--rootdir",
            str(CASES),
            f"--junitxml={junit}",
            f"{MODULE}.py",
        ],
        cwd=str(CASES),
        env=_env(BRIDGE_LOOP=loop),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if not junit.exists():
        raise AssertionError(f"pytest wrote no report:\n{proc.stdout}\n{proc.stderr}")
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}.{case.get('name')}"
        category = "ok"
        for child in case:
            if child.tag in ("failure", "error"):
                category = "bad"
            elif child.tag == "skipped":
                category = "todo" if child.get("type") == "pytest.xfail" else "skipped"
        previous = outcomes.get(name, "ok")
        outcomes[name] = max(previous, category, key=_ORDER.index)
    return outcomes


_TMP = tempfile.TemporaryDirectory(prefix="bridge-trial-fidelity-")


def schedule() -> None:
    """Start the three runs (conftest.py calls this after collection)."""
    tmp = Path(_TMP.name)
    _runner.submit(("trial", "twisted"), _run_trial, tmp)
    for loop in ("asyncio", "uvloop"):
        _runner.submit(("trial", loop), _run_pytest, tmp, loop)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, str]]:
    schedule()
    return {
        runner: _runner.submit(("trial", runner), lambda: None).result()
        for runner in ("twisted", "asyncio", "uvloop")
    }


def _params() -> list[object]:
    params = []
    for test_id in _test_ids():
        reason = KNOWN.get(test_id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        if test_id in DELIBERATE:
            marks = [pytest.mark.skip(reason=DELIBERATE[test_id])]
        for loop in ("asyncio", "uvloop"):
            params.append(pytest.param(test_id, loop, marks=marks, id=f"{test_id}-{loop}"))
    return params


@pytest.mark.timeout(TIMEOUT * 3)
@pytest.mark.parametrize(("test_id", "loop"), _params())
def test_trial_outcome_matches(
    outcomes: dict[str, dict[str, str]], test_id: str, loop: str
) -> None:
    expected = outcomes["twisted"].get(test_id)
    assert expected is not None, f"trial did not report {test_id}"
    if test_id.endswith(("_fails", "_errors")):
        assert expected == "bad", "the sample's naming promises a failing test under trial"
    assert outcomes[loop].get(test_id) == expected


@pytest.mark.timeout(TIMEOUT * 3)
def test_every_test_reported(outcomes: dict[str, dict[str, str]]) -> None:
    ids = set(_test_ids())
    assert set(outcomes["twisted"]) == ids
    assert set(outcomes["asyncio"]) == ids
    assert set(outcomes["uvloop"]) == ids
