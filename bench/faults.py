"""Fault benchmark: crawl a site where every fault kind sits beside good articles.

Starts :class:`tests.faultserver.FaultSite` on loopback (timeouts, resets, truncated
bodies, 5xx/429, redirect loops and chains, off-site redirects, a 50 MB page, a gzip bomb,
non-HTML types, lying and missing charsets, hostile sitemaps and feeds, robots.txt
faults, 100k-level nesting, an empty 200), crawls it with the ``site`` spider in a child
process (the project's settings; ``DOWNLOAD_TIMEOUT`` lowered so stalls end quickly) and
prints one row per fault kind: expected outcome, observed outcome, good records written /
expected. Then a crawl of the fixture site SIGKILLed at five moments (discovery, fetch,
write, final rename, state commit), each followed by a clean rerun: records lost,
duplicated, half-written. Then the output, signal, state and settings cases (a target under
a file, a folder, read-only, a full disk, a target turned folder mid-crawl, SIGTERM, SIGINT
once and twice, a truncated or garbage state store, bad settings and ``-L``, ``scrape``
without ``-o``): exit code, records delivered, articles the state records, peak RSS of the
``newsbot`` process. Then the peak RSS of the crawling process (must stay under 500 MB) and of this
process (which serves the site).

Exit status: 0 when every row is as expected and the RSS bound holds, 1 otherwise.

Usage: ``.venv/bin/python bench/faults.py [--timeout SECONDS] [-s NAME=VALUE ...]``
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    cases = output_rows()
    hostile = hostile_rows()
    print()
    for c in cases:
        if not c.ok:
            print(f"NOT AS EXPECTED: {c.case}: exit {c.code}, {c.delivered} records, state {c.state}")
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
          f"SIGKILL rows as expected: {sum(k.ok for k in kills)}/{len(kills)}; "
          f"output/signal/state/settings rows as expected: {sum(c.ok for c in cases)}/{len(cases)} "
          f"(peak RSS of each newsbot process {max((c.rss_mb for c in cases), default=0):.0f} MB at most)")
    print(f"good records written: {written}/{expected} (plain articles {good.good_written}/{good.good_expected})")
    print(f"peak RSS: crawling process {child_mb:.0f} MB (limit {RSS_LIMIT_MB} MB); "
          f"this process (fault server) {self_mb:.0f} MB; Scrapy memusage/max "
          f"{int(result.stats.get('memusage/max', 0)) / 2**20:.0f} MB")
    print(f"crawl time: {elapsed:.1f} s")
    hostile_ok = all(ok and rss < RSS_LIMIT_MB for _, _, ok, rss, _ in hostile)
    print(f"hostile rows as expected (under {RSS_LIMIT_MB} MB): {sum(ok and rss < RSS_LIMIT_MB for _, _, ok, rss, _ in hostile)}"
          f"/{len(hostile)}")
    return 0 if (not failed and all(k.ok for k in kills) and all(c.ok and c.rss_mb < RSS_LIMIT_MB for c in cases)
                 and written == expected and child_mb < RSS_LIMIT_MB and hostile_ok) else 1


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


@dataclass
class CaseOutcome:
    """One output/signal/state/settings case: exit code, records delivered, state count."""

    case: str
    expected: str
    code: int
    delivered: int
    state: int
    rss_mb: float
    ok: bool


def output_rows() -> list[CaseOutcome]:
    """Run the ``newsbot`` command on file systems, signals, state stores and settings made
    for the purpose (against the fixture site), print one row per case and return them."""
    from tests.outputcases import SLOW, emitted, readonly_folder, records, run, temporaries

    rows: list[CaseOutcome] = []
    print()
    print(f"{'case':<34}| {'expected (exit, records, state)':<36}| {'observed':<34}| {'RSS MB':>6} | ok")
    print("-" * 34 + "+" + "-" * 37 + "+" + "-" * 35 + "+" + "-" * 8 + "+---")
    with tempfile.TemporaryDirectory() as tmp, FixtureServer(ROOT / "fixtures" / "site") as server:
        home = server.url("/")
        total = len(list((ROOT / "fixtures" / "expected").glob("[a-z]*.json")))

        def case(name: str, expected: str, check: Any, *args: str, **kw: Any) -> None:
            folder = Path(tmp) / name.replace(" ", "_")
            folder.mkdir()
            state, out = folder / "s.sqlite", folder / "out" / "o.jsonl"
            argv = [a.replace("{state}", str(state)).replace("{out}", str(out)).replace("{dir}", str(folder))
                    for a in args]
            prepare = kw.pop("prepare", None)
            if prepare:
                prepare(folder, state, out)
            if kw.get("stop"):
                kw["watch"] = out.parent
            result = run(*argv, **kw)
            got = len(result.stdout.splitlines()) if "-o" not in argv else len(records(out)) if out.is_file() else 0
            stored = emitted(state) if state.is_file() else 0
            ok = bool(check(result.code, got, stored)) and not temporaries(out.parent) \
                and "Traceback" not in result.stderr
            rows.append(CaseOutcome(name, expected, result.code, got, stored, result.rss_mb, ok))
            observed = f"exit {result.code}, {got} records, state {stored}"
            print(f"{name:<34}| {expected:<36}| {observed:<34}| {result.rss_mb:>6.0f} | {'yes' if ok else 'NO'}")

        crawl = ["crawl", home, "--state", "{state}", "-o", "{out}"]
        case("-o under a regular file", "2, 0, 0", lambda c, n, s: c == 2 and n == s == 0,
             "crawl", home, "--state", "{state}", "-o", "{dir}/plain/o.jsonl",
             prepare=lambda f, s, o: (f / "plain").write_text("x"))
        case("-o onto a folder", "2, 0, 0", lambda c, n, s: c == 2 and n == s == 0,
             "crawl", home, "--state", "{state}", "-o", "{dir}")
        with readonly_folder(Path(tmp) / "ro") as ro:
            if ro is not None:
                case("-o in a read-only folder", "2, 0, 0", lambda c, n, s: c == 2 and n == s == 0,
                     "crawl", home, "--state", "{state}", "-o", f"{ro}/o.jsonl")
                case("state on a read-only file system", "2, 0, 0", lambda c, n, s: c == 2 and s == 0,
                     "crawl", home, "--state", f"{ro}/s.sqlite", "-o", "{out}")

        def full_disk_store(folder: Path, state: Path, out: Path) -> None:
            from newsbot.state.sqlite import StateStore
            StateStore(state).close()

        case("full disk (RLIMIT_FSIZE 60 KB)", "4, 0, 0", lambda c, n, s: c == 4 and n == s == 0,
             *crawl, fsize=60_000, prepare=full_disk_store)
        extensions = json.dumps({"newsbot.extensions.IncrementalState": 500, "newsbot.extensions.RunSummary": 510,
                                 "tests.extensions_for_tests.TargetBecomesFolder": 400})
        case("target turned folder mid-crawl", "4, 0, 0", lambda c, n, s: c == 4 and s == 0,
             *crawl, "-s", f"EXTENSIONS={extensions}")
        case("SIGTERM mid-crawl", f"143, 0<n<{total}, n", lambda c, n, s: c == 143 and 0 < n < total and s == n,
             *crawl, *SLOW, stop=[signal.SIGTERM])
        case("SIGINT mid-crawl", f"130, 0<n<{total}, n", lambda c, n, s: c == 130 and 0 < n < total and s == n,
             *crawl, *SLOW, stop=[signal.SIGINT])
        case("SIGINT twice", "130, n, 0 or n (journal)", lambda c, n, s: c == 130 and s in (0, n),
             *crawl, *SLOW, stop=[signal.SIGINT, signal.SIGINT])
        case("state truncated to half", "2, 0, -", lambda c, n, s: c == 2 and n == 0, *crawl,
             prepare=lambda f, s, o: s.write_bytes(_good_store(home, f)[: 40_000]))
        case("state overwritten with garbage", "2, 0, -", lambda c, n, s: c == 2 and n == 0, *crawl,
             prepare=lambda f, s, o: s.write_bytes(b"garbage\n" * 4000))
        case("-s CONCURRENT_REQUESTS=lots", "2, 0, 0", lambda c, n, s: c == 2 and n == s == 0,
             *crawl, "-s", "CONCURRENT_REQUESTS=lots")
        case("-L LOUD", "2, 0, 0", lambda c, n, s: c == 2 and n == s == 0, *crawl, "-L", "LOUD")
        case("-s NEWSBOT_MIN_WORD=3 (misspelt)", "2, 0, 0", lambda c, n, s: c == 2 and n == s == 0,
             *crawl, "-s", "NEWSBOT_MIN_WORD=3")
        case("sites.toml CONCURRENT_REQUESTS", "2, 0, 0", lambda c, n, s: c == 2 and n == s == 0,
             "crawl", "-c", "{dir}/sites.toml", "--state", "{state}", "-o", "{out}",
             prepare=lambda f, s, o: (f / "sites.toml").write_text(
                 f'[settings]\nCONCURRENT_REQUESTS = "lots"\n\n[[sites]]\nurls = ["{home}"]\n'))
        case("scrape without -o (stdout)", "0, 2, -", lambda c, n, s: c == 0 and n == 2,
             "scrape", "-", stdin="".join(server.url(p) + "\n" for p in _article_paths()[:2]))
    return rows


def _article_paths() -> list[str]:
    return sorted(json.loads(p.read_text())["url"] for p in (ROOT / "fixtures" / "expected").glob("[a-z]*.json"))


def _good_store(home: str, folder: Path) -> bytes:
    """Return the bytes of a state store a complete crawl of ``home`` left."""
    from tests.outputcases import run

    state = folder / "good.sqlite"
    run("crawl", home, "--state", str(state), "-o", str(folder / "good.jsonl"))
    return state.read_bytes()


# --------------------------------------------------------------------------- hostile cases (issue 16)


def _tree_rss_mb(root: int) -> float:
    """Return the summed RSS (MB) of every process descending from ``root`` (not itself):
    the crawling process and its extraction workers."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0").strip() or 0)
        rss[int(entry.name)] = int((fields.get("VmRSS", "0 kB").split() or ["0"])[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        for child, parent in parents.items():
            if parent == pid:
                total += rss.get(child, 0)
                stack.append(child)
    return total / 1024


def _measured(check: Callable[[], None]) -> tuple[bool, float, float, str]:
    """Run ``check`` while sampling the RSS of this process's descendants; return (passed,
    peak MB, seconds, the failure's first line)."""
    import os
    import threading

    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(os.getpid()))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    problem = ""
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - a row that is not as expected, reported
        problem = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    return not problem, peak, elapsed, problem


def hostile_rows() -> list[tuple[str, str, bool, float, float]]:
    """Run each hostile-server case (the checks of tests/test_http11.py, test_bounds.py,
    test_canonicals.py, test_security.py) in its own crawl; print a row per case with the
    expected outcome, whether it held, the peak RSS of the crawl with its workers and the
    time; return the rows."""
    from tests import test_bounds, test_canonicals, test_http11, test_security

    cases: list[tuple[str, str, Callable[[], None]]] = [
        ("endless header lines, 200 KB line, 600 headers, 22 KB CSP",
         "3x headers_too_large fast; CSP article written",
         lambda: test_http11.test_header_bounds(Path(tempfile.mkdtemp()))),
        ("max_pages=30: 20k links + 50k sitemap + 20k feed",
         "<= 30 URLs fetched; other site's 5 articles written",
         test_bounds.test_max_pages_caps_links_sitemaps_and_feeds_before_queueing),
        ("1,000 sites, 999 refusing connections", "10/10 live articles; 999 sites given up on",
         lambda: test_bounds.check_dead_sites(999)),
        ("canonicals: shared /index.html, B names C, CDN public canonical",
         "7 records, own URLs; CDN credited to the site; exit 0", test_canonicals.test_canonical_claims),
        ("a cookie more per page; server refuses Cookie > 8 KB", "40/40 written; cookies trimmed, 1 warning",
         test_bounds.test_a_site_setting_a_cookie_per_page_keeps_answering),
        ("2 pages answer 403, 1 link 404s", "exit 1 naming 2 lost pages (http_403=2); 404 alone: exit 0",
         test_bounds.test_pages_lost_to_http_errors_fail_the_run_and_broken_links_do_not),
        ("credentials in URLs", "basic auth used; password in no log line, stat or record",
         lambda: test_security.test_credentials_are_used_for_basic_auth_and_never_shown(Path(tempfile.mkdtemp()))),
    ]
    rows = []
    print()
    print(f"{'hostile case':<62}| {'expected':<58}| ok  | peak RSS | time")
    print("-" * 62 + "+" + "-" * 59 + "+-----+----------+-------")
    for name, expected, check in cases:
        ok, peak, elapsed, problem = _measured(check)
        rows.append((name, expected, ok, peak, elapsed))
        print(f"{name:<62}| {expected:<58}| {'yes' if ok else 'NO ':<4}| {peak:5.0f} MB | {elapsed:5.1f} s"
              + (f"  ({problem})" if problem else ""))
    return rows


if __name__ == "__main__":
    sys.exit(main())
