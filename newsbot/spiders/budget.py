"""Each site's request budget (``max_pages``), spent before a request is queued.

:class:`SiteBudget` answers, for every request the site spider is about to yield (pages
from links, sitemaps and feeds; the sitemaps and feeds themselves; feed probes), whether
its site may still make one. A site's budget is its ``max_pages`` (``sites.toml``) or
``NEWSBOT_MAX_PAGES`` (0: no limit); robots.txt is not counted. Every site has its own
count, keyed by the site the request belongs to (request meta ``newsbot_site``), so one
site spending its budget never takes from another's.

Only new URLs spend: a URL the site already asked for (the duplicate filter drops it) or
one emitted by an earlier run (the state store skips it) is let through without counting,
so repeated navigation links and incremental runs do not eat the budget. The URLs counted
are remembered only while a limit is set, so memory is bounded by the limits themselves.
Requests refused are counted as ``newsbot/skipped/max_pages`` (and per site).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy import Request

from newsbot.identity import url_key
from newsbot.urls import canonical_request_url, site_of


class SiteBudget:
    """Per-site request budgets (module docstring)."""

    def __init__(
        self,
        crawler: Any,
        limit_of: Callable[[str], int],
        seen: Callable[[str], bool] | None = None,
    ) -> None:
        self.crawler = crawler  # its stats exist once the crawl starts
        self.limit_of = limit_of
        self.seen = seen
        self.spent: dict[str, set[str]] = {}
        self.exhausted: set[str] = set()

    def limit(self, site: str) -> int:
        """Return the site's budget (0: none)."""
        return self.limit_of(site)

    def allow(self, site: str, url: str) -> bool:
        """Return True when ``site`` may request ``url`` (spending one unit when the URL is
        new to it); count and return False when its budget is spent."""
        limit = self.limit(site)
        if not limit:
            return True
        key = canonical_request_url(url)
        spent = self.spent.setdefault(site, set())
        if key in spent or (self.seen is not None and self.seen(url_key(url))):
            return True
        if len(spent) >= limit:
            stats = self.crawler.stats
            stats.inc_value("newsbot/skipped/max_pages")
            stats.inc_value(f"newsbot/site/{site}/skipped/max_pages")
            self.exhausted.add(site)
            return False
        spent.add(key)
        return True

    def spent_out(self, site: str) -> bool:
        """Return True once ``site`` has had a request refused for its budget."""
        return site in self.exhausted


class BudgetedRequests:
    """Mixin of :class:`newsbot.spiders.site.SiteSpider`: which site a request belongs to,
    its per-site options, and requests made only while the site's budget lasts."""

    budget: SiteBudget
    sites: set[str]
    site_options: dict[str, dict[str, Any]]
    max_pages: int
    on_error: Callable[..., Any]

    def site_for(self, url: str, parent: str | None = None) -> str:
        """Return the site a request for ``url`` belongs to: the configured site of its host
        and port, else the site whose page led to it (``parent``), else its own."""
        site = site_of(url)
        if site in self.sites or not parent:
            return site
        return parent

    def max_pages_of(self, site: str) -> int:
        """Return the request budget of ``site``: its ``max_pages``, else ``NEWSBOT_MAX_PAGES``."""
        return int(self.options(site).get("max_pages") or self.max_pages)

    def options(self, site: str) -> dict[str, Any]:
        """Return the per-site options (``sites.toml``) of ``site`` (empty when it has none)."""
        found = self.site_options.get(site)
        if found is None:  # a shared crawl's sites are keyed by host
            found = self.site_options.get(site.rsplit(":", 1)[0] if site.count(":") == 1 else site, {})
        return found

    def request(
        self,
        url: str,
        callback: Any,
        site: str,
        *,
        errback: Any = None,
        meta: dict[str, Any] | None = None,
        priority: int = 0,
        dont_filter: bool = False,
    ) -> Request | None:
        """Return the request for ``url`` on ``site``, or None when the site's budget
        (``max_pages``) is spent."""
        if not self.budget.allow(site, url):
            return None
        return Request(
            url,
            callback=callback,
            errback=errback or self.on_error,
            meta={**(meta or {}), "newsbot_site": site},
            priority=priority,
            dont_filter=dont_filter,
        )
