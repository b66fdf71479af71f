"""``site`` spider: discover and fetch the articles of whole news sites.

Arguments: ``-a url=HOME[,HOME...]`` (or ``urls=`` a list when built from Python).

Discovery, per site: the sitemaps named in robots.txt (else ``/sitemap.xml``), following
sitemap indexes into news and plain sitemaps; RSS and Atom feeds declared with
``<link rel="alternate">`` or found at common paths (``NEWSBOT_FEED_PATHS``); and
same-site links from the home page and from the pages it leads to, up to
``NEWSBOT_FOLLOW_DEPTH`` links away. robots.txt is obeyed (Scrapy's ``ROBOTSTXT_OBEY``);
no request leaves the given sites. Every HTML page fetched is yielded as a ``PageItem``:
the pipelines decide what is an article. Sitemap and feed XML is parsed without entity
expansion or network access.

Every request carries its site in ``meta["newsbot_site"]`` (the configured site, by host
and port: :func:`newsbot.urls.site_of`), which stats, per-site options and the request
budget follow, whatever host a page's canonical URL names. ``max_pages`` is checked before
a request is queued (:mod:`newsbot.spiders.budget`), and requests of a site marked
unreachable are not made (:mod:`newsbot.hostguard`).

Settings read: ``NEWSBOT_FEED_PATHS``, ``NEWSBOT_FOLLOW_DEPTH``, ``NEWSBOT_MAX_PAGES``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip

from newsbot.credentials import split_credentials
from newsbot.discovery.feeds import FEED_TYPES, feed_links
from newsbot.discovery.sitemaps import declares_entities, read_sitemap, robots_sitemaps
from newsbot.engine import engine_closing, engine_scheduler
from newsbot.items import PageItem
from newsbot.spiders.base import NewsSpider, is_html
from newsbot.spiders.budget import SiteBudget
from newsbot.state import state_of
from newsbot.urls import canonical_request_url, host_of, site_of, url_problem

logger = logging.getLogger(__name__)

# Page requests from a sitemap are yielded while Scrapy's queue holds at most HIGH
# requests; past that the sitemap waits until the queue is down to LOW.
SITEMAP_QUEUE_HIGH = 400
SITEMAP_QUEUE_LOW = 200


class SiteSpider(NewsSpider):
    """Crawls news sites from their home pages through sitemaps, feeds and links."""

    name = "site"
    robots_is_error = False

    # set by from_crawler from the settings
    feed_paths: list[str]
    follow_depth: int
    max_pages: int
    link_extractor: LinkExtractor
    budget: SiteBudget

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
        # per-site options of a sites.toml (newsbot.config.SiteConfig.as_dict()), by host
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
        store = state_of(crawler)
        seen = None
        if store is not None and not settings.getbool("NEWSBOT_UPDATES"):

            def seen(key: str) -> bool:
                return store.lookup_key(key) is not None

        spider.budget = SiteBudget(crawler, spider.max_pages_of, seen)
        return spider

    # -- sites and budgets

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
        self, url: str, callback: Any, site: str, *, meta: dict[str, Any] | None = None, priority: int = 0
    ) -> Request | None:
        """Return the request for ``url`` on ``site``, or None when the site's budget
        (``max_pages``) is spent."""
        if not self.budget.allow(site, url):
            return None
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta={**(meta or {}), "newsbot_site": site},
            priority=priority,
        )

    # -- start

    async def start(self) -> AsyncIterator[Any]:
        """Yield, per site: robots.txt (for its sitemaps), the home page, and feed probes."""
        for home in self.homes:
            for request in self.home_requests(home):
                yield request

    def home_requests(self, home: str) -> Iterator[Request]:
        """Yield the start requests of one site: robots.txt, the home page, feed probes and
        the site's configured feeds and sitemaps."""
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(home))
        site = site_of(home)
        self.crawler.stats.inc_value("newsbot/sites")
        yield Request(  # robots.txt is not counted against the budget
            urljoin(origin, "/robots.txt"),
            callback=self.parse_robots,
            errback=self.on_robots_error,
            meta={"probe": True, "dont_obey_robotstxt": True, "newsbot_site": site},
            priority=10,
        )
        options = self.options(site)
        wanted: list[tuple[str, Any, dict[str, Any], int]] = [
            (home, self.parse_page, {"depth_links": 0}, 5),
            *((urljoin(origin, path), self.parse_feed, {"probe": True}, 8) for path in self.feed_paths),
            *((feed, self.parse_feed, {}, 8) for feed in options.get("feeds", [])),
            *((sitemap, self.parse_sitemap, {"sitemap_depth": 0}, 8) for sitemap in options.get("sitemaps", [])),
        ]
        for url, callback, meta, priority in wanted:
            request = self.request(url, callback, site, meta=meta, priority=priority)
            if request is not None:
                yield request

    # -- robots and sitemaps

    def parse_robots(self, response: Response) -> Iterator[Request]:
        """Yield the sitemaps robots.txt names, or the conventional ``/sitemap.xml``."""
        urls = robots_sitemaps(response.body, response.url)
        if not urls:
            urls = [urljoin(response.url, "/sitemap.xml")]
            probe = True
        else:
            probe = False
        site = response.meta.get("newsbot_site") or site_of(response.url)
        for url in urls:
            if self.on_site(url):
                request = self.request(
                    url, self.parse_sitemap, site, meta={"probe": probe, "sitemap_depth": 0}, priority=8
                )
                if request is not None:
                    yield request

    def on_robots_error(self, failure: Any) -> Iterator[Request]:
        """When robots.txt cannot be fetched, still try ``/sitemap.xml``."""
        request = failure.request
        site = request.meta.get("newsbot_site") or site_of(request.url)
        sitemap = self.request(
            urljoin(request.url, "/sitemap.xml"), self.parse_sitemap, site, meta={"probe": True, "sitemap_depth": 0}
        )
        if sitemap is not None:
            sitemap.priority = 8
            yield sitemap

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Request]:
        """Follow a sitemap index into its sitemaps; yield a request per page a sitemap lists.

        The page requests are yielded in step with the crawl (:meth:`queue_room`), so a
        sitemap of 50,000 pages does not put 50,000 requests into Scrapy's memory queue at
        once: memory stays flat however large the site.
        """
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception:  # noqa: BLE001 - corrupt or oversized archives are one error
                self.count_error("bad_sitemap", response.url)
                logger.error("bad sitemap: %s: cannot decompress", response.url)
                return
        sitemap = read_sitemap(body)
        if sitemap is None:
            if not response.meta.get("probe"):
                self.count_error("bad_sitemap", response.url)
                logger.error("bad sitemap: %s: not a sitemap or sitemap index", response.url)
            return
        self.check_entities(response.url, body, "sitemap")
        depth = response.meta.get("sitemap_depth", 0)
        site = response.meta.get("newsbot_site") or site_of(response.url)
        chain = [*response.meta.get("sitemap_chain", []), canonical_request_url(response.url)]
        kind, listed = sitemap
        if kind == "urlset":
            # the page URLs only (~100 bytes each), not the parsed document, are kept while
            # the requests are handed out
            locs = [loc for loc in listed if self.allowed_page(loc)]
            del sitemap, listed, body
            held = len(response.body)
            for n, loc in enumerate(locs):
                page = self.page_request(loc, depth_links=self.follow_depth, site=site)
                if page is None:
                    if self.budget.spent_out(site):
                        return
                    continue
                yield page
                if n % 50 == 49 and not await self.queue_room(held):
                    return
            return
        for loc in listed:
            if not self.on_site(loc):
                continue
            if kind != "sitemapindex" and not self.allowed_page(loc):
                continue
            if kind == "sitemapindex":
                if canonical_request_url(loc) in chain:
                    self.count_error("sitemap_loop", response.url)
                    logger.warning(
                        "sitemap loop: %s lists %s, %s; not followed again",
                        response.url,
                        "itself" if canonical_request_url(loc) == chain[-1] else "a sitemap index above it",
                        loc,
                    )
                elif depth < 3:
                    request = self.request(
                        loc,
                        self.parse_sitemap,
                        site,
                        meta={"sitemap_depth": depth + 1, "sitemap_chain": chain},
                        priority=8,
                    )
                    if request is None:
                        return
                    yield request
            else:
                page = self.page_request(loc, depth_links=self.follow_depth, site=site)
                if page is None:
                    return
                yield page

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
        budget = self.settings.getint("SCRAPER_SLOT_MAX_ACTIVE_SIZE", 5_000_000) // 2
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
        """Yield a request per item link of an RSS/Atom feed."""
        if is_html(response):
            return  # a probe path answered with an HTML page: not a feed
        self.check_entities(response.url, response.body, "feed")
        links = feed_links(response.body)
        if not links and not response.meta.get("probe"):
            self.count_error("bad_feed", response.url)
            logger.error("bad feed: %s: no items could be read", response.url)
        site = response.meta.get("newsbot_site") or site_of(response.url)
        for link in links:
            absolute = urljoin(response.url, link)
            if self.allowed_page(absolute):
                page = self.page_request(absolute, depth_links=self.follow_depth, site=site)
                if page is None:
                    if self.budget.spent_out(site):
                        return
                    continue
                yield page

    # -- pages

    def page_request(self, url: str, depth_links: int, site: str | None = None) -> Request | None:
        """Return the request for a candidate page found at ``depth_links`` links from home
        (None when its site's budget is spent); ``site`` is the site whose page led to it."""
        return self.request(
            canonical_request_url(url),
            self.parse_page,
            self.site_for(url, site),
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
        depth = response.meta.get("depth_links", 0)
        if depth == 0:
            for href in response.xpath('//link[@rel="alternate"][@href]'):
                if (href.attrib.get("type") or "").lower() in FEED_TYPES:
                    feed_url = response.urljoin(href.attrib["href"])
                    if self.on_site(feed_url):
                        feed = self.request(feed_url, self.parse_feed, site, priority=8)
                        if feed is not None:
                            yield feed
        if depth < self.follow_depth and not self.budget.spent_out(site):
            for link in self.link_extractor.extract_links(response):
                if self.allowed_page(link.url):
                    page = self.page_request(link.url, depth_links=depth + 1, site=site)
                    if page is None:
                        if self.budget.spent_out(site):
                            break
                        continue
                    yield page
        yield from self.page_item(response)

    def check_entities(self, url: str, body: bytes, what: str) -> None:
        """Count and log an XML document that declares entities (they are not expanded)."""
        if declares_entities(body):
            self.count_error("xml_entities", url)
            logger.warning("%s declares XML entities (not expanded, DTD not loaded): %s", what, url)

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
