"""What the ``site`` spider decides about listed pages before fetching them, and the order
in which a site's discovery happens.

* Dates before fetching: a page a sitemap or feed lists with dates is not requested when
  even the newest is older than the site's ``max_age_days`` (``newsbot/skipped/too_old``),
  or, in an ``--updates`` run with a state store, when it was emitted and no date is newer
  (``newsbot/skipped/unchanged``; without ``--updates`` an emitted page is never requested
  again anyway: ``newsbot/skipped/seen``). The decision is kept by URL key, so the same
  page reached by a link later is not requested either.
* Order: links found on a site's pages wait until the site's robots.txt, sitemaps and
  feeds in flight are read (their dates are what decides), then go out at once; if some
  discovery request never reports back, they go out when the crawl is otherwise idle.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider

from newsbot.discovery.freshness import UNCHANGED, Listed, parse_date, skip_reason
from newsbot.identity import url_key
from newsbot.state import EmittedStore, state_of
from newsbot.urls import canonical_request_url, host_of

logger = logging.getLogger(__name__)


class ListingGate:
    """Mixin of :class:`newsbot.spiders.site.SiteSpider`: the freshness gate and the
    per-site discovery bookkeeping."""

    crawler: Any
    settings: Any
    site_options: dict[str, dict[str, Any]]

    def setup_gate(self, crawler: Any) -> None:
        """Read the gate's settings and connect its signal handlers."""
        settings = crawler.settings
        self.max_age_days = settings.getint("NEWSBOT_MAX_AGE_DAYS")
        self.updates = settings.getbool("NEWSBOT_UPDATES")
        self.store: EmittedStore | None = state_of(crawler)
        self.skipped: dict[str, str] = {}  # url key -> why it is not requested
        self.pending: dict[str, int] = {}  # host -> discovery requests (robots.txt included) unread
        self.deferred: dict[str, list[Request]] = {}  # host -> link requests waiting for them
        self.discovery_seen: set[str] = set()
        crawler.signals.connect(self.flush_on_idle, signal=signals.spider_idle)

    # -- dates

    def site_for(self, url: str, parent: str | None = None) -> str:
        """Return the site of ``url`` (host and port; defined by the spider)."""
        raise NotImplementedError

    def options(self, site: str) -> dict[str, Any]:
        """Return the per-site options of ``site`` (defined by the spider)."""
        raise NotImplementedError

    def age_limit(self, site: str) -> int:
        """Return the site's ``max_age_days`` (0: none)."""
        return int(self.options(site).get("max_age_days") or self.max_age_days)

    def emitted_at(self, key: str) -> datetime | None:
        """Return when the page of URL key ``key`` was emitted, in an ``--updates`` run with a
        state store; None otherwise."""
        if self.store is None or not self.updates:
            return None
        seen = self.store.lookup_key(key)
        return parse_date(seen.first_emitted) if seen is not None else None

    def gate(self, entry: Listed) -> bool:
        """Return True when the listed page is to be requested; count and remember it
        (``newsbot/skipped/too_old`` or ``unchanged``) when not."""
        key = url_key(canonical_request_url(entry.url))
        if key in self.skipped:
            return False
        if not entry.dates:
            return True
        site = self.site_for(entry.url)
        reason = skip_reason(entry.dates, self.age_limit(site), self.emitted_at(key), datetime.now(UTC))
        if reason is None:
            return True
        self.skipped[key] = reason
        stats = self.crawler.stats
        stats.inc_value(f"newsbot/skipped/{reason}")
        stats.inc_value(f"newsbot/site/{site}/skipped/{reason}")
        if reason == UNCHANGED:
            stats.inc_value(f"newsbot/site/{site}/found")
        logger.debug("not requested (%s, listed %s): %s", reason, max(entry.dates).isoformat(), entry.url)
        return False

    def was_skipped(self, url: str) -> bool:
        """Return True when a listing's dates already ruled the page at ``url`` out."""
        return bool(self.skipped) and url_key(canonical_request_url(url)) in self.skipped

    # -- discovery order

    def is_discovery(self, url: str) -> bool:
        """Return True when ``url`` was requested as a sitemap or feed."""
        return canonical_request_url(url) in self.discovery_seen

    def first_discovery(self, url: str) -> bool:
        """Return True the first time a sitemap or feed URL is to be requested."""
        canonical = canonical_request_url(url)
        if canonical in self.discovery_seen:
            return False
        self.discovery_seen.add(canonical)
        return True

    def opened(self, host: str) -> None:
        """Count one discovery request (or robots.txt) of ``host`` in flight."""
        self.pending[host] = self.pending.get(host, 0) + 1

    def settled(self, host: str) -> list[Request]:
        """Count one discovery request of ``host`` as read; return the link requests that
        waited for the site's discovery when it was the last one."""
        left = max(self.pending.get(host, 0) - 1, 0)
        self.pending[host] = left
        if left:
            return []
        return [r for r in self.deferred.pop(host, []) if not self.was_skipped(r.meta.get("source_url", r.url))]

    def hold(self, request: Request) -> Request | None:
        """Return ``request`` to send now, or None when it waits for its site's discovery
        (or a listing's dates ruled its page out)."""
        url = request.meta.get("source_url", request.url)
        if self.was_skipped(url):
            return None
        host = host_of(url)
        if self.pending.get(host, 0) > 0:
            self.deferred.setdefault(host, []).append(request)
            return None
        return request

    def send_direct(self, request: Request) -> None:
        """Schedule a released link request from outside a callback (where the spider
        middlewares, among them the emitted-page filter, do not see it): dropped when a
        listing ruled it out or, without ``--updates``, when its page was emitted before."""
        url = request.meta.get("source_url", request.url)
        if self.was_skipped(url):
            return
        if self.store is not None and not self.updates and self.store.lookup_key(url_key(url)) is not None:
            self.crawler.stats.inc_value("newsbot/skipped/seen")
            return
        self.crawler.engine.crawl(request)

    def flush_on_idle(self) -> None:
        """spider_idle: send the link requests still waiting (a discovery request that
        never reported back), and keep the crawl open for them."""
        waiting = [r for host in list(self.deferred) for r in self.deferred.pop(host)]
        self.pending.clear()
        logger.debug("crawl idle: %d link requests released", len(waiting))
        for request in waiting:
            self.send_direct(request)
        if waiting:
            raise DontCloseSpider
