"""Settings and -L checked before anything starts: one line, exit 2, nothing crawled —
a bad value (-s and sites.toml), an unknown log level, an unknown NEWSBOT_* name with the
closest known one. Plus the checker on its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsbot.fixture_server import FixtureServer
from tests.outputcases import run


def _refused(result: object, *words: str) -> None:
    code, errors, stderr = result.code, result.errors(), result.stderr  # type: ignore[attr-defined]
    assert code == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert all(word in errors[0] for word in words), stderr


@pytest.mark.parametrize(("args", "words"), [
    (["-s", "CONCURRENT_REQUESTS=lots"], ["CONCURRENT_REQUESTS", "lots", "-s"]),
    (["-s", "NEWSBOT_MAX_PAGES=-5"], ["NEWSBOT_MAX_PAGES", "negative"]),
    (["-s", "AUTOTHROTTLE_ENABLED=maybe"], ["AUTOTHROTTLE_ENABLED", "true or false"]),
    (["-L", "LOUD"], ["LOUD", "-L"]),
    (["-s", "LOG_LEVEL=LOUD"], ["LOUD"]),
    (["-s", "NEWSBOT_MIN_WORD=3"], ["NEWSBOT_MIN_WORD", "did you mean NEWSBOT_MIN_WORDS"]),
])
def test_bad_setting_on_the_command_line(args: list[str], words: list[str], tmp_path: Path,
                                         fixture_site: FixtureServer) -> None:
    out = tmp_path / "o.jsonl"
    result = run("crawl", fixture_site.url("/"), "--no-state", "-o", str(out), *args)
    _refused(result, *words)
    assert not out.exists()


def test_bad_setting_in_sites_toml(tmp_path: Path, fixture_site: FixtureServer) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(f'[settings]\nCONCURRENT_REQUESTS = "lots"\n\n[[sites]]\nurls = ["{fixture_site.url("/")}"]\n')
    result = run("crawl", "-c", str(config), "--no-state", "-o", str(tmp_path / "o.jsonl"))
    _refused(result, "CONCURRENT_REQUESTS", str(config))


def test_scrape_checks_settings_too(tmp_path: Path) -> None:
    result = run("scrape", "-", "-s", "NEWSBOT_EXTRACT_WORKER=2", stdin="")
    _refused(result, "did you mean NEWSBOT_EXTRACT_WORKERS")


def test_checker_accepts_the_project_settings_and_reasonable_overrides() -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    from scrapy.utils.project import get_project_settings

    from newsbot.settingscheck import settings_problem

    settings = get_project_settings()
    assert settings_problem(settings) is None
    for name, value in [("DOWNLOAD_DELAY", "0.25"), ("CONCURRENT_REQUESTS", "4"), ("LOG_LEVEL", "debug"),
                        ("NEWSBOT_TEST_ANYTHING", "x"), ("RETRY_PRIORITY_ADJUST", "-2"), ("ROBOTSTXT_OBEY", "False")]:
        settings.set(name, value, priority="cmdline")
        assert settings_problem(settings) is None, name
