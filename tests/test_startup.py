"""Start-up of a short run (newsbot.startup): the collector paused while the command loads
and resumed for the crawl, and the frame-only stack Scrapy's TLS module is imported under."""

from __future__ import annotations

import gc
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.deprecate import create_deprecated_class

from newsbot.cli.commands import _skip_disabled_extensions
from newsbot.fixture_server import FixtureServer
from newsbot.startup import frames_only_stack, pause_collection, resume_collection
from tests.conftest import ROOT, run_newsbot


def _callers() -> list[inspect.FrameInfo]:
    return inspect.stack()


def test_frames_only_stack_gives_the_same_frames_without_source() -> None:
    real = _callers()
    with frames_only_stack():
        light = _callers()
    assert [f.frame for f in light[1:]] == [f.frame for f in real[1:]]
    assert [(f.function, f.filename) for f in light] == [(f.function, f.filename) for f in real]
    assert [f.lineno for f in light[2:]] == [f.lineno for f in real[2:]]
    assert light[0].lineno == real[0].lineno and light[1].lineno > real[1].lineno
    assert all(f.code_context is None and f.index is None for f in light)
    assert inspect.stack is not None and _callers()[0].code_context  # the real one is back


def test_frames_only_stack_is_put_back_after_an_error() -> None:
    real = inspect.stack
    with pytest.raises(RuntimeError), frames_only_stack():
        assert inspect.stack is not real
        raise RuntimeError("boom")
    assert inspect.stack is real


class _New:
    pass


def test_scrapy_deprecated_alias_names_its_module_under_the_frame_only_stack() -> None:
    with frames_only_stack():
        alias = create_deprecated_class("Old", _New)
    assert alias.__module__ == __name__ == create_deprecated_class("Old2", _New).__module__


def test_pause_and_resume_collection() -> None:
    was = gc.isenabled()
    try:
        pause_collection()
        assert not gc.isenabled()
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle made while paused
        resume_collection()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        gc.unfreeze()
        resume_collection()  # not paused: nothing frozen
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        if not was:
            gc.disable()


def test_the_crawl_runs_with_the_collector_on(tmp_path: Path, fixture_site: FixtureServer) -> None:
    """The console script pauses collection while it loads; the crawl itself must not run
    without it (a long crawl would keep every cycle it makes). Nor does it load the
    switched-off telnet and remote-control extensions."""
    probe = tmp_path / "probe.txt"
    urls = tmp_path / "urls.txt"
    urls.write_text(fixture_site.url("/") + "\n")
    extensions = ('{"newsbot.extensions.IncrementalState": 500, "newsbot.extensions.RunSummary": 510, '
                  '"tests.extensions_for_tests.StartupProbe": 0}')
    result = run_newsbot("scrape", str(urls), "-o", str(tmp_path / "o.jsonl"), "-s", f"EXTENSIONS={extensions}",
                         "-s", f"TEST_PROBE_FILE={probe}", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    enabled, frozen, loaded = probe.read_text().split()
    assert enabled == "True" and int(frozen) > 10_000  # the modules and crawler start-up built
    assert loaded == "-"


@pytest.mark.parametrize(
    ("overrides", "kept"),
    [
        ({}, set()),
        ({"TELNETCONSOLE_ENABLED": True}, {"scrapy.extensions.telnet.TelnetConsole"}),
        ({"REMOTE_CONTROL_ENABLED": True}, {"scrapy.extensions.remote_control.RemoteControl"}),
        ({"EXTENSIONS": {"scrapy.extensions.telnet.TelnetConsole": 0}}, {"scrapy.extensions.telnet.TelnetConsole"}),
    ],
)
def test_switched_off_extensions_are_not_listed(overrides: dict[str, object], kept: set[str]) -> None:
    settings = Settings()
    settings.setdict({"TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False, **overrides}, priority="project")
    _skip_disabled_extensions(settings)
    base = set(settings.getdict("EXTENSIONS_BASE"))
    switched = {"scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl"}
    assert base & switched == kept
    assert "scrapy.extensions.feedexport.FeedExporter" in base


def test_the_tls_module_is_loaded_under_the_frame_only_stack() -> None:
    """Scrapy's aliases get their module from the frame-only stack when newsbot's download
    handler is the first to load them (as in a crawl)."""
    code = (
        "import inspect, newsbot.startup as s\n"
        "calls = []\n"
        "real = s._stack_without_source\n"
        "s._stack_without_source = lambda context=1: calls.append(1) or real()[1:]\n"
        "import newsbot.http11\n"
        "from scrapy.core.downloader.contextfactory import ScrapyClientContextFactory as A\n"
        "from scrapy.core.downloader.tls import ScrapyClientTLSOptions as B\n"
        "print(len(calls), A.__module__, B.__module__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["3", "scrapy.core.downloader.contextfactory", "scrapy.core.downloader.tls"]
