"""Scrapy settings for newsbot.

Every default lives here, grouped. Project settings are named ``NEWSBOT_*``; the rest are
Scrapy's own, set to values fit for an unattended news crawl.
"""

import os

from newsbot import __version__

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
NEWSPIDER_MODULE = "newsbot.spiders"

# --- newsbot: extraction and validation ---
# Shortest body (in words) that still counts as an article.
NEWSBOT_MIN_WORDS = 80
# Write articles only (a crawl); ``scrape`` sets it off unless ``--articles-only``, and then
# writes every listed page with main text, its ``page_type`` saying what it is.
NEWSBOT_ARTICLES_ONLY = True
# Extraction processes, default one per core (0 or 1: extract in the crawling process).
NEWSBOT_EXTRACT_WORKERS = os.cpu_count() or 1
# Seconds one page may take in an extraction process before it is killed (0: no limit).
NEWSBOT_EXTRACT_TIMEOUT = 60
# The extraction function, as module:function (tests swap in a crashing one).
NEWSBOT_EXTRACT_FUNCTION = "newsbot.extraction:extract_article"
# Articles published longer ago than this are dropped (0: no limit).
NEWSBOT_MAX_AGE_DAYS = 0

# --- newsbot: state and scale-out ---
# SQLite store of emitted articles for incremental crawls (empty: none; `newsbot crawl`
# defaults to $XDG_STATE_HOME/newsbot/state.sqlite).
NEWSBOT_STATE = ""
# Emit a seen article again (flagged "updated") when its text changed.
NEWSBOT_UPDATES = False
# Set by the newsbot command when it already holds the state store's run lock.
NEWSBOT_LOCK_HELD = False
# Progress line on standard error when it is a terminal (never under cron).
NEWSBOT_PROGRESS = True
# Where the run's JSON summary goes (empty: beside the output, as <output>.stats.json).
NEWSBOT_STATS_FILE = ""
# Redis URL for shared crawls (empty: single process); see newsbot.state.scheduler.
NEWSBOT_REDIS_URL = ""
# Seconds a shared-crawl worker's heartbeat and claims live without being refreshed: after
# that a dead worker's requests are queued again and its articles emitted by another.
NEWSBOT_REDIS_LEASE = 30
# A shared-crawl worker finishes once the shared queue and seed list stayed empty this long.
NEWSBOT_IDLE_EXIT = 30

# --- newsbot: discovery ---
# Feed paths tried on every site besides the feeds a home page declares.
NEWSBOT_FEED_PATHS = ["/feed", "/feed/", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml"]
# How many links away from a home page the site spider still follows links.
NEWSBOT_FOLLOW_DEPTH = 3
# Most pages fetched per site (0: no limit).
NEWSBOT_MAX_PAGES = 0
# A site is marked unreachable, and its other requests dropped, after this many
# connection failures in a row (3x as many once it has answered); 0: never.
NEWSBOT_DEAD_SITE_FAILURES = 3
# Contact URL appended to the User-Agent so site owners can reach the operator.
NEWSBOT_CONTACT_URL = "https://github.com/newsbot/newsbot"

# --- Scrapy: politeness ---
# {contact} is replaced by NEWSBOT_CONTACT_URL (newsbot.middlewares.ContactUserAgentMiddleware).
USER_AGENT = f"newsbot/{__version__} (+{{contact}})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# AutoThrottle adapts the delay to each site's latency; start gently, never above 30 s.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# Longest Retry-After (seconds) waited before retrying a 429/503; longer: not retried.
NEWSBOT_RETRY_AFTER_MAX = 60
# Redirects followed per request; loops and off-site redirects fail at once (newsbot.middlewares).
REDIRECT_MAX_TIMES = 10
# Retries that give up are reported by the spider's errback in one line, not here too.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# --- Scrapy: memory bounds ---
# Largest response body accepted, and the size that logs a warning. DOWNLOAD_MAXSIZE
# also caps decompressed size (gzip/deflate/br bodies and .xml.gz sitemaps).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Response header bounds (newsbot.http11): longest header line, whole header section, and
# header lines; past any of them the response fails (error headers_too_large) at once.
NEWSBOT_MAX_HEADER_LINE = 64 * 1024
NEWSBOT_MAX_HEADER_BYTES = 256 * 1024
NEWSBOT_MAX_HEADERS = 500
# Request side: at most this many bytes of cookies are sent (newsbot.cookies); the ones a
# site set last are left out. Servers refuse a Cookie header past about 8 KB.
NEWSBOT_MAX_COOKIE_BYTES = 4096
DOWNLOAD_HANDLERS = {
    "http": "newsbot.http11.LimitedHTTP11DownloadHandler",
    "https": "newsbot.http11.LimitedHTTP11DownloadHandler",
}

# --- Scrapy: pipelines and output ---
ITEM_PIPELINES = {
    "newsbot.pipelines.ExtractPipeline": 100,
    "newsbot.pipelines.ValidatePipeline": 200,
    "newsbot.pipelines.DedupPipeline": 300,
}
# Objects of one callback's output handled at once. Scrapy starts this many tasks for every
# response, which costs more CPU than anything else it does per page when high; a page
# gives one item (yielded after its links, so they are not held back while it waits for
# an extraction worker), and pages are extracted in parallel across responses anyway.
CONCURRENT_ITEMS = 1
FEED_EXPORT_ENCODING = "utf-8"
# Only the record's fields reach the feed, in schema order.
FEED_EXPORT_FIELDS = [
    "id",
    "url",
    "source_url",
    "title",
    "description",
    "body",
    "authors",
    "published",
    "modified",
    "language",
    "site_name",
    "section",
    "tags",
    "image",
    "word_count",
    "fetched_at",
    "page_type",
    "paywalled",
]
FEED_EXPORTERS = {"jsonl": "newsbot.exporters.JsonLinesExporter"}  # Scrapy's, faster for records
# Local files are written through a temporary file and renamed into place when complete.
FEED_STORAGES = {"": "newsbot.feedstorage.AtomicFileFeedStorage", "file": "newsbot.feedstorage.AtomicFileFeedStorage"}
FEED_STORAGES["stdout"] = "newsbot.feedstorage.StreamFeedStorage"  # a failed write is a failed output
# A run with no new record writes no file.
FEED_STORE_EMPTY = False

# --- Scrapy: components ---
# Switches to scrapy-redis's scheduler and dupefilter when NEWSBOT_REDIS_URL is set.
ADDONS = {"newsbot.addons.RedisCrawl": 0}
EXTENSIONS = {
    "newsbot.extensions.IncrementalState": 500,
    "newsbot.extensions.RunSummary": 510,
}
SPIDER_MIDDLEWARES = {
    "newsbot.middlewares.SeenRequestFilter": 950,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "newsbot.middlewares.ContactUserAgentMiddleware": 500,
    "newsbot.middlewares.ConditionalRequests": 560,
    # fetch failures named and reported once (newsbot.middlewares)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsbot.middlewares.RobotsTxtMiddleware": 100,
    "newsbot.middlewares.RetryAfterMiddleware": 555,
    "newsbot.middlewares.RedirectGuardMiddleware": 610,
    # sites that refuse connections are dropped after a few failures (newsbot.hostguard)
    "newsbot.hostguard.HostGuard": 590,
    # credentials in a given URL become basic auth on its origin (newsbot.credentials)
    "newsbot.credentials.BasicAuthMiddleware": 450,
    # the public suffix list is read from the bundled snapshot, never downloaded
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    # the Cookie header is bounded, so a site setting a cookie per page keeps answering
    "newsbot.cookies.BoundedCookiesMiddleware": 700,
}

# --- Scrapy: logging and runtime ---
LOG_LEVEL = "INFO"
LOG_FORMATTER = "newsbot.logformatter.NewsLogFormatter"
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP server (runs code sent to it) stays off unless asked for.
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy's stats collector, without a hook that runs on every stats call (newsbot.stats).
STATS_CLASS = "newsbot.stats.StatsCollector"
# Scrapy's check for generator callbacks that return a value reads and parses a callback's
# source again whenever its cache (weakly keyed by bound method, which dies with its
# request) has lost it, which is most responses; newsbot's callbacks are known not to.
WARN_ON_GENERATOR_RETURN_VALUE = False
