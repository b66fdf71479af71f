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
# Extraction processes, default one per core (0 or 1: extract in the crawling process).
NEWSBOT_EXTRACT_WORKERS = os.cpu_count() or 1
# Seconds one page may take in an extraction process before it is killed (0: no limit).
NEWSBOT_EXTRACT_TIMEOUT = 60
# The extraction function, as module:function (tests swap in a crashing one).
NEWSBOT_EXTRACT_FUNCTION = "newsbot.extract:extract_article"
# Articles published longer ago than this are dropped (0: no limit).
NEWSBOT_MAX_AGE_DAYS = 0

# --- newsbot: state and scale-out ---
# SQLite store of emitted articles for incremental crawls (empty: none).
NEWSBOT_STATE = ""
# Redis URL for shared crawls (empty: single process).
NEWSBOT_REDIS_URL = ""

# --- newsbot: discovery ---
# Feed paths tried on every site besides the feeds a home page declares.
NEWSBOT_FEED_PATHS = ["/feed", "/feed/", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml"]
# How many links away from a home page the site spider still follows links.
NEWSBOT_FOLLOW_DEPTH = 3
# Most pages fetched per site (0: no limit).
NEWSBOT_MAX_PAGES = 0
# Contact URL appended to the User-Agent so site owners can reach the operator.
NEWSBOT_CONTACT_URL = "https://github.com/newsbot/newsbot"

# --- Scrapy: politeness ---
USER_AGENT = f"newsbot/{__version__} (+{NEWSBOT_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# --- Scrapy: memory bounds ---
# Largest response body accepted, and the size that logs a warning.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# --- Scrapy: pipelines and output ---
ITEM_PIPELINES = {
    "newsbot.pipelines.ExtractPipeline": 100,
    "newsbot.pipelines.ValidatePipeline": 200,
    "newsbot.pipelines.DedupPipeline": 300,
}
FEED_EXPORT_ENCODING = "utf-8"
# Only the record's fields reach the feed, in schema order.
FEED_EXPORT_FIELDS = [
    "id", "url", "source_url", "title", "description", "body", "authors", "published",
    "modified", "language", "site_name", "section", "tags", "image", "word_count", "fetched_at",
]
FEED_EXPORTERS = {"jsonl": "scrapy.exporters.JsonLinesItemExporter"}

# --- Scrapy: logging and runtime ---
LOG_LEVEL = "INFO"
LOG_FORMATTER = "newsbot.logformatter.NewsLogFormatter"
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
