"""Where a run's records go, checked before anything is crawled.

* :func:`output_problem` says, in one line naming the path, why an ``-o`` target cannot take
  the records (a folder, a socket, a path under a regular file, a read-only or unwritable
  folder), or None. The ``newsbot`` commands call it before crawling (exit code 2).
* :func:`is_stream` tells a target written as a stream (a FIFO, a character device, ``-``)
  from one written through a temporary file and renamed into place (a regular file, or a
  name not yet taken): nothing is ever renamed onto a FIFO or a device.
* :class:`GuardedFile` wraps the file the exporter writes to: the first ``OSError`` of a
  write is remembered (and later writes dropped), so a full disk is reported once, naming
  the path, when the feed closes, and nothing of that output is recorded as emitted.

Nothing here imports Scrapy.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any


class OutputError(OSError):
    """An output could not be delivered; ``str()`` is one line naming the path and why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"output {path}: {reason}")
        self.path = str(path)
        self.reason = reason


def os_reason(exc: OSError) -> str:
    """Return an OS error as ``[Errno N] text`` (without the file name it may carry)."""
    if exc.errno is not None:
        return f"[Errno {exc.errno}] {exc.strerror or os.strerror(exc.errno)}"
    return str(exc) or type(exc).__name__


def is_stream(path: Path) -> bool:
    """Return True when ``path`` is written as a stream (an existing FIFO or character
    device), False when it is a regular file or does not exist yet."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _fixed_folder(path: Path) -> Path:
    """Return the deepest folder of ``path`` without a ``%(...)s`` feed URI parameter."""
    folder = path.parent
    while "%(" in str(folder):
        folder = folder.parent
    return folder


def _existing_ancestor(folder: Path) -> Path:
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def output_problem(output: str) -> str | None:
    """Return one line naming ``output`` and why it cannot take the records, or None.

    ``-`` (standard output), FIFOs and character devices are written as streams. Any other
    existing target must be a regular file; the folder it goes in (created if missing) must
    be a folder this process can create files in, which is tried, not guessed from modes
    (root ignores them; a read-only file system does not)."""
    if output == "-":
        return None
    path = Path(output).expanduser()
    if "%(" not in path.name:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        except NotADirectoryError as exc:
            return f"output {path}: a path under a regular file ({os_reason(exc)})"
        except OSError as exc:
            return f"output {path}: {os_reason(exc)}"
        if mode is not None:
            if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
                return None  # written as a stream, never replaced
            if stat.S_ISDIR(mode):
                return f"output {path}: is a folder, not a file"
            if not stat.S_ISREG(mode):
                return f"output {path}: not a regular file, a FIFO or a character device"
    folder = _fixed_folder(path)
    existing = _existing_ancestor(folder)
    if existing.exists() and not existing.is_dir():
        return f"output {path}: {existing} is not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".newsbot-probe.{os.getpid()}.tmp"
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        return f"output {path}: cannot write in {folder}: {os_reason(exc)}"
    return None


class GuardedFile:
    """A binary file whose first write error is kept for :meth:`raise_if_failed` instead of
    escaping from the exporter; later writes are dropped. Everything else is delegated."""

    def __init__(self, file: IO[bytes], path: Path | str) -> None:
        self.file = file
        self.path = str(path)
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        """Write ``data``; return its length (also when the write failed: see ``error``)."""
        if self.error is None:
            try:
                return self.file.write(data)
            except OSError as exc:
                self.error = exc
        return len(data)

    def raise_if_failed(self) -> None:
        """Raise :class:`OutputError` for the first failed write, if any."""
        if self.error is not None:
            raise OutputError(self.path, os_reason(self.error))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)
