from collections.abc import Callable, Generator
from typing import Any

class DeferredBase:
    callbacks: list[tuple[Any, ...]]
    called: bool
    paused: int
    result: Any
    def __await__(self) -> Generator[Any, Any, Any]: ...

def _setup(failure_type: type, get_running_loop: Callable[[], Any], /) -> None: ...
def _set_future(result: Any, future: Any, /) -> Any: ...
