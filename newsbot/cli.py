"""The ``newsbot`` command: crawl, scrape, extract and demo.

Every crawling command runs Scrapy with the project settings (``newsbot.settings``), the
``-s NAME=VALUE`` overrides, and a JSONL feed for ``-o``. Exit codes are the same for every
command (see ``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_CODES = f"""exit codes (every command):
  {EXIT_OK}  success
  {EXIT_FAILURES}  some sites or URLs failed (fetch errors, bad URL lines, pages that gave no
     record, a site that gave no article); the records that could be made are written
  {EXIT_USAGE}  usage or configuration error; nothing was crawled
  {EXIT_LOCKED}  another run holds the lock
"""

logger = logging.getLogger("newsbot")


def _settings(overrides: list[str], log_level: str | None) -> Any:
    """Return the project settings with ``-s NAME=VALUE`` overrides applied."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    from scrapy.utils.project import get_project_settings

    return _apply_overrides(get_project_settings(), overrides, log_level)


def _apply_overrides(settings: Any, overrides: list[str], log_level: str | None) -> Any:
    """Return ``settings`` with ``-s NAME=VALUE`` overrides and the log level applied."""
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"-s {item!r}: expected NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
    if log_level:
        settings.set("LOG_LEVEL", log_level.upper(), priority="cmdline")
    return settings


class UsageError(Exception):
    """A command-line or configuration error: reported in one line, exit code 2."""


def feed_uri(output: str) -> str:
    """Return the Scrapy feed URI for an ``-o`` value (``-`` is standard output)."""
    if output == "-":
        return "stdout:"
    return str(Path(output).expanduser().resolve())


def run_crawl(spider: str | type, output: str | None, settings: Any, **spider_kwargs: Any) -> dict[str, Any]:
    """Run one crawl (spider name or class) to completion and return its stats."""
    from scrapy.crawler import CrawlerProcess

    if output:
        settings.set("FEEDS", {feed_uri(output): {"format": "jsonl", "overwrite": True, "encoding": "utf-8"}},
                     priority="cmdline")
    process = CrawlerProcess(settings)
    # Scrapy leaves the root logger at NOTSET and filters in its handler, so each debug
    # call of the crawl (a few per page) would build a record only for it to be dropped.
    logging.root.setLevel(settings.get("LOG_LEVEL"))
    crawler = process.create_crawler(spider)
    process.crawl(crawler, **spider_kwargs)
    process.start()
    return crawler.stats.get_stats()


def _by_prefix(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix) and "/" not in k[len(prefix):]}


def summary_lines(stats: dict[str, Any], output: str | None) -> list[str]:
    """Return the human summary of a crawl: pages, articles, drops and errors by kind."""
    dropped = _by_prefix(stats, "newsbot/dropped/")
    errors = _by_prefix(stats, "newsbot/errors/")
    lines = [
        f"pages fetched: {stats.get('newsbot/pages', 0)}",
        f"articles written: {stats.get('newsbot/articles', 0)}",
        "dropped: " + (", ".join(f"{k}={v}" for k, v in dropped.items()) or "none"),
        "errors: " + (", ".join(f"{k}={v}" for k, v in errors.items()) or "none"),
    ]
    if output:
        lines.append(f"output: {'<stdout>' if output == '-' else Path(output).resolve()}")
    return lines


def site_summary_lines(stats: dict[str, Any]) -> list[str]:
    """Return one summary line per site: discovered, fetched, written, skipped as seen,
    dropped by reason, errors by kind."""
    from newsbot.incremental import per_site

    lines = []
    for host, site in sorted(per_site(stats).items()):
        dropped = ", ".join(f"{k}={v}" for k, v in sorted(site["dropped"].items())) or "none"
        errors = ", ".join(f"{k}={v}" for k, v in sorted(site["errors"].items())) or "none"
        lines.append(f"site {host}: discovered {site['discovered']}, fetched {site['fetched']}, "
                     f"written {site['written']}, skipped as seen {site['skipped_seen']}, "
                     f"dropped {dropped}, errors {errors}")
    return lines


def failed_sites(stats: dict[str, Any], homes: list[str]) -> list[str]:
    """Return the home URLs of sites that failed: no article found (new or already seen),
    or most of their fetches failed."""
    from newsbot.incremental import per_site
    from newsbot.urls import host_of

    sites = per_site(stats)
    failed = []
    for home in homes:
        site = sites.get(host_of(home), {})
        # broken links (404/410) are the site's own; they do not make the site failed
        errors = sum(v for k, v in site.get("errors", {}).items() if k not in ("http_404", "http_410"))
        if not site.get("found") and not site.get("unchanged"):
            logger.error("site failed: %s: no article found", home)
            failed.append(home)
        elif errors and errors >= site.get("fetched", 0) / 2:
            logger.error("site failed: %s: %d of %d fetches failed", home, errors, site.get("fetched", 0))
            failed.append(home)
    return failed


def _crawl_exit_code(stats: dict[str, Any], sites: list[str]) -> int:
    if stats.get("newsbot/locked"):
        return EXIT_LOCKED
    if stats.get("finish_reason") == "extract_broken":  # the run was cut short
        return EXIT_FAILURES
    return EXIT_FAILURES if failed_sites(stats, sites) else EXIT_OK


def _scrape_exit_code(stats: dict[str, Any]) -> int:
    failures = sum(_by_prefix(stats, "newsbot/errors/").values()) + sum(
        v for k, v in _by_prefix(stats, "newsbot/dropped/").items() if k != "duplicate")
    return EXIT_FAILURES if failures else EXIT_OK


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl whole sites from their home pages (or the sites of a ``sites.toml``),
    incrementally, under the state store's run lock."""
    from newsbot.config import ConfigError, default_state_for, load_config
    from newsbot.state import LockedError, RunLock, default_state_path
    from newsbot.urls import url_problem

    config = None
    if args.config:
        try:
            config = load_config(args.config)
        except ConfigError as exc:
            raise UsageError(str(exc)) from exc
    if _redis_url(args, config) or args.seed_only or args.worker:
        return cmd_crawl_shared(args, config)
    if not args.urls and config is None:
        raise UsageError("give site URLs or --config sites.toml")
    for url in args.urls:
        problem = url_problem(url)
        if problem:
            raise UsageError(f"site URL {url!r}: {problem}")
    output = args.output or (config.output if config else None)
    if not output:
        raise UsageError("no output: give -o FILE (or output = ... in the config)")
    state = None
    if not args.no_state:
        state = args.state or (config.state if config else None) or str(
            default_state_for(config.path) if config else default_state_path())

    settings = _settings([], None)
    if config:
        settings.setdict(config.settings, priority="project")
    settings = _apply_overrides(settings, args.set, args.log_level)
    settings.set("NEWSBOT_UPDATES", args.updates, priority="cmdline")
    if args.updates:
        settings.set("FEED_EXPORT_FIELDS", [*settings.getlist("FEED_EXPORT_FIELDS"), "updated"], priority="cmdline")
    lock = None
    if state:
        try:
            lock = RunLock(state).acquire()
        except LockedError as exc:
            print(f"newsbot: locked: {exc}", file=sys.stderr)
            return EXIT_LOCKED
        settings.set("NEWSBOT_STATE", state, priority="cmdline")
        settings.set("NEWSBOT_LOCK_HELD", True, priority="cmdline")
    sites = [site.as_dict() for site in config.sites] if config else []
    homes = list(args.urls) + [u for site in sites for u in site["urls"]]
    try:
        stats = run_crawl("site", output, settings, urls=args.urls, sites=sites)
    finally:
        if lock:
            lock.release()
    for line in summary_lines(stats, None) + site_summary_lines(stats):
        print(line, file=sys.stderr)
    return _crawl_exit_code(stats, homes)


def _redis_url(args: argparse.Namespace, config: Any) -> str:
    """Return the Redis URL of a shared crawl (``--redis``, ``-s NEWSBOT_REDIS_URL=``, the
    config's ``[settings]``), or ``""``."""
    for item in reversed(args.set):
        name, _, value = item.partition("=")
        if name.strip() == "NEWSBOT_REDIS_URL":
            return args.redis or value.strip()
    return args.redis or (str(config.settings.get("NEWSBOT_REDIS_URL") or "") if config else "")


def cmd_crawl_shared(args: argparse.Namespace, config: Any) -> int:
    """A crawl shared through Redis: ``--seed-only`` pushes the sites and returns; otherwise
    seed the sites given (if any) and work until the shared queue stays empty."""
    from newsbot.urls import url_problem

    redis_url = _redis_url(args, config)
    if not redis_url:
        raise UsageError("--seed-only and --worker need --redis URL")
    if args.seed_only and args.worker:
        raise UsageError("--seed-only and --worker exclude each other")
    if args.state or args.no_state:
        raise UsageError("--state/--no-state: a shared crawl (--redis) keeps what was emitted in Redis")
    for url in args.urls:
        problem = url_problem(url)
        if problem:
            raise UsageError(f"site URL {url!r}: {problem}")
    sites = [site.as_dict() for site in config.sites] if config else []
    homes = list(args.urls) + [u for site in sites for u in site["urls"]]
    try:
        from newsbot.redis_crawl import seed
        from newsbot.redis_state import connect, redacted
    except ImportError as exc:
        raise UsageError(f"--redis needs the redis and scrapy-redis packages: {exc}") from exc
    try:
        connect(redis_url)
    except Exception as exc:  # noqa: BLE001 - redis raises several types for a bad URL or server
        raise UsageError(f"redis {redacted(redis_url)}: {exc}") from exc
    if args.seed_only:
        if not homes:
            raise UsageError("--seed-only: give site URLs or --config sites.toml")
        count = seed(redis_url, args.urls, sites)
        print(f"newsbot: seeded {count} sites into {redacted(redis_url)}", file=sys.stderr)
        return EXIT_OK
    if not homes and not args.worker:
        raise UsageError("with --redis, give site URLs, --seed-only or --worker")
    output = args.output or (config.output if config else None)
    if not output:
        raise UsageError("no output: give -o FILE (or output = ... in the config)")

    settings = _settings([], None)
    if config:
        settings.setdict(config.settings, priority="project")
    settings = _apply_overrides(settings, args.set, args.log_level)
    settings.set("NEWSBOT_REDIS_URL", redis_url, priority="cmdline")
    if args.idle_exit is not None:
        settings.set("NEWSBOT_IDLE_EXIT", args.idle_exit, priority="cmdline")
    settings.set("NEWSBOT_UPDATES", args.updates, priority="cmdline")
    if args.updates:
        settings.set("FEED_EXPORT_FIELDS", [*settings.getlist("FEED_EXPORT_FIELDS"), "updated"], priority="cmdline")
    if homes:
        seed(redis_url, args.urls, sites)
    from newsbot.redis_crawl import RedisSiteSpider

    stats = run_crawl(RedisSiteSpider, output, settings)
    for line in summary_lines(stats, None) + site_summary_lines(stats):
        print(line, file=sys.stderr)
    return _worker_exit_code(stats)


def _worker_exit_code(stats: dict[str, Any]) -> int:
    """Return a shared-crawl worker's exit code: 1 when it did not finish normally, its
    output was not stored, or most fetches of a site it crawled failed; else 0 (a site
    with no article from this worker may have given them to another)."""
    from newsbot.incremental import per_site

    if stats.get("finish_reason") != "finished" or any(
            k.startswith("feedexport/failed_count/") and v for k, v in stats.items()):
        logger.error("worker failed: %s", stats.get("finish_reason"))
        return EXIT_FAILURES
    code = EXIT_OK
    for host, site in per_site(stats).items():
        errors = sum(v for k, v in site.get("errors", {}).items() if k not in ("http_404", "http_410"))
        if errors and errors >= site.get("fetched", 0) / 2:
            logger.error("site failed: %s: %d of %d fetches failed", host, errors, site.get("fetched", 0))
            code = EXIT_FAILURES
    return code


def cmd_scrape(args: argparse.Namespace) -> int:
    """Scrape the URLs of a list file (or stdin)."""
    if args.file != "-" and not Path(args.file).is_file():
        raise UsageError(f"URL list {args.file!r}: no such file")
    settings = _settings(args.set, args.log_level)
    stats = run_crawl("urls", args.output, settings, file=args.file)
    for line in summary_lines(stats, args.output):
        print(line, file=sys.stderr)
    return _scrape_exit_code(stats)


def cmd_extract(args: argparse.Namespace) -> int:
    """Extract one saved page and print its record."""
    from newsbot.extract import extract_article
    from newsbot.items import utc_now_iso

    path = Path(args.page)
    try:
        data = sys.stdin.buffer.read() if args.page == "-" else path.read_bytes()
    except OSError as exc:
        raise UsageError(f"page {args.page!r}: {exc.strerror or exc}") from exc
    url = args.url or (path.resolve().as_uri() if args.page != "-" else "http://localhost/")
    article = extract_article(data, url, min_words=args.min_words)
    article.source_url = url
    article.fetched_at = utc_now_iso()
    print(json.dumps(article.record(), ensure_ascii=False, indent=None if args.compact else 2))
    if article.drop_reason:
        print(f"not an article: {args.page}: {article.drop_reason}", file=sys.stderr)
        return EXIT_FAILURES
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the bundled fixture site on 127.0.0.1 and crawl it."""
    from newsbot.fixture_server import FixtureServer

    try:
        server = FixtureServer(args.fixtures)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    settings = _settings(["AUTOTHROTTLE_ENABLED=False", *args.set], args.log_level or "WARNING")
    with server:
        print(f"serving the fixture site at {server.origin}/", file=sys.stderr)
        stats = run_crawl("site", args.output, settings, urls=[server.url("/")])
    for line in summary_lines(stats, args.output):
        print(line)
    return _crawl_exit_code(stats, [server.url("/")])


def build_parser() -> argparse.ArgumentParser:
    """Return the ``newsbot`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Crawl news sites and write clean article records as JSONL.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser, output_default: str | None = None) -> None:
        p.add_argument("-o", "--output", default=output_default, metavar="FILE",
                       help="JSONL output file ('-' for standard output)"
                       + (f"; default {output_default}" if output_default else ""))
        p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="override a Scrapy/newsbot setting (repeatable)")
        p.add_argument("-L", "--log-level", help="log level (DEBUG, INFO, WARNING, ERROR)")

    crawl = sub.add_parser("crawl", help="crawl news sites from their home pages",
                           epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    crawl.add_argument("urls", nargs="*", metavar="URL", help="home page of a site")
    crawl.add_argument("-c", "--config", type=Path, help="sites.toml listing the sites and their options")
    crawl.add_argument("--state", help="emitted-articles store (SQLite; default: in the user's state folder, "
                       "one per config file)")
    crawl.add_argument("--no-state", action="store_true", help="no incremental state: emit every article found")
    crawl.add_argument("--updates", action="store_true",
                       help="also emit articles seen before whose text changed, flagged \"updated\": true")
    crawl.add_argument("--redis", metavar="URL", default="",
                       help="share the crawl with other processes through Redis (redis://host:6379/0); "
                       "see \"Scaling out\" in the README")
    crawl.add_argument("--seed-only", action="store_true",
                       help="with --redis: push the sites to the shared crawl and exit")
    crawl.add_argument("--worker", action="store_true",
                       help="with --redis: crawl the shared queue (no URLs needed) until it stays empty")
    crawl.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                       help="with --redis: finish once the shared queue stayed empty this long (default 30)")
    common(crawl)
    crawl.set_defaults(func=cmd_crawl)

    scrape = sub.add_parser("scrape", help="scrape a list of article URLs",
                            epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    scrape.add_argument("file", metavar="FILE", help="file of URLs, one a line ('-' for standard input)")
    common(scrape)
    scrape.set_defaults(func=cmd_scrape)

    extract = sub.add_parser("extract", help="extract one saved page and print its record",
                             epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    extract.add_argument("page", metavar="PAGE.html", help="saved HTML page ('-' for standard input)")
    extract.add_argument("--url", help="the page's URL (to resolve links and as its canonical URL)")
    extract.add_argument("--min-words", type=int, default=80, help="shortest body that counts as an article")
    extract.add_argument("--compact", action="store_true", help="print the record on one line")
    extract.set_defaults(func=cmd_extract)

    demo = sub.add_parser("demo", help="serve the bundled fixture site on 127.0.0.1 and crawl it",
                          epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(demo, output_default="demo-output.jsonl")
    demo.add_argument("--fixtures", type=Path, default=None, help="fixture site folder (default: bundled)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``newsbot`` command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"newsbot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
