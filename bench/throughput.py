"""Crawl throughput: extraction alone, fetching alone, and ``newsbot crawl`` end to end.

    .venv/bin/python bench/throughput.py                  # 5,000 articles
    .venv/bin/python bench/throughput.py --pages 20000    # scale it
    .venv/bin/python bench/throughput.py --workers 1      # NEWSBOT_EXTRACT_WORKERS for (c)
    .venv/bin/python bench/throughput.py --workers 2 --redis   # (d): 2 Redis workers next to (c)

Builds a synthetic news site of ``--pages`` articles from the fixture templates
(``bench/synthsite.py``, deterministic for ``--seed``; each article page dressed with the
scripts, styles, navigation, teasers and comments of a real news page, 80-200 kB, mean
~150 kB: see that module's docstring for what a page looks like and why; the mean page
size is printed), serves it from a separate process
on 127.0.0.1 (``bench/serve_site.py``), and measures:

(a) ``extract_article`` in this process over the site's HTML pages, each read into
    memory before its extraction is timed (at most ``--extract-sample`` of them, evenly
    spread), pages/s; half of them before (b) and (c), the other half after (c), since
    the machine's own speed drifts within minutes and c/a compares rates taken apart;
(t) ``trafilatura.extract`` with its defaults on the same pages, alternating with (a)
    page by page: what extraction alone costs with Trafilatura; a/t and c/t (c/a falls as
    extraction gets cheaper, so c/t is the goal);
(b) a bare Scrapy spider fetching every HTML page with no extraction
    (``bench/bare_crawl.py``, same concurrency settings as (c)), pages/s, and the CPU time
    per page of its process: the least a Scrapy crawl of these pages costs;
(c) ``newsbot crawl ORIGIN/ -o out.jsonl --no-state`` as a subprocess: pages that reached
    extraction (``newsbot/pages``) per second of wall time (process start to exit, so it
    includes start-up and the workers' start), and the peak resident memory of the crawl
    process plus its worker processes (sampled from /proc every ``--sample-every`` s; the
    crawl process's own VmHWM is printed too); the CPU time per page of the crawl process,
    its workers and the site's server, and from them the most c/a could be at those costs
    (every core busy from start to end).

Then the start-up rows (``--startup-runs``, skip with ``--skip s``): the median wall clock
of ``newsbot scrape`` of one loopback URL, ``trafilatura -u`` of it, ``newsbot extract
page.html``, ``trafilatura -i page.html`` (as the issue words it: ``-i`` reads a file of
URLs, so this is Trafilatura's start-up alone) and ``trafilatura < page.html`` (the page
extracted), their runs alternating.

With ``--redis``, also (d): ``--workers`` (default 2) ``newsbot crawl --redis URL --worker``
processes on this machine sharing a redis-server started on a free loopback port
(``shared`` of ``bench/redis_throughput.py``): pages per second from the seed until the
shared queue is empty and every worker idle, each article checked to be written once;
``--workers`` then counts Redis workers, not extraction workers.

Then the ratios c/a and c/b (and d/c). ``-s NAME=VALUE`` passes a setting to (c), and the
concurrency settings among them to (b) too; the settings used are printed. Unless
``--as-configured``, AutoThrottle is off and 16 requests per site are allowed
(``LOOPBACK_SETTINGS``): the project's politeness defaults would measure the throttle.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synthsite import SyntheticSite, build_site  # noqa: E402

logger = logging.getLogger("bench.throughput")
PYTHON = Path(sys.executable)
NEWSBOT = PYTHON.parent / "newsbot"
CONCURRENCY_SETTINGS = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_ENABLED",
                        "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY",
                        "CONCURRENT_ITEMS")

# The project's politeness defaults (AutoThrottle, 4 requests per site) throttle a crawl
# of one loopback site far below what it can fetch; --as-configured keeps them.
LOOPBACK_SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "16"}


@dataclass
class CrawlRun:
    """What the end-to-end crawl did: pages extracted, wall and in-crawl seconds, memory."""

    pages: int
    articles: int
    seconds: float
    crawl_seconds: float
    peak_rss_kb: int
    parent_hwm_kb: int
    max_processes: int
    exit_code: int
    parent_cpu: float
    children_cpu: float
    series: list[tuple[int, int]]


# -- memory sampling


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """Return ``pid`` and the ids of all its descendants."""
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds of a process so far, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, field: str) -> int:
    """Return a kB field (``VmRSS``, ``VmHWM``) of /proc/PID/status, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_kb = self.parent_hwm_kb = self.max_processes = 0
        self.cpu: dict[int, float] = {}
        self.series: list[tuple[int, int]] = []  # (crawl process RSS, tree RSS) per sample, kB
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            tree = process_tree(self.pid)
            parent_kb, tree_kb = status_kb(self.pid, "VmRSS"), sum(status_kb(p, "VmRSS") for p in tree)
            self.peak_kb = max(self.peak_kb, tree_kb)
            if parent_kb:
                self.series.append((parent_kb, tree_kb))
            self.parent_hwm_kb = max(self.parent_hwm_kb, status_kb(self.pid, "VmHWM"))
            self.max_processes = max(self.max_processes, len(tree))
            for pid in tree:
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu_seconds(pid))
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop_event.set()
        self.join()


# -- the three measurements


def extraction_sample(site: SyntheticSite, sample: int) -> list[str]:
    """Return the site paths (a) extracts: every HTML page, or ``sample`` of them evenly spread."""
    paths = site.html_paths
    if sample and len(paths) > sample:
        step = len(paths) / sample
        paths = [paths[int(i * step)] for i in range(sample)]
    return paths


def measure_extraction(site: SyntheticSite, origin: str, paths: list[str]) -> tuple[float, float]:
    """Return the seconds ``extract_article`` and ``trafilatura.extract`` (defaults) take over
    ``paths``, each page held in memory; the two alternate page by page, so that both see
    the same machine load."""
    import trafilatura

    from newsbot.extraction import extract_article

    first = paths[0]
    page = site.file_of(first).read_text(encoding="utf-8").replace("__ORIGIN__", origin)
    extract_article(page, origin + first)  # warm-up: lazy imports and caches
    trafilatura.extract(page, url=origin + first)
    seconds = traf_seconds = 0.0
    for path in paths:  # each page is read into memory first; only the extraction calls are timed
        page, url = site.file_of(path).read_text(encoding="utf-8").replace("__ORIGIN__", origin), origin + path
        started = time.perf_counter()
        extract_article(page, url)
        seconds += time.perf_counter() - started
        started = time.perf_counter()
        trafilatura.extract(page, url=url)
        traf_seconds += time.perf_counter() - started
    return seconds, traf_seconds


def measure_startup(site: SyntheticSite, origin: str, workdir: Path, runs: int) -> dict[str, float]:
    """Return the median wall-clock seconds of the one-page commands, their runs alternating:
    ``newsbot scrape`` of one loopback URL, ``trafilatura -u`` of the same URL,
    ``newsbot extract page.html`` and ``trafilatura -i page.html`` (the same page saved)."""
    path = site.article_paths[0]
    url = origin + path
    page = workdir / "startup-page.html"
    page.write_text(site.file_of(path).read_text(encoding="utf-8").replace("__ORIGIN__", origin), encoding="utf-8")
    url_file = workdir / "startup-url.txt"
    url_file.write_text(url + "\n", encoding="utf-8")
    trafilatura_cli = PYTHON.parent / "trafilatura"
    commands = {
        "newsbot scrape, one loopback URL": [str(NEWSBOT), "scrape", str(url_file), "-o", str(workdir / "one.jsonl")],
        "trafilatura -u, same URL": [str(trafilatura_cli), "-u", url],
        "newsbot extract page.html": [str(NEWSBOT), "extract", str(page), "--url", url, "--keep"],
        # -i reads a list of URLs (each line of the page, here, all refused): start-up alone
        "trafilatura -i page.html": [str(trafilatura_cli), "-i", str(page)],
        "trafilatura < page.html": [str(trafilatura_cli)],  # the page read and extracted
    }
    env = {**os.environ, "XDG_STATE_HOME": str(workdir / "startup-state")}  # no state store of the user's
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            with open(page, "rb") as stdin:
                subprocess.run(command, cwd=workdir, stdin=stdin, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False, env=env)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def measure_fetching(site: SyntheticSite, origin: str, workdir: Path,
                     settings: dict[str, str]) -> tuple[float, int, float]:
    """Return ``(pages/s, pages, CPU seconds of the spider's process)`` for the bare Scrapy
    spider fetching every HTML page."""
    url_file = workdir / "urls.txt"
    url_file.write_text("".join(f"{origin}{p}\n" for p in site.html_paths), encoding="utf-8")
    overrides = [f"{k}={v}" for k, v in settings.items() if k in CONCURRENCY_SETTINGS]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([str(PYTHON), str(REPO / "bench" / "bare_crawl.py"), str(url_file), *overrides],
                          capture_output=True, text=True, check=True, cwd=workdir)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the server is not waited for: not in it
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["pages"] / result["seconds"], result["pages"], cpu


def _stat(log: str, key: str) -> float:
    match = re.search(rf"'{re.escape(key)}': ([0-9.]+)", log)
    return float(match.group(1)) if match else 0.0


def measure_crawl(origin: str, workdir: Path, settings: dict[str, str], sample_every: float) -> CrawlRun:
    """Run ``newsbot crawl`` end to end and return what it did."""
    output = workdir / "out.jsonl"
    log_file = workdir / "crawl.log"
    command = [str(NEWSBOT), "crawl", origin + "/", "-o", str(output), "--no-state", "-L", "INFO"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    with open(log_file, "w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=log)
        sampler = MemorySampler(process.pid, sample_every)
        sampler.start()
        exit_code = process.wait()
        seconds = time.perf_counter() - started
        sampler.stop()
    text = log_file.read_text(encoding="utf-8", errors="replace")
    if exit_code not in (0, 1):
        sys.stderr.write(text[-3000:])
        raise SystemExit(f"newsbot crawl failed with exit code {exit_code}")
    return CrawlRun(pages=int(_stat(text, "newsbot/pages")), articles=int(_stat(text, "newsbot/articles")),
                    seconds=seconds, crawl_seconds=_stat(text, "elapsed_time_seconds"),
                    peak_rss_kb=sampler.peak_kb, parent_hwm_kb=sampler.parent_hwm_kb,
                    max_processes=sampler.max_processes, exit_code=exit_code,
                    parent_cpu=sampler.cpu.get(process.pid, 0.0),
                    children_cpu=sum(v for k, v in sampler.cpu.items() if k != process.pid),
                    series=sampler.series)


# -- the command


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000, help="synthetic articles (default 5000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bare-pages", action="store_true",
                        help="articles as bare fixture pages (~15 kB), without the dressing of a real news page")
    parser.add_argument("--workers", type=int, default=None,
                        help="NEWSBOT_EXTRACT_WORKERS for the crawl (default: the setting's default, one per core)")
    parser.add_argument("--extract-sample", type=int, default=2000,
                        help="most pages extracted for (a), evenly spread over the site (default 2000; 0: all)")
    parser.add_argument("--sample-every", type=float, default=0.1, help="seconds between memory samples")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="setting for the crawl (concurrency settings also go to the bare spider)")
    parser.add_argument("--as-configured", action="store_true",
                        help="crawl with the project settings as they are (no loopback overrides)")
    parser.add_argument("--skip", default="", help="comma-separated measurements to skip: a,b,c,s (s: start-up)")
    parser.add_argument("--startup-runs", type=int, default=5,
                        help="runs of each one-page command for the start-up rows (median; default 5, 0: none)")
    parser.add_argument("--keep", type=Path, default=None, help="build the site and outputs here and keep them")
    parser.add_argument("--redis", action="store_true",
                        help="also (d): --workers Redis worker processes (default 2) on one redis-server")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    skip = set(filter(None, args.skip.split(",")))

    settings = dict(item.partition("=")[::2] for item in args.set)
    if not args.as_configured:
        for name, value in LOOPBACK_SETTINGS.items():
            settings.setdefault(name, value)
    if args.workers is not None and not args.redis:
        settings["NEWSBOT_EXTRACT_WORKERS"] = str(args.workers)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    from scrapy.utils.project import get_project_settings

    project = get_project_settings()
    effective = {name: settings.get(name, project.get(name)) for name in
                 ("NEWSBOT_EXTRACT_WORKERS",) + CONCURRENCY_SETTINGS}
    # (b) fetches with exactly the concurrency regime the crawl gets
    bare_settings = {k: str(v) for k, v in effective.items() if k in CONCURRENCY_SETTINGS and v is not None}

    with tempfile.TemporaryDirectory(prefix="newsbot-throughput-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        site = build_site(workdir / "site", args.pages, args.seed, dressed=not args.bare_pages)
        logger.info("built %d articles + %d other pages in %.1f s (load %s)", len(site.article_paths),
                    len(site.other_html_paths), time.perf_counter() - started, os.getloadavg()[0])
        load_before = os.getloadavg()[0]
        server = subprocess.Popen([str(PYTHON), str(REPO / "bench" / "serve_site.py"), str(site.root)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            origin = server.stdout.readline().strip()  # type: ignore[union-attr]
            rate_b = cpu_b = 0.0
            n_b = 0
            # (a) in two halves, one before (c) and one after, both spread over the whole site:
            # the machine's own speed drifts by several percent within minutes, and c/a
            # compares rates measured at different times
            a_paths = extraction_sample(site, args.extract_sample) if "a" not in skip else []
            a_halves = [a_paths[0::2], a_paths[1::2]] if "c" not in skip else [a_paths, []]
            a_seconds = [0.0, 0.0]
            t_seconds = [0.0, 0.0]

            def time_half(half: int) -> None:
                if a_halves[half]:
                    a_seconds[half], t_seconds[half] = measure_extraction(site, origin, a_halves[half])
                    logger.info("(a) %.1f pages/s, (t) %.1f pages/s over %d pages", len(a_halves[half]) / a_seconds[half],
                                len(a_halves[half]) / t_seconds[half],
                                len(a_halves[half]))

            time_half(0)
            if "b" not in skip:
                rate_b, n_b, cpu_b = measure_fetching(site, origin, workdir, bare_settings)
                logger.info("(b) %.1f pages/s over %d pages", rate_b, n_b)
            run = None
            server_cpu = 0.0
            if "c" not in skip:
                server_before = cpu_seconds(server.pid)
                run = measure_crawl(origin, workdir, settings, args.sample_every)
                server_cpu = cpu_seconds(server.pid) - server_before  # the server's share of (c) only
            time_half(1)
            startup: dict[str, float] = {}
            if "s" not in skip and args.startup_runs:
                startup = measure_startup(site, origin, workdir, args.startup_runs)
            shared_run = None
            if args.redis:  # (d)
                from bench.redis_throughput import shared

                shared_run = shared(origin, workdir, settings, args.workers or 2, 3.0)
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=10)

    print(f"synthetic site: {len(site.article_paths)} articles (mean page {site.mean_article_kb:.0f} kB) + "
          f"{len(site.other_html_paths)} fixture pages, seed {args.seed}; {os.cpu_count()} cores; "
          f"load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f}")
    print("crawl settings: " + ", ".join(f"{k}={v}" for k, v in effective.items()))
    print()
    print(f"{'measurement':<52} {'pages':>7} {'pages/s':>9}")
    n_a = len(a_paths)
    rate_a = n_a / sum(a_seconds) if n_a else 0.0
    if n_a:
        halves = (f", {len(a_halves[0]) / a_seconds[0]:.1f} before (c) and {len(a_halves[1]) / a_seconds[1]:.1f} after"
                  if a_halves[1] else "")
        print(f"{'(a) extract_article, one process, pages in memory':<52} {n_a:>7} {rate_a:>9.1f}"
              f"   ({1000 / rate_a:.1f} ms/page{halves})")
    rate_t = n_a / sum(t_seconds) if n_a else 0.0
    if n_a:
        print(f"{'(t) trafilatura.extract (defaults), same pages':<52} {n_a:>7} {rate_t:>9.1f}"
              f"   ({1000 / rate_t:.1f} ms/page; a/t = {rate_a / rate_t:.2f}, target >= 1.5)")
    if n_b:
        print(f"{'(b) bare Scrapy spider, no extraction':<52} {n_b:>7} {rate_b:>9.1f}"
              f"   ({1000 * cpu_b / n_b:.1f} ms CPU/page, start-up included)")
    if run is not None:
        print(f"{'(c) newsbot crawl, end to end (wall clock)':<52} {run.pages:>7} {run.pages / run.seconds:>9.1f}")
        if run.crawl_seconds:
            print(f"{'    same, Scrapy elapsed_time_seconds':<52} {run.pages:>7} "
                  f"{run.pages / run.crawl_seconds:>9.1f}")
        print()
        print(f"(c) articles written: {run.articles}; exit code {run.exit_code}; wall {run.seconds:.1f} s")
        print(f"(c) peak RSS, crawl + workers: {run.peak_rss_kb / 1024:.0f} MB "
              f"({run.max_processes} processes); crawl process VmHWM {run.parent_hwm_kb / 1024:.0f} MB")
        if run.series:
            marks = [run.series[min(len(run.series) - 1, int(len(run.series) * f))] for f in (0.1, 0.25, 0.5, 0.75, 1.0)]
            print("(c) RSS through the run (10/25/50/75/100 %), crawl process / with workers, MB: "
                  + "  ".join(f"{p / 1024:.0f}/{t / 1024:.0f}" for p, t in marks))
            at = max(range(len(run.series)), key=lambda i: run.series[i][1])
            print(f"(c) peak sample at {100 * at / len(run.series):.0f} % of the run")
        print(f"(c) CPU per page (sampled): crawl process {1000 * run.parent_cpu / max(run.pages, 1):.1f} ms, "
              f"worker processes {1000 * run.children_cpu / max(run.pages, 1):.1f} ms; "
              f"the site's server process (same machine) {1000 * server_cpu / max(run.pages, 1):.1f} ms")
        rate_c = run.pages / run.seconds
        busy = run.parent_cpu + run.children_cpu + server_cpu
        print(f"(c) cores busy on average: {busy / run.seconds:.2f} of {os.cpu_count()}")
        if rate_a:
            print(f"c/a = {rate_c / rate_a:.2f} (target >= 1.6)")
            if busy:
                # what c/a would be with every core busy all run long, at these CPU costs per page
                print(f"c/a bound at (c)'s CPU per page, all {os.cpu_count()} cores busy from start to end: "
                      f"{(os.cpu_count() or 1) * run.pages / busy / rate_a:.2f}")
        if rate_t:
            print(f"c/t = {rate_c / rate_t:.2f} (target >= 2.0)")
        if rate_b:
            print(f"c/b = {rate_c / rate_b:.2f}")
    if startup:
        print()
        print(f"start-up, wall clock, median of {args.startup_runs} alternating runs:")
        for name, seconds in startup.items():
            print(f"  {name:<50} {seconds:>6.2f} s")
        ratio = startup["newsbot extract page.html"] / startup["trafilatura -i page.html"]
        ratio_stdin = startup["newsbot extract page.html"] / startup["trafilatura < page.html"]
        print(f"  newsbot extract / trafilatura -i = {ratio:.2f} (target <= 1.7), / trafilatura < page = "
              f"{ratio_stdin:.2f}; one-URL scrape target <= 1.0 s on a quiet machine")
    if shared_run is not None:
        pages_d, ids_d, active_d, wall_d, per_worker = shared_run
        label = f"(d) {args.workers or 2} Redis workers, seed to all idle"
        print(f"{label:<52} {pages_d:>7} {pages_d / active_d:>9.1f}")
        print(f"(d) pages per worker {per_worker}; seed to last exit {pages_d / wall_d:.1f} pages/s; articles "
              f"{len(ids_d)} distinct, {sum(1 for n in ids_d.values() if n > 1)} written more than once")
        if run is not None:
            print(f"d/c = {(pages_d / active_d) / (run.pages / (run.crawl_seconds or run.seconds)):.2f} "
                  "((c) by Scrapy elapsed_time_seconds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
