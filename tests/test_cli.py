"""The newsbot command end to end: scrape, extract, demo, stdout output, and Scrapy's own
``scrapy crawl`` — each a real process against the fixture site on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newsbot.fixture_server import FixtureServer
from newsbot.schema import record_errors
from tests.conftest import ROOT, SITE, VENV_BIN, run_newsbot


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(record_errors(r) == [] for r in records)
    return records


def test_scrape_mixed_list(tmp_path: Path, fixture_site: FixtureServer, expected_records: list[dict[str, Any]]) -> None:
    good = [fixture_site.url(r["path"]) for r in expected_records[:3]]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join([
        "# articles to fetch", good[0], "", "file:///etc/passwd", good[1], "this is not a url at all",
        fixture_site.url("/2031/01/01/no-such-story/"), good[2],
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run_newsbot("scrape", str(listing), "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    records = read_jsonl(out)
    assert sorted(r["source_url"] for r in records) == sorted(good)
    assert all(record_errors(r) == [] for r in records)
    errors = [line for line in proc.stderr.splitlines() if "] ERROR: " in line]
    assert any(f"{listing}:4:" in e and "file:" in e for e in errors), errors
    assert any(f"{listing}:6:" in e and "not a URL" in e for e in errors), errors
    assert any("no-such-story" in e and "404" in e and f"{listing}:7" in e for e in errors), errors
    assert len(errors) == 3, errors


def test_scrape_all_good_exits_zero_and_writes_stdout(fixture_site: FixtureServer,
                                                      expected_records: list[dict[str, Any]]) -> None:
    urls = [fixture_site.url(r["path"]) for r in expected_records[:2]]
    proc = run_newsbot("scrape", "-", "-o", "-", "-v", stdin="\n".join(urls) + "\n")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(r["source_url"] for r in records) == sorted(urls)
    assert all(record_errors(r) == [] for r in records)
    assert "INFO" in proc.stderr and "INFO" not in proc.stdout


def test_a_short_list_starts_one_worker_per_url(tmp_path: Path, fixture_site: FixtureServer,
                                                expected_records: list[dict[str, Any]]) -> None:
    # the workers start before Scrapy loads (they load the extraction code meanwhile), as
    # many as a short list needs; a long list (or stdin) gets the configured number
    url = fixture_site.url(expected_records[0]["path"])
    listing = tmp_path / "one.txt"
    listing.write_text(f"# one story\n{url}\n\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run_newsbot("scrape", str(listing), "-o", str(out), "-v", "-s", "NEWSBOT_EXTRACT_WORKERS=3")
    assert proc.returncode == 0, proc.stderr
    assert [r["source_url"] for r in read_jsonl(out)] == [url]
    assert "extracting in 1 worker process(es), up to 3 when pages wait" in proc.stderr
    proc = run_newsbot("scrape", "-", "-o", str(out), "-v", "-s", "NEWSBOT_EXTRACT_WORKERS=3", stdin=url + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "extracting in 3 worker processes" in proc.stderr


def test_scrape_missing_list_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_newsbot("scrape", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2
    assert "nope.txt" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_extract_prints_the_record(expected_records: list[dict[str, Any]], tmp_path: Path) -> None:
    expected = expected_records[0]
    page = tmp_path / "page.html"
    origin = "http://127.0.0.1:9"
    page.write_text((SITE / expected["path"].strip("/") / "index.html").read_text(encoding="utf-8")
                    .replace("__ORIGIN__", origin), encoding="utf-8")
    proc = run_newsbot("extract", str(page), "--url", origin + expected["path"])
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["title"] == expected["title"]
    assert record_errors(record) == []


def test_demo_writes_one_record_per_article(tmp_path: Path, expected_records: list[dict[str, Any]]) -> None:
    proc = run_newsbot("demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(tmp_path / "demo-output.jsonl")
    assert len(records) == len(expected_records)
    assert all(record_errors(r) == [] for r in records)
    assert f"articles written: {len(expected_records)}" in proc.stderr
    assert "pages fetched:" in proc.stderr and "dropped:" in proc.stderr
    assert str(tmp_path / "demo-output.jsonl") in proc.stderr


def test_scrapy_crawl_commands_work(tmp_path: Path, fixture_site: FixtureServer,
                                    expected_records: list[dict[str, Any]]) -> None:
    import subprocess

    out = tmp_path / "site.jsonl"
    proc = subprocess.run([str(VENV_BIN / "scrapy"), "crawl", "site", "-a", f"url={fixture_site.url('/')}",
                           "-O", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(read_jsonl(out)) == len(expected_records)

    listing = tmp_path / "urls.txt"
    listing.write_text(fixture_site.url(expected_records[0]["path"]) + "\n", encoding="utf-8")
    out2 = tmp_path / "urls.jsonl"
    proc = subprocess.run([str(VENV_BIN / "scrapy"), "crawl", "urls", "-a", f"file={listing}", "-O", str(out2)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = read_jsonl(out2)
    assert [r["title"] for r in records] == [expected_records[0]["title"]]
    assert set(records[0]) >= {"id", "url", "body", "fetched_at"} and "drop_reason" not in records[0]
