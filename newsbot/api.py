"""Running a crawl from Python: :func:`crawl`, with the project's settings.

``newsbot.crawl(urls, output)`` is what ``newsbot crawl URL... -o FILE`` does: Scrapy's
``CrawlerProcess`` with ``newsbot.settings``, the ``site`` spider and one atomic,
schema-validated feed. Scrapy's reactor starts once per process, so one process runs one
crawl; to run several, use several processes (or the command line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def project_settings(overrides: Mapping[str, Any] | None = None, log_level: str = "WARNING") -> Any:
    """Return newsbot's Scrapy settings (``newsbot.settings``) with ``LOG_LEVEL`` and
    ``overrides`` applied, ready for ``scrapy.crawler.CrawlerProcess``."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.update(dict(overrides or {}), priority="cmdline")
    return settings


def crawl(
    urls: Iterable[str],
    output: str | Path,
    *,
    state: str | Path | None = None,
    format: str | None = None,  # noqa: A002 - the name of the command line's --format
    fields: list[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    log_level: str = "WARNING",
) -> dict[str, Any]:
    """Crawl the sites whose home pages are ``urls`` and write their articles to ``output``.

    ``output``: a file (replaced atomically at the end; the format follows its extension,
    ``.jsonl`` ``.json`` ``.csv`` ``.xml``, or ``format``) or ``"-"`` for standard output.
    ``state``: an emitted-articles store (SQLite file): a rerun writes only articles not
    emitted before; ``None`` emits every article found. ``fields``: the record fields to
    write (default: all). ``settings``: Scrapy/newsbot settings to override.

    Return the crawl's stats (``newsbot/pages``, ``newsbot/articles``,
    ``newsbot/dropped/<reason>``, ``newsbot/errors/<kind>``, Scrapy's own keys).
    Raise ``ValueError`` for a URL that cannot be fetched or an unknown format or field.
    """
    from scrapy.crawler import CrawlerProcess

    from newsbot.cli.options import FORMATS, OptionError, output_format, parse_fields
    from newsbot.urls import url_problem

    homes = list(urls)
    for url in homes:
        problem = url_problem(url)
        if problem:
            raise ValueError(f"site URL {url!r}: {problem}")
    if format is not None and format not in FORMATS:
        raise ValueError(f"format {format!r}: one of {', '.join(FORMATS)}")
    try:
        file, fmt = output_format(str(output), format)
        names = parse_fields(",".join(fields)) if fields else None
    except OptionError as exc:
        raise ValueError(str(exc)) from exc
    options: dict[str, Any] = {"format": fmt, "encoding": "utf-8", "overwrite": file != "-"}
    if names:
        options["fields"] = names
    uri = "stdout:" if file == "-" else str(Path(file).expanduser().resolve())
    crawl_settings = project_settings(settings, log_level)
    crawl_settings.set("FEEDS", {uri: options}, priority="cmdline")
    if state is not None:
        crawl_settings.set("NEWSBOT_STATE", str(state), priority="cmdline")
    process = CrawlerProcess(crawl_settings)
    crawler = process.create_crawler("site")
    process.crawl(crawler, urls=homes)
    process.start()
    return dict(crawler.stats.get_stats())
