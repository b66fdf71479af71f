"""First contact with the ``newsbot`` command (issue 18): the demo's site ships with the
package, quiet stderr, output formats and fields, flags that exclude each other, ``extract``
of non-articles and standard input, broken pipes, and why a rerun wrote nothing. Each test
runs the real command against the fixture site on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer, default_fixture_root
from newsbot.schema import record_errors
from tests.conftest import SITE, VENV_BIN, run_newsbot


def _two_urls(tmp_path: Path, site: FixtureServer, expected: list[dict[str, Any]]) -> Path:
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(site.url(r["path"]) + "\n" for r in expected[:2]), encoding="utf-8")
    return listing


def test_bundled_site_is_package_data() -> None:
    root = default_fixture_root()
    assert root.parent.name == "newsbot" and (root / "index.html").is_file()
    assert (root / "index.html").read_bytes() == (SITE / "index.html").read_bytes()


def test_demo_from_another_folder_stdout_is_pure_jsonl(tmp_path: Path, expected_records: list[dict[str, Any]]) -> None:
    proc = run_newsbot("demo", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == len(expected_records)
    assert all(record_errors(r) == [] for r in records)
    assert f"articles written: {len(expected_records)}" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_two_url_scrape_is_quiet(tmp_path: Path, fixture_site: FixtureServer,
                                 expected_records: list[dict[str, Any]]) -> None:
    listing = _two_urls(tmp_path, fixture_site, expected_records)
    proc = run_newsbot("scrape", str(listing), "-o", "-")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2
    lines = proc.stderr.splitlines()
    assert lines[:2] == ["pages fetched: 2", "articles written: 2"], lines
    assert len(lines) <= 6, lines
    assert "overwriting" not in proc.stderr and "Scrapy" not in proc.stderr
    verbose = run_newsbot("scrape", str(listing), "-o", str(tmp_path / "v.jsonl"), "-v")
    assert "Dumping Scrapy stats" in verbose.stderr


@pytest.mark.parametrize(("output", "extra", "kind"), [
    ("out.csv", [], "csv"),
    ("out.json", [], "json"),
    ("out.xml", [], "xml"),
    ("out.dat:csv", [], "csv"),
    ("out.txt", ["--format", "json"], "json"),
])
def test_output_formats(tmp_path: Path, fixture_site: FixtureServer, expected_records: list[dict[str, Any]],
                        output: str, extra: list[str], kind: str) -> None:
    listing = _two_urls(tmp_path, fixture_site, expected_records)
    proc = run_newsbot("scrape", str(listing), "-o", str(tmp_path / output), *extra)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / output.split(":")[0]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".stats.json")) == sorted(
        ["urls.txt", path.name])
    text = path.read_text(encoding="utf-8")
    if kind == "csv":
        rows = list(csv.DictReader(text.splitlines()))
        assert len(rows) == 2 and rows[0]["url"].startswith("http://127.0.0.1")
    elif kind == "json":
        records = json.loads(text)
        assert len(records) == 2 and all(record_errors(r) == [] for r in records)
    else:
        assert len(ET.fromstring(text).findall("item")) == 2


def test_fields_and_unknown_format(tmp_path: Path, fixture_site: FixtureServer,
                                   expected_records: list[dict[str, Any]]) -> None:
    listing = _two_urls(tmp_path, fixture_site, expected_records)
    out = tmp_path / "f.jsonl"
    proc = run_newsbot("scrape", str(listing), "-o", str(out), "--fields", "url,title")
    assert proc.returncode == 0, proc.stderr
    assert [list(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()] == [["url", "title"]] * 2
    for args in (["-o", str(tmp_path / "x.txt")], ["-o", str(out), "--fields", "url,nope"],
                 ["-o", str(out), "--format", "yaml"], ["-o", str(tmp_path / "x.csv:csv"), "--format", "json"]):
        bad = run_newsbot("scrape", str(listing), *args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert "error:" in bad.stderr.strip().splitlines()[-1], bad.stderr


def test_flags_version_and_help(tmp_path: Path) -> None:
    version = run_newsbot("--version")
    assert version.returncode == 0 and version.stdout.startswith("newsbot ")
    for args in (["crawl", "http://127.0.0.1:9/", "--state", str(tmp_path / "s.sqlite"), "--no-state", "-o", "x"],
                 ["crawl", "http://127.0.0.1:9/", "-v", "-L", "DEBUG", "-o", "x"],
                 ["demo", "--max-pages", "0"]):
        proc = run_newsbot(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "exclude each other" in proc.stderr or "--max-pages" in proc.stderr, (args, proc.stderr)
    helps = run_newsbot("crawl", "--help").stdout
    for flag in ("--format", "--fields", "--max-pages", "--verbose", "%(time)s", "--state", "--no-state"):
        assert flag in helps, flag


def test_max_pages_stops_early(tmp_path: Path) -> None:
    proc = run_newsbot("demo", "--max-pages", "5", "-o", str(tmp_path / "d.jsonl"), cwd=tmp_path)
    fetched = int(proc.stderr.split("pages fetched: ")[1].split()[0])
    assert fetched <= 10, proc.stderr


def test_extract_non_article_stdin_and_url(tmp_path: Path, expected_records: list[dict[str, Any]]) -> None:
    home = str(SITE / "index.html")
    proc = run_newsbot("extract", home, "--url", "http://127.0.0.1/")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"not an article: {home}: listing"]
    kept = run_newsbot("extract", home, "--url", "http://127.0.0.1/", "--keep")
    assert kept.returncode == 1 and record_errors(json.loads(kept.stdout)) == []
    page = (SITE / expected_records[0]["path"].lstrip("/") / "index.html").read_text(encoding="utf-8")
    assert run_newsbot("extract", "-", stdin=page).returncode == 2
    ids = {json.loads(run_newsbot("extract", "-", "--url", f"http://127.0.0.1/{n}/", stdin=page).stdout)["id"]
           for n in (1, 2)}
    assert len(ids) == 2
    bad = run_newsbot("extract", home, "--url", "notaurl")
    assert bad.returncode == 2 and "notaurl" in bad.stderr


def test_broken_pipe_and_empty_list_end_quietly(tmp_path: Path, expected_records: list[dict[str, Any]]) -> None:
    page = SITE / expected_records[0]["path"].lstrip("/") / "index.html"
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: `| head` that quit
    proc = subprocess.run([str(VENV_BIN / "newsbot"), "extract", str(page), "--url", "http://127.0.0.1/a"],
                          stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    os.close(write)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    proc = run_newsbot("scrape", str(empty), "-o", str(tmp_path / "e.jsonl"), "-s", "NEWSBOT_EXTRACT_WORKERS=2")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "nothing written" in proc.stderr


def test_url_crawl_default_store_per_list_and_why_nothing(tmp_path: Path, fixture_site: FixtureServer) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}

    def crawl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV_BIN / "newsbot"), "crawl", *args], env=env, capture_output=True,
                              text=True, timeout=300)

    home = fixture_site.url("/")
    first = crawl(home, "-o", str(tmp_path / "a.jsonl"))
    assert first.returncode == 0, first.stderr
    again = crawl(home, "-o", str(tmp_path / "b.jsonl"))
    assert not (tmp_path / "b.jsonl").exists()
    assert "nothing written" in again.stderr and "emitted before" in again.stderr
    stores = list((tmp_path / "state" / "newsbot").glob("urls-*.sqlite"))
    assert len(stores) == 1 and str(stores[0]) in again.stderr
    other = crawl(home + "?other", "-o", str(tmp_path / "c.jsonl"))
    assert (tmp_path / "c.jsonl").exists(), other.stderr
    assert len(list((tmp_path / "state" / "newsbot").glob("urls-*.sqlite"))) == 2
