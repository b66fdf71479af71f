"""The crawl's stats collector (the ``STATS_CLASS`` setting).

Scrapy (2.14 and later) gives its stats collector a ``__getattribute__`` that runs on every
attribute access, its own ``self._stats`` inside each call included: it formats a name and
raises and catches an ``AttributeError`` so that it can wrap the public methods with a
warning about their deprecated ``spider`` argument. A crawl that counts per page and per
site calls the stats some forty times a page, and that hook cost the crawling process more
than any newsbot pipeline. :class:`StatsCollector` is Scrapy's ``MemoryStatsCollector``
with plain attribute access; its methods still accept (and ignore) ``spider``.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class StatsCollector(MemoryStatsCollector):
    """Scrapy's in-memory stats collector without the per-access deprecation hook."""

    __getattribute__ = object.__getattribute__
