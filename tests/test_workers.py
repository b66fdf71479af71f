"""The extraction process pool: the pool on its own, then real crawls of the fixture site
with extraction in worker processes (``NEWSBOT_EXTRACT_WORKERS=2``) against the in-process
path (``=0``), a worker that dies on one page, and one that hangs on one page."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import pytest

from scrapy.exceptions import DropItem

from newsbot.fixture_server import FixtureServer
from newsbot.logformatter import drop_level
from newsbot.procpool import PoolBroken, ProcessPool, RemoteError, Utf8Text, WorkerCrashed, WorkerTimeout, prestart
from tests.crawling import CrawlResult, crawl
from tests.extract_hooks import CRASH_MARKER, HANG_MARKER

HOOKS = "tests.extract_hooks"


def run_pool(pool: ProcessPool, *calls: tuple[Any, ...]) -> list[Any]:
    """Run ``calls`` (``(args, kwargs)``) concurrently on ``pool`` and return each result or
    exception; the pool is closed afterwards."""

    async def main() -> list[Any]:
        try:
            return await asyncio.gather(*(pool.run(*args, **kwargs) for args, kwargs in calls),
                                        return_exceptions=True)
        finally:
            pool.close()

    return asyncio.run(main())


# -- the pool on its own


def test_pool_returns_results_and_remote_errors() -> None:
    results = run_pool(ProcessPool(2, f"{HOOKS}:echo"), *[((i,), {}) for i in range(6)], (("x",), {"k": 1}))
    assert results[:6] == list(range(6))
    assert results[6] == ("x", {"k": 1})
    [error] = run_pool(ProcessPool(1, f"{HOOKS}:fail"), (("boom",), {}))
    assert isinstance(error, RemoteError)
    assert "ValueError: boom" in str(error)


def test_pages_larger_than_the_pipe_go_through_whole() -> None:
    # 5 MB each way: the task is written in parts as the worker reads (add_writer), in order
    big = "é" * 2_500_000
    results = run_pool(ProcessPool(1, f"{HOOKS}:echo"), (((big, 1),), {}), (((big[:10], 2),), {}), (((big, 3),), {}))
    assert results == [(big, 1), (big[:10], 2), (big, 3)]


def test_utf8_text_reaches_the_function_as_text() -> None:
    # sent as bytes, received as the str they decode to (a BOM dropped), even when larger
    # than the pipe and sent in parts
    big = "Zoë Müller, crème brûlée. " * 200_000
    sent = [Utf8Text(b"\xef\xbb\xbf" + "<p>Zoë</p>".encode()), Utf8Text(big.encode()), Utf8Text("ä".encode())]
    results = run_pool(ProcessPool(1, f"{HOOKS}:echo"), *[(((text, i),), {}) for i, text in enumerate(sent)])
    assert results == [("<p>Zoë</p>", 0), (big, 1), ("ä", 2)]


def test_a_dead_worker_loses_its_task_only() -> None:
    pool = ProcessPool(2, f"{HOOKS}:exit_now")
    results = run_pool(pool, ((3,), {}))
    assert isinstance(results[0], WorkerCrashed)
    assert "exit code 3" in str(results[0])
    assert pool.crashes == 1

    async def crash_then_work() -> list[Any]:
        crashing = ProcessPool(2, f"{HOOKS}:crash_on_marker")
        try:
            first = await asyncio.gather(
                crashing.run("<html></html>", "http://127.0.0.1/" + CRASH_MARKER), return_exceptions=True)
            pids_after_crash = len(crashing.pids)
            second = await crashing.run("<html><body><p>hello</p></body></html>", "http://127.0.0.1/ok")
            return [first[0], pids_after_crash, second]
        finally:
            crashing.close()

    crashed, workers, article = asyncio.run(crash_then_work())
    assert isinstance(crashed, WorkerCrashed) and "SIGKILL" in str(crashed)
    assert workers == 2  # the dead worker was replaced
    assert article.url == "http://127.0.0.1/ok"


def test_a_task_past_the_time_limit_is_killed_and_the_others_finish() -> None:
    pool = ProcessPool(2, f"{HOOKS}:sleep", timeout=1.0)
    results = run_pool(pool, ((3600,), {}), ((0,), {}), ((0,), {}), ((0,), {}))
    assert isinstance(results[0], WorkerTimeout)
    assert results[1:] == [0, 0, 0]
    assert pool.timeouts == 1


def test_tasks_waiting_behind_a_crash_or_a_timeout_run_elsewhere() -> None:
    # one worker holding two tasks: the second waits in the pipe behind the one that kills
    # (or hangs) the worker; it had not started, so it must run on the replacement
    page = "<html><body><p>hello</p></body></html>"
    crashing = ProcessPool(1, f"{HOOKS}:crash_on_marker", depth=2)
    results = run_pool(crashing, ((page, "http://127.0.0.1/" + CRASH_MARKER), {}),
                       ((page, "http://127.0.0.1/a"), {}), ((page, "http://127.0.0.1/b"), {}))
    assert isinstance(results[0], WorkerCrashed)
    assert [r.url for r in results[1:]] == ["http://127.0.0.1/a", "http://127.0.0.1/b"]
    assert crashing.crashes == 1 and crashing.resent == 1

    hanging = ProcessPool(1, f"{HOOKS}:sleep", timeout=1.0, depth=2)
    results = run_pool(hanging, ((3600,), {}), ((0,), {}), ((0.1,), {}))
    assert isinstance(results[0], WorkerTimeout)
    assert results[1:] == [0, 0.1]
    assert hanging.timeouts == 1 and hanging.resent == 1


def test_a_worker_is_replaced_after_its_share_of_tasks() -> None:
    async def main() -> tuple[list[Any], set[int]]:
        pool = ProcessPool(1, f"{HOOKS}:echo", max_tasks_per_worker=2, depth=2)
        pids: set[int] = set()
        try:
            results = []
            for i in range(5):
                results.append(await pool.run(i))
                pids.update(pool.pids)
            return results, pids
        finally:
            pool.close()

    results, pids = asyncio.run(main())
    assert results == [0, 1, 2, 3, 4]
    assert len(pids) == 3  # tasks 1-2, 3-4, 5


def test_a_function_that_does_not_import_breaks_the_pool() -> None:
    [error] = run_pool(ProcessPool(1, f"{HOOKS}:no_such_function"), ((1,), {}))
    assert isinstance(error, PoolBroken)


def test_workers_that_die_before_they_are_ready_break_the_pool() -> None:
    async def main() -> Any:
        pool = ProcessPool(2, "tests.dying_module:extract")
        try:
            return await asyncio.wait_for(asyncio.gather(pool.run(1), pool.run(2), return_exceptions=True), 60)
        finally:
            pool.close()

    errors = asyncio.run(main())
    assert all(isinstance(e, PoolBroken) for e in errors), errors
    assert "die before they are ready (3 in a row, the last with exit code 3)" in str(errors[0])


def test_prestarted_workers_are_taken_and_more_start_only_when_tasks_wait() -> None:
    assert prestart(1, f"{HOOKS}:sleep") == 1

    async def main() -> tuple[list[Any], int, list[Any], int]:
        pool = ProcessPool(2, f"{HOOKS}:sleep")
        try:
            # two tasks fit the one prestarted worker (one runs, one waits in its pipe)
            first = await asyncio.gather(pool.run(0.2), pool.run(0.2))
            alone = pool.started
            # four at once: the third finds the worker busy, so the pool starts its second
            second = await asyncio.gather(*(pool.run(0.3) for _ in range(4)))
            return first, alone, second, pool.started
        finally:
            pool.close()

    first, alone, second, later = asyncio.run(main())
    assert (first, alone) == ([0.2, 0.2], 1)
    assert (second, later) == ([0.3] * 4, 2)


def test_prestarted_workers_for_another_function_are_not_taken() -> None:
    prestart(1, f"{HOOKS}:fail")
    [result] = run_pool(ProcessPool(1, f"{HOOKS}:echo"), (("x",), {}))
    assert result == "x"  # the pool started its own echo worker, and discarded the other


def test_closing_kills_workers_still_loading_and_lets_ready_ones_exit(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="newsbot.procpool")

    async def main() -> list[int | None]:
        loading = ProcessPool(1, "tests.slow_module:extract")
        ready = ProcessPool(1, f"{HOOKS}:echo")
        loading.start()
        assert await ready.run(1) == 1
        processes = [w.process for w in [*loading._workers, *ready._workers]]
        loading.close()
        ready.close()
        return [p.exitcode for p in processes]

    assert asyncio.run(main()) == [-signal.SIGKILL, 0]
    # killed at once, not after the second the pool waits for a polite exit
    assert len([r for r in caplog.records if "killed while loading" in r.getMessage()]) == 1


# -- real crawls of the fixture site


def comparable(result: CrawlResult) -> list[dict[str, Any]]:
    """Return the crawl's records without ``fetched_at``, sorted by URL."""
    return sorted(({k: v for k, v in item.items() if k != "fetched_at"} for item in result.items),
                  key=lambda r: r["url"])


@pytest.fixture(scope="module")
def in_process(fixture_site: FixtureServer) -> CrawlResult:
    return crawl("site", {"NEWSBOT_EXTRACT_WORKERS": 0}, url=fixture_site.url("/"))


def test_pooled_records_equal_in_process_records(in_process: CrawlResult, fixture_site: FixtureServer) -> None:
    pooled = crawl("site", {"NEWSBOT_EXTRACT_WORKERS": 2}, url=fixture_site.url("/"))
    assert len(in_process.items) >= 30
    assert comparable(pooled) == comparable(in_process)
    assert pooled.stat("newsbot/pages") == in_process.stat("newsbot/pages")
    assert any("extracting in 2 worker processes" in line for line in pooled.log)


def lost_page_run(fixture_site: FixtureServer, in_process: CrawlResult, settings: dict[str, Any],
                  marker: str, kind: str) -> None:
    """Crawl with ``settings`` and check that exactly the marked page was lost, as ``kind``."""
    result = crawl("site", {"NEWSBOT_EXTRACT_WORKERS": 2, **settings}, url=fixture_site.url("/"))
    expected = [r for r in comparable(in_process) if marker not in r["source_url"]]
    assert len(expected) == len(in_process.items) - 1
    assert comparable(result) == expected
    assert result.stat(f"newsbot/errors/{kind}") == 1
    site = fixture_site.url("/").split("/")[2]  # host and port
    assert result.stat(f"newsbot/site/{site}/errors/{kind}") == 1
    errors = [line for line in result.log if line.startswith("ERROR") and "extraction failed" in line]
    assert len(errors) == 1 and marker in errors[0]
    # one line per lost page: the log formatter's "dropped" line honours log_level (DEBUG)
    assert [line for line in result.log if marker in line] == errors


def test_a_worker_crash_loses_one_page(fixture_site: FixtureServer, in_process: CrawlResult) -> None:
    lost_page_run(fixture_site, in_process, {"NEWSBOT_EXTRACT_FUNCTION": f"{HOOKS}:crash_on_marker"},
                  CRASH_MARKER, "extract_crash")


def test_a_page_past_the_time_limit_is_lost_alone(fixture_site: FixtureServer, in_process: CrawlResult) -> None:
    lost_page_run(fixture_site, in_process, {"NEWSBOT_EXTRACT_FUNCTION": f"{HOOKS}:hang_on_marker",
                                             "NEWSBOT_EXTRACT_TIMEOUT": 3},
                  HANG_MARKER, "extract_timeout")


def test_workers_that_cannot_start_close_the_crawl_with_one_line(fixture_site: FixtureServer) -> None:
    result = crawl("site", {"NEWSBOT_EXTRACT_WORKERS": 2, "NEWSBOT_EXTRACT_FUNCTION": "tests.dying_module:extract"},
                   url=fixture_site.url("/"), timeout=120)
    assert result.stats["finish_reason"] == "extract_broken"
    assert result.items == []
    assert result.stat("newsbot/errors/extract_broken") >= 1
    assert result.stat(f"newsbot/site/{fixture_site.url('/').split('/')[2]}/errors/extract_broken") >= 1
    errors = [line for line in result.log if line.startswith("ERROR") and "extraction cannot run" in line]
    assert len(errors) == 1 and "die before they are ready" in errors[0]


def test_drop_level_honours_the_exception() -> None:
    assert drop_level(DropItem("x")) == logging.INFO
    assert drop_level(DropItem("x", log_level="ERROR")) == logging.ERROR
    assert drop_level(DropItem("x", log_level="debug")) == logging.DEBUG
    assert drop_level(DropItem("x", log_level="no-such-level")) == logging.INFO
