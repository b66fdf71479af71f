"""WARC files for the ``newsbot warc`` tests, written here with warcio's writer from the
fixture site's pages; broken records are made by editing the bytes warcio wrote (a cut
gzip member, a wrong Content-Length, a missing header). The tests in this module check
that the archives are what the other tests think they are."""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import SITE, load_expected

ORIGIN = "https://news.example"
DATE = "2026-11-20T08:00:00Z"


@dataclass
class Rec:
    """One record to write: a response unless ``kind`` says otherwise."""

    url: str
    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    kind: str = "response"
    date: str = DATE
    # damage done to the written bytes: "cut" (the gzip member or record cut in half),
    # "length-short" / "length-long" (Content-Length off by 40 bytes), "no-uri", "no-date"
    damage: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def fixture_page(path: str) -> bytes:
    """Return a fixture page's bytes with its origin placeholder set to :data:`ORIGIN`."""
    return (SITE / path.strip("/") / "index.html").read_bytes().replace(b"__ORIGIN__", ORIGIN.encode())


def article_paths() -> list[str]:
    """Return the path of every fixture article (fixtures/expected)."""
    return [record["path"] for record in load_expected()]


def _record_bytes(rec: Rec) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    headers = {"WARC-Date": rec.date, **rec.extra}
    if rec.kind == "response":
        http_headers = [("Content-Length", str(len(rec.body)))]
        if rec.content_type is not None:
            http_headers.insert(0, ("Content-Type", rec.content_type))
        status = f"{rec.status} {'OK' if rec.status == 200 else 'Not Found'}"
        record = writer.create_warc_record(
            rec.url, "response", payload=io.BytesIO(rec.body),
            http_headers=StatusAndHeaders(status, http_headers, protocol="HTTP/1.1"), warc_headers_dict=headers)
    elif rec.kind == "request":
        record = writer.create_warc_record(
            rec.url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example")], is_http_request=True),
            warc_headers_dict=headers)
    elif rec.kind == "revisit":
        record = writer.create_revisit_record(rec.url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                              refers_to_uri=rec.url, refers_to_date=rec.date)
    else:  # warcinfo
        record = writer.create_warcinfo_record("test.warc", {"software": "newsbot tests"})
    writer.write_record(record)
    data = out.getvalue()
    if rec.damage in ("length-short", "length-long"):
        delta = -40 if rec.damage == "length-short" else 40

        def change(match: re.Match[bytes]) -> bytes:
            return b"Content-Length: " + str(int(match[1]) + delta).encode()

        data = re.sub(rb"Content-Length: (\d+)", change, data, count=1)
    elif rec.damage == "no-uri":
        data = re.sub(rb"WARC-Target-URI: [^\r]*\r\n", b"", data, count=1)
    elif rec.damage == "no-date":
        data = re.sub(rb"WARC-Date: [^\r]*\r\n", b"", data, count=1)
    return data


def write_warc(path: Path, records: list[Rec]) -> list[int]:
    """Write ``records`` to ``path`` (one gzip member each when it ends in ``.gz``) and
    return each record's offset."""
    compressed = path.name.endswith(".gz")
    offsets = []
    with path.open("wb") as file:
        for rec in records:
            offsets.append(file.tell())
            data = _record_bytes(rec)
            if compressed:
                data = gzip.compress(data)
            if rec.damage == "cut":
                data = data[: len(data) // 2]
            file.write(data)
    return offsets


def fixture_records(paths: list[str] | None = None) -> list[Rec]:
    """Return one 200 response record per fixture article page (all of them by default)."""
    return [Rec(ORIGIN + p, fixture_page(p)) for p in (paths if paths is not None else article_paths())]


def test_written_archives_read_back_with_warcio(tmp_path: Path) -> None:
    records = [*fixture_records()[:3], Rec(ORIGIN + "/x", kind="request"), Rec(ORIGIN + "/", kind="revisit")]
    for name in ("a.warc.gz", "a.warc"):
        offsets = write_warc(tmp_path / name, records)
        with (tmp_path / name).open("rb") as file:
            iterator = ArchiveIterator(file)
            seen = []
            for record in iterator:
                seen.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI")))
                iterator.read_to_end()
                assert iterator.get_record_offset() == offsets[len(seen) - 1]
        assert seen == [(r.kind, r.url) for r in records]
