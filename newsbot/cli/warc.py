"""``newsbot warc SOURCE... -o FILE``: the pages of web archives (WARC/ARC files, CC-NEWS)
through the crawl's pipelines (see the README's "Reading web archives").

:func:`add_parser` adds the command to the ``newsbot`` parser; :func:`cmd_warc` runs it: the
``warc`` spider (:mod:`newsbot.spiders.warc`) with the project settings, a JSONL feed with
the record's ``warc`` field, the state store (default ``warc.sqlite`` beside the crawl's,
holding the emitted articles and each archive's checkpoint) under its run lock, or Redis.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from newsbot.cli.commands import UsageError, _apply_overrides, _settings, check_output, check_state, run_crawl
from newsbot.cli.options import apply_options, feed_entry, quiet_default
from newsbot.cli.report import EXIT_CODES, EXIT_FAILURES, EXIT_LOCKED, EXIT_OK, exit_code, summary_lines

HELP = "read web archives (WARC/ARC files, CC-NEWS) into the same clean records"


def add_parser(sub: Any, common: Callable[..., None]) -> None:
    """Add the ``warc`` command to the subparsers ``sub`` (``common`` adds -o, -s, -L)."""
    parser = sub.add_parser(
        "warc", help=HELP, description=HELP, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="a WARC or ARC file (.gz or not), an http(s) URL (streamed), '-' (standard input), "
        "or a paths file (*.paths, *.paths.gz: one archive path a line, as CC-NEWS's warc.paths.gz)",
    )
    parser.add_argument(
        "--base-url", metavar="URL", help="prefix of the lines of paths files (default: the paths file's folder)"
    )
    parser.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="HOST",
        help="read only pages of this site, subdomains included (repeatable)",
    )
    parser.add_argument("--since", metavar="DATE", help="only records with WARC-Date on or after DATE (ISO 8601)")
    parser.add_argument("--until", metavar="DATE", help="only records with WARC-Date up to DATE (a day: included)")
    parser.add_argument(
        "--max-age-days", type=int, metavar="N", help="drop articles published over N days ago (NEWSBOT_MAX_AGE_DAYS)"
    )
    parser.add_argument(
        "--state",
        help="emitted articles and archive checkpoints (SQLite; default: warc.sqlite in the user's state folder)",
    )
    parser.add_argument("--no-state", action="store_true", help="no state: read everything, resume nothing")
    parser.add_argument(
        "--redis",
        metavar="URL",
        default="",
        help="share the archives with other workers through Redis (the crawl's): each archive is a work item",
    )
    parser.add_argument(
        "--worker", action="store_true", help="with --redis: read the shared archives only (no SOURCE needed)"
    )
    common(parser)
    parser.set_defaults(func=cmd_warc)


def expand_sources(args: argparse.Namespace) -> list[str]:
    """Return the archives the SOURCE arguments name, paths files expanded (raise
    :class:`UsageError` naming a paths file that cannot be read)."""
    from newsbot.warc.sources import SourceError, is_paths_file, paths_lines, source_name

    sources: list[str] = []
    for arg in args.sources:
        if not is_paths_file(arg):
            sources.append(source_name(arg))
            continue
        try:
            sources.extend(source_name(line) for _, line in paths_lines(arg, args.base_url))
        except SourceError as exc:
            raise UsageError(f"paths file {exc}") from exc
    if sources.count("-") > 1:
        raise UsageError("'-' (standard input) can be given once")
    return sources


def _check_dates(args: argparse.Namespace) -> None:
    from newsbot.warc.filters import parse_bound

    for option, value in (("--since", args.since), ("--until", args.until)):
        if value:
            try:
                parse_bound(value)
            except ValueError as exc:
                raise UsageError(f"{option}: {exc}") from exc


def cmd_warc(args: argparse.Namespace) -> int:
    """Read the archives and write their articles; return the exit code."""
    from newsbot.items import OPTIONAL_RECORD_FIELDS
    from newsbot.state import default_state_path
    from newsbot.state.sqlite import LockedError, RunLock

    if not args.output:
        raise UsageError("no output: give -o FILE ('-' for standard output)")
    if args.worker and not args.redis:
        raise UsageError("--worker needs --redis URL")
    if not args.sources and not args.worker:
        raise UsageError("give SOURCE archives (files, URLs, '-' or paths files), or --redis URL --worker")
    if args.redis and (args.state or args.no_state):
        raise UsageError("--state/--no-state: a shared run (--redis) keeps emissions and checkpoints in Redis")
    _check_dates(args)
    sources = expand_sources(args)
    settings = _apply_overrides(quiet_default(_settings([], None)), args.set, args.log_level)
    apply_options(settings, args)
    fields = [*settings.getlist("FEED_EXPORT_FIELDS"), *OPTIONAL_RECORD_FIELDS]  # the record's "warc" too
    settings.set("FEED_EXPORT_FIELDS", fields, priority="cmdline")
    if args.max_age_days is not None:
        settings.set("NEWSBOT_MAX_AGE_DAYS", args.max_age_days, priority="cmdline")
    output, feed_options = feed_entry(args.output, args)
    check_output(output)
    lock = None
    if args.redis:
        try:
            from newsbot.state.redis import connect, redacted
        except ImportError as exc:
            raise UsageError(f"--redis needs the redis package: {exc}") from exc
        try:
            connect(args.redis)
        except Exception as exc:
            raise UsageError(f"redis {redacted(args.redis)}: {exc}") from exc
        settings.set("NEWSBOT_REDIS_URL", args.redis, priority="cmdline")
    elif not args.no_state:
        state = args.state or str(default_state_path().with_name("warc.sqlite"))
        check_state(state)
        try:
            lock = RunLock(state).acquire()
        except LockedError as exc:
            print(f"newsbot: locked: {exc}", file=sys.stderr)
            return EXIT_LOCKED
        except OSError as exc:
            raise UsageError(f"state store {state}: run lock: {exc.strerror or exc}") from exc
        settings.set("NEWSBOT_STATE", state, priority="cmdline")
        settings.set("NEWSBOT_LOCK_HELD", True, priority="cmdline")
    try:
        stats = run_crawl(
            "warc", output, settings, feed_options, sources=sources, sites=args.site, since=args.since, until=args.until
        )
    finally:
        if lock:
            lock.release()
    for line in summary_lines(stats, output) + warc_summary_lines(stats):
        print(line, file=sys.stderr)
    return warc_exit_code(stats)


def warc_summary_lines(stats: dict[str, Any]) -> list[str]:
    """Return the archive lines of the summary: archives and records read, skipped by kind."""
    prefix = "newsbot/warc/skipped/"
    skipped = {k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}
    return [
        f"archives read: {stats.get('newsbot/warc/archives', 0)}, records: {stats.get('newsbot/warc/records', 0)}",
        "records skipped: " + (", ".join(f"{k}={v}" for k, v in skipped.items()) or "none"),
    ]


def warc_exit_code(stats: dict[str, Any]) -> int:
    """Return the exit code: the common policy (:func:`newsbot.cli.report.exit_code`), and 1
    when the run was cut short by an error, or an archive or a record could not be read,
    or a page was lost to extraction."""
    code = exit_code(stats, "warc", [])
    if code != EXIT_OK:
        return code
    if stats.get("finish_reason") not in ("finished", None):  # cut short by an error
        return EXIT_FAILURES
    errors = sum(v for k, v in stats.items() if k.startswith("newsbot/errors/") and isinstance(v, int))
    return EXIT_FAILURES if errors else EXIT_OK
