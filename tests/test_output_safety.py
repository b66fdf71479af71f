"""Output delivery on file systems made for the purpose: a target under a regular file, a
folder, a FIFO, a full disk (a file-size limit on the crawl), a read-only folder, a target
that stops being a regular file mid-crawl, ``scrape`` without ``-o``. Each is a real crawl
of the fixture site on 127.0.0.1 by the ``newsbot`` command."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer
from tests.outputcases import emitted, readonly_folder, records, run, temporaries


def _one_line_naming(result: Any, path: Path | str) -> None:
    errors = result.errors()
    assert len(errors) == 1 and str(path) in errors[0], result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_output_under_a_regular_file_is_refused_before_crawling(tmp_path: Path, fixture_site: FixtureServer) -> None:
    (tmp_path / "plain").write_text("x")
    target = tmp_path / "plain" / "out.jsonl"
    result = run("crawl", fixture_site.url("/"), "--state", str(tmp_path / "s.sqlite"), "-o", str(target))
    assert result.code == 2
    _one_line_naming(result, target)
    assert not (tmp_path / "s.sqlite").exists()  # nothing crawled, no state opened


def test_output_onto_a_folder_is_refused(tmp_path: Path, fixture_site: FixtureServer) -> None:
    result = run("scrape", "-", "-o", str(tmp_path), stdin=fixture_site.url("/") + "\n")
    assert result.code == 2
    _one_line_naming(result, tmp_path)


def test_output_in_a_read_only_folder_is_refused(tmp_path: Path, fixture_site: FixtureServer) -> None:
    with readonly_folder(tmp_path / "ro") as folder:
        if folder is None:
            pytest.skip("no way to make a read-only folder here (root without mount)")
        target = folder / "out.jsonl"
        result = run("crawl", fixture_site.url("/"), "--no-state", "-o", str(target))
    assert result.code == 2
    _one_line_naming(result, target)


def test_fifo_is_written_as_a_stream_and_stays_a_fifo(tmp_path: Path, fixture_site: FixtureServer,
                                                      expected_records: list[dict[str, Any]]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run("crawl", fixture_site.url("/"), "--no-state", "-o", str(fifo))
    reader.join(60)
    assert result.code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    lines = got[0].decode().splitlines()
    assert len(lines) == len(expected_records)
    assert not temporaries(tmp_path) and not (tmp_path / "pipe.stats.json").exists()


def test_full_disk_is_exit_4_and_nothing_recorded(tmp_path: Path, fixture_site: FixtureServer,
                                                  expected_records: list[dict[str, Any]]) -> None:
    state, out = tmp_path / "s.sqlite", tmp_path / "out" / "o.jsonl"
    base = ["crawl", fixture_site.url("/"), "--state", str(state), "-o", str(out)]
    from newsbot.state.sqlite import StateStore

    StateStore(state).close()  # made first: SQLite's shared-memory file alone is 32 KB
    full = run(*base, fsize=60_000)  # the records are ~80 KB
    assert full.code == 4, full.stderr
    errors = [e for e in full.errors() if str(out) in e]
    assert len(errors) == 1 and "[Errno 27]" in errors[0], full.stderr
    assert "Traceback" not in full.stderr
    assert not out.exists() and not temporaries(out.parent)
    assert emitted(state) == 0
    again = run(*base)  # the disk has room again: every article is written
    assert again.code == 0, again.stderr
    assert len(records(out)) == len(expected_records) == emitted(state)


def test_target_replaced_by_a_folder_mid_crawl_is_not_renamed_onto(tmp_path: Path,
                                                                   fixture_site: FixtureServer) -> None:
    state, out = tmp_path / "s.sqlite", tmp_path / "o.jsonl"
    extension = '{"newsbot.extensions.IncrementalState": 500, "newsbot.extensions.RunSummary": 510, ' \
                '"tests.extensions_for_tests.TargetBecomesFolder": 400}'
    result = run("crawl", fixture_site.url("/"), "--state", str(state), "-o", str(out),
                 "-s", f"EXTENSIONS={extension}")
    assert result.code == 4, result.stderr
    assert out.is_dir() and not temporaries(tmp_path)
    assert emitted(state) == 0
    assert any(str(out) in e and "regular file" in e for e in result.errors()), result.stderr


def test_scrape_without_output_writes_jsonl_to_stdout(fixture_site: FixtureServer,
                                                      expected_records: list[dict[str, Any]]) -> None:
    urls = [fixture_site.url(r["path"]) for r in expected_records[:2]]
    result = run("scrape", "-", stdin="\n".join(urls) + "\n")
    assert result.code == 0, result.stderr
    assert sorted(__import__("json").loads(line)["source_url"] for line in result.stdout.splitlines()) == sorted(urls)
