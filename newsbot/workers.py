"""Extraction off the reactor thread: a small pool of worker processes.

Scrapy runs item pipelines on its reactor thread, so a CPU-heavy extraction step there
caps a crawl at one core and stalls downloads while it runs. :class:`ProcessPool` runs a
function (``extract_article`` by default) in ``size`` child processes instead, and hands
the result back to the asyncio event loop of Scrapy's asyncio reactor, where an
``async def process_item`` awaits it.

Each worker is a process of its own with its own pipe, running one task at a time (the
next one, already sent, waits in its pipe), so that:

* a worker that dies (a segfault in a C extension, the OOM killer) loses only the task it
  was running: that task fails with :class:`WorkerCrashed` and a new worker takes the
  dead one's place (``concurrent.futures.ProcessPoolExecutor`` would instead break the
  whole pool and fail every task in flight);
* a task that runs past the time limit fails with :class:`WorkerTimeout`; its worker is
  killed and replaced, and the other workers' tasks are untouched;
* a task that was waiting behind the lost one had not started: it goes to another worker;
* an exception raised by the function itself fails that task with :class:`RemoteError`
  (the worker carries on).

Workers are started with the ``spawn`` method: they share no file descriptors, locks or
threads with the crawling process (forking a process that runs Twisted's thread pool is
unsafe), and each one imports the function once, then signals it is ready. Each worker has
two one-way pipes, tasks in and results out. Tasks are written by the event loop itself,
without blocking: the pipe is enlarged (Linux) so that a page usually goes in one write,
and what does not fit is written when the pipe has room (``loop.add_writer``). No thread
of the crawling process ever touches a worker.

Settings read (by :class:`newsbot.pipelines.ExtractPipeline`, which builds the pool):

* ``NEWSBOT_EXTRACT_WORKERS``: worker processes (0 or 1: extract in the crawling process);
* ``NEWSBOT_EXTRACT_TIMEOUT``: seconds one page may take in a worker (0: no limit);
* ``NEWSBOT_EXTRACT_FUNCTION``: ``module:function`` path of the extraction function.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import logging
import multiprocessing
import os
import re
import signal
import struct
import sys
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_FUNCTION = "newsbot.extract:extract_article"


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


def _worker_main(tasks: Connection, results: Connection, function_path: str,
                 blocked_imports: tuple[str, ...] = (), finish_path: str = "") -> None:
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
        results.send(("failed", traceback.format_exc()))
        return
    results.send(("ready", None))
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):  # the crawling process is gone
            return
        if task is None:
            return
        args, kwargs = task
        try:
            result = function(*args, **kwargs)
            message: tuple[str, Any] = ("ok", finish(result) if finish is not None else result)
            del result
        except Exception as exc:  # noqa: BLE001 - any failure of one task goes back to the caller
            message = ("error", (f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        del task, args, kwargs
        results.send(message)


def add_fingerprint(result: Any) -> Any:
    """Return ``result`` (an extracted ``Article``) with its body fingerprint set, when it
    has a body and is an article (a finish step for extraction workers: the SimHash of
    :func:`newsbot.state.body_fingerprint`, which the crawling process's dedup step would
    otherwise compute on the reactor thread)."""
    if hasattr(result, "fingerprint") and getattr(result, "body", None) and not getattr(result, "drop_reason", None):
        result.fingerprint = simhash_fingerprint(result.body)
    return result


# _BIT_TABLES[k] maps a byte to its bit k (0 or 1), for bytes.translate
_BIT_TABLES = [bytes((value >> bit) & 1 for value in range(256)) for bit in range(8)]


def simhash_fingerprint(body: str) -> int:
    """Return :func:`newsbot.state.body_fingerprint` of ``body``, computed ~10x faster.

    Same words, shingles and BLAKE2b hashes; but instead of adding +1/-1 to 64 weights per
    shingle in Python, the hashes are laid end to end and each bit is counted in C: one
    column of bytes per byte position, ``translate`` to that bit's 0/1 values, ``count``.
    A bit is set when more than half the shingles have it (weight ``2 * count - n > 0``).
    ``tests/test_workers.py`` checks that both functions agree.
    """
    from newsbot.state import SIMHASH_BITS, body_fingerprint

    if SIMHASH_BITS != 64:
        return body_fingerprint(body)
    words = re.findall(r"\w+", body.casefold())
    if not words:
        return 0
    blake = hashlib.blake2b
    shingles = map(" ".join, zip(words, words[1:], words[2:], words[3:])) if len(words) > 3 else [" ".join(words)]
    digests = b"".join([blake(shingle.encode("utf-8"), digest_size=8).digest() for shingle in shingles])
    count = len(digests) // 8
    fingerprint = 0
    for byte in range(8):  # from the least significant byte of the big-endian hashes
        column = digests[7 - byte::8]
        for bit in range(8):
            if 2 * column.translate(_BIT_TABLES[bit]).count(1) > count:
                fingerprint |= 1 << (8 * byte + bit)
    return fingerprint


@dataclass(eq=False)
class _Task:
    """One call waiting for its result: the arguments (kept to send it again) and its future."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]


_PIPE_SIZE = 1 << 20  # bytes a task pipe holds (Linux's default ceiling for unprivileged users)


class Utf8Text:
    """Text for a worker, held as the UTF-8 bytes it was decoded from (a leading BOM is
    dropped): it pickles as those bytes, a copy, where a ``str`` would be encoded again,
    and unpickles in the worker as the ``str`` itself, so the function receives text."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self) -> tuple[type[str], tuple[bytes, str]]:
        return str, (self.data, "utf-8-sig")


def frame_parts(message: Any) -> tuple[bytes, bytes]:
    """Return ``message`` pickled and framed as ``Connection.recv`` reads it, as the header
    (a 4-byte big-endian length, or -1 and an 8-byte length above 2 GiB) and the pickle."""
    payload = ForkingPickler.dumps(message)
    size = len(payload)
    header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
    return header, payload


def frame(message: Any) -> bytes:
    """Return ``message`` pickled and framed as ``Connection.recv`` reads it."""
    return b"".join(frame_parts(message))


def _grow_pipe(fd: int) -> None:
    """Enlarge the pipe of ``fd`` to :data:`_PIPE_SIZE` where the system allows it."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the system's limit
        pass


@dataclass(eq=False)
class _Worker:
    """One worker process, the write end of its task pipe (non-blocking) with the bytes
    still to write, the read end of its result pipe, and the tasks sent to it (the first is
    running, the others wait in the pipe)."""

    process: Any
    task_fd: int
    results: Connection | None
    unsent: bytearray = field(default_factory=bytearray)
    writing: bool = False  # the loop watches task_fd for room
    alive: bool = True
    ready: bool = False
    tasks: deque[_Task] = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None
    done: int = 0
    retiring: bool = False


class ProcessPool:
    """``size`` worker processes that run ``function_path`` for an asyncio event loop.

    ``timeout`` (seconds, 0: none) limits one task; ``max_tasks_per_worker`` (0: no limit)
    replaces a worker after that many tasks; ``blocked_imports`` are modules the workers
    must not import and ``finish`` a ``module:function`` applied to each result in the
    worker (see :func:`_worker_main`). ``depth`` is how many tasks a worker holds at once:
    with 2 (the default) the next task waits in the worker's pipe while it runs one, so the
    worker starts it the moment it is done instead of idling until the event loop, busy
    with downloads, hands it one. Tasks are written without blocking (what does not fit in
    the pipe is written when it has room), so a full pipe never blocks the event loop. A
    task that was waiting behind one that crashed or timed out its worker was never
    started: it is sent to another worker, not failed.

    Call :meth:`run` from a coroutine on the loop (Scrapy's asyncio reactor loop); it
    starts the workers on first use (or call :meth:`start` early). :meth:`close` stops them.
    Not thread-safe: every method must be called from the loop's thread.
    """

    def __init__(self, size: int, function_path: str = DEFAULT_FUNCTION, timeout: float = 0.0,
                 max_tasks_per_worker: int = 0, blocked_imports: tuple[str, ...] = (), finish: str = "",
                 depth: int = 2) -> None:
        if size < 1:
            raise ValueError(f"a process pool needs at least one worker, got {size}")
        if depth < 1:
            raise ValueError(f"a worker holds at least one task, got depth {depth}")
        self.size = size
        self.function_path = function_path
        self.timeout = timeout
        self.max_tasks_per_worker = max_tasks_per_worker
        self.blocked_imports = blocked_imports
        self.finish = finish
        self.depth = depth
        self.crashes = 0
        self.timeouts = 0
        self.tasks = 0
        self.resent = 0
        self.max_waiting = 0
        self._waiting = 0
        self._context = multiprocessing.get_context("spawn")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: set[_Worker] = set()
        self._idle: asyncio.Queue[_Worker] | None = None  # one entry per free task slot of a worker
        self._broken: str | None = None
        self._start_failures = 0  # workers in a row that died before they were ready
        self._closed = False

    # -- life cycle

    def start(self) -> None:
        """Start the workers (once) on the running event loop."""
        if self._loop is not None:
            return
        if self._closed:
            raise RuntimeError("the pool is closed")
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            self._spawn()

    def close(self) -> None:
        """Stop every worker: ask politely, then kill what is still running after a second."""
        self._closed = True
        workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.alive = False
            if worker.timer is not None:
                worker.timer.cancel()
            for task in worker.tasks:
                if not task.future.done():
                    task.future.set_exception(PoolBroken("the pool was closed"))
            worker.tasks.clear()
            self._hang_up(worker, polite=True)
        for worker in workers:
            worker.process.join(timeout=1.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=1.0)

    @property
    def pids(self) -> list[int]:
        """Return the process ids of the live workers."""
        return [w.process.pid for w in self._workers if w.alive and w.process.pid]

    # -- running tasks

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        """Return ``function(*args, **kwargs)`` computed in a worker.

        Raises :class:`WorkerCrashed` when the worker died on this task,
        :class:`WorkerTimeout` when it ran past the time limit, :class:`RemoteError` when
        the function raised, and :class:`PoolBroken` when no worker can start.
        """
        self.start()
        assert self._loop is not None
        task = _Task(args, kwargs, self._loop.create_future())
        await self._dispatch(task)
        self.tasks += 1
        return await task.future

    async def _dispatch(self, task: _Task) -> None:
        """Wait for a worker with a free slot and send it ``task``."""
        assert self._idle is not None
        self._waiting += 1
        self.max_waiting = max(self.max_waiting, self._waiting)
        try:
            while True:
                if self._broken:
                    raise PoolBroken(self._broken)
                worker = await self._idle.get()
                if worker.alive and not worker.retiring:
                    break
        finally:
            self._waiting -= 1
        worker.tasks.append(task)
        if len(worker.tasks) == 1:
            self._start_timer(worker)
        self._send(worker, *frame_parts((task.args, task.kwargs)))

    async def _dispatch_again(self, task: _Task) -> None:
        """Send a task that never started (its worker died) to another worker."""
        try:
            await self._dispatch(task)
        except Exception as exc:  # noqa: BLE001 - the task's caller gets the reason
            if not task.future.done():
                task.future.set_exception(exc)

    # -- internals

    def _spawn(self) -> None:
        assert self._loop is not None
        task_reader, task_writer = self._context.Pipe(duplex=False)
        result_reader, result_writer = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_worker_main,
                                        args=(task_reader, result_writer, self.function_path, self.blocked_imports,
                                              self.finish),
                                        name="newsbot-extract", daemon=True)
        process.start()
        task_reader.close()
        result_writer.close()
        task_fd = os.dup(task_writer.fileno())  # a plain descriptor, written without blocking
        task_writer.close()
        os.set_blocking(task_fd, False)
        _grow_pipe(task_fd)
        _grow_pipe(result_reader.fileno())
        worker = _Worker(process=process, task_fd=task_fd, results=result_reader)
        self._workers.add(worker)
        self._loop.add_reader(result_reader.fileno(), self._on_readable, worker)
        logger.debug("extraction worker started: pid %s", process.pid)

    def _send(self, worker: _Worker, header: bytes, payload: bytes) -> None:
        """Write a framed task to the worker: straight from its two parts when nothing is
        waiting before it (most tasks fit the pipe whole), the rest through :meth:`_write`."""
        written = 0
        if not worker.unsent:
            try:
                written = os.writev(worker.task_fd, (header, payload))
            except OSError:  # full (BlockingIOError) or gone: _write deals with both
                written = 0
            if written == len(header) + len(payload):
                return
        if written < len(header):
            worker.unsent += header[written:]
            worker.unsent += payload
        else:
            worker.unsent += memoryview(payload)[written - len(header):]
        self._write(worker)

    def _write(self, worker: _Worker) -> None:
        """Write what the worker's task pipe has room for; watch the pipe for room while
        something is left."""
        assert self._loop is not None
        try:
            while worker.unsent:
                written = os.write(worker.task_fd, worker.unsent)
                del worker.unsent[:written]
        except BlockingIOError:
            if not worker.writing:
                self._loop.add_writer(worker.task_fd, self._write, worker)
                worker.writing = True
            return
        except OSError:  # the worker is gone (EPIPE): its result pipe reports it too
            worker.unsent.clear()
            if worker.alive:
                worker.process.join(timeout=1.0)
                self._lost(worker, WorkerCrashed(worker.process.exitcode))
            return
        if worker.writing:
            self._loop.remove_writer(worker.task_fd)
            worker.writing = False

    def _hang_up(self, worker: _Worker, polite: bool) -> None:
        """Stop watching the worker's pipes and close them; ``polite``: first ask it to stop
        (a ``None`` task, if the pipe has room for it)."""
        assert self._loop is not None
        if worker.writing:
            self._loop.remove_writer(worker.task_fd)
            worker.writing = False
        if worker.results is not None:
            self._loop.remove_reader(worker.results.fileno())
            worker.results.close()
            worker.results = None
        if worker.task_fd >= 0:
            if polite and not worker.unsent:
                try:
                    os.write(worker.task_fd, frame(None))
                except OSError:  # full or gone: it is killed after a second
                    pass
            worker.unsent.clear()
            os.close(worker.task_fd)
            worker.task_fd = -1

    def _start_timer(self, worker: _Worker) -> None:
        """Time the worker's running task (the first of its tasks), if there is a limit."""
        if self.timeout > 0 and worker.tasks:
            assert self._loop is not None
            worker.timer = self._loop.call_later(self.timeout, self._on_timeout, worker, worker.tasks[0])

    def _on_readable(self, worker: _Worker) -> None:
        assert worker.results is not None
        try:
            kind, payload = worker.results.recv()
        except Exception:  # noqa: BLE001 - EOF (the worker died) or an answer that does not unpickle
            worker.process.join(timeout=1.0)
            self._lost(worker, WorkerCrashed(worker.process.exitcode))
            return
        assert self._idle is not None
        if kind == "ready":
            worker.ready = True
            self._start_failures = 0
            for _ in range(self.depth):
                self._idle.put_nowait(worker)
            return
        if kind == "failed":
            self._broken = f"extraction workers cannot load {self.function_path}: {payload.strip().splitlines()[-1]}"
            logger.error("%s", self._broken)
            self._lost(worker, PoolBroken(self._broken), respawn=False)
            self._wake_waiters()
            return
        task = worker.tasks.popleft() if worker.tasks else None
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        self._start_timer(worker)  # the next task, already in the pipe, starts now
        if task is not None and not task.future.done():
            if kind == "ok":
                task.future.set_result(payload)
            else:
                task.future.set_exception(RemoteError(*payload))
        del payload
        worker.done += 1
        if self.max_tasks_per_worker and worker.done + len(worker.tasks) >= self.max_tasks_per_worker:
            worker.retiring = True  # it gets no more tasks; it goes once the ones it holds are done
            if not worker.tasks:
                self._retire(worker)
            return
        self._idle.put_nowait(worker)

    def _on_timeout(self, worker: _Worker, task: _Task) -> None:
        if not worker.alive or not worker.tasks or worker.tasks[0] is not task:
            return
        self.timeouts += 1
        worker.process.kill()
        worker.process.join(timeout=5.0)
        self._lost(worker, WorkerTimeout(self.timeout), count_crash=False)

    def _lost(self, worker: _Worker, error: BaseException, respawn: bool = True,
              count_crash: bool = True) -> None:
        """Forget a dead (or killed) worker, fail its running task with ``error``, send the
        tasks waiting behind it to other workers, and start a new worker."""
        if not worker.alive:
            return
        worker.alive = False
        assert self._loop is not None
        self._hang_up(worker, polite=False)
        self._workers.discard(worker)
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5.0)
        tasks, worker.tasks = list(worker.tasks), deque()
        if tasks:
            if count_crash and isinstance(error, WorkerCrashed):
                self.crashes += 1
            if not tasks[0].future.done():
                tasks[0].future.set_exception(error)
        elif isinstance(error, WorkerCrashed) and not worker.ready and not self._closed:
            # a worker that cannot even start would otherwise be replaced forever
            self._start_failures += 1
            logger.warning("extraction worker died before it was ready (%s)", describe_exitcode(worker.process.exitcode))
            if self._start_failures >= MAX_START_FAILURES and not self._broken:
                self._broken = (f"extraction workers die before they are ready ({self._start_failures} in a row, "
                                f"the last with {describe_exitcode(worker.process.exitcode)})")
                logger.error("%s", self._broken)
                self._wake_waiters()
        elif isinstance(error, WorkerCrashed):
            logger.warning("idle extraction worker died (%s)", describe_exitcode(worker.process.exitcode))
        if respawn and not self._closed and not self._broken:
            self._spawn()
        for waiting in tasks[1:]:
            self.resent += 1
            if isinstance(error, PoolBroken) or self._closed:
                if not waiting.future.done():
                    waiting.future.set_exception(error if isinstance(error, PoolBroken) else PoolBroken("the pool was closed"))
            else:
                self._loop.create_task(self._dispatch_again(waiting))

    def _retire(self, worker: _Worker) -> None:
        """Replace a worker that has done its share of tasks (bounds per-process memory growth)."""
        assert self._loop is not None
        worker.alive = False
        self._hang_up(worker, polite=True)
        self._workers.discard(worker)
        process = worker.process
        self._loop.call_later(1.0, _reap, process)
        if not self._closed:
            self._spawn()

    def _wake_waiters(self) -> None:
        """Let every ``run`` blocked on an idle worker see that the pool is broken."""
        assert self._idle is not None
        for _ in range(self._waiting):
            self._idle.put_nowait(_Worker(process=None, task_fd=-1, results=None, alive=False))


def _reap(process: Any) -> None:
    """Join a retired worker, killing it if it has not exited by now."""
    process.join(timeout=0)
    if process.is_alive():
        process.kill()
        process.join(timeout=1.0)
