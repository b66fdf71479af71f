"""The end of a run: the summary printed to stderr, and the one exit-code policy of every
command (``EXIT_CODES`` is what ``--help`` prints)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from newsbot.statskeys import per_site
from newsbot.urls import site_of

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
# Broken links (404/410) are the site's own; they do not make a site failed.
BROKEN_LINK_ERRORS = frozenset(("http_404", "http_410"))

logger = logging.getLogger("newsbot")


def _by_prefix(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {
        k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix) and "/" not in k[len(prefix) :]
    }


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
    """Return why a site failed by its fetches (most of them failed), or None."""
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


def exit_code(stats: dict[str, Any], command: str, homes: list[str] | None = None) -> int:
    """Return the exit code of a finished run of ``command`` (``crawl``, ``worker``,
    ``scrape``, ``demo``) from its stats.

    * 3: another run held the lock;
    * 1: the run was cut short (extraction broken; for a worker: any finish but
      ``finished``, or its output not stored); ``scrape``: any URL that gave no record
      (fetch errors and drops other than duplicates); a crawl: a site failed
      (:func:`failed_sites`);
    * 0 otherwise."""
    if stats.get("newsbot/locked"):
        return EXIT_LOCKED
    if command == "worker":
        if stats.get("finish_reason") != "finished" or any(
            k.startswith("feedexport/failed_count/") and v for k, v in stats.items()
        ):
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
