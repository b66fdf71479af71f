"""The ``newsbot`` command line: the argument parser of every command."""

from __future__ import annotations

import argparse
from pathlib import Path

from newsbot import settings
from newsbot.cli import commands, options
from newsbot.cli import extract as extract_command
from newsbot.cli.report import EXIT_CODES


def build_parser() -> argparse.ArgumentParser:
    """Return the ``newsbot`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Crawl news sites and write clean article records as JSONL.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_version(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser, output_default: str | None = None) -> None:
        p.add_argument(
            "-o",
            "--output",
            default=output_default,
            metavar="FILE",
            help="output file, replaced atomically when the run ends ('-' for standard output); "
            "the format follows the extension (.jsonl, .json, .csv, .xml) or --format; "
            "%%(time)s and %%(name)s in the name become the start time and the spider's name"
            + (f"; default {output_default}" if output_default else ""),
        )
        p.add_argument(
            "-s",
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="override a Scrapy/newsbot setting (repeatable)",
        )
        p.add_argument("-L", "--log-level", help="log level (DEBUG, INFO, WARNING, ERROR)")
        options.add_output_options(p)

    crawl = sub.add_parser(
        "crawl",
        help="crawl news sites from their home pages",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    crawl.add_argument("urls", nargs="*", metavar="URL", help="home page of a site")
    crawl.add_argument("-c", "--config", type=Path, help="sites.toml listing the sites and their options")
    crawl.add_argument(
        "--state", help="emitted-articles store (SQLite; default: in the user's state folder, one per config file)"
    )
    crawl.add_argument("--no-state", action="store_true", help="no incremental state: emit every article found")
    crawl.add_argument(
        "--updates",
        action="store_true",
        help='also emit articles seen before whose text changed, flagged "updated": true',
    )
    crawl.add_argument(
        "--redis",
        metavar="URL",
        default="",
        help="share the crawl with other processes through Redis (redis://host:6379/0); "
        'see "Scaling out" in the README',
    )
    crawl.add_argument(
        "--seed-only", action="store_true", help="with --redis: push the sites to the shared crawl and exit"
    )
    crawl.add_argument(
        "--worker",
        action="store_true",
        help="with --redis: crawl the shared queue (no URLs needed) until it stays empty",
    )
    crawl.add_argument(
        "--idle-exit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --redis: finish once the shared queue stayed empty this long (default 30)",
    )
    common(crawl)
    crawl.set_defaults(func=commands.cmd_crawl)

    scrape = sub.add_parser(
        "scrape",
        help="scrape a list of article URLs",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scrape.add_argument("file", metavar="FILE", help="file of URLs, one a line ('-' for standard input)")
    scrape.add_argument(
        "--articles-only",
        action="store_true",
        help="write articles only (listings and other pages are dropped with a reason); "
        "by default every page with main text is written, its page_type saying what it is",
    )
    common(scrape, output_default="-")  # JSONL on standard output unless -o FILE
    scrape.set_defaults(func=commands.cmd_scrape)

    extract = sub.add_parser(
        "extract",
        help="extract one saved page and print its record",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    extract.add_argument("page", metavar="PAGE.html", help="saved HTML page ('-' for standard input)")
    extract.add_argument(
        "--url",
        help="the page's http(s) URL: resolves links, is its source_url and gives its id "
        "(default: the file's file: URI; required when the page is read from standard input)",
    )
    extract.add_argument(
        "--min-words",
        type=int,
        default=settings.NEWSBOT_MIN_WORDS,
        help=f"shortest body that counts as an article (default {settings.NEWSBOT_MIN_WORDS})",
    )
    extract.add_argument("--compact", action="store_true", help="print the record on one line")
    extract.add_argument(
        "--keep",
        action="store_true",
        help="print the record of a page that is not an article too (exit code still 1)",
    )
    extract.set_defaults(func=extract_command.cmd_extract)

    demo = sub.add_parser(
        "demo",
        help="serve the bundled fixture site on 127.0.0.1 and crawl it",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(demo, output_default="demo-output.jsonl")
    demo.add_argument("--fixtures", type=Path, default=None, help="fixture site folder (default: bundled)")
    demo.set_defaults(func=commands.cmd_demo)
    from newsbot.cli import warc

    warc.add_parser(sub, common)
    return parser
