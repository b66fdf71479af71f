"""Shared-crawl throughput: N ``newsbot crawl --redis`` workers on this machine vs one plain crawl.

    .venv/bin/python bench/redis_throughput.py                      # 2 workers, 2,000 articles
    .venv/bin/python bench/redis_throughput.py --workers 3 --pages 5000

Builds the synthetic site of ``bench/throughput.py`` (``bench/synthsite.py``, ``--pages``
articles, deterministic for ``--seed``), serves it from a separate process on 127.0.0.1
(``bench/serve_site.py``), and measures, one after the other:

(1) ``newsbot crawl ORIGIN/ --no-state -o out.jsonl``: one process; pages that reached
    extraction (``newsbot/pages``) per second of wall time (start to exit) and per second
    of Scrapy's ``elapsed_time_seconds``;
(2) a redis-server started on a free loopback port, ``--workers`` worker processes
    (``newsbot crawl --redis URL --worker``) started and registered first, then the site
    seeded: the workers' pages per second from the seed until the shared queue is empty and
    every worker is idle (polled every 0.05 s; the ``--idle-exit`` wait is not counted), and
    per second of wall time to the last worker's exit.

Both use ``LOOPBACK_SETTINGS`` of ``bench/throughput.py`` (AutoThrottle off, 16 requests
per site) unless ``--as-configured``; ``-s NAME=VALUE`` passes a setting to every crawl;
``--extract-workers`` sets ``NEWSBOT_EXTRACT_WORKERS`` of every process. The articles
written are checked: each exactly once across the workers' outputs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synthsite import build_site  # noqa: E402
from bench.throughput import LOOPBACK_SETTINGS, NEWSBOT, PYTHON, _stat  # noqa: E402

logger = logging.getLogger("bench.redis_throughput")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flags(settings: dict[str, str]) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def _ids(paths: list[Path]) -> Counter[str]:
    return Counter(json.loads(line)["id"] for path in paths if path.exists()
                   for line in path.read_text(encoding="utf-8").splitlines())


def single(origin: str, workdir: Path, settings: dict[str, str]) -> tuple[int, int, float, float]:
    """Run one plain crawl; return pages, articles, wall seconds and Scrapy's elapsed seconds."""
    out = workdir / "single.jsonl"
    log = workdir / "single.log"
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as err:
        code = subprocess.call([str(NEWSBOT), "crawl", origin + "/", "--no-state", "-o", str(out), *_flags(settings)],
                               cwd=workdir, stdout=subprocess.DEVNULL, stderr=err)
    wall = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    if code not in (0, 1):
        raise SystemExit(f"plain crawl failed ({code}):\n{text[-3000:]}")
    return int(_stat(text, "newsbot/pages")), sum(_ids([out]).values()), wall, _stat(text, "elapsed_time_seconds")


def shared(origin: str, workdir: Path, settings: dict[str, str], workers: int,
           idle_exit: float) -> tuple[int, Counter[str], float, float, list[int]]:
    """Run ``workers`` Redis workers; return pages, article id counts, seconds from the seed
    to all-idle, seconds to the last exit, and pages per worker."""
    import redis

    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    (workdir / "redis").mkdir(exist_ok=True)
    redis_proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                   "no", "--dir", str(workdir / "redis")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, decode_responses=True)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        outs = [workdir / f"worker{i}.jsonl" for i in range(workers)]
        logs = [workdir / f"worker{i}.log" for i in range(workers)]
        procs = []
        for out, log in zip(outs, logs, strict=True):
            with open(log, "w", encoding="utf-8") as err:
                procs.append(subprocess.Popen(
                    [str(NEWSBOT), "crawl", "--redis", url, "--worker", "-o", str(out), "--idle-exit", str(idle_exit),
                     *_flags(settings)], cwd=workdir, stdout=subprocess.DEVNULL, stderr=err))
        while client.scard("newsbot:workers") < workers:
            if any(p.poll() is not None for p in procs):
                raise SystemExit("a worker exited before the seed:\n" + logs[0].read_text()[-3000:])
            time.sleep(0.05)
        time.sleep(1.0)  # let every worker finish opening (extraction pool start-up)
        started = time.perf_counter()
        subprocess.run([str(NEWSBOT), "crawl", origin + "/", "--redis", url, "--seed-only"], check=True,
                       stderr=subprocess.DEVNULL)
        busy_seen = False
        done_at = None
        while any(p.poll() is None for p in procs):
            ids = list(client.smembers("newsbot:workers"))
            states = client.mget([f"newsbot:hb:{w}" for w in ids]) if ids else []
            quiet = (not client.zcard("newsbot:requests") and not client.llen("newsbot:seeds")
                     and all(s != "busy" for s in states))
            busy_seen = busy_seen or any(s == "busy" for s in states)
            if busy_seen and quiet and done_at is None:
                done_at = time.perf_counter()
            elif not quiet:
                done_at = None
            time.sleep(0.05)
        wall = time.perf_counter() - started
        texts = [log.read_text(encoding="utf-8", errors="replace") for log in logs]
        for proc, text in zip(procs, texts, strict=True):
            if proc.returncode not in (0, 1):
                raise SystemExit(f"a worker failed ({proc.returncode}):\n{text[-3000:]}")
        pages = [int(_stat(text, "newsbot/pages")) for text in texts]
        return sum(pages), _ids(outs), (done_at or time.perf_counter()) - started, wall, pages
    finally:
        redis_proc.kill()
        redis_proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; return 0 (1 when an article was written twice or lost)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="synthetic articles (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="Redis worker processes (default 2)")
    parser.add_argument("--extract-workers", type=int, default=None,
                        help="NEWSBOT_EXTRACT_WORKERS of every process (default: the setting's, one per core)")
    parser.add_argument("--idle-exit", type=float, default=3.0, help="--idle-exit of the workers (default 3)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--as-configured", action="store_true",
                        help="crawl with the project settings as they are (no loopback overrides)")
    parser.add_argument("--keep", type=Path, default=None, help="build the site and outputs here and keep them")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    settings = dict(item.partition("=")[::2] for item in args.set)
    if not args.as_configured:
        for name, value in LOOPBACK_SETTINGS.items():
            settings.setdefault(name, value)
    if args.extract_workers is not None:
        settings["NEWSBOT_EXTRACT_WORKERS"] = str(args.extract_workers)

    with tempfile.TemporaryDirectory(prefix="newsbot-redis-throughput-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        site = build_site(workdir / "site", args.pages, args.seed)
        server = subprocess.Popen([str(PYTHON), str(REPO / "bench" / "serve_site.py"), str(site.root)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            origin = server.stdout.readline().strip()  # type: ignore[union-attr]
            pages_1, articles_1, wall_1, elapsed_1 = single(origin, workdir, settings)
            logger.info("(1) one process: %d pages in %.1f s", pages_1, wall_1)
            pages_n, ids, active_n, wall_n, per_worker = shared(origin, workdir, settings, args.workers,
                                                                 args.idle_exit)
            logger.info("(2) %d workers: %d pages in %.1f s", args.workers, pages_n, active_n)
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=10)

    print(f"synthetic site: {len(site.article_paths)} articles + {len(site.other_html_paths)} fixture pages, "
          f"seed {args.seed}; {os.cpu_count()} cores; settings: "
          + ", ".join(f"{k}={v}" for k, v in settings.items()))
    print()
    print(f"{'measurement':<62} {'pages':>7} {'pages/s':>9}")
    print(f"{'(1) newsbot crawl, one process (wall, start to exit)':<62} {pages_1:>7} {pages_1 / wall_1:>9.1f}")
    if elapsed_1:
        print(f"{'    same, Scrapy elapsed_time_seconds':<62} {pages_1:>7} {pages_1 / elapsed_1:>9.1f}")
    label = f"({args.workers} Redis workers, seed to all idle)"
    print(f"{'(2) newsbot crawl --redis --worker x' + str(args.workers) + ', seed to all idle':<62} "
          f"{pages_n:>7} {pages_n / active_n:>9.1f}")
    print(f"{'    same, seed to last exit (includes --idle-exit wait)':<62} {pages_n:>7} {pages_n / wall_n:>9.1f}")
    print()
    print(f"{label}: pages per worker {per_worker}; speed-up over (1) by Scrapy elapsed: "
          f"{(pages_n / active_n) / (pages_1 / (elapsed_1 or wall_1)):.2f}x")
    twice = sum(1 for n in ids.values() if n > 1)
    print(f"articles: one process {articles_1}, workers {sum(ids.values())} ({len(ids)} distinct, "
          f"{twice} written more than once)")
    return 0 if twice == 0 and len(ids) == articles_1 else 1


if __name__ == "__main__":
    sys.exit(main())
