"""The one place that reads Scrapy's engine internals, for what Scrapy has no public API.

Scrapy's ``ExecutionEngine`` keeps its scheduler and its "closing" state in a private
``_slot``; newsbot needs them twice: a sitemap callback waits while the in-memory request
queue is long (:meth:`newsbot.spiders.site.SiteSpider.queue_room`), and an idle worker of a
shared crawl asks the engine to look at the queue again soon
(:class:`newsbot.state.scheduler.RedisWorker`). ``tests/test_engine.py`` fails when a Scrapy
release changes what these functions read.
"""

from __future__ import annotations

from typing import Any


def _slot(engine: Any) -> Any:
    return getattr(engine, "_slot", None)


def engine_scheduler(engine: Any) -> Any:
    """Return the scheduler of the engine's open spider, or None when no spider is open."""
    return getattr(_slot(engine), "scheduler", None)


def engine_closing(engine: Any) -> bool:
    """Return True when the engine is stopped or closing its spider (or has none open)."""
    slot = _slot(engine)
    return not engine.running or slot is None or slot.closing is not None


def wake_engine(engine: Any) -> None:
    """Ask the engine to look for the next request now rather than at its next heartbeat
    (5 s); nothing when it is closing."""
    slot = _slot(engine)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


def hurry_download_slot(engine: Any, request: Any) -> None:
    """Set the download delay of ``request``'s download slot to 0 (nothing when there is
    none): the requests queued for a site that cannot be reached then fail at once instead
    of one per delay (Scrapy's ``Downloader.slots`` has no public setter)."""
    downloader = getattr(engine, "downloader", None)
    slots = getattr(downloader, "slots", None)
    if downloader is None or not isinstance(slots, dict):
        return
    slot = slots.get(downloader.get_slot_key(request))
    if slot is not None and hasattr(slot, "delay"):
        slot.delay = 0.0


def recheck_closing(engine: Any) -> None:
    """Let a closing engine finish once the last item a spider's ``start()`` yielded has left
    the pipelines: Scrapy checks whether its scraper became idle only when a response is
    done, so a close that began while such items were in the pipelines would wait forever."""
    scraper = getattr(engine, "scraper", None)
    slot = getattr(scraper, "slot", None)
    if slot is not None and slot.closing is not None:
        scraper._check_if_closing()  # type: ignore[union-attr]
