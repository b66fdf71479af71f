"""Reading archives (newsbot.warc, no Scrapy): events by kind, bad records reported once
with their offset and the reading going on, filters, offsets to resume at, sources (file,
gzip or not, http(s) from a loopback server with and without byte ranges, paths files)."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.warc.filters import RecordFilter, parse_bound, parse_warc_date, site_matches
from newsbot.warc.records import BadRecord, Page, Skipped, read_archive
from newsbot.warc.sources import Source, SourceError, paths_lines
from tests.test_warc_fixtures import ORIGIN, Rec, fixture_records, write_warc

MAX = 16 << 20


def mixed() -> list[Rec]:
    """Six articles, then a request, a revisit, a warcinfo, a PDF, a 404 and one more article."""
    pages = fixture_records()[:7]
    return [*pages[:6], Rec(ORIGIN + "/q", kind="request"), Rec(ORIGIN + "/r", kind="revisit"),
            Rec("", kind="warcinfo"), Rec(ORIGIN + "/doc.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
            Rec(ORIGIN + "/gone/", b"<html><body>Not here</body></html>", status=404), pages[6]]


def events(path: Path | str, start: int = 0, filters: RecordFilter | None = None) -> list[Page | Skipped | BadRecord]:
    return list(read_archive(Source(str(path)), start, filters or RecordFilter(), MAX))


@pytest.mark.parametrize("name", ["a.warc.gz", "a.warc"])
def test_every_record_is_a_page_or_skipped_by_kind_at_its_offset(tmp_path: Path, name: str) -> None:
    records = mixed()
    offsets = write_warc(tmp_path / name, records)
    found = events(tmp_path / name)
    assert [e.offset for e in found] == offsets
    assert [e.end for e in found[:-1]] == offsets[1:]
    kinds = [e.kind if isinstance(e, Skipped) else type(e).__name__ for e in found]
    assert kinds == ["Page"] * 6 + ["request", "revisit", "metadata", "not_html", "not_200", "Page"]
    page = found[0]
    assert isinstance(page, Page)
    assert page.url == records[0].url and page.body == records[0].body and page.status == 200
    assert page.fetched_at == "2026-11-20T08:00:00+00:00"
    assert page.record_id and page.record_id.startswith("<urn:uuid:")
    assert page.file == str(tmp_path / name)


DAMAGES = ["cut", "length-short", "length-long", "no-uri", "no-date"]


@pytest.mark.parametrize("name", ["a.warc.gz", "a.warc"])
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_bad_record_is_one_event_at_its_offset_and_reading_goes_on(tmp_path: Path, name: str, damage: str) -> None:
    records = mixed()
    records[2].damage = damage
    offsets = write_warc(tmp_path / name, records)
    found = events(tmp_path / name)
    bad = [e for e in found if isinstance(e, BadRecord)]
    assert len(bad) == 1, bad
    assert bad[0].offset == offsets[2]
    assert bad[0].line().startswith(f"bad WARC record: {tmp_path / name} at offset {offsets[2]}: ")
    assert "\n" not in bad[0].line()
    pages = [e.url for e in found if isinstance(e, Page)]
    expected = [r.url for i, r in enumerate(records) if r.kind == "response" and r.status == 200
                and r.content_type and "html" in r.content_type and i != 2]
    assert pages == expected


@pytest.mark.parametrize("name", ["a.warc.gz", "a.warc"])
def test_an_archive_cut_short_ends_with_one_bad_record(tmp_path: Path, name: str) -> None:
    records = fixture_records()[:4]
    records[-1].damage = "cut"
    offsets = write_warc(tmp_path / name, records)
    found = events(tmp_path / name)
    assert [type(e).__name__ for e in found] == ["Page", "Page", "Page", "BadRecord"]
    assert found[-1].offset == offsets[-1]


def test_resuming_at_an_offset_reads_from_that_record_on(tmp_path: Path) -> None:
    records = mixed()
    offsets = write_warc(tmp_path / "a.warc.gz", records)
    found = events(tmp_path / "a.warc.gz", start=offsets[4])
    assert [e.offset for e in found] == offsets[4:]
    # a checkpoint inside a record (after a bad one) finds the next record without a second report
    for name in ("a.warc.gz", "a.warc"):
        offsets = write_warc(tmp_path / name, records)
        for delta in (1, 2, 7, 100):
            inside = events(tmp_path / name, start=offsets[4] + delta)
            assert [e.offset for e in inside] == offsets[5:], (name, delta)


def test_filters_by_site_and_warc_date(tmp_path: Path) -> None:
    body = fixture_records()[0].body
    records = [Rec("https://news.example/a", body), Rec("https://www.sub.news.example/b", body),
               Rec("https://other.example/c", body), Rec("https://news.example.evil/d", body),
               Rec("https://news.example/e", body, date="2026-10-01T00:00:00Z"),
               Rec("https://news.example/f", body, date="2026-11-30T23:59:59Z")]
    write_warc(tmp_path / "a.warc.gz", records)
    site = RecordFilter(sites=("news.example",))
    assert [e.url for e in events(tmp_path / "a.warc.gz", filters=site) if isinstance(e, Page)] == [
        "https://news.example/a", "https://www.sub.news.example/b", "https://news.example/e", "https://news.example/f"]
    window = RecordFilter(since=parse_bound("2026-11-01"), until=parse_bound("2026-11-30", end_of_day=True))
    found = events(tmp_path / "a.warc.gz", filters=window)
    assert [e.url for e in found if isinstance(e, Page)] == [r.url for r in records if r.date != "2026-10-01T00:00:00Z"]
    assert [e.kind for e in found if isinstance(e, Skipped)] == ["date"]
    assert [e.kind for e in events(tmp_path / "a.warc.gz", filters=site) if isinstance(e, Skipped)] == ["site", "site"]


def test_date_and_site_helpers() -> None:
    assert parse_warc_date("2026-11-20T08:00:00.123456Z") == datetime(2026, 11, 20, 8, 0, 0, 123456, tzinfo=UTC)
    assert parse_warc_date("20261120080000") == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert parse_warc_date("yesterday") is None and parse_warc_date(None) is None
    assert parse_bound("2026-11-30", end_of_day=True) == datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        parse_bound("last week")
    assert site_matches("https://a.b.news.example/x", ("news.example",))
    assert not site_matches("https://badnews.example/x", ("news.example",))


def test_an_oversized_page_is_skipped_unread(tmp_path: Path) -> None:
    write_warc(tmp_path / "a.warc.gz", fixture_records()[:2])
    found = list(read_archive(Source(str(tmp_path / "a.warc.gz")), 0, RecordFilter(), 1000))
    assert [e.kind for e in found if isinstance(e, Skipped)] == ["too_large", "too_large"]


def test_an_arc_file_is_read_as_responses(tmp_path: Path) -> None:
    body = fixture_records()[0].body
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    header_body = b"1 0 newsbot tests\nURL IP-address Archive-date Content-type Archive-length\n"
    data = (b"filedesc://a.arc 0.0.0.0 20261120080000 text/plain %d\n" % len(header_body) + header_body + b"\n"
            + b"https://news.example/arc 127.0.0.1 20261120080000 text/html %d\n" % len(http) + http + b"\n")
    first = data.index(b"https://news.example/arc")
    (tmp_path / "a.arc.gz").write_bytes(gzip.compress(data[:first]) + gzip.compress(data[first:]))
    (tmp_path / "a.arc").write_bytes(data)
    for name in ("a.arc.gz", "a.arc"):
        found = events(tmp_path / name)
        assert [(p.url, p.fetched_at, p.body) for p in found if isinstance(p, Page)] == [
            ("https://news.example/arc", "2026-11-20T08:00:00+00:00", body)]
        assert [e.kind for e in found if isinstance(e, Skipped)] == ["metadata"]


def test_a_whole_file_gzip_archive_is_one_bad_record_naming_the_fix(tmp_path: Path) -> None:
    write_warc(tmp_path / "a.warc", fixture_records()[:3])
    (tmp_path / "one.warc.gz").write_bytes(gzip.compress((tmp_path / "a.warc").read_bytes()))
    found = events(tmp_path / "one.warc.gz")
    assert [type(e).__name__ for e in found] == ["Page", "BadRecord"]
    assert "warcio recompress" in found[-1].line()


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; honours ``Range: bytes=N-`` unless the path starts with /norange/."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        plain = self.path.startswith("/norange/")
        path = Path(self.directory) / self.path.removeprefix("/norange").lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        if not plain and (wanted := self.headers.get("Range", "")).startswith("bytes="):
            start = int(wanted[6:].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])


@pytest.fixture
def archive_server(tmp_path: Path) -> Iterator[str]:
    """Serves ``tmp_path`` on a loopback port; yields its origin."""
    handler = lambda *a: _RangeHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_archive_is_streamed_over_http_and_resumed_with_a_range(tmp_path: Path, archive_server: str) -> None:
    records = mixed()
    records[2].damage = "cut"
    offsets = write_warc(tmp_path / "a.warc.gz", records)
    local = [(type(e).__name__, e.offset) for e in events(tmp_path / "a.warc.gz")]
    for prefix in ("", "/norange"):
        url = f"{archive_server}{prefix}/a.warc.gz"
        assert [(type(e).__name__, e.offset) for e in events(url)] == local
        assert [e.offset for e in events(url, start=offsets[5])] == offsets[5:]
    source = Source(f"{archive_server}/a.warc.gz")
    list(read_archive(source, 0, RecordFilter(), MAX))
    assert source.total == (tmp_path / "a.warc.gz").stat().st_size
    with pytest.raises(SourceError, match=r"missing\.warc\.gz: HTTP 404"):
        events(f"{archive_server}/missing.warc.gz")


def test_paths_files_join_lines_to_the_base_url(tmp_path: Path, archive_server: str) -> None:
    (tmp_path / "warc.paths.gz").write_bytes(gzip.compress(b"crawl/a.warc.gz\n\n# note\ncrawl/b.warc.gz\n"))
    assert list(paths_lines(str(tmp_path / "warc.paths.gz"), "https://data.example/")) == [
        (1, "https://data.example/crawl/a.warc.gz"), (4, "https://data.example/crawl/b.warc.gz")]
    assert [line for _, line in paths_lines(str(tmp_path / "warc.paths.gz"), None)] == [
        str(tmp_path / "crawl/a.warc.gz"), str(tmp_path / "crawl/b.warc.gz")]
    assert [line for _, line in paths_lines(f"{archive_server}/warc.paths.gz", None)] == [
        f"{archive_server}/crawl/a.warc.gz", f"{archive_server}/crawl/b.warc.gz"]


def test_checkpoints_are_recorded_on_commit_only_and_never_for_standard_input(tmp_path: Path) -> None:
    from newsbot.warc.progress import LocalWork

    state = tmp_path / "state.sqlite"
    work = LocalWork(["/a.warc.gz", "/b.warc.gz", "-"], state)
    assert list(work.claim()) == [("/a.warc.gz", 0), ("/b.warc.gz", 0), ("-", 0)]
    for source, offset, done in (("/a.warc.gz", 900, True), ("/b.warc.gz", 300, False), ("-", 50, True)):
        work.stage(source, offset, done)
    assert LocalWork(["/a.warc.gz"], state).checkpoint("/a.warc.gz") == (0, False)  # not committed yet
    assert work.commit() == 2
    work.close()
    again = LocalWork(["/a.warc.gz", "/b.warc.gz", "-"], state)
    assert list(again.claim()) == [("/b.warc.gz", 300), ("-", 0)]
    assert again.skipped_done == ["/a.warc.gz"] and again.resumed == {"/b.warc.gz": 300}
    again.abandon()
    assert again.commit() == 0
