"""The worker side of :mod:`newsbot.procpool`: the exceptions a call can end with, how a
worker loads its function and serves its pipe, and the framing of the messages."""

from __future__ import annotations

import gc
import importlib
import importlib.util
import signal
import struct
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any


class WorkerCrashed(Exception):
    """The worker process running a task died before it answered."""

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(f"worker process died ({describe_exitcode(exitcode)})")


class WorkerTimeout(Exception):
    """A task ran past the time limit; its worker was killed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"no result after {seconds:g} s; worker killed")


class RemoteError(Exception):
    """The function raised in the worker; ``remote_traceback`` is the worker's traceback."""

    def __init__(self, description: str, remote_traceback: str) -> None:
        self.remote_traceback = remote_traceback
        super().__init__(description)

    def __str__(self) -> str:
        return f"{self.args[0]}\n\nworker traceback:\n{self.remote_traceback}"


class PoolBroken(Exception):
    """Workers cannot start (the function does not import in a fresh process, or
    :data:`MAX_START_FAILURES` workers in a row died before they were ready)."""


MAX_START_FAILURES = 3


def describe_exitcode(exitcode: int | None) -> str:
    """Return ``exitcode`` of a dead process in words: ``"signal SIGSEGV"``, ``"exit code 3"``."""
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def load_function(path: str) -> Callable[..., Any]:
    """Return the callable named by ``path`` (``"package.module:function"``).

    Raises ``ValueError`` when the path is malformed and ``ImportError``/``AttributeError``
    when it names nothing.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'module:function', got {path!r}")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{path!r} is not callable")
    return target


def check_function_path(path: str) -> None:
    """Check, without importing it, that ``path`` names a function in an importable module.

    Raises ``ValueError`` when the path is malformed and ``ImportError`` when its module
    cannot be found.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'module:function', got {path!r}")
    if importlib.util.find_spec(module_name) is None:
        raise ImportError(f"no module named {module_name!r} (from {path!r})")


def _worker_main(
    tasks: Connection,
    results: Connection,
    function_path: str,
    blocked_imports: tuple[str, ...] = (),
    finish_path: str = "",
) -> None:
    """Body of a worker process: load the function, then answer tasks until told to stop.

    ``blocked_imports`` are made unimportable first (``import`` raises ``ImportError``), for
    libraries that import optional packages the function does not need. ``finish_path``
    (``module:function``, optional) names a function applied to each result in the worker
    before it is sent back (work the caller would otherwise do on its own thread).

    Messages sent: ``("ready", None)`` once, then ``("ok", result)`` or
    ``("error", (description, traceback))`` per task; ``("failed", traceback)`` when the
    function cannot be loaded.
    """
    # Ctrl-C reaches the whole process group: the crawl shuts the workers down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in blocked_imports:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    try:
        function = load_function(function_path)
        finish = load_function(finish_path) if finish_path else None
    except BaseException:  # noqa: BLE001 - reported to the parent, which stops the pool
        _send(results, ("failed", traceback.format_exc()))
        return
    if not _send(results, ("ready", None)):
        return
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):  # the crawling process is gone
            return
        if task is None:
            gc.freeze()  # the exit skips a collection of the loaded modules' objects (~0.1 s)
            return
        args, kwargs = task
        try:
            result = function(*args, **kwargs)
            message: tuple[str, Any] = ("ok", finish(result) if finish is not None else result)
            del result
        except Exception as exc:  # noqa: BLE001 - any failure of one task goes back to the caller
            message = ("error", (f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        del task, args, kwargs
        if not _send(results, message):
            return


def _send(results: Connection, message: tuple[str, Any]) -> bool:
    """Send ``message`` to the crawling process; return False when it is gone (a run that
    ended before this worker was ready, e.g. an empty URL list): the worker just ends."""
    try:
        results.send(message)
    except (BrokenPipeError, EOFError, ConnectionResetError):
        return False
    return True


class Utf8Text:
    """Text for a worker, held as the UTF-8 bytes it was decoded from (a leading BOM is
    dropped): it pickles as those bytes, a copy, where a ``str`` would be encoded again,
    and unpickles in the worker as the ``str`` itself, so the function receives text."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self) -> tuple[type[str], tuple[bytes, str]]:
        return str, (self.data, "utf-8-sig")


def frame_parts(message: Any) -> tuple[bytes, bytes | memoryview]:
    """Return ``message`` pickled and framed as ``Connection.recv`` reads it, as the header
    (a 4-byte big-endian length, or -1 and an 8-byte length above 2 GiB) and the pickle."""
    payload = ForkingPickler.dumps(message)
    size = len(payload)
    header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
    return header, payload


def frame(message: Any) -> bytes:
    """Return ``message`` pickled and framed as ``Connection.recv`` reads it."""
    return b"".join(frame_parts(message))
