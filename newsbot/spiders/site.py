"""``site`` spider: discover and fetch the articles of whole news sites.

Arguments: ``-a url=HOME[,HOME...]`` (or ``urls=`` a list when built from Python).

Discovery, per site: the sitemaps named in robots.txt (``Sitemap:``/``Site-map:`` lines,
read from the robots.txt the robots middleware fetched: one fetch per site), else the
common sitemap paths (:data:`newsbot.discovery.robots.COMMON_SITEMAP_PATHS`), following
sitemap indexes into news, plain-text and gzipped sitemaps and feeds listed as sitemaps;
RSS, Atom, CDF and JSON feeds declared with ``<link rel="alternate">`` or found at common
paths (``NEWSBOT_FEED_PATHS``); and same-site links from the home page and from the pages it
leads to, up to ``NEWSBOT_FOLLOW_DEPTH`` links away. A listed page whose listing dates are
too old or unchanged is not requested (:mod:`newsbot.spiders.listing`). robots.txt is
obeyed (Scrapy's ``ROBOTSTXT_OBEY``); no request leaves the given sites. Every HTML page
fetched is yielded as a ``PageItem``: the pipelines decide what is an article. Sitemap and
feed XML is parsed without entity expansion or network access.

Every request carries its site in ``meta["newsbot_site"]`` (the configured site, by host
and port: :func:`newsbot.urls.site_of`), which stats, per-site options and the request
budget follow, whatever host a page's canonical URL names. ``max_pages`` is checked before
a request is queued (:mod:`newsbot.spiders.budget`), and requests of a site marked
unreachable are not made (:mod:`newsbot.hostguard`).

Settings read: ``NEWSBOT_FEED_PATHS``, ``NEWSBOT_FOLLOW_DEPTH``, ``NEWSBOT_MAX_PAGES``,
``NEWSBOT_MAX_AGE_DAYS``, ``NEWSBOT_UPDATES``, ``ROBOTSTXT_OBEY``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from newsbot.credentials import split_credentials
from newsbot.discovery.feeds import FEED_TYPES
from newsbot.discovery.freshness import Listed
from newsbot.discovery.robots import common_sitemap_urls, robots_sitemaps
from newsbot.engine import engine_closing, engine_scheduler
from newsbot.items import PageItem
from newsbot.spiders.base import NewsSpider, is_html
from newsbot.spiders.budget import BudgetedRequests, SiteBudget
from newsbot.spiders.documents import DocumentReader
from newsbot.spiders.listing import ListingGate
from newsbot.state import state_of
from newsbot.urls import canonical_request_url, host_of, site_of, url_problem

logger = logging.getLogger(__name__)

# Page requests from a sitemap are yielded while Scrapy's queue holds at most HIGH
# requests; past that the sitemap waits until the queue is down to LOW.
SITEMAP_QUEUE_HIGH = 400
SITEMAP_QUEUE_LOW = 200


def netloc_of(url: str) -> str:
    """Return the lower-case ``host[:port]`` of ``url``: what one robots.txt covers."""
    return urlsplit(url).netloc.lower()


class SiteSpider(BudgetedRequests, DocumentReader, ListingGate, NewsSpider):
    """Crawls news sites from their home pages through sitemaps, feeds and links."""

    name = "site"
    robots_is_error = False

    # set by from_crawler from the settings
    feed_paths: list[str]
    follow_depth: int
    max_pages: int
    link_extractor: LinkExtractor
    budget: SiteBudget
    robots_waiting: set[str]

    def __init__(
        self,
        url: str | None = None,
        urls: Iterable[str] | None = None,
        sites: Iterable[dict[str, Any]] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        homes = list(urls or []) + [u.strip() for u in (url or "").split(",") if u.strip()]
        # per-site options of a sites.toml (newsbot.config.SiteConfig.as_dict()), by site
        self.site_options: dict[str, dict[str, Any]] = {}
        for site in sites or []:
            homes.extend(site["urls"])
            for home in site["urls"]:
                self.site_options[site_of(split_credentials(home))] = site
        self.homes: list[str] = []
        for home in [split_credentials(h) for h in homes]:
            problem = url_problem(home)
            if problem:
                raise ValueError(f"site URL {home!r}: {problem}")
            self.homes.append(home)
        if not self.homes:
            raise ValueError("the site spider needs at least one home URL (-a url=https://...)")
        self.hosts = {host_of(h) for h in self.homes}
        # the configured sites, by host and port (the key of stats, options and budgets)
        self.sites = {site_of(h) for h in self.homes}
        self.allowed_domains = sorted(self.hosts)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Self:
        """Return the spider with its discovery settings read from the crawler."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.feed_paths = settings.getlist("NEWSBOT_FEED_PATHS")
        spider.follow_depth = settings.getint("NEWSBOT_FOLLOW_DEPTH")
        spider.max_pages = settings.getint("NEWSBOT_MAX_PAGES")
        # hosts are checked by allowed_page (LinkExtractor.allow_domains ignores ports)
        spider.link_extractor = LinkExtractor(unique=True)
        spider.robots_waiting = set()  # netlocs whose robots.txt is not read yet
        spider.setup_gate(crawler)
        crawler.signals.connect(spider.on_robots, signal=signals.robots_parsed)
        store = state_of(crawler)
        seen = None
        if store is not None and not settings.getbool("NEWSBOT_UPDATES"):

            def seen(key: str) -> bool:
                return store.lookup_key(key) is not None

        spider.budget = SiteBudget(crawler, spider.max_pages_of, seen)
        return spider

    # -- start

    async def start(self) -> AsyncIterator[Any]:
        """Yield, per site: the home page, feed probes and the site's configured feeds and
        sitemaps (robots.txt comes through the robots middleware, see :meth:`on_robots`)."""
        for home in self.homes:
            # all of a site's discovery requests are counted before any is sent
            for request in list(self.home_requests(home)):
                yield request

    def home_requests(self, home: str) -> Iterator[Request]:
        """Yield the start requests of one site: robots.txt when no robots middleware reads
        it, the home page, feed probes and the site's configured feeds and sitemaps."""
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(home))
        host = host_of(home)
        site = site_of(home)
        self.crawler.stats.inc_value("newsbot/sites")
        if netloc_of(home) not in self.robots_waiting:
            self.robots_waiting.add(netloc_of(home))
            self.opened(host)
            if not self.settings.getbool("ROBOTSTXT_OBEY"):
                yield Request(  # robots.txt is not counted against the budget
                    urljoin(origin, "/robots.txt"),
                    callback=self.parse_robots,
                    errback=self.on_robots_error,
                    meta={"probe": True, "dont_obey_robotstxt": True, "newsbot_site": site},
                    priority=10,
                )
        page = self.request(
            home, self.parse_page, site, errback=self.on_page_error, meta={"depth_links": 0}, priority=5
        )
        if page is not None:
            yield page
        for path in self.feed_paths:
            yield from self.discovery(urljoin(origin, path), self.parse_feed, site=site, probe=True)
        options = self.options(site)
        for feed in options.get("feeds", []):
            yield from self.discovery(feed, self.parse_feed, site=site)
        for sitemap in options.get("sitemaps", []):
            yield from self.discovery(sitemap, self.parse_sitemap, site=site)

    def discovery(
        self,
        url: str,
        callback: Any,
        *,
        site: str | None = None,
        probe: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> Iterator[Request]:
        """Yield the request of a sitemap or feed, the first time it is named and while its
        site's budget lasts; its site's links wait until it is read
        (:mod:`newsbot.spiders.listing`)."""
        if not self.on_site(url) or not self.first_discovery(url):
            return
        request = self.request(
            url,
            callback,
            self.site_for(url, site),
            errback=self.on_discovery_error,
            meta={"probe": probe, "sitemap_depth": 0, **(meta or {})},
            priority=8,
            dont_filter=True,  # repeats are dropped by first_discovery; each one must report back
        )
        if request is not None:
            self.opened(host_of(url))
            yield request

    def on_discovery_error(self, failure: Any) -> None:
        """Errback of sitemaps and feeds: report the failure, then release the links that
        waited for it (through :meth:`send_direct`: an errback's output of a failed download
        does not pass the spider middlewares)."""
        self.on_error(failure)
        for request in self.settled(host_of(failure.request.url)):
            self.send_direct(request)

    # -- robots and sitemaps

    def on_robots(self, robotparser: Any = None, request: Request | None = None, body: bytes | None = None) -> None:
        """robots_parsed signal: read the sitemaps of the robots.txt the robots middleware
        fetched (it is fetched once per site), or probe the common sitemap paths."""
        if request is None:
            return
        self.robots_read(request.url, body)

    def robots_read(self, url: str, body: bytes | None) -> None:
        """Schedule the sitemaps robots.txt (``body``; None: unavailable) names, or probes
        of the common sitemap paths, once per site."""
        host = host_of(url)
        if netloc_of(url) not in self.robots_waiting:
            return
        self.robots_waiting.discard(netloc_of(url))
        for request in self.sitemaps_from_robots(url, body):
            self.crawler.engine.crawl(request)
        for request in self.settled(host):
            self.send_direct(request)

    def sitemaps_from_robots(self, url: str, body: bytes | None) -> Iterator[Request]:
        """Yield the requests of the sitemaps a robots.txt names, else of the common
        sitemap paths (probes: quiet when absent)."""
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        named = robots_sitemaps(body, origin + "/robots.txt") if body else []
        for sitemap in named or common_sitemap_urls(origin):
            yield from self.discovery(sitemap, self.parse_sitemap, probe=not named)

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """Without a robots middleware: read the robots.txt the spider fetched itself."""
        yield from self.sitemaps_from_robots(response.url, response.body)
        self.robots_waiting.discard(netloc_of(response.url))
        yield from self.settled(host_of(response.url))

    def on_robots_error(self, failure: Any) -> Iterator[Request]:
        """When robots.txt cannot be fetched, probe the common sitemap paths."""
        url = failure.request.url
        yield from self.sitemaps_from_robots(url, None)
        self.robots_waiting.discard(netloc_of(url))
        yield from self.settled(host_of(url))

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Request]:
        """Follow a sitemap index into its sitemaps; yield a request per page a sitemap (or
        a feed listed as one) lists, unless its dates rule it out.

        The page requests are yielded in step with the crawl (:meth:`queue_room`), so a
        sitemap of 50,000 pages does not put 50,000 requests into Scrapy's memory queue at
        once: memory stays flat however large the site.
        """
        host = host_of(response.url)
        site = response.meta.get("newsbot_site") or self.site_for(response.url)
        locs: list[Listed] = []
        try:
            for request in self.read_sitemap_response(response, locs):
                yield request
            # dated first: the links that waited for this sitemap are released after
            pages = [entry.url for entry in locs if self.allowed_page(entry.url) and self.gate(entry)]
        finally:
            released = self.settled(host)
        del locs
        for request in released:
            yield request
        held = len(response.body)
        for n, page in enumerate(self.listed_requests(pages, site)):
            yield page
            if n % 50 == 49 and not await self.queue_room(held):
                return

    async def queue_room(self, held: int) -> bool:
        """Wait while Scrapy's request queue holds more than ``SITEMAP_QUEUE_HIGH`` requests
        (until it is down to ``SITEMAP_QUEUE_LOW``); return False when the crawl is closing.

        A sitemap callback that waits here keeps its response (``held`` bytes) in Scrapy's
        scraper slot, which stops fetching once its responses pass
        ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``; so sitemaps wait only while together they hold
        under half of that (the other half is left for pages), and yield at once otherwise
        (a sitemap of over ~2.5 MB is queued whole, as before). Only Scrapy's own scheduler
        without a disk queue (``JOBDIR``) is waited for: a shared Redis queue or a disk
        queue does not hold requests in this process's memory.
        """
        engine = self.crawler.engine
        scheduler = engine_scheduler(engine)
        if (
            scheduler is None
            or type(scheduler).__module__ != "scrapy.core.scheduler"
            or getattr(scheduler, "dqs", None) is not None
        ):
            return True
        if len(scheduler) <= SITEMAP_QUEUE_HIGH:
            return True
        budget = self.settings.getint("SCRAPER_SLOT_MAX_ACTIVE_SIZE") // 2
        waiting = getattr(self, "_sitemap_bytes_waiting", 0)
        if waiting + held > budget:
            return True
        self._sitemap_bytes_waiting = waiting + held
        try:
            while len(scheduler) > SITEMAP_QUEUE_LOW:
                if engine_closing(engine):
                    return False
                await asyncio.sleep(0.05)
        finally:
            self._sitemap_bytes_waiting -= held
        return not engine_closing(engine)

    # -- feeds

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Yield a request per item link of an RSS, RDF, Atom, CDF or JSON feed (also one
        served as ``text/html``), unless the item's dates rule it out."""
        try:
            entries = self.read_feed(response)
            pages = [entry.url for entry in entries if self.allowed_page(entry.url) and self.gate(entry)]
        finally:
            released = self.settled(host_of(response.url))
        yield from released
        site = response.meta.get("newsbot_site") or self.site_for(response.url)
        yield from self.listed_requests(pages, site)

    # -- pages

    def listed_requests(self, urls: list[str], site: str) -> Iterator[Request]:
        """Yield the requests of pages a sitemap or feed of ``site`` lists, until the site's
        budget is spent."""
        for url in urls:
            page = self.page_request(url, depth_links=self.follow_depth, site=site)
            if page is None:
                if self.budget.spent_out(site):
                    return
                continue
            yield page

    def page_request(self, url: str, depth_links: int, site: str | None = None) -> Request | None:
        """Return the request for a candidate page found at ``depth_links`` links from home
        (None when its site's budget is spent); ``site`` is the site whose page led to it."""
        return self.request(
            canonical_request_url(url),
            self.parse_page,
            self.site_for(url, site),
            errback=self.on_page_error,
            meta={"depth_links": depth_links, "source_url": url},
        )

    def parse_page(self, response: Response) -> Iterator[PageItem | Request]:
        """Yield feeds the page declares and same-site links to follow, then the page as a
        ``PageItem``.

        The item comes last: Scrapy handles a callback's output one object at a time
        (``CONCURRENT_ITEMS``), and the item waits for an extraction worker, which must not
        hold back the discovery of the pages it links to.
        """
        if not is_html(response) or not isinstance(response, TextResponse):
            yield from self.page_item(response)
            return
        site = response.meta.get("newsbot_site") or self.site_for(response.url)
        self.robots_fallback(response.url)
        depth = response.meta.get("depth_links", 0)
        if depth == 0:
            for href in response.xpath('//link[@rel="alternate"][@href]'):
                if (href.attrib.get("type") or "").lower() in FEED_TYPES:
                    yield from self.discovery(response.urljoin(href.attrib["href"]), self.parse_feed, site=site)
        if depth < self.follow_depth and not self.budget.spent_out(site):
            for link in self.link_extractor.extract_links(response):
                # a link to a feed or sitemap already read as one is not fetched as a page
                if not self.allowed_page(link.url) or self.is_discovery(link.url):
                    continue
                page = self.page_request(link.url, depth + 1, site=site)
                if page is None:
                    if self.budget.spent_out(site):
                        break
                    continue
                if request := self.hold(page):
                    yield request
        yield from self.page_item(response)

    def robots_fallback(self, url: str) -> None:
        """With the robots middleware on, a site's first page answered (or failed) before
        robots.txt was read means robots.txt could not be fetched: probe the common sitemap
        paths instead."""
        if netloc_of(url) in self.robots_waiting and self.settings.getbool("ROBOTSTXT_OBEY"):
            self.robots_read(url, None)

    def on_page_error(self, failure: Any) -> None:
        """Errback of pages: :meth:`on_error`, and the robots.txt fallback."""
        self.robots_fallback(failure.request.url)
        self.on_error(failure)

    def on_site(self, url: str) -> bool:
        """Return True when ``url`` is an http(s) URL on one of the given sites."""
        return url.startswith(("http://", "https://")) and host_of(url) in self.hosts

    def allowed_page(self, url: str) -> bool:
        """Return True when a page URL is on a given site and within the site's ``allow``
        path prefixes (if it has any)."""
        if not self.on_site(url):
            return False
        allow = self.options(self.site_for(url)).get("allow")
        return not allow or urlsplit(url).path.startswith(tuple(allow))
