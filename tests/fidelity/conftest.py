"""Start every subprocess run of the fidelity suite once collection is done."""

from __future__ import annotations

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    modules = {item.module.__name__ for item in session.items if hasattr(item, "module")}
    from tests.fidelity import test_programs, test_trial

    # The trial runs are the longest: start them first.
    if test_trial.__name__ in modules:
        test_trial.schedule()
    if test_programs.__name__ in modules:
        test_programs.schedule()
