"""Pause Python's cyclic garbage collector while a function builds many objects.

Reading a large submission or gold file creates hundreds of thousands of small dicts, lists
and strings, none in a reference cycle: reference counting frees them all, and the cyclic
collector's repeated passes over them only add time.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


def without_cyclic_gc(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` with the cyclic collector paused, then restore its previous state."""

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return paused
