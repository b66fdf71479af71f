"""The pool side of :mod:`newsbot.procpool`: :class:`ProcessPool`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from newsbot.procpool.child import (
    MAX_START_FAILURES,
    PoolBroken,
    RemoteError,
    WorkerCrashed,
    WorkerTimeout,
    describe_exitcode,
    frame,
    frame_parts,
)
from newsbot.procpool.start import Started, discard_prestarted, grow_pipe, start_process, take_prestarted

logger = logging.getLogger("newsbot.procpool")


@dataclass(eq=False)
class _Task:
    """One call waiting for its result: the arguments (kept to send it again) and its future."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]


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

    def __init__(
        self,
        size: int,
        function_path: str,
        timeout: float = 0.0,
        max_tasks_per_worker: int = 0,
        blocked_imports: tuple[str, ...] = (),
        finish: str = "",
        depth: int = 2,
    ) -> None:
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: set[_Worker] = set()
        self._idle: asyncio.Queue[_Worker] | None = None  # one entry per free task slot of a worker
        self._broken: str | None = None
        self._start_failures = 0  # workers in a row that died before they were ready
        self._closed = False
        self._spare = 0  # workers still to start when a task finds every worker busy

    # -- life cycle

    def start(self) -> None:
        """Start the workers (once) on the running event loop."""
        if self._loop is not None:
            return
        if self._closed:
            raise RuntimeError("the pool is closed")
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        key = self._key()
        taken = [w for w in (take_prestarted(key) for _ in range(self.size)) if w is not None]
        for started in taken:
            self._adopt(started)
        if taken:
            # started by the command for the work it expects; more only if a task waits
            self._spare = self.size - len(taken)
            return
        for _ in range(self.size):
            self._spawn()

    def close(self) -> None:
        """Stop every worker: ask politely, then kill what is still running after a second.
        A worker still loading the function is killed at once: it holds no task, and
        waiting for its imports would only delay the end of a short run."""
        self._closed = True
        discard_prestarted()
        workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.alive = False
            if worker.timer is not None:
                worker.timer.cancel()
            for task in worker.tasks:
                if not task.future.done():
                    task.future.set_exception(PoolBroken("the pool was closed"))
            worker.tasks.clear()
            self._hang_up(worker, polite=worker.ready)
            if not worker.ready:
                worker.process.kill()
                logger.debug("extraction worker killed while loading: pid %s", worker.process.pid)
        for worker in workers:
            worker.process.join(timeout=1.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=1.0)

    @property
    def started(self) -> int:
        """Return how many workers run or load now (fewer than ``size`` when the pool took
        prestarted workers and no task has needed more yet)."""
        return len(self._workers)

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
                if self._spare and self._idle.empty() and all(w.ready for w in self._workers):
                    self._spare -= 1
                    self._spawn()
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

    def _key(self) -> tuple[str, tuple[str, ...], str]:
        return (self.function_path, tuple(self.blocked_imports), self.finish)

    def _spawn(self) -> None:
        self._adopt(start_process(self._key()))

    def _adopt(self, started: Started) -> None:
        """Make a started worker process one of the pool's, watched by the loop."""
        assert self._loop is not None
        task_fd = os.dup(started.tasks.fileno())  # a plain descriptor, written without blocking
        started.tasks.close()
        os.set_blocking(task_fd, False)
        grow_pipe(task_fd)
        grow_pipe(started.results.fileno())
        worker = _Worker(process=started.process, task_fd=task_fd, results=started.results)
        self._workers.add(worker)
        self._loop.add_reader(started.results.fileno(), self._on_readable, worker)
        logger.debug("extraction worker started: pid %s", started.process.pid)

    def _send(self, worker: _Worker, header: bytes, payload: bytes | memoryview) -> None:
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
            worker.unsent += memoryview(payload)[written - len(header) :]
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
                with contextlib.suppress(OSError):  # full or gone: it is killed after a second
                    os.write(worker.task_fd, frame(None))
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

    def _lost(self, worker: _Worker, error: BaseException, respawn: bool = True, count_crash: bool = True) -> None:
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
            logger.warning(
                "extraction worker died before it was ready (%s)", describe_exitcode(worker.process.exitcode)
            )
            if self._start_failures >= MAX_START_FAILURES and not self._broken:
                self._broken = (
                    f"extraction workers die before they are ready ({self._start_failures} in a row, "
                    f"the last with {describe_exitcode(worker.process.exitcode)})"
                )
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
                    waiting.future.set_exception(
                        error if isinstance(error, PoolBroken) else PoolBroken("the pool was closed")
                    )
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
