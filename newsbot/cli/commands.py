"""The commands of ``newsbot``: each runs Scrapy with the project settings (``newsbot.settings``),
the ``-s NAME=VALUE`` overrides, and a JSONL feed for ``-o``, then prints the run's summary
and returns the exit code of :func:`newsbot.cli.report.exit_code`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from newsbot.cli.options import (
    apply_options,
    default_state_for_urls,
    feed_entry,
    nothing_written_lines,
    quiet_default,
)
from newsbot.cli.report import EXIT_LOCKED, EXIT_OK, exit_code, site_summary_lines, summary_lines

logger = logging.getLogger("newsbot")


class UsageError(Exception):
    """A command-line or configuration error: reported in one line, exit code 2."""


def _settings(overrides: list[str], log_level: str | None) -> Any:
    """Return the project settings with ``-s NAME=VALUE`` overrides applied."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    from scrapy.utils.project import get_project_settings

    return _apply_overrides(quiet_default(get_project_settings()), overrides, log_level)


def _apply_overrides(settings: Any, overrides: list[str], log_level: str | None, config: Any = None) -> Any:
    """Return ``settings`` with ``-s NAME=VALUE`` overrides and the log level applied, once
    every setting is checked (:func:`newsbot.settingscheck.settings_problem`; a bad one is
    a :class:`UsageError`)."""
    from newsbot.settingscheck import settings_problem

    sources = {name: str(config.path) for name in config.settings} if config else {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"-s {item!r}: expected NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
        sources[name.strip()] = "-s"
    if log_level:
        settings.set("LOG_LEVEL", log_level.upper(), priority="cmdline")
        sources["LOG_LEVEL"] = "-L"
    problem = settings_problem(settings, sources)
    if problem:
        raise UsageError(problem)
    return settings


# Scrapy's extensions that import much and are switched off by a setting of their own.
_SWITCHED_OFF_EXTENSIONS = {
    "scrapy.extensions.remote_control.RemoteControl": "REMOTE_CONTROL_ENABLED",  # aiohttp
    "scrapy.extensions.telnet.TelnetConsole": "TELNETCONSOLE_ENABLED",  # twisted.conch
}


def _skip_disabled_extensions(settings: Any) -> None:
    """Leave Scrapy's remote-control and telnet extensions out of ``EXTENSIONS_BASE`` when
    they are off: Scrapy imports every extension listed there to build the list (the remote
    control imports aiohttp, a fifth of a short run's start-up) even when it then does
    nothing."""
    base = settings.getdict("EXTENSIONS_BASE")
    chosen = settings.getdict("EXTENSIONS")
    off = [
        name
        for name, switch in _SWITCHED_OFF_EXTENSIONS.items()
        if name in base and name not in chosen and not settings.getbool(switch)
    ]
    if off:
        for name in off:
            del base[name]
        settings.set("EXTENSIONS_BASE", base, priority=settings.getpriority("EXTENSIONS_BASE") or "default")


def feed_uri(output: str) -> str:
    """Return the Scrapy feed URI for an ``-o`` value (``-`` is standard output)."""
    if output == "-":
        return "stdout:"
    return str(Path(output).expanduser().resolve())


def check_output(output: str | None) -> None:
    """Raise :class:`UsageError` (one line naming the path) when ``output`` cannot take the
    records (:func:`newsbot.outputs.output_problem`)."""
    from newsbot.outputs import output_problem

    problem = output_problem(output) if output else None
    if problem:
        raise UsageError(problem)


def check_state(state: str | None) -> None:
    """Raise :class:`UsageError` (one line naming the file and what to do) when the state
    store cannot be read or written (:func:`newsbot.state.sqlite.store_problem`)."""
    from newsbot.state.sqlite import store_problem

    problem = store_problem(state) if state else None
    if problem:
        raise UsageError(problem)


def run_crawl(
    spider: str | type,
    output: str | None,
    settings: Any,
    feed_options: dict[str, Any] | None = None,
    **spider_kwargs: Any,
) -> dict[str, Any]:
    """Run one crawl (spider name or class) to completion and return its stats.
    ``feed_options``: the ``FEEDS`` options of ``output`` (:func:`newsbot.cli.options.feed_entry`).

    SIGTERM or a first SIGINT stops the crawl through Scrapy's graceful shutdown (no new
    requests, the output delivered and the state committed); a second SIGINT stops the
    reactor at once, after which the temporary output files are removed. The signal's
    number is ``newsbot/signal`` in the stats (exit code 128 + it)."""
    from scrapy.crawler import CrawlerProcess

    from newsbot.feedstorage import remove_own_temporaries
    from newsbot.startup import resume_collection

    received: list[int] = []

    class _Process(CrawlerProcess):
        def _signal_shutdown(self, signum: int, frame: Any) -> None:
            received.append(signum)
            super()._signal_shutdown(signum, frame)

        def _signal_kill(self, signum: int, frame: Any) -> None:
            received.append(signum)
            super()._signal_kill(signum, frame)

    if output:
        options = feed_options or {"format": "jsonl", "overwrite": output != "-", "encoding": "utf-8"}
        settings.set("FEEDS", {feed_uri(output): options}, priority="cmdline")
    _skip_disabled_extensions(settings)
    # Imported here rather than at the first request: with the rest of the start-up, while
    # the garbage collector is paused (newsbot.startup).
    import newsbot.http11  # noqa: F401

    process = _Process(settings)
    # Scrapy leaves the root logger at NOTSET and filters in its handler, so each debug
    # call of the crawl (a few per page) would build a record only for it to be dropped.
    logging.root.setLevel(settings.get("LOG_LEVEL"))
    crawler = process.create_crawler(spider)
    crawl_error: list[str] = []

    def failed(failure: Any) -> None:  # one line, not "Unhandled error in Deferred"
        crawl_error.append(f"{type(failure.value).__name__}: {failure.value}")
        logger.error("the crawl stopped on an error: %s", crawl_error[0])

    process.crawl(crawler, **spider_kwargs).addErrback(failed)
    _record_late_signals(received)
    resume_collection()  # the crawler is built: what start-up made lives as long as the run
    process.start()
    _record_late_signals(received, reactor_stopped=True)
    if crawl_error:
        crawler.stats.set_value("newsbot/crawl_error", crawl_error[0])
    for tmp in remove_own_temporaries():
        logger.error("stopped before the output was delivered: removed %s", tmp)
        crawler.stats.inc_value("newsbot/output/abandoned")
    if received:
        crawler.stats.set_value("newsbot/signal", received[0])
        crawler.stats.set_value("newsbot/signals_received", len(received))
    return crawler.stats.get_stats()


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _record_late_signals(received: list[int], reactor_stopped: bool = False) -> None:
    """Make a stop signal that arrives after the crawl ended count as received, not kill us.

    Twisted puts Python's own handlers back when the reactor stops, so a second Ctrl-C in
    the moment between the graceful stop and the summary would end the process by
    KeyboardInterrupt (status -2) instead of exit 130. Before the reactor stops (its
    "after shutdown" trigger) the stop signals are blocked; once it has stopped, a handler
    that only records them is installed and they are unblocked, so none is lost."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set in the main thread
    if not reactor_stopped:
        from twisted.internet import reactor

        def block() -> None:
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)

        reactor.addSystemEventTrigger("after", "shutdown", block)  # type: ignore[arg-type]  # zope method stub
        return
    for signum in _STOP_SIGNALS:
        signal.signal(signum, lambda number, _frame: received.append(number))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _check_site_urls(urls: list[str]) -> None:
    """Raise :class:`UsageError` naming the first site URL that cannot be fetched."""
    from newsbot.urls import url_problem

    for url in urls:
        problem = url_problem(url)
        if problem:
            raise UsageError(f"site URL {url!r}: {problem}")


def _output(args: argparse.Namespace, config: Any) -> str:
    """Return the crawl's output (``-o``, else the config's ``output``); raise without one."""
    output = args.output or (config.output if config else None)
    if not output:
        raise UsageError("no output: give -o FILE (or output = ... in the config)")
    return str(output)


def _crawl_settings(args: argparse.Namespace, config: Any) -> Any:
    """Return the settings of a crawl: project settings, the config's ``[settings]``, then
    ``-s`` and ``-L``, and ``--updates``."""
    settings = _settings([], None)
    if config:
        settings.setdict(config.settings, priority="project")
    settings = _apply_overrides(settings, args.set, args.log_level, config)
    settings.set("NEWSBOT_UPDATES", args.updates, priority="cmdline")
    apply_options(settings, args)
    if args.updates:
        settings.set("FEED_EXPORT_FIELDS", [*settings.getlist("FEED_EXPORT_FIELDS"), "updated"], priority="cmdline")
    return settings


def _print_crawl_summary(stats: dict[str, Any]) -> None:
    for line in summary_lines(stats, None) + site_summary_lines(stats):
        print(line, file=sys.stderr)


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl whole sites from their home pages (or the sites of a ``sites.toml``),
    incrementally, under the state store's run lock."""
    from newsbot.config import ConfigError, default_state_for, load_config
    from newsbot.state.sqlite import LockedError, RunLock

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
    _check_site_urls(args.urls)
    output = _output(args, config)
    from newsbot.extractpool import prestart_workers

    prestart_workers([f"{k}={v}" for k, v in (config.settings if config else {}).items()] + args.set)
    state = None
    if not args.no_state:
        state = (
            args.state
            or (config.state if config else None)
            or str(default_state_for(config.path) if config else default_state_for_urls(args.urls))
        )

    settings = _crawl_settings(args, config)
    output, feed_options = feed_entry(output, args)
    check_output(output)
    check_state(state)
    lock = None
    if state:
        try:
            lock = RunLock(state).acquire()
        except LockedError as exc:
            print(f"newsbot: locked: {exc}", file=sys.stderr)
            return EXIT_LOCKED
        except OSError as exc:
            raise UsageError(f"state store {state}: run lock: {exc.strerror or exc}") from exc
        settings.set("NEWSBOT_STATE", state, priority="cmdline")
        settings.set("NEWSBOT_LOCK_HELD", True, priority="cmdline")
    sites = [site.as_dict() for site in config.sites] if config else []
    homes = list(args.urls) + [u for site in sites for u in site["urls"]]
    try:
        stats = run_crawl("site", output, settings, feed_options, urls=args.urls, sites=sites)
    finally:
        if lock:
            lock.release()
    _print_crawl_summary(stats)
    for line in nothing_written_lines(stats, output, state):
        print(line, file=sys.stderr)
    return exit_code(stats, "crawl", homes)


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
    redis_url = _redis_url(args, config)
    if not redis_url:
        raise UsageError("--seed-only and --worker need --redis URL")
    if args.seed_only and args.worker:
        raise UsageError("--seed-only and --worker exclude each other")
    if args.state or args.no_state:
        raise UsageError("--state/--no-state: a shared crawl (--redis) keeps what was emitted in Redis")
    _check_site_urls(args.urls)
    sites = [site.as_dict() for site in config.sites] if config else []
    homes = list(args.urls) + [u for site in sites for u in site["urls"]]
    try:
        from newsbot.state.redis import connect, redacted
        from newsbot.state.scheduler import seed
    except ImportError as exc:
        raise UsageError(f"--redis needs the redis and scrapy-redis packages: {exc}") from exc
    try:
        connect(redis_url)
    except Exception as exc:
        raise UsageError(f"redis {redacted(redis_url)}: {exc}") from exc
    if args.seed_only:
        if not homes:
            raise UsageError("--seed-only: give site URLs or --config sites.toml")
        count = seed(redis_url, args.urls, sites)
        print(f"newsbot: seeded {count} sites into {redacted(redis_url)}", file=sys.stderr)
        return EXIT_OK
    if not homes and not args.worker:
        raise UsageError("with --redis, give site URLs, --seed-only or --worker")
    output = _output(args, config)
    settings = _crawl_settings(args, config)
    output, feed_options = feed_entry(output, args)
    check_output(output)
    settings.set("NEWSBOT_REDIS_URL", redis_url, priority="cmdline")
    if args.idle_exit is not None:
        settings.set("NEWSBOT_IDLE_EXIT", args.idle_exit, priority="cmdline")
    if homes:
        seed(redis_url, args.urls, sites)
    from newsbot.state.spider import RedisSiteSpider

    stats = run_crawl(RedisSiteSpider, output, settings, feed_options)
    _print_crawl_summary(stats)
    return exit_code(stats, "worker")


def _short_list_length(path: str) -> int | None:
    """Return how many URLs a small list file holds (lines that are neither blank nor
    ``#`` comments), or None for standard input or a list over 1 MiB."""
    if path == "-":
        return None
    try:
        if Path(path).stat().st_size > 1 << 20:
            return None
        with Path(path).open("rb") as lines:
            return sum(1 for line in lines if line.strip() and not line.lstrip().startswith(b"#"))
    except OSError:
        return None


def cmd_scrape(args: argparse.Namespace) -> int:
    """Scrape the URLs of a list file (or stdin)."""
    if args.file != "-" and not Path(args.file).is_file():
        raise UsageError(f"URL list {args.file!r}: no such file")
    from newsbot.extractpool import prestart_workers

    prestart_workers(args.set, _short_list_length(args.file))
    settings = _settings(args.set, args.log_level)
    apply_options(settings, args)
    # without -o, the records go to standard output
    output, feed_options = feed_entry(args.output or "-", args)
    check_output(output)
    if not any(o.split("=", 1)[0].strip() == "NEWSBOT_ARTICLES_ONLY" for o in args.set):
        settings.set("NEWSBOT_ARTICLES_ONLY", bool(args.articles_only), priority="cmdline")
    stats = run_crawl("urls", output, settings, feed_options, file=args.file)
    for line in summary_lines(stats, output) + nothing_written_lines(stats, output, None):
        print(line, file=sys.stderr)
    return exit_code(stats, "scrape")


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the bundled fixture site on 127.0.0.1 and crawl it."""
    from newsbot.fixture_server import FixtureServer

    try:
        server = FixtureServer(args.fixtures)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    from newsbot.extractpool import prestart_workers

    prestart_workers(args.set)
    settings = _settings(["AUTOTHROTTLE_ENABLED=False", *args.set], args.log_level)
    apply_options(settings, args)
    output, feed_options = feed_entry(args.output, args)
    check_output(output)
    with server:
        print(f"serving the fixture site at {server.origin}/", file=sys.stderr)
        stats = run_crawl("site", output, settings, feed_options, urls=[server.url("/")])
    for line in summary_lines(stats, output):
        print(line, file=sys.stderr)
    return exit_code(stats, "demo", [server.url("/")])
