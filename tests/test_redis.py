"""Shared crawls on Redis: real `newsbot crawl --redis` worker processes against the fixture
site and a real redis-server on a free loopback port (no fakeredis)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer
from tests.conftest import SITE, VENV_BIN, run_newsbot

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False"]
ROOT = Path(__file__).resolve().parent.parent


class DieAtRename:
    """Test-only extension (``-s NEWSBOT_TEST_DIE_AT_RENAME=before|after``): SIGKILLs the
    worker just before, or just after, its output file is renamed into place (after the
    emissions were journalled, before they are committed)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> DieAtRename:
        from scrapy.exceptions import NotConfigured

        import newsbot.feedstorage

        moment = crawler.settings.get("NEWSBOT_TEST_DIE_AT_RENAME")
        if not moment:
            raise NotConfigured
        store = newsbot.feedstorage.AtomicFileFeedStorage.store

        def store_and_die(storage: Any, file: Any) -> None:
            real = os.replace

            def replace(*args: Any, **kwargs: Any) -> None:
                if moment == "after":
                    real(*args, **kwargs)
                os.kill(os.getpid(), signal.SIGKILL)

            os.replace = replace
            try:
                store(storage, file)
            finally:
                os.replace = real

        newsbot.feedstorage.AtomicFileFeedStorage.store = store_and_die  # type: ignore[method-assign]
        return cls()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A fresh redis-server on a free loopback port (no persistence), killed at teardown.

    Skipped when redis-server is not installed, except under CI, where it is a failure
    (``.ci/run`` installs it)."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("redis-server is not installed, and CI must run the Redis tests (.ci/run installs it)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    """A fresh fixture server per test."""
    with FixtureServer(SITE) as server:
        yield server


def records_of(paths: list[Path]) -> list[dict[str, Any]]:
    """Return every record of the given complete output files, checking no line is partial."""
    records = []
    for path in paths:
        data = path.read_bytes()
        assert data.endswith(b"\n"), f"{path} ends in a partial line"
        records += [json.loads(line) for line in data.decode("utf-8").splitlines()]
    return records


def start_worker(url: str, output: Path, *extra: str) -> subprocess.Popen[str]:
    """Start `newsbot crawl --redis URL --worker -o OUTPUT` in the background."""
    return subprocess.Popen([str(VENV_BIN / "newsbot"), "crawl", "--redis", url, "--worker", "-o", str(output),
                             "--idle-exit", "8", *FAST, *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_workers(client: Any, count: int, procs: list[subprocess.Popen[str]]) -> None:
    """Wait until ``count`` workers have joined the shared crawl."""
    deadline = time.monotonic() + 60
    while client.scard("newsbot:workers") < count:
        for proc in procs:
            assert proc.poll() is None, proc.stderr.read()[-3000:] if proc.stderr else proc.returncode
        assert time.monotonic() < deadline, "the workers never joined"
        time.sleep(0.1)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for a worker and return its exit code and standard error."""
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def test_two_workers_write_every_article_once(site: FixtureServer, redis_url: str, tmp_path: Path,
                                              expected_records: list[dict[str, Any]]) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    outs = [tmp_path / "a" / "out.jsonl", tmp_path / "b" / "out.jsonl"]
    workers = [start_worker(redis_url, out, "-s", "DOWNLOAD_DELAY=0.1") for out in outs]
    wait_for_workers(client, 2, workers)
    seeded = run_newsbot("crawl", site.origin + "/", "--redis", redis_url, "--seed-only")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    results = [finish(w) for w in workers]
    assert [code for code, _ in results] == [0, 0], [err[-3000:] for _, err in results]

    per_worker = [records_of([out]) if out.exists() else [] for out in outs]
    assert all(per_worker), f"both workers wrote some: {[len(r) for r in per_worker]} {[e[-3000:] for _, e in results]}"
    ids = Counter(r["id"] for records in per_worker for r in records)
    assert len(ids) == len(expected_records) and max(ids.values()) == 1
    assert sorted(r["url"] for records in per_worker for r in records) == sorted(
        site.url(r["url"]) for r in expected_records)
    assert client.scard("newsbot:workers") == 0 and not client.keys("newsbot:inflight:*"), \
        "workers that finished leave nothing in flight"
    assert client.hlen("newsbot:emitted") == len(expected_records)

    # the next scheduled round (seed, then a worker from cron) emits nothing again
    assert run_newsbot("crawl", site.origin + "/", "--redis", redis_url, "--seed-only").returncode == 0
    again = start_worker(redis_url, tmp_path / "c" / "out.jsonl")
    code, err = finish(again)
    assert code == 0, err[-3000:]
    assert not (tmp_path / "c" / "out.jsonl").exists(), "a round with nothing new writes no file"
    assert "skipped as seen" in err and "written 0" in err


def test_worker_killed_mid_crawl_loses_nothing(site: FixtureServer, redis_url: str, tmp_path: Path,
                                               expected_records: list[dict[str, Any]]) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    lease = ["-s", "NEWSBOT_REDIS_LEASE=3", "-s", "NEWSBOT_EXTRACT_WORKERS=0", "-s", "DOWNLOAD_DELAY=0.15"]
    victim_out, steady_out, late_out = (tmp_path / name / "out.jsonl" for name in ("victim", "steady", "late"))
    victim = start_worker(redis_url, victim_out, *lease)
    wait_for_workers(client, 1, [victim])
    assert run_newsbot("crawl", site.origin + "/", "--redis", redis_url, "--seed-only").returncode == 0
    steady = start_worker(redis_url, steady_out, *lease)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        temporaries = list(victim_out.parent.glob(".*.tmp")) if victim_out.parent.exists() else []
        if temporaries and temporaries[0].stat().st_size > 3000:
            break
        assert victim.poll() is None, "the victim finished before it could be killed"
        time.sleep(0.05)
    else:
        pytest.fail("the victim never started writing")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert not victim_out.exists(), "a killed worker leaves no complete-looking output"
    late = start_worker(redis_url, late_out, *lease)
    results = [finish(steady), finish(late)]
    assert [code for code, _ in results] == [0, 0], [err[-3000:] for _, err in results]
    assert any("queued again" in err for _, err in results), "the dead worker's requests were queued again"

    complete = [p for p in (victim_out, steady_out, late_out) if p.exists()]
    ids = Counter(r["id"] for r in records_of(complete))
    assert len(ids) == len(expected_records) and max(ids.values()) == 1, ids.most_common(3)
    assert not client.keys("newsbot:inflight:*") and client.scard("newsbot:workers") == 0


def test_claims_are_exclusive_leases(redis_url: str) -> None:
    from newsbot.state.redis import WorkerSession
    from newsbot.state.redis_store import RedisStateStore
    from newsbot.identity import body_fingerprint

    text = " ".join(f"word{i}" for i in range(300))
    near = text.replace("word150", "other150")
    one = RedisStateStore(WorkerSession(redis_url, lease=2))
    two = RedisStateStore(WorkerSession(redis_url, lease=2))
    fp, fp_near = body_fingerprint(text), body_fingerprint(near)
    assert bin(fp ^ fp_near).count("1") <= 3
    assert one.claim("news.example/a", ["news.example/a-amp"], fp)
    assert one.claim("news.example/a", [], fp), "a worker's own claim holds"
    assert not two.claim("news.example/a", [], 0), "claimed key"
    assert not two.claim("news.example/b", ["news.example/a-amp"], 0), "claimed alias"
    assert not two.claim("news.example/c", [], fp_near), "claimed near-identical body"
    one.stage("news.example/a", "https://news.example/a", fp, ["news.example/a-amp"])
    assert one.commit() == 1
    assert two.lookup_key("news.example/a-amp").url == "https://news.example/a"
    assert two.lookup_fingerprint(fp_near).key == "news.example/a"
    assert not two.claim("news.example/c", [], fp_near), "emitted near-identical body"

    # a dead worker's claim lapses with its heartbeat
    assert two.claim("news.example/d", [], 0)
    two.session.close()  # no commit: its heartbeat goes at once
    three = RedisStateStore(WorkerSession(redis_url, lease=2))
    assert three.claim("news.example/d", [], 0)
    one.close()
    three.close()


def test_usage_errors_and_no_redis_import_without_the_flag(tmp_path: Path) -> None:
    proc = run_newsbot("crawl", "--worker", "-o", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 2 and "need --redis URL" in proc.stderr
    proc = run_newsbot("crawl", "--redis", f"redis://127.0.0.1:{_free_port()}/0", "--worker",
                       "-o", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 2 and proc.stderr.startswith("newsbot: error: redis redis://127.0.0.1:"), proc.stderr
    check = subprocess.run([sys.executable, "-c",
                            "import sys, newsbot.cli, newsbot.settings, newsbot.pipelines, newsbot.extensions, "
                            "newsbot.addons, newsbot.spiders.site; "
                            "assert 'redis' not in sys.modules and 'scrapy_redis' not in sys.modules"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_config_seed_applies_site_options_in_workers(site: FixtureServer, redis_url: str, tmp_path: Path,
                                                     expected_records: list[dict[str, Any]]) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(f'[[sites]]\nname = "Courier"\nurls = ["{site.origin}/"]\nallow = ["/2025/0"]\n', encoding="utf-8")
    seeded = run_newsbot("crawl", "--config", str(config), "--redis", redis_url, "--seed-only")
    assert seeded.returncode == 0 and "seeded 1 sites" in seeded.stderr, seeded.stderr[-3000:]
    assert site.hits == {}, "seeding fetches nothing"
    worker = start_worker(redis_url, tmp_path / "out" / "%(worker)s.jsonl")
    code, err = finish(worker)
    assert code == 0, err[-3000:]
    [output] = (tmp_path / "out").glob("*.jsonl")
    assert output.name.count("-") >= 2, "the worker id names the file"
    urls = sorted(r["url"] for r in records_of([output]))
    wanted = sorted(site.url(r["url"]) for r in expected_records if r["url"].startswith("/2025/0"))
    assert urls == wanted and 0 < len(wanted) < len(expected_records)
    assert not any(p.startswith("/2025/1") for p in site.hits), "pages outside `allow` are not fetched"


@pytest.mark.parametrize("moment", ["before", "after"])
def test_worker_killed_at_its_rename_loses_and_repeats_nothing(moment: str, site: FixtureServer, redis_url: str,
                                                                tmp_path: Path,
                                                                expected_records: list[dict[str, Any]]) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    extensions = json.dumps({"newsbot.extensions.IncrementalState": 500, "newsbot.extensions.RunSummary": 510,
                             "tests.test_redis.DieAtRename": 400})
    lease = ["-s", "NEWSBOT_REDIS_LEASE=2", "-s", "NEWSBOT_EXTRACT_WORKERS=0"]
    first_out, second_out = tmp_path / "first" / "out.jsonl", tmp_path / "second" / "out.jsonl"
    assert run_newsbot("crawl", site.origin + "/", "--redis", redis_url, "--seed-only").returncode == 0
    first = subprocess.run([str(VENV_BIN / "newsbot"), "crawl", "--redis", redis_url, "--worker", "-o", str(first_out),
                            "--idle-exit", "1", *FAST, *lease, "-s", f"EXTENSIONS={extensions}",
                            "-s", f"NEWSBOT_TEST_DIE_AT_RENAME={moment}"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
    assert first_out.exists() == (moment == "after")
    assert client.keys("newsbot:prepared:*"), "the emissions were journalled before the rename"
    time.sleep(2.5)  # the dead worker's lease runs out
    assert run_newsbot("crawl", site.origin + "/", "--redis", redis_url, "--seed-only").returncode == 0
    code, err = finish(start_worker(redis_url, second_out, *lease))
    assert code == 0, err[-3000:]
    ids = Counter(r["id"] for r in records_of([p for p in (first_out, second_out) if p.exists()]))
    assert len(ids) == len(expected_records) and max(ids.values()) == 1, ids.most_common(3)
    assert not client.keys("newsbot:prepared:*") and not client.keys("newsbot:inflight:*")
    assert client.scard("newsbot:workers") == 0
