"""Scheduled crawls: incremental state, the run lock, atomic output, crash recovery,
URL variants and sites.toml — real `newsbot crawl` processes against the fixture site."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer
from newsbot.schema import record_errors
from tests.conftest import SITE, VENV_BIN, run_newsbot
from tests.killpoints import MOMENTS, kill_and_rerun

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False"]


def outputs(folder: Path) -> list[Path]:
    """Return the complete output files in ``folder`` (what a downstream job picks up)."""
    return sorted(folder.glob("*.jsonl"))


def records_in(folder: Path) -> list[dict[str, Any]]:
    """Return every record of every complete output file, checking no line is partial."""
    records = []
    for path in outputs(folder):
        data = path.read_bytes()
        assert data.endswith(b"\n"), f"{path} ends in a partial line"
        records += [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert all(record_errors(r) == [] for r in records)
    return records


def crawl_cmd(origin: str, state: Path, out: Path, *extra: str) -> list[str]:
    return ["crawl", origin + "/", "--state", str(state), "-o", str(out / "%(time)s.jsonl"), *FAST, *extra]


@pytest.fixture
def site() -> Any:
    """A fresh fixture server per test, since tests add pages to it."""
    with FixtureServer(SITE) as server:
        yield server


def new_article(server: FixtureServer, expected: dict[str, Any], slug: str, headline: str) -> str:
    """Serve a new article at ``/2025/11/20/<slug>/``, made from a fixture article with a new
    path, headline and text; return its path."""
    path = f"/2025/11/20/{slug}/"
    page = (SITE / expected["path"].strip("/") / "index.html").read_text(encoding="utf-8")
    page = page.replace(expected["path"], path).replace(expected["title"], headline)
    for number, paragraph in enumerate(expected["body"].split("\n\n")):
        page = page.replace(paragraph, f"{headline}: paragraph {number} reports what changed in {slug} "
                                        f"this week, with figures from the council and residents' views.")
    server.add_page(path, page)
    return path


def add_to_feed(server: FixtureServer, paths: list[str]) -> None:
    """Serve ``/feed.xml`` with items for ``paths`` added at the top."""
    feed = (SITE / "feed.xml").read_text(encoding="utf-8")
    items = "".join(f"<item><title>New</title><link>__ORIGIN__{p}</link><guid>__ORIGIN__{p}</guid></item>"
                    for p in paths)
    server.add_page("/feed.xml", re.sub(r"(<item>)", items + r"\1", feed, count=1), "application/xml; charset=utf-8")


def test_reruns_emit_only_new_articles(site: FixtureServer, tmp_path: Path,
                                       expected_records: list[dict[str, Any]]) -> None:
    state, out = tmp_path / "state.sqlite", tmp_path / "out"
    first = run_newsbot(*crawl_cmd(site.origin, state, out))
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(records_in(out)) == len(expected_records)
    assert len(outputs(out)) == 1
    stats_file = Path(str(outputs(out)[0]) + ".stats.json")
    summary = json.loads(stats_file.read_text())
    assert summary["sites"][site.origin.removeprefix("http://")]["written"] == len(expected_records)

    time.sleep(1.1)  # a new %(time)s
    second = run_newsbot(*crawl_cmd(site.origin, state, out))
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(outputs(out)) == 1, "an empty run writes no file"
    assert "written 0" in second.stderr and "skipped as seen" in second.stderr
    assert site.not_modified >= 3, "unchanged feeds and sitemaps are answered 304"

    fresh = [new_article(site, expected_records[0], "harbour-lights-return", "Harbour lights return to the quay"),
             new_article(site, expected_records[5], "tram-line-opens-early", "Tram line opens a month early")]
    add_to_feed(site, fresh)
    time.sleep(1.1)
    third = run_newsbot(*crawl_cmd(site.origin, state, out))
    assert third.returncode == 0, third.stderr[-3000:]
    assert len(outputs(out)) == 2
    newest = [json.loads(line) for line in outputs(out)[-1].read_text().splitlines()]
    assert sorted(r["url"] for r in newest) == sorted(site.url(p) for p in fresh)
    assert all(record_errors(r) == [] for r in newest)
    assert Counter(r["id"] for r in records_in(out)).most_common(1)[0][1] == 1


def test_two_runs_at_once_one_is_locked_out(site: FixtureServer, tmp_path: Path,
                                            expected_records: list[dict[str, Any]]) -> None:
    state = tmp_path / "state.sqlite"
    procs = [subprocess.Popen([str(VENV_BIN / "newsbot"), *crawl_cmd(site.origin, state, tmp_path / f"out{i}"),
                               "-s", "DOWNLOAD_DELAY=0.05"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 3], [err[-1500:] for _, err in results]
    locked_err = next(err for code, err in results if code == 3)
    assert re.search(r"locked: .*pid \d+, started \d{4}-\d{2}-\d{2}T", locked_err)
    written = [records_in(tmp_path / f"out{i}") for i in range(2)]
    assert sorted(len(w) for w in written) == [0, len(expected_records)]


def test_sigkill_mid_crawl_then_rerun_loses_nothing(site: FixtureServer, tmp_path: Path,
                                                    expected_records: list[dict[str, Any]]) -> None:
    state, out = tmp_path / "state.sqlite", tmp_path / "out"
    proc = subprocess.Popen([str(VENV_BIN / "newsbot"), *crawl_cmd(site.origin, state, out), "-s", "DOWNLOAD_DELAY=0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        temporaries = list(out.glob(".*.tmp")) if out.exists() else []
        if temporaries and temporaries[0].stat().st_size > 2000:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the crawl never started writing")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert outputs(out) == [], "a killed run leaves no complete-looking output"
    assert list(out.glob(".*.tmp")), "the killed run's temporary file is hidden, not output"

    rerun = run_newsbot(*crawl_cmd(site.origin, state, out))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    ids = Counter(r["id"] for r in records_in(out))
    assert len(ids) == len(expected_records) and max(ids.values()) == 1
    assert not list(out.glob(".*.tmp")), "the stale temporary file of the dead run is removed"


def test_one_story_under_four_urls_is_written_once(tmp_path: Path, expected_records: list[dict[str, Any]]) -> None:
    root = tmp_path / "site"
    root.mkdir()
    expected = next(r for r in expected_records if r["template"] == "magazine")
    article = (SITE / expected["path"].strip("/") / "index.html").read_text(encoding="utf-8")
    path = expected["path"]
    variants = [path + "?utm_source=newsletter&utm_medium=email", path.rstrip("/") + "/amp/",
                path.rstrip("/") + "/print/", "/syndicated/partner-copy/"]
    links = "".join(f'<li><a href="{v}">story</a></li>' for v in [path, *variants])
    (root / "index.html").write_text(f'<html><head><title>Home</title><meta property="og:type" content="website">'
                                     f'</head><body><ul>{links}</ul></body></html>', encoding="utf-8")
    (root / "404.html").write_text("<html><body>not found</body></html>", encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    without_canonical = re.sub(r'<link rel="canonical"[^>]*>|<meta property="og:url"[^>]*>', "", article)
    other_canonical = article.replace(f'href="__ORIGIN__{path}"', 'href="__ORIGIN__/syndicated/partner-copy/"')
    with FixtureServer(root) as server:
        server.add_page(path, article)
        server.add_page(variants[1], article)  # AMP copy naming the original as canonical
        server.add_page(variants[2], without_canonical)  # print view, no canonical
        server.add_page(variants[3], other_canonical)  # syndicated copy with its own canonical
        state, out = tmp_path / "state.sqlite", tmp_path / "out"
        first = run_newsbot(*crawl_cmd(server.origin, state, out))
        assert first.returncode == 0, first.stderr[-3000:]
        records = records_in(out)
        assert [r["title"] for r in records] == [expected["title"]]
        time.sleep(1.1)
        again = run_newsbot(*crawl_cmd(server.origin, state, out))
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(records_in(out)) == 1


def test_config_error_names_file_line_and_key(tmp_path: Path, site: FixtureServer) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(f'max_pages = 100\n\n[[sites]]\nurls = ["{site.origin}/"]\n\n[[sites]]\nname = "Second"\n'
                      f'urls = ["{site.origin}/"]\nmax_page = 3\n', encoding="utf-8")
    proc = run_newsbot("crawl", "--config", str(config), "-o", str(tmp_path / "out.jsonl"), "--state",
                       str(tmp_path / "s.sqlite"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"newsbot: error: {config}:9: sites[1].max_page: unknown key " \
        "(known: allow, feeds, max_age_days, max_pages, name, sitemaps, urls)"
    assert site.hits == {}, "nothing was crawled"


def test_config_crawl_applies_site_options(tmp_path: Path, site: FixtureServer,
                                           expected_records: list[dict[str, Any]]) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(f'output = "{tmp_path}/out/%(time)s.jsonl"\n\n[settings]\nAUTOTHROTTLE_ENABLED = false\n\n'
                      f'[[sites]]\nname = "Courier"\nurls = ["{site.origin}/"]\nallow = ["/2025/0"]\n', encoding="utf-8")
    proc = run_newsbot("crawl", "--config", str(config), "--state", str(tmp_path / "s.sqlite"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    urls = sorted(r["url"] for r in records_in(tmp_path / "out"))
    wanted = sorted(site.url(r["url"]) for r in expected_records if r["url"].startswith("/2025/0"))
    assert urls == wanted and 0 < len(wanted) < len(expected_records)
    assert not any(p.startswith("/2025/1") for p in site.hits), "pages outside `allow` are not fetched"


def test_max_age_days_drops_old_articles(tmp_path: Path, site: FixtureServer,
                                         expected_records: list[dict[str, Any]]) -> None:
    from datetime import date

    cutoff = date(2025, 9, 1)  # no fixture article is dated 31 August: the limit falls in that day
    days = (date.today() - date(2025, 8, 31)).days
    config = tmp_path / "sites.toml"
    config.write_text(f'max_age_days = 10\n[settings]\nAUTOTHROTTLE_ENABLED = false\n\n'
                      f'[[sites]]\nurls = ["{site.origin}/"]\nmax_age_days = {days}\n', encoding="utf-8")
    proc = run_newsbot("crawl", "--config", str(config), "--no-state", "-o", str(tmp_path / "out" / "run.jsonl"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = sorted(r["url"] for r in records_in(tmp_path / "out"))
    wanted = sorted(site.url(r["url"]) for r in expected_records if r["published"][:10] >= cutoff.isoformat())
    assert got == wanted and wanted
    # listed with dates older than the limit: not even requested (newsbot/skipped/too_old)
    assert "not requested: " in proc.stderr and "too_old=" in proc.stderr, proc.stderr


def test_updates_re_emit_changed_articles_flagged(tmp_path: Path, site: FixtureServer,
                                                  expected_records: list[dict[str, Any]]) -> None:
    state, out = tmp_path / "state.sqlite", tmp_path / "out"
    assert run_newsbot(*crawl_cmd(site.origin, state, out)).returncode == 0
    changed = expected_records[3]
    page = (SITE / changed["path"].strip("/") / "index.html").read_text(encoding="utf-8")
    for paragraph in changed["body"].split("\n\n")[1:]:
        page = page.replace(paragraph, "Correction: an earlier version of this report gave the wrong figures, "
                                       "which have now been checked with the council and fixed throughout.")
    site.add_page(changed["path"], page)
    time.sleep(1.1)
    plain = run_newsbot(*crawl_cmd(site.origin, state, out))
    assert plain.returncode == 0 and len(outputs(out)) == 1, "without --updates a seen article is not fetched again"
    time.sleep(1.1)
    updates = run_newsbot(*crawl_cmd(site.origin, state, out), "--updates")
    assert updates.returncode == 0, updates.stderr[-3000:]
    newest = [json.loads(line) for line in outputs(out)[-1].read_text().splitlines()]
    assert [(r["url"], r["updated"]) for r in newest] == [(site.url(changed["url"]), True)]


@pytest.mark.parametrize("moment", MOMENTS)
def test_sigkill_at_any_moment_then_rerun_gives_every_article_once(
        moment: str, site: FixtureServer, tmp_path: Path, expected_records: list[dict[str, Any]]) -> None:
    from newsbot.identity import article_id

    expected_ids = {article_id(site.url(r["url"])) for r in expected_records}
    outcome = kill_and_rerun(moment, site.origin, tmp_path, expected_ids)
    assert outcome.killed and outcome.rerun_code == 0, outcome
    assert (outcome.lost, outcome.duplicates, outcome.half_lines, outcome.temporaries_left) == (0, 0, 0, 0), outcome
    assert outcome.records == len(expected_records)


def test_a_site_that_stops_giving_articles_fails_the_run(tmp_path: Path, site: FixtureServer,
                                                         expected_records: list[dict[str, Any]]) -> None:
    state, out = tmp_path / "state.sqlite", tmp_path / "out"
    with FixtureServer() as up:  # a site is its scheme, host and port: the same port serves both runs
        assert run_newsbot(*crawl_cmd(up.origin, state, out)).returncode == 0
        port = int(up.origin.rsplit(":", 1)[1])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "index.html").write_text("<html><body><p>Down for maintenance.</p></body></html>", encoding="utf-8")
    (broken / "404.html").write_text("<html><body>not found</body></html>", encoding="utf-8")
    with FixtureServer(broken, port=port) as down:  # the same site, now without articles
        proc = run_newsbot(*crawl_cmd(down.origin, state, out))
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert f"site 127.0.0.1:{port} gave {len(expected_records)} articles in its last run and none now" in proc.stderr
    assert "site failed:" in proc.stderr
