"""Type stub of the optional C accelerator (flask_edgecors/_speedups.c)."""

from collections.abc import Callable, Iterable
from typing import Any

class Entry:
    """The WSGI call of CORSMiddleware; its armed path in C."""

    app: Any
    propagate_exceptions: Any
    _fast: Any
    _fast_late: Any
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]: ...

class Injector:
    """The start_response a CORS layer hands to the app it wraps."""

    def __call__(self, status: str, headers: list[Any], exc_info: Any = None) -> Any: ...

def configure(
    general: Callable[..., Any],
    answer: Callable[..., Any],
    app_error: Callable[..., Any],
    vary_only: tuple[tuple[str, str], ...],
) -> None: ...
