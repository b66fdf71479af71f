"""``newsbot warc --redis``: archives as shared work items on a real redis-server (loopback):
two workers split them and write every article once; a worker killed mid-archive loses
nothing, its archive taken over once its lease expired."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import redis

from tests.conftest import ROOT, VENV_BIN
from tests.test_redis import redis_url  # noqa: F401  # a fixture: a fresh redis-server
from tests.test_warc import read_records
from tests.test_warc_fixtures import article_paths, fixture_records, write_warc

FAST = ["-s", "NEWSBOT_EXTRACT_WORKERS=1", "-s", "NEWSBOT_REDIS_LEASE=2", "-L", "INFO"]


def three_archives(folder: Path) -> list[str]:
    paths = article_paths()
    third = len(paths) // 3
    names = []
    for n, part in enumerate((paths[:third], paths[third : 2 * third], paths[2 * third :])):
        write_warc(folder / f"{n}.warc.gz", fixture_records(part))
        names.append(str(folder / f"{n}.warc.gz"))
    return names


def start(*args: str, extra: list[str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([str(VENV_BIN / "newsbot"), "warc", *args, *FAST, *(extra or [])], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_two_workers_split_the_archives_and_write_every_article_once(redis_url: str, tmp_path: Path) -> None:  # noqa: F811
    archives = three_archives(tmp_path)
    client = redis.Redis.from_url(redis_url)
    first = start(*archives, "--redis", redis_url, "-o", str(tmp_path / "a.jsonl"))
    deadline = time.monotonic() + 60
    while client.scard("newsbot:warc:known") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = start("--redis", redis_url, "--worker", "-o", str(tmp_path / "b.jsonl"))
    for proc in (first, second):
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    ids = Counter(r["id"] for r in read_records(tmp_path / "a.jsonl", tmp_path / "b.jsonl"))
    assert len(ids) == len(article_paths()) and set(ids.values()) == {1}
    assert {m.decode() for m in client.smembers("newsbot:warc:done")} == set(archives)
    assert client.llen("newsbot:warc:todo") == 0 and client.zcard("newsbot:warc:leases") == 0
    again = start(*archives, "--redis", redis_url, "-o", str(tmp_path / "c.jsonl"))
    _, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "0 of 3 archives queued" in stderr and not (tmp_path / "c.jsonl").exists()


def test_a_killed_worker_s_archive_is_taken_over_after_its_lease(redis_url: str, tmp_path: Path) -> None:  # noqa: F811
    archives = three_archives(tmp_path)
    extensions = json.dumps({"newsbot.extensions.IncrementalState": 500, "newsbot.extensions.RunSummary": 510,
                             "tests.killpoints.KillAt": 400})
    killed = start(*archives, "--redis", redis_url, "-o", str(tmp_path / "a.jsonl"),
                   extra=["-s", f"EXTENSIONS={extensions}", "-s", "NEWSBOT_TEST_KILL_AT=write"])
    killed.communicate(timeout=300)
    assert killed.returncode == -9
    time.sleep(2.5)  # the dead worker's leases (2 s) expire
    rerun = start("--redis", redis_url, "--worker", "-o", str(tmp_path / "b.jsonl"))
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert not (tmp_path / "a.jsonl").exists()
    ids = Counter(r["id"] for r in read_records(tmp_path / "b.jsonl"))
    assert len(ids) == len(article_paths()) and set(ids.values()) == {1}
