"""The records of one WARC or ARC archive, read as a stream with warcio.

:func:`read_archive` yields, in file order, one event per record:

* :class:`Page`: a response with HTTP status 200 and an HTML body, within the filters: its
  target URI, WARC-Date, HTTP headers and body (bounded by ``max_size``);
* :class:`Skipped`: a record not to extract, by kind: ``request``, ``revisit``,
  ``metadata`` (warcinfo, metadata, resource, continuation, conversion and ARC file
  headers), ``not_200``, ``not_html``, ``too_large``, and the filters' ``site`` and ``date``;
* :class:`BadRecord`: a record that cannot be read (a cut or corrupt gzip member, a wrong
  Content-Length, a missing WARC-Target-URI or WARC-Date, a file cut short), with the
  reason; reading resumes at the next record found after it (the next gzip member, or the
  next ``WARC/1.x`` line), so one bad record costs one event, and the run goes on.

Every event carries its archive's name, the record's offset (of its gzip member in a
``.gz`` archive) and ``end``, the offset where reading resumes after it: a checkpoint.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsbot.warc.filters import RecordFilter, iso_utc, parse_warc_date
from newsbot.warc.sources import Source

HTML_TYPES = ("text/html", "application/xhtml+xml")
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_START = re.compile(rb"WARC/1\.[01]\r?\n")
_SCAN_CHUNK = 1 << 16
# what warcio raises on a damaged archive: a cut gzip member (zlib.error, EOFError), bytes
# that are no record (ArchiveLoadFailed), headers it cannot parse (the others)
_READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, ValueError, IndexError, KeyError, AttributeError, TypeError)


@dataclass(frozen=True)
class Page:
    """An HTML response to extract."""

    url: str
    fetched_at: str  # the WARC-Date, ISO 8601 UTC
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    file: str
    offset: int
    end: int
    record_id: str | None


@dataclass(frozen=True)
class Skipped:
    """A record not extracted, and why (``kind``)."""

    kind: str
    url: str | None
    file: str
    offset: int
    end: int


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be read; reading goes on at ``end``."""

    reason: str
    file: str
    offset: int
    end: int

    def line(self) -> str:
        """Return the one line that reports it (file, offset, reason)."""
        return f"bad WARC record: {self.file} at offset {self.offset}: {self.reason}"


Event = Page | Skipped | BadRecord


class _QuietIterator(ArchiveIterator):
    # warcio writes a multi-line warning to stderr when a record is not followed by its blank
    # lines (a wrong Content-Length); read_archive reports it in one line of its own instead
    INC_RECORD = ""


def _is_html(content_type: str, body_start: bytes) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    if kind:
        return kind in HTML_TYPES
    return b"<html" in body_start[:2048].lower()


def _payload(record: Any, max_size: int) -> bytes | None:
    """Return the record's HTTP body (chunked and Content-Encoding decoded), or None when
    it is over ``max_size`` bytes."""
    stream = record.content_stream()
    data = stream.read(max_size + 1)
    return None if len(data) > max_size else data


def _classify(record: Any, filters: RecordFilter, max_size: int) -> tuple[str, Any]:
    """Return ``("page", (url, date, status, headers, body, record id))`` or
    ``("skip", (kind, url))`` or ``("bad", reason)`` for a record whose headers are read."""
    rec_type = record.rec_type
    if rec_type in ("request", "revisit"):
        return "skip", (rec_type, record.rec_headers.get_header("WARC-Target-URI"))
    if rec_type != "response":
        return "skip", ("metadata", None)
    url = record.rec_headers.get_header("WARC-Target-URI")
    if not url:
        return "bad", "response record without WARC-Target-URI"
    url = url.strip("<> ")
    date = parse_warc_date(record.rec_headers.get_header("WARC-Date"))
    if date is None:
        return "bad", f"response record without a valid WARC-Date ({url})"
    if not url.startswith(("http://", "https://")):
        return "skip", ("metadata", url)
    reason = filters.reason(url, date)
    if reason:
        return "skip", (reason, url)
    http = record.http_headers
    if http is None:
        return "bad", f"response record without HTTP headers ({url})"
    try:
        status = int(http.get_statuscode() or 0)
    except ValueError:
        status = 0
    if status != 200:
        return "skip", ("not_200", url)
    content_type = http.get_header("Content-Type") or ""
    if content_type and not _is_html(content_type, b""):
        return "skip", ("not_html", url)
    body = _payload(record, max_size)
    if body is None:
        return "skip", ("too_large", url)
    if not content_type and not _is_html("", body):
        return "skip", ("not_html", url)
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        return "bad", f"record cut short: {missing} bytes of its Content-Length missing ({url})"
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    return "page", (url, iso_utc(date), status, list(http.headers), body, record_id)


def _next_start(source: Source, after: int, compressed: bool) -> int | None:
    """Return the offset of the first record start (gzip member, or ``WARC/1.`` at a line
    start) at or after ``after``, or None when there is none. On standard input, scanning
    starts where the stream is, and what follows the start found is put back."""
    try:
        raw = source.open_at(after)
    except OSError:
        return None
    position = raw.tell()
    carry = b""
    try:
        while True:
            chunk = raw.read(_SCAN_CHUNK)
            if not chunk:
                return None
            data = carry + chunk
            if compressed:
                found = data.find(GZIP_MAGIC)
            else:
                match = WARC_START.search(data)
                found = match.start() if match else -1
            if found >= 0:
                if not source.seekable:
                    raw.unread(data[found:])
                return position - len(carry) + found
            carry = data[-11:]
            position += len(chunk)
    finally:
        if source.seekable:
            raw.close()


def read_archive(source: Source, start: int, filters: RecordFilter, max_size: int) -> Iterator[Event]:
    """Yield the events of ``source``'s records from offset ``start`` (see the module's
    docstring). Raises :class:`newsbot.warc.sources.SourceError` when it cannot be opened."""
    offset = start
    compressed = source.name.lower().endswith(".gz")  # until the first record says
    # after a bad record, failures before the next good record are the same damage; a
    # resumed read may start inside a record that was reported before
    resyncing = start > 0
    if start > 0 and not _starts_a_record(source, start):
        found = _next_start(source, start, compressed)
        if found is None:
            return
        offset = found
    while True:
        raw = source.open_at(offset)
        iterator = _QuietIterator(raw, arc2warc=True)
        record_start = raw.tell()
        resume: int | None = None
        try:
            for record in iterator:
                record_start = iterator.offset
                compressed = iterator.reader.decompressor is not None
                errors = iterator.err_count
                verdict, detail = _classify(record, filters, max_size)
                iterator.read_to_end()
                end = iterator.offset
                resyncing = False
                if iterator.err_count > errors:
                    # the record is not followed by its blank lines: its Content-Length is
                    # wrong, and what follows may be inside it or after it: look from its start
                    resume = _next_start(source, record_start + 1, compressed)
                    yield BadRecord(_LENGTH, source.name, record_start, resume if resume is not None else end)
                    break
                if verdict == "page":
                    url, date, status, headers, body, record_id = detail
                    yield Page(url, date, status, headers, body, source.name, record_start, end, record_id)
                elif verdict == "skip":
                    yield Skipped(detail[0], detail[1], source.name, record_start, end)
                else:
                    yield BadRecord(detail, source.name, record_start, end)
                record_start = iterator.offset  # where the next record starts (or fails to)
            else:
                return
        except _READ_ERRORS as exc:
            if "non-chunked gzip" in str(exc):  # warcio cannot tell where the records start
                yield BadRecord(_ONE_MEMBER, source.name, record_start, record_start)
                return
            resume = _next_start(source, record_start + 1, compressed)
            if not resyncing:
                yield BadRecord(_reason(exc), source.name, record_start, resume if resume is not None else record_start)
            resyncing = True
        finally:
            if source.seekable:
                raw.close()
        if resume is None:
            return
        offset = resume


def _starts_a_record(source: Source, offset: int) -> bool:
    """Return True when a record (a gzip member, a WARC or an ARC record) starts at ``offset``."""
    raw = source.open_at(offset)
    head = raw.read(9)
    if source.seekable:
        raw.close()
    else:
        raw.unread(head)
    return head.startswith((GZIP_MAGIC, b"WARC/1.", b"http:", b"https:", b"filedesc:", b"dns:"))


_ONE_MEMBER = (
    "the archive is one gzip member, not one per record: no record can be found by its offset "
    "(recompress it: warcio recompress IN OUT)"
)
_LENGTH = "wrong Content-Length (the record is not followed by a blank line)"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, zlib.error | EOFError):
        return f"damaged gzip member ({text})"
    if isinstance(exc, ArchiveLoadFailed):
        return "not a WARC/ARC record here (a damaged gzip member, or a wrong Content-Length before it)"
    return f"malformed record headers ({type(exc).__name__}: {text[:200]})"
