from collections.abc import Callable, Generator
from typing import Any

class DeferredBase:
    callbacks: list[tuple[Any, ...]]
    called: bool
    paused: int
    result: Any
    _canceller: Any
    _running: bool
    _unhandled: Any
    def __await__(self) -> Generator[Any, Any, Any]: ...
    def callback(self, result: Any, /) -> None: ...
    def _run_callbacks(self) -> None: ...

def _setup(
    failure_type: type,
    get_running_loop: Callable[[], Any],
    deferred_types: set[type],
    continue_marker: object,
    unhandled_type: type,
    coroutine_misuse: Callable[..., Any],
    /,
) -> None: ...
def _set_future(result: Any, future: Any, /) -> Any: ...
