"""Worker processes started outside a pool: :func:`prestart` starts them before any event
loop runs, and the next :class:`newsbot.procpool.ProcessPool` for the same function takes
them; :func:`start_process` is how every worker starts."""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from newsbot.procpool.child import _worker_main


@dataclass(eq=False)
class Started:
    """A started worker process with the pool ends of its pipes, before a pool adopts it."""

    key: tuple[str, tuple[str, ...], str]
    process: Any
    tasks: Connection
    results: Connection


_prestarted: list[Started] = []

# Workers are spawned, never forked: a fork would copy the crawling process's Twisted reactor
# and open sockets into every worker.
_SPAWN = multiprocessing.get_context("spawn")

_PIPE_SIZE = 1 << 20  # bytes a task pipe holds (Linux's default ceiling for unprivileged users)


def grow_pipe(fd: int) -> None:
    """Enlarge the pipe of ``fd`` to :data:`_PIPE_SIZE` where the system allows it."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the system's limit
        pass


def start_process(key: tuple[str, tuple[str, ...], str]) -> Started:
    """Return a newly started worker process for ``key`` (function path, blocked imports,
    finish), with the pool ends of its pipes."""
    task_reader, task_writer = _SPAWN.Pipe(duplex=False)
    result_reader, result_writer = _SPAWN.Pipe(duplex=False)
    process = _SPAWN.Process(
        target=_worker_main,
        args=(task_reader, result_writer, *key),
        name="newsbot-extract",
        daemon=True,
    )
    process.start()
    task_reader.close()
    result_writer.close()
    return Started(key, process, task_writer, result_reader)


def prestart(size: int, function_path: str, blocked_imports: tuple[str, ...] = (), finish: str = "") -> int:
    """Start ``size`` workers now, before any event loop runs, and return how many run.

    A command calls this first thing, so that the workers load the function (seconds of
    imports) while the command loads its own modules; the next :class:`ProcessPool` with
    the same function, blocked imports and finish takes them instead of starting its own,
    and starts the rest of its ``size`` only when a task finds every worker busy. Workers
    no pool takes are daemons, ended when this process exits, or by :func:`discard_prestarted`.
    """
    key = (function_path, tuple(blocked_imports), finish)
    _prestarted.extend(start_process(key) for _ in range(size))
    return len(_prestarted)


def discard_prestarted() -> None:
    """Kill the prestarted workers no pool took."""
    while _prestarted:
        started = _prestarted.pop()
        started.tasks.close()
        started.results.close()
        started.process.kill()
        started.process.join(timeout=1.0)


def take_prestarted(key: tuple[str, tuple[str, ...], str]) -> Started | None:
    """Return a live prestarted worker for ``key`` (removed from the prestarted ones), or None."""
    for started in _prestarted:
        if started.key == key and started.process.is_alive():
            _prestarted.remove(started)
            return started
    return None
