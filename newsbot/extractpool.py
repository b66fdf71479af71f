"""How the crawl's extraction workers are set up, without Scrapy: what they must not import,
what they do to each result, and :func:`prestart_workers`, which the ``newsbot`` command
calls before it loads Scrapy.

Settings read (from the ``-s NAME=VALUE`` overrides and ``newsbot.settings``; the
:class:`newsbot.pipelines.ExtractPipeline` reads the final ones):

* ``NEWSBOT_EXTRACT_WORKERS``: how many workers to start early (0 or 1: none);
* ``NEWSBOT_EXTRACT_FUNCTION``: workers start early only for the default function.
"""

from __future__ import annotations

from newsbot import settings
from newsbot.procpool import prestart

# extract_article never uses Scrapy (docs/architecture.md), but itemadapter imports it when installed:
# keeping it out of the extraction workers saves ~20 MB and ~0.3 s of start-up per worker.
EXTRACT_BLOCKED_IMPORTS = ("scrapy",)
# Run in the worker on each extracted Article: its body fingerprint, for DedupPipeline.
EXTRACT_FINISH = "newsbot.identity:add_fingerprint"


def blocked_imports_for(function: str) -> tuple[str, ...]:
    """Return the modules the workers of ``function`` must not import (only the default
    function is known not to need Scrapy)."""
    return EXTRACT_BLOCKED_IMPORTS if function == settings.NEWSBOT_EXTRACT_FUNCTION else ()


def prestart_workers(overrides: list[str], expected_pages: int | None = None) -> int:
    """Start the extraction workers before the command loads Scrapy and return how many.

    Loading the extraction code takes a worker about as long as Scrapy's own start-up takes
    the crawling process; started first, the two overlap, and a short ``scrape`` ends about
    that much sooner. ``expected_pages`` (when the command knows it, e.g. a short URL list)
    caps the count: one page needs one worker. The pipeline's pool takes these workers; a
    worker count or function set elsewhere than ``-s`` (a custom settings module) only
    means some of them go unused and are stopped."""
    values = dict(item.partition("=")[::2] for item in overrides)
    values = {name.strip(): value.strip() for name, value in values.items()}
    function = values.get("NEWSBOT_EXTRACT_FUNCTION") or settings.NEWSBOT_EXTRACT_FUNCTION
    if function != settings.NEWSBOT_EXTRACT_FUNCTION:
        return 0
    try:
        workers = int(values.get("NEWSBOT_EXTRACT_WORKERS") or settings.NEWSBOT_EXTRACT_WORKERS)
    except ValueError:
        return 0  # the settings check reports it
    if workers <= 1:
        return 0
    if expected_pages is not None:
        workers = min(workers, max(expected_pages, 1))
    return prestart(workers, function, blocked_imports_for(function), EXTRACT_FINISH)
