"""The end of a run: the summary printed to stderr, and the one exit-code policy of every
command (``EXIT_CODES`` is what ``--help`` prints)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from newsbot.statskeys import BROKEN_LINK_ERRORS, is_lost_page, per_site

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_OUTPUT = 4
EXIT_SIGINT = 128 + 2
EXIT_SIGTERM = 128 + 15
EXIT_CODES = f"""exit codes (every command):
  {EXIT_OK}  success
  {EXIT_FAILURES}  some sites or URLs failed (fetch errors, bad URL lines, pages that gave no
     record, a site that gave no article); the records that could be made are written
  {EXIT_USAGE}  usage, configuration, settings, output target or state store error; nothing
     was crawled (a state commit that failed at the end: the output is delivered and the
     next run settles the store)
  {EXIT_LOCKED}  another run holds the lock
  {EXIT_OUTPUT}  the output could not be delivered (write, fsync or rename failed); none of
     it is recorded as emitted, so the next run writes it again
  {EXIT_SIGINT}  stopped by SIGINT (Ctrl-C), {EXIT_SIGTERM} stopped by SIGTERM: what was written
     before the stop is delivered and recorded (a second SIGINT: nothing more is delivered,
     no temporary file is left)
"""

logger = logging.getLogger("newsbot")


def _by_prefix(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {
        k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix) and "/" not in k[len(prefix) :]
    }


def summary_lines(stats: dict[str, Any], output: str | None) -> list[str]:
    """Return the human summary of a crawl: pages, articles, drops and errors by kind, and
    the pages not requested by reason (seen, too_old, unchanged, max_pages, robots, ...)
    when there are any."""
    dropped = _by_prefix(stats, "newsbot/dropped/")
    errors = _by_prefix(stats, "newsbot/errors/")
    skipped = _by_prefix(stats, "newsbot/skipped/")
    lines = [
        f"pages fetched: {stats.get('newsbot/pages', 0)}",
        f"articles written: {stats.get('newsbot/articles', 0)}",
        "dropped: " + (", ".join(f"{k}={v}" for k, v in dropped.items()) or "none"),
        "errors: " + (", ".join(f"{k}={v}" for k, v in errors.items()) or "none"),
    ]
    if skipped:
        lines.append("not requested: " + ", ".join(f"{k}={v}" for k, v in skipped.items()))
    if output:
        where = "<stdout>" if output == "-" else Path(output).resolve()
        lines.append(f"output: {where}" + (" NOT DELIVERED (see the error above)" if output_failed(stats) else ""))
    elif output_failed(stats):
        lines.append("output: NOT DELIVERED (see the error above)")
    if stats.get("newsbot/output/abandoned"):
        lines.append("output: stopped at once, NOT DELIVERED (nothing of it is recorded as emitted)")
    return lines


def site_summary_lines(stats: dict[str, Any]) -> list[str]:
    """Return one summary line per site: discovered, fetched, written, skipped as seen,
    dropped by reason, errors by kind."""
    lines = []
    for host, site in sorted(per_site(stats).items()):
        dropped = ", ".join(f"{k}={v}" for k, v in sorted(site["dropped"].items())) or "none"
        errors = ", ".join(f"{k}={v}" for k, v in sorted(site["errors"].items())) or "none"
        lines.append(
            f"site {host}: discovered {site['discovered']}, fetched {site['fetched']}, "
            f"written {site['written']}, skipped as seen {site['skipped_seen']}, "
            f"dropped {dropped}, errors {errors}"
        )
    return lines


def _fetch_failure(site: dict[str, Any]) -> str | None:
    """Return why a site failed by its fetches (a page answered with an HTTP error other
    than 404/410, or most fetches failed), or None."""
    if site.get("lost"):
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(site.get("errors", {}).items()) if is_lost_page(k))
        return f"{site['lost']} pages lost to HTTP errors ({kinds})"
    errors = sum(v for k, v in site.get("errors", {}).items() if k not in BROKEN_LINK_ERRORS)
    fetched = site.get("fetched", 0)
    if errors and errors >= fetched / 2:
        return f"{errors} of {fetched} fetches failed"
    return None


def failed_sites(stats: dict[str, Any], homes: list[str] | None) -> list[str]:
    """Return the sites that failed, each logged as ``site failed: <site>: <why>``.

    ``homes`` are the sites a crawl was given: each failed when it gave no article (new or
    already seen) or most of its fetches failed. ``None`` (a shared-crawl worker) judges
    every site the worker fetched from by its fetches only: another worker may have found
    its articles."""
    from newsbot.urls import site_of  # w3lib: not imported by --help and extract

    sites = per_site(stats)
    judged = (
        [(host, site) for host, site in sites.items()]
        if homes is None
        else [(home, sites.get(site_of(home), {})) for home in homes]
    )
    failed = []
    for name, site in judged:
        if homes is not None and not site.get("found") and not site.get("unchanged"):
            reason: str | None = "no article found"
        else:
            reason = _fetch_failure(site)
        if reason:
            logger.error("site failed: %s: %s", name, reason)
            failed.append(name)
    return failed


def output_failed(stats: dict[str, Any]) -> bool:
    """Return True when an output of the run was not delivered (a write, fsync or rename
    failed: ``newsbot/output/failed``, or Scrapy's ``feedexport/failed_count/...``)."""
    return bool(stats.get("newsbot/output/failed")) or any(
        k.startswith("feedexport/failed_count/") and v for k, v in stats.items()
    )


def exit_code(stats: dict[str, Any], command: str, homes: list[str] | None = None) -> int:
    """Return the exit code of a finished run of ``command`` (``crawl``, ``worker``,
    ``scrape``, ``demo``) from its stats.

    * 3: another run held the lock;
    * 4: an output was not delivered (:func:`output_failed`);
    * 2: the crawl could not start, or the state store's commit failed;
    * 130 / 143: the run was stopped by SIGINT / SIGTERM (``newsbot/signal``);
    * 1: the run was cut short (extraction broken; for a worker: any finish but
      ``finished``, or its output not stored); ``scrape``: any URL that gave no record
      (fetch errors and drops other than duplicates); a crawl: a site failed
      (:func:`failed_sites`);
    * 0 otherwise."""
    if stats.get("newsbot/locked"):
        return EXIT_LOCKED
    if output_failed(stats):
        return EXIT_OUTPUT
    if stats.get("newsbot/crawl_error") and not stats.get("newsbot/pages"):
        return EXIT_USAGE  # the crawl could not start (e.g. its state store did not open)
    if stats.get("newsbot/state/failed"):
        return EXIT_USAGE
    if stats.get("newsbot/signal"):  # stopped by a signal: 128 + its number, as a shell says
        return 128 + int(stats["newsbot/signal"])
    if command == "worker":
        if stats.get("finish_reason") != "finished":
            logger.error("worker failed: %s", stats.get("finish_reason"))
            return EXIT_FAILURES
        return EXIT_FAILURES if failed_sites(stats, None) else EXIT_OK
    if stats.get("finish_reason") == "extract_broken":  # the run was cut short
        return EXIT_FAILURES
    if command == "scrape":
        failures = sum(_by_prefix(stats, "newsbot/errors/").values()) + sum(
            v for k, v in _by_prefix(stats, "newsbot/dropped/").items() if k != "duplicate"
        )
        return EXIT_FAILURES if failures else EXIT_OK
    return EXIT_FAILURES if failed_sites(stats, homes or []) else EXIT_OK
