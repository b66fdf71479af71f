"""The emitted-articles store, URL keys, body fingerprints and the run lock (no Scrapy)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsbot.identity import body_fingerprint, url_key
from newsbot.state.sqlite import LockedError, RunLock, StateStore

STORY = " ".join(
    f"Paragraph {i}: the harbour board weighed crane contract number {i * 7} against the costs, the noise "
    f"and the {i + 3} hundred jobs the port expects over the next ten years, said member {chr(65 + i % 26)}."
    for i in range(30)
)


@pytest.mark.parametrize("variant", [
    "https://news.example/2025/03/03/story/",
    "http://news.example/2025/03/03/story",
    "https://www.news.example/2025/03/03/story/?utm_source=x&utm_medium=y",
    "https://news.example/2025/03/03/story/amp/",
    "https://amp.news.example/2025/03/03/story/",
    "https://news.example/2025/03/03/story/print/",
    "https://news.example/2025/03/03/story/?amp=1#comments",
    "https://m.news.example/2025/03/03/story/?fbclid=abc",
])
def test_url_variants_share_one_key(variant: str) -> None:
    assert url_key(variant) == "news.example/2025/03/03/story"


def test_different_pages_keep_different_keys() -> None:
    assert url_key("https://news.example/story?id=1") != url_key("https://news.example/story?id=2")
    assert url_key("https://news.example/a/") != url_key("https://other.example/a/")


def test_fingerprints_of_near_copies_are_close_and_of_other_texts_far() -> None:
    a = body_fingerprint(STORY)
    b = body_fingerprint(STORY.replace("Tuesday", "Wednesday"))
    c = body_fingerprint("A completely different report about a school choir winning a national prize. " * 4)
    assert bin(a ^ b).count("1") <= 3
    assert bin(a ^ c).count("1") > 10
    assert body_fingerprint("") == 0


def test_staged_emissions_count_only_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = StateStore(path)
    fp = body_fingerprint(STORY)
    store.stage(url_key("https://news.example/a/"), "https://news.example/a/", fp, ["news.example/a-old"])
    assert store.lookup_key("news.example/a") is None
    store.close()  # a crash before commit: nothing recorded

    store = StateStore(path)
    assert store.count() == 0
    store.stage("news.example/a", "https://news.example/a/", fp, ["news.example/a-old"])
    assert store.commit() == 1
    store.close()

    store = StateStore(path)
    assert store.lookup_key("news.example/a").url == "https://news.example/a/"
    assert store.lookup_key("news.example/a-old").key == "news.example/a"
    assert store.lookup_fingerprint(body_fingerprint(STORY.replace("member D.", "member Q."))).key == "news.example/a"
    assert store.lookup_fingerprint(body_fingerprint("Nothing like it at all, a weather report. " * 5)) is None


def test_second_lock_is_refused_with_holder_and_a_dead_holder_is_taken_over(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from newsbot.state.sqlite import RunLock; RunLock(sys.argv[1]).acquire(); "
        "print('held', flush=True); time.sleep(60)"), str(state)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(LockedError, match=rf"pid {holder.pid}, started \d{{4}}-"):
        RunLock(state).acquire()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    time.sleep(0.1)
    with RunLock(state) as lock:
        assert lock.path.exists()


def test_example_config_loads() -> None:
    from newsbot.config import load_config
    from tests.conftest import ROOT

    config = load_config(ROOT / "examples" / "sites.toml")
    assert [s.name for s in config.sites] == ["Example Courier", "Example Gazette"]
    assert config.sites[0].max_pages == 200 and config.sites[0].max_age_days == 3
    assert config.sites[1].max_pages == 500 and config.sites[1].max_age_days == 1
    assert config.settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
