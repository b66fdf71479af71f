"""``newsbot warc``: real runs of the command on archives written by the tests from the
fixture pages (files, gzip or not, standard input, http(s) from a loopback server, paths
files), with the crawl's pipelines; exit codes; resume after SIGTERM and SIGKILL."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsbot.schema import record_errors
from tests.conftest import ROOT, VENV_BIN, normalise_ws, run_newsbot
from tests.test_warc_fixtures import ORIGIN, Rec, article_paths, fixture_page, fixture_records, write_warc
from tests.test_warc_records import archive_server  # noqa: F401  # a fixture

FAST = ["-s", "NEWSBOT_EXTRACT_WORKERS=2", "-L", "INFO"]


def expected_by_url(expected_records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {ORIGIN + r["url"]: r for r in expected_records}


def read_records(*paths: Path) -> list[dict[str, Any]]:
    """Return the records of complete output files (none for a file that does not exist)."""
    records = []
    for path in paths:
        if path.exists():
            data = path.read_bytes()
            assert data.endswith(b"\n"), f"{path} ends in a partial line"
            records += [json.loads(line) for line in data.decode("utf-8").splitlines()]
    return records


def noisy_archive(path: Path) -> list[Rec]:
    """Every fixture article, the home page (a listing), a request, a revisit, a PDF and a 404."""
    records = [*fixture_records(), Rec(ORIGIN + "/", fixture_page("/")), Rec(ORIGIN + "/q", kind="request"),
               Rec(ORIGIN + "/r", kind="revisit"),
               Rec(ORIGIN + "/doc.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
               Rec(ORIGIN + "/gone/", b"<html><body>Not found</body></html>", status=404)]
    write_warc(path, records)
    return records


def test_an_archive_gives_the_crawl_records(tmp_path: Path, expected_records: list[dict[str, Any]]) -> None:
    noisy_archive(tmp_path / "a.warc.gz")
    out = tmp_path / "out.jsonl"
    proc = run_newsbot("warc", str(tmp_path / "a.warc.gz"), "-o", str(out), "--no-state", *FAST)
    assert proc.returncode == 0, proc.stderr
    records = read_records(out)
    expected = expected_by_url(expected_records)
    assert sorted(r["url"] for r in records) == sorted(expected)
    offsets = set()
    for record in records:
        assert record_errors(record) == []
        assert record["source_url"] == record["url"]
        assert record["fetched_at"] == "2026-11-20T08:00:00+00:00"
        assert record["warc"]["file"] == str(tmp_path / "a.warc.gz")
        assert re.fullmatch(r"<urn:uuid:[0-9a-f-]{36}>", record["warc"]["record_id"])
        offsets.add(record["warc"]["offset"])
        want = expected[record["url"]]
        assert record["title"] == want["title"]
        assert normalise_ws(record["body"]).startswith(normalise_ws(want["body"])[:200])
    assert len(offsets) == len(records)
    assert "records skipped: not_200=1, not_html=1, request=1, revisit=1" in proc.stderr
    assert "dropped: listing=1" in proc.stderr


def test_records_point_back_at_their_page_in_the_archive(tmp_path: Path) -> None:
    from newsbot.warc.filters import RecordFilter
    from newsbot.warc.records import Page, read_archive
    from newsbot.warc.sources import Source

    write_warc(tmp_path / "a.warc.gz", fixture_records()[:5])
    out = tmp_path / "out.jsonl"
    assert run_newsbot("warc", str(tmp_path / "a.warc.gz"), "-o", str(out), "--no-state", *FAST).returncode == 0
    for record in read_records(out):
        page = next(read_archive(Source(record["warc"]["file"]), record["warc"]["offset"], RecordFilter(), 1 << 24))
        assert isinstance(page, Page) and page.url == record["source_url"]


def test_bad_records_are_one_line_each_and_the_run_goes_on(tmp_path: Path) -> None:
    records = fixture_records()[:8]
    for index, damage in ((1, "cut"), (3, "length-short"), (5, "no-uri")):
        records[index].damage = damage
    offsets = write_warc(tmp_path / "bad.warc.gz", records)
    out = tmp_path / "out.jsonl"
    proc = run_newsbot("warc", str(tmp_path / "bad.warc.gz"), "-o", str(out), "--no-state", *FAST)
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "bad WARC record" in line]
    assert len(lines) == 3, lines
    for line, index in zip(lines, (1, 3, 5), strict=True):
        assert f"{tmp_path / 'bad.warc.gz'} at offset {offsets[index]}: " in line
    assert sorted(r["url"] for r in read_records(out)) == sorted(records[i].url for i in (0, 2, 4, 6, 7))
    assert "errors: warc_record=3" in proc.stderr


def test_a_page_without_a_charset_in_a_legacy_encoding_is_decoded(tmp_path: Path,
                                                                  expected_records: list[dict[str, Any]]) -> None:
    path = "/2025/01/14/westmark-parliament-approves-coastal-defence-budget/"
    page = fixture_page(path).decode("utf-8")
    page = re.sub(r"<meta[^>]+charset[^>]*>", "", page, flags=re.IGNORECASE)
    body = page.encode("cp1252", errors="xmlcharrefreplace")  # a few letters as character references
    assert b"\x92" in body  # a right single quote in windows-1252: not valid UTF-8
    write_warc(tmp_path / "legacy.warc", [Rec(ORIGIN + path, body, content_type="text/html")])
    out = tmp_path / "out.jsonl"
    proc = run_newsbot("warc", str(tmp_path / "legacy.warc"), "-o", str(out), "--no-state", *FAST)
    assert proc.returncode == 0, proc.stderr
    [record] = read_records(out)
    want = expected_by_url(expected_records)[ORIGIN + path]
    assert normalise_ws(record["body"]) == normalise_ws(want["body"])
    assert "\ufffd" not in record["body"] and "’" in record["body"]


def test_standard_input_http_and_paths_files(tmp_path: Path, archive_server: str) -> None:  # noqa: F811
    paths = article_paths()
    (tmp_path / "crawl").mkdir()
    write_warc(tmp_path / "crawl" / "a.warc.gz", fixture_records(paths[:10]))
    write_warc(tmp_path / "crawl" / "b.warc.gz", fixture_records(paths[10:20]))
    (tmp_path / "warc.paths.gz").write_bytes(gzip.compress(b"crawl/a.warc.gz\ncrawl/b.warc.gz\n"))
    stdin = subprocess.run([str(VENV_BIN / "newsbot"), "warc", "-", "-o", str(tmp_path / "stdin.jsonl"), "--no-state",
                            *FAST], input=(tmp_path / "crawl" / "a.warc.gz").read_bytes(), capture_output=True,
                           timeout=300)
    assert stdin.returncode == 0, stdin.stderr
    assert {r["warc"]["file"] for r in read_records(tmp_path / "stdin.jsonl")} == {"-"}
    assert len(read_records(tmp_path / "stdin.jsonl")) == 10
    remote = run_newsbot("warc", f"{archive_server}/warc.paths.gz", "-o", str(tmp_path / "http.jsonl"), "--no-state",
                         *FAST)
    assert remote.returncode == 0, remote.stderr
    files = Counter(r["warc"]["file"] for r in read_records(tmp_path / "http.jsonl"))
    assert files == {f"{archive_server}/crawl/a.warc.gz": 10, f"{archive_server}/crawl/b.warc.gz": 10}
    based = run_newsbot("warc", str(tmp_path / "warc.paths.gz"), "--base-url", f"{archive_server}/", "--site",
                        "news.example", "-o", str(tmp_path / "based.jsonl"), "--no-state", *FAST)
    assert based.returncode == 0, based.stderr
    assert len(read_records(tmp_path / "based.jsonl")) == 20
    missing = run_newsbot("warc", str(tmp_path / "nope.warc.gz"), f"{archive_server}/crawl/a.warc.gz", "-o",
                          str(tmp_path / "missing.jsonl"), "--no-state", *FAST)
    assert missing.returncode == 1
    assert f"cannot read WARC {tmp_path / 'nope.warc.gz'}: No such file or directory" in missing.stderr
    assert len(read_records(tmp_path / "missing.jsonl")) == 10


def test_filters_and_usage_errors(tmp_path: Path) -> None:
    records = fixture_records()[:6]
    records[0].date = "2026-10-01T00:00:00Z"
    records[1].url = "https://elsewhere.example/a/"
    write_warc(tmp_path / "a.warc.gz", records)
    out = tmp_path / "out.jsonl"
    proc = run_newsbot("warc", str(tmp_path / "a.warc.gz"), "-o", str(out), "--no-state", "--site", "news.example",
                       "--since", "2026-11-01", "--until", "2026-11-20", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert len(read_records(out)) == 4
    assert "records skipped: date=1, site=1" in proc.stderr
    bad = run_newsbot("warc", str(tmp_path / "a.warc.gz"), "-o", str(out), "--since", "last week")
    assert bad.returncode == 2 and "--since: 'last week' is not an ISO 8601 date" in bad.stderr
    assert run_newsbot("warc", str(tmp_path / "a.warc.gz")).returncode == 2  # no -o
    assert run_newsbot("warc", "--worker", "-o", str(out)).returncode == 2  # --worker without --redis
    nopaths = run_newsbot("warc", str(tmp_path / "none.paths.gz"), "-o", str(out))
    assert nopaths.returncode == 2 and "none.paths.gz" in nopaths.stderr


class StopAfter:
    """Test-only extension (``-s NEWSBOT_TEST_STOP_AFTER=N``): SIGTERMs its own run after N
    records are written, as a user or a supervisor would."""

    def __init__(self, limit: int) -> None:
        self.limit, self.count = limit, 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> StopAfter:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        limit = crawler.settings.getint("NEWSBOT_TEST_STOP_AFTER")
        if not limit:
            raise NotConfigured
        extension = cls(limit)
        crawler.signals.connect(extension.scraped, signal=signals.item_scraped)
        return extension

    def scraped(self, item: Any) -> None:
        self.count += 1
        if self.count == self.limit:
            os.kill(os.getpid(), signal.SIGTERM)


EXTENSIONS = {"newsbot.extensions.IncrementalState": 500, "newsbot.extensions.RunSummary": 510}


def _run(args: list[str], extension: str | None = None, **settings: str) -> subprocess.CompletedProcess[str]:
    extra = []
    if extension:
        extra = ["-s", f"EXTENSIONS={json.dumps({**EXTENSIONS, extension: 400})}"]
    extra += [item for name, value in settings.items() for item in ("-s", f"{name}={value}")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(VENV_BIN / "newsbot"), "warc", *args, *FAST, *extra], capture_output=True, text=True,
                          env=env, timeout=300)


def test_a_stopped_run_resumes_at_its_checkpoint(tmp_path: Path) -> None:
    records = fixture_records()
    write_warc(tmp_path / "a.warc.gz", records)
    state = tmp_path / "state.sqlite"
    base = [str(tmp_path / "a.warc.gz"), "--state", str(state)]
    first = _run([*base, "-o", str(tmp_path / "1.jsonl")], "tests.test_warc.StopAfter", NEWSBOT_TEST_STOP_AFTER="8")
    assert first.returncode == 143, first.stderr
    written = read_records(tmp_path / "1.jsonl")
    assert 8 <= len(written) < len(records)
    second = _run([*base, "-o", str(tmp_path / "2.jsonl")])
    assert second.returncode == 0, second.stderr
    assert re.search(rf"resuming {re.escape(str(tmp_path / 'a.warc.gz'))} at offset [1-9]\d*", second.stderr)
    pages = int(re.search(r"pages fetched: (\d+)", second.stderr)[1])
    assert pages < len(records)  # it did not read the archive again from the start
    ids = Counter(r["id"] for r in read_records(tmp_path / "1.jsonl", tmp_path / "2.jsonl"))
    assert len(ids) == len(records) and set(ids.values()) == {1}
    third = _run([*base, "-o", str(tmp_path / "3.jsonl")])
    assert third.returncode == 0, third.stderr
    assert "already read to the end by an earlier run" in third.stderr
    assert not (tmp_path / "3.jsonl").exists()


@pytest.mark.parametrize("moment", ["write", "rename", "commit"])
def test_a_killed_run_then_a_rerun_writes_every_article_once(tmp_path: Path, moment: str) -> None:
    records = fixture_records()
    write_warc(tmp_path / "a.warc.gz", records)
    base = [str(tmp_path / "a.warc.gz"), "--state", str(tmp_path / "state.sqlite")]
    first = _run([*base, "-o", str(tmp_path / "1.jsonl")], "tests.killpoints.KillAt", NEWSBOT_TEST_KILL_AT=moment)
    assert first.returncode == -signal.SIGKILL, first.stderr
    second = _run([*base, "-o", str(tmp_path / "2.jsonl")])
    assert second.returncode == 0, second.stderr
    ids = Counter(r["id"] for r in read_records(tmp_path / "1.jsonl", tmp_path / "2.jsonl"))
    assert len(ids) == len(records) and set(ids.values()) == {1}, (moment, ids)
    assert not list(tmp_path.glob(".*.tmp"))
