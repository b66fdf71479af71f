"""``newsbot extract``: extract one saved page and print its record.

A page that is not an article prints one line naming it and why (exit 1), or, with
``--keep``, its record as well when that record matches the schema. A page read from
standard input needs ``--url``: the record's ``id`` is derived from the URL, so pages
without one would all share an id.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from newsbot.cli.commands import UsageError
from newsbot.cli.report import EXIT_FAILURES, EXIT_OK


def page_url(args: argparse.Namespace) -> str:
    """Return the URL of the page to extract: ``--url`` (checked), else the file's ``file:`` URI.
    Raise :class:`UsageError` for a bad ``--url`` or standard input without one."""
    from newsbot.urls import url_problem

    if args.url:
        problem = url_problem(args.url)
        if problem:
            raise UsageError(f"--url {args.url!r}: {problem}")
        return str(args.url)
    if args.page == "-":
        raise UsageError("a page read from standard input needs --url (the record's id is derived from it)")
    return Path(args.page).resolve().as_uri()


def _import_extraction() -> Any:
    """Return ``newsbot.extraction.extract_article``, imported without Scrapy when this
    process has not loaded it: extraction never uses it, but ``itemadapter`` (under
    ``itemloaders``) imports it when installed, which would double the command's start-up
    (the extraction workers of a crawl block it the same way)."""
    blocked = "scrapy" not in sys.modules
    if blocked:
        sys.modules["scrapy"] = None  # type: ignore[assignment]
    try:
        from newsbot.extraction import extract_article
    finally:
        if blocked and sys.modules.get("scrapy", 0) is None:
            del sys.modules["scrapy"]
    return extract_article


def cmd_extract(args: argparse.Namespace) -> int:
    """Extract one saved page, print its record and return the exit code (1: not an article)."""
    extract_article = _import_extraction()
    from newsbot.items import utc_now_iso
    from newsbot.schema import record_errors

    url = page_url(args)
    try:
        data = sys.stdin.buffer.read() if args.page == "-" else Path(args.page).read_bytes()
    except OSError as exc:
        raise UsageError(f"page {args.page!r}: {exc.strerror or exc}") from exc
    article = extract_article(data, url, min_words=args.min_words)
    article.source_url = url
    article.fetched_at = utc_now_iso()
    record = article.record()
    name = "<stdin>" if args.page == "-" else args.page
    if article.drop_reason:
        print(f"not an article: {name}: {article.drop_reason}", file=sys.stderr)
        if not args.keep:
            return EXIT_FAILURES
    errors = record_errors(record)
    if errors:
        print(f"record of {name} does not match the schema: {'; '.join(errors)}", file=sys.stderr)
        return EXIT_FAILURES
    print(json.dumps(record, ensure_ascii=False, indent=None if args.compact else 2))
    return EXIT_FAILURES if article.drop_reason else EXIT_OK
