"""What keeps a short run's start-up short, measured on ``newsbot scrape`` of one URL.

* The cyclic garbage collector is paused while the command imports Scrapy, Twisted and
  the project and builds the crawler (:func:`pause_collection`), then every object alive
  at that point is frozen out of later collections and collection resumes
  (:func:`resume_collection`): the objects built at start-up are modules, classes and
  the crawler's components, which live as long as the process, so walking them again and
  again while thousands more are created is pure cost (about 0.05 s of a one-URL run).
  The two thousand or so objects start-up leaves unreachable are frozen with the rest (a
  fixed amount; a collection to free them first would cost as much as the pause saves).
* Scrapy builds deprecated aliases of its TLS classes at import with ``inspect.stack()``,
  which reads the source of every frame of the (deep) import stack and, for each frame
  of the frozen import machinery, scans all of ``sys.modules`` (CPython issue 92041): about
  0.1 s. :func:`frames_only_stack` stands in for it while that module is imported, giving
  the same frames without their source lines (Scrapy reads only the caller's frame).
"""

from __future__ import annotations

import gc
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def pause_collection() -> None:
    """Pause the cyclic garbage collector for the start-up (reference counting still frees
    everything that is not in a cycle); returns nothing."""
    gc.disable()


def resume_collection() -> None:
    """Freeze what start-up built out of later collections and resume collecting; returns
    nothing. Does nothing when collection was not paused (a crawl run through the API)."""
    if gc.isenabled():
        return
    gc.freeze()
    gc.enable()


def _stack_without_source(context: int = 1) -> list[inspect.FrameInfo]:
    """Return the caller's stack as ``inspect.stack()`` does, but with no source lines
    (``code_context`` and ``index`` None) and the code object's file name, so that no
    source file is read and no module is looked up."""
    frames: list[inspect.FrameInfo] = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
        frame = frame.f_back
    return frames


@contextmanager
def frames_only_stack() -> Iterator[None]:
    """Within the block, ``inspect.stack()`` returns frames without reading their source
    (:func:`_stack_without_source`); the real one is put back after it. Only for imports
    at start-up, while no other thread runs."""
    real = inspect.stack
    inspect.stack = _stack_without_source
    try:
        yield
    finally:
        inspect.stack = real
