"""Test-only Scrapy extension that SIGKILLs its own crawl at a chosen moment.

Enabled by a test with ``-s NEWSBOT_TEST_KILL_AT=<moment>`` and this class added to
``EXTENSIONS``. Moments: ``discovery`` (the 5th page request is scheduled), ``fetch`` (the
10th page response arrives), ``write`` (the 15th record was written to the temporary
output file), ``rename`` (the output file is fsynced and journalled, the rename not yet
done), ``commit`` (inside the state store's final transaction, after some inserts).
:func:`kill_and_rerun` runs one such crawl and a clean rerun (used by the tests and by
``bench/faults.py``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

import newsbot.feedstorage
import newsbot.state.sqlite

ROOT = Path(__file__).resolve().parent.parent


def die() -> None:
    """Kill this process at once, as a power cut or the OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


class KillAt:
    """Kills the crawl at ``NEWSBOT_TEST_KILL_AT``."""

    def __init__(self, moment: str, crawler: Any) -> None:
        self.moment = moment
        self.count = 0
        if moment == "discovery":
            crawler.signals.connect(self.scheduled, signal=signals.request_scheduled)
        elif moment == "fetch":
            crawler.signals.connect(self.received, signal=signals.response_received)
        elif moment == "write":
            crawler.signals.connect(self.scraped, signal=signals.item_scraped)
        elif moment == "rename":
            newsbot.feedstorage.os.replace = lambda *a, **k: die()  # type: ignore[attr-defined]
        elif moment == "commit":
            original = newsbot.state.sqlite.StateStore._insert

            def insert_then_die(store: Any, *args: Any) -> None:
                original(store, *args)
                self.count += 1
                if self.count == 10:
                    die()

            newsbot.state.sqlite.StateStore._insert = insert_then_die  # type: ignore[method-assign]
        else:
            raise ValueError(f"unknown kill moment {moment!r}")

    @classmethod
    def from_crawler(cls, crawler: Any) -> KillAt:
        moment = crawler.settings.get("NEWSBOT_TEST_KILL_AT")
        if not moment:
            raise NotConfigured
        return cls(moment, crawler)

    def _tick(self, limit: int) -> None:
        self.count += 1
        if self.count == limit:
            die()

    def scheduled(self, request: Any, spider: Any) -> None:
        if getattr(request.callback, "__name__", "") == "parse_page":
            self._tick(5)

    def received(self, response: Any, request: Any, spider: Any) -> None:
        if getattr(request.callback, "__name__", "") == "parse_page":
            self._tick(10)

    def scraped(self, item: Any, response: Any, spider: Any) -> None:
        self._tick(15)


MOMENTS = ("discovery", "fetch", "write", "rename", "commit")


@dataclass
class KillOutcome:
    """What a SIGKILLed crawl followed by a clean rerun left in the output folder."""

    moment: str
    killed: bool  # the first run died of SIGKILL
    rerun_code: int
    records: int
    lost: int
    duplicates: int
    half_lines: int
    temporaries_left: int

    @property
    def ok(self) -> bool:
        """Return True when nothing was lost, repeated or half-written."""
        return (self.killed and self.rerun_code == 0 and not self.lost and not self.duplicates
                and not self.half_lines and not self.temporaries_left)


def kill_and_rerun(moment: str, origin: str, folder: Path, expected_ids: set[str]) -> KillOutcome:
    """Crawl ``origin`` with a state store in ``folder``, SIGKILL the crawl at ``moment``,
    rerun it cleanly, and return what the complete output files hold."""
    newsbot = Path(sys.executable).parent / "newsbot"
    state, out = folder / "state.sqlite", folder / "out"
    base = [str(newsbot), "crawl", origin + "/", "--state", str(state), "-o", str(out / "%(time)s.jsonl"),
            "-s", "AUTOTHROTTLE_ENABLED=False"]
    extensions = json.dumps({"newsbot.extensions.IncrementalState": 500, "newsbot.extensions.RunSummary": 510,
                             "tests.killpoints.KillAt": 400})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run([*base, "-s", f"EXTENSIONS={extensions}", "-s", f"NEWSBOT_TEST_KILL_AT={moment}"],
                           capture_output=True, text=True, env=env, timeout=300)
    time.sleep(1.1)  # the rerun's %(time)s must differ
    rerun = subprocess.run(base, capture_output=True, text=True, timeout=300)
    ids: Counter[str] = Counter()
    half = 0
    for path in sorted(out.glob("*.jsonl")):
        data = path.read_bytes()
        lines = data.split(b"\n")
        if lines[-1]:
            half += 1
        for line in lines[:-1]:
            try:
                ids[json.loads(line)["id"]] += 1
            except ValueError:
                half += 1
    return KillOutcome(
        moment=moment, killed=first.returncode == -signal.SIGKILL, rerun_code=rerun.returncode,
        records=sum(ids.values()), lost=len(expected_ids - set(ids)),
        duplicates=sum(n - 1 for n in ids.values() if n > 1), half_lines=half,
        temporaries_left=len(list(out.glob(".*.tmp"))))
