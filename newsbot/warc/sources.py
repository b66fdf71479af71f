"""What a ``newsbot warc`` SOURCE names, and byte streams over it.

A SOURCE is a local WARC/ARC file (``.gz`` or not), an http(s) URL (read as a stream, never
downloaded whole first; a resumed or resynchronised read asks for a byte range), ``-`` for
standard input (read forward only), or a paths file (a name ending in ``.paths``,
``.paths.gz`` or ``.paths.txt``: one archive path a line, as CC-NEWS publishes
``warc.paths.gz``), each line joined to ``--base-url`` (default: the paths file's own folder
or URL).

Every stream is a :class:`CountingReader`, whose ``tell()`` is the absolute offset in the
source, so that record offsets and the progress line count the source's own bytes (for a
``.gz`` archive, compressed bytes: the offsets a CDX index gives).
"""

from __future__ import annotations

import gzip
import io
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO
from urllib.parse import urljoin

from newsbot import __version__

HTTP_TIMEOUT = 60.0
PATHS_SUFFIXES = (".paths", ".paths.gz", ".paths.txt")
_CHUNK = 1 << 16


class SourceError(Exception):
    """A source cannot be opened or read; the message names it and says why."""


class CountingReader(io.RawIOBase):
    """A read-only binary stream over ``raw`` whose ``tell()`` is ``start`` plus the bytes
    read so far (the absolute offset in the source)."""

    def __init__(self, raw: IO[bytes], start: int = 0) -> None:
        super().__init__()
        self.raw = raw
        self.position = start
        self._back = b""  # bytes put back by :meth:`unread`, read first

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        """Read into ``buffer``; return how many bytes were read (0 at the end)."""
        data = self.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        return size

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes (all that is left with -1)."""
        if self._back:
            if size is None or size < 0:
                size = len(self._back)
            data, self._back = self._back[:size], self._back[size:]
        else:
            data = self.raw.read() if size is None or size < 0 else self.raw.read(size)
        self.position += len(data)
        return data

    def unread(self, data: bytes) -> None:
        """Put ``data`` (the bytes just read) back in front of the stream."""
        self._back = data + self._back
        self.position -= len(data)

    def tell(self) -> int:
        """Return the absolute offset of the next byte in the source."""
        return self.position

    def close(self) -> None:
        """Close the underlying stream (standard input is left open)."""
        if self.raw is not sys.stdin.buffer:
            self.raw.close()
        super().close()


class Source:
    """One archive to read: a local file, an http(s) URL or standard input."""

    def __init__(self, name: str) -> None:
        self.name = name  # as the records' ``warc.file`` and the checkpoints name it
        self.total: int | None = None  # size in bytes, when known
        self.seekable = name != "-"
        self._stdin: CountingReader | None = None
        self.reader: CountingReader | None = None  # the stream last opened

    @property
    def position(self) -> int:
        """Return the offset read up to in the stream last opened (0 before any)."""
        return self.reader.position if self.reader is not None else 0

    @property
    def is_url(self) -> bool:
        """Return True for an http(s) source."""
        return self.name.startswith(("http://", "https://"))

    def open_at(self, offset: int) -> CountingReader:
        """Return a stream positioned at ``offset`` (see :meth:`_open`); it is also ``reader``."""
        self.reader = self._open(offset)
        return self.reader

    def _open(self, offset: int) -> CountingReader:
        """Return a stream positioned at ``offset`` (standard input: at ``offset`` or, when
        it has already been read past it, where it is; the stream's ``tell()`` says).

        Raises :class:`SourceError` naming the source when it cannot be opened."""
        if self.name == "-":
            return self._open_stdin(offset)
        if self.is_url:
            return self._open_url(offset)
        try:
            file = Path(self.name).open("rb")  # noqa: SIM115  # closed by the CountingReader
            self.total = Path(self.name).stat().st_size
            file.seek(offset)
        except OSError as exc:
            raise SourceError(f"{self.name}: {exc.strerror or exc}") from None
        return CountingReader(file, offset)

    def _open_stdin(self, offset: int) -> CountingReader:
        if self._stdin is None:
            self._stdin = CountingReader(sys.stdin.buffer, 0)
        skip_forward(self._stdin, offset)
        return self._stdin

    def _open_url(self, offset: int) -> CountingReader:
        headers = {"User-Agent": f"newsbot/{__version__}", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = urllib.request.urlopen(urllib.request.Request(self.name, headers=headers), timeout=HTTP_TIMEOUT)
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # asked for a range past the end: nothing left to read
                return CountingReader(io.BytesIO(b""), offset)
            raise SourceError(f"{self.name}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SourceError(f"{self.name}: {getattr(exc, 'reason', None) or exc}") from None
        length = response.headers.get("Content-Length")
        if response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            total = content_range.rpartition("/")[2]
            self.total = int(total) if total.isdigit() else None
            return CountingReader(response, offset)
        self.total = int(length) if length and length.isdigit() else None
        reader = CountingReader(response, 0)
        skip_forward(reader, offset)  # the server sent the whole file: skip what was read
        return reader


def skip_forward(reader: CountingReader, offset: int) -> None:
    """Read and discard bytes of ``reader`` until its position is ``offset`` (or its end)."""
    while reader.position < offset:
        if not reader.read(min(_CHUNK, offset - reader.position)):
            return


def is_paths_file(name: str) -> bool:
    """Return True when ``name`` names a paths file (one archive path a line)."""
    return name.lower().endswith(PATHS_SUFFIXES)


def paths_lines(name: str, base_url: str | None) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, archive source)`` for each non-blank, non-comment line of the
    paths file ``name`` (local or http(s); gzip-compressed when it ends in ``.gz``), each
    joined to ``base_url`` (default: the paths file's own folder or URL). Raises
    :class:`SourceError` naming the file when it cannot be read."""
    source = Source(name)
    try:
        with source.open_at(0) as raw:
            stream: BinaryIO = gzip.GzipFile(fileobj=raw) if name.lower().endswith(".gz") else raw  # type: ignore[assignment]
            data = stream.read()
    except (OSError, EOFError) as exc:
        raise SourceError(f"{name}: {exc}") from None
    if base_url:
        base = base_url if base_url.endswith("/") else base_url + "/"
    elif source.is_url:
        base = name
    else:
        base = str(Path(name).resolve().parent) + "/"
    for lineno, raw_line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("http://", "https://", "/")):
            yield lineno, line
        elif base.startswith(("http://", "https://")):
            yield lineno, urljoin(base, line)
        else:
            yield lineno, str(Path(base) / line)


def source_name(arg: str) -> str:
    """Return the name a SOURCE argument is known by: a local file's absolute path, a URL
    or ``-`` as given."""
    if arg == "-" or arg.startswith(("http://", "https://")):
        return arg
    return str(Path(arg).expanduser().resolve())
