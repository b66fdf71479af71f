"""Fault benchmark: crawl a site where every fault kind sits beside good articles.

Starts :class:`tests.faultserver.FaultSite` on loopback (timeouts, resets, truncated
bodies, 5xx/429, redirect loops and chains, off-site redirects, a 50 MB page, a gzip bomb,
non-HTML types, lying and missing charsets, hostile sitemaps and feeds, robots.txt
faults, 100k-level nesting, an empty 200), crawls it with the ``site`` spider in a child
process (the project's settings; ``DOWNLOAD_TIMEOUT`` lowered so stalls end quickly) and
prints one row per fault kind: expected outcome, observed outcome, good records written /
expected. Then a crawl of the fixture site SIGKILLed at five moments (discovery, fetch,
write, final rename, state commit), each followed by a clean rerun: records lost,
duplicated, half-written. Then the peak RSS of the crawling process (must stay under 500 MB) and of this
process (which serves the site).

Exit status: 0 when every row is as expected and the RSS bound holds, 1 otherwise.

Usage: ``.venv/bin/python bench/faults.py [--timeout SECONDS] [-s NAME=VALUE ...]``
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from newsbot.fixture_server import FixtureServer  # noqa: E402
from newsbot.identity import article_id  # noqa: E402
from tests.crawling import crawl  # noqa: E402
from tests.killpoints import MOMENTS, KillOutcome, kill_and_rerun  # noqa: E402
from tests.faultserver import FaultSite, observe, table  # noqa: E402

logger = logging.getLogger("bench.faults")

RSS_LIMIT_MB = 500


def main(argv: list[str] | None = None) -> int:
    """Run the fault crawl, print the table and return the exit status (0: all as expected)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0, help="DOWNLOAD_TIMEOUT for the crawl (seconds)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy/newsbot setting for the crawl")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    settings: dict[str, object] = {"DOWNLOAD_TIMEOUT": args.timeout}
    for pair in args.set:
        name, _, value = pair.partition("=")
        settings[name] = value
    with tempfile.TemporaryDirectory() as tmp, FaultSite() as site:
        settings["LOG_FILE"] = str(Path(tmp) / "crawl.log")
        started = time.monotonic()
        result = crawl("site", settings, url=site.home)
        elapsed = time.monotonic() - started
        outcomes = observe(site, result.items, result.stats, result.log)
    print(table(outcomes))
    kills = kill_rows()
    print()
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"NOT AS EXPECTED: {o.kind}: {'; '.join(o.problems)}")
    for k in kills:
        if not k.ok:
            print(f"NOT AS EXPECTED: SIGKILL during {k.moment}: {k}")
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"NOT AS EXPECTED: {o.kind}: {'; '.join(o.problems)}")
    good = outcomes[-1]
    written = sum(o.good_written for o in outcomes)
    expected = sum(o.good_expected for o in outcomes)
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows as expected: {len(outcomes) - len(failed)}/{len(outcomes)}; "
          f"SIGKILL rows as expected: {sum(k.ok for k in kills)}/{len(kills)}")
    print(f"good records written: {written}/{expected} (plain articles {good.good_written}/{good.good_expected})")
    print(f"peak RSS: crawling process {child_mb:.0f} MB (limit {RSS_LIMIT_MB} MB); "
          f"this process (fault server) {self_mb:.0f} MB; Scrapy memusage/max "
          f"{int(result.stats.get('memusage/max', 0)) / 2**20:.0f} MB")
    print(f"crawl time: {elapsed:.1f} s")
    return 0 if not failed and all(k.ok for k in kills) and written == expected and child_mb < RSS_LIMIT_MB else 1


def kill_rows() -> list[KillOutcome]:
    """SIGKILL a crawl of the fixture site at each of five moments, rerun it, print one row
    per moment (records lost, duplicated, half-written) and return the outcomes."""
    expected = [json.loads(p.read_text()) for p in (ROOT / "fixtures" / "expected").glob("[a-z]*.json")]
    rows = []
    print()
    print(f"{'SIGKILL during':<16}| {'expected':<34}| {'observed (after a clean rerun)':<58}| ok")
    print("-" * 16 + "+" + "-" * 35 + "+" + "-" * 59 + "+---")
    with tempfile.TemporaryDirectory() as tmp, FixtureServer(ROOT / "fixtures" / "site") as server:
        ids = {article_id(server.url(r["url"])) for r in expected}
        for moment in MOMENTS:
            outcome = kill_and_rerun(moment, server.origin, Path(tmp) / moment, ids)
            rows.append(outcome)
            observed = (f"{outcome.records}/{len(ids)} records, {outcome.lost} lost, {outcome.duplicates} dup, "
                        f"{outcome.half_lines} half lines")
            print(f"{moment:<16}| {'0 lost, 0 duplicates, 0 half lines':<34}| {observed:<58}| "
                  f"{'yes' if outcome.ok else 'NO'}")
    return rows


if __name__ == "__main__":
    sys.exit(main())
