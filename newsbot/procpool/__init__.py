"""A generic pool of worker processes for CPU-heavy calls made from an asyncio loop
(it imports nothing from newsbot; the extract pipeline uses it for extraction).

Scrapy runs item pipelines on its reactor thread, so a CPU-heavy extraction step there
caps a crawl at one core and stalls downloads while it runs. :class:`ProcessPool` runs a
function (named by its ``module:function`` path) in ``size`` child processes instead, and hands
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

A command can start the workers before it loads its own modules (:func:`prestart`): the
next pool for the same function takes them, and starts the rest of its size only when a
task finds every worker busy. Closing a pool kills the workers still loading at once.

Settings read (by :class:`newsbot.pipelines.ExtractPipeline`, which builds the pool):

* ``NEWSBOT_EXTRACT_WORKERS``: worker processes (0 or 1: extract in the crawling process);
* ``NEWSBOT_EXTRACT_TIMEOUT``: seconds one page may take in a worker (0: no limit);
* ``NEWSBOT_EXTRACT_FUNCTION``: ``module:function`` path of the extraction function.
"""

from newsbot.procpool.child import (
    PoolBroken,
    RemoteError,
    Utf8Text,
    WorkerCrashed,
    WorkerTimeout,
    check_function_path,
    frame,
    load_function,
)
from newsbot.procpool.pool import ProcessPool
from newsbot.procpool.start import discard_prestarted, prestart

__all__ = [
    "PoolBroken",
    "ProcessPool",
    "RemoteError",
    "Utf8Text",
    "WorkerCrashed",
    "WorkerTimeout",
    "check_function_path",
    "discard_prestarted",
    "frame",
    "load_function",
    "prestart",
]
