"""Helpers of the output, signal, state and exit-code tests (and ``bench/faults.py``): run
the ``newsbot`` command as a child process, optionally under a file-size limit (a full disk)
or stopped by a signal once its temporary output file exists, and read what it delivered
and what its state store recorded."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

NEWSBOT = str(Path(sys.executable).parent / "newsbot")
# a slow crawl of the fixture site, so that a signal lands mid-crawl
SLOW = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS=1", "-s", "AUTOTHROTTLE_ENABLED=False"]


@dataclass
class Run:
    """A finished ``newsbot`` process: exit code, output, peak RSS (MB) of the process."""

    code: int
    stdout: str
    stderr: str
    rss_mb: float

    def errors(self) -> list[str]:
        """Return the error lines of stderr (log errors and ``newsbot: error:`` lines)."""
        return [line for line in self.stderr.splitlines() if "ERROR" in line or line.startswith("newsbot: error")]


def _limit_file_size(limit: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _running(pid: int) -> bool:
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


def run(*args: str, fsize: int | None = None, stop: list[int] | None = None, watch: Path | None = None,
        stdin: str | None = None, timeout: float = 300) -> Run:
    """Run ``newsbot args``; with ``fsize`` under that file-size limit; with ``stop``, send
    those signals once a temporary output file appears in ``watch``."""
    proc = subprocess.Popen([NEWSBOT, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=_limit_file_size(fsize) if fsize else None)
    streams: dict[str, str] = {}
    readers = [threading.Thread(target=lambda n=n, f=f: streams.__setitem__(n, f.read()))
               for n, f in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.write(stdin or "")
        proc.stdin.close()
    if stop:
        assert watch is not None
        deadline = time.monotonic() + timeout
        while not list(watch.glob(".*.tmp")) and _running(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        for signum in stop:  # the same signal twice at once could be merged into one
            os.kill(proc.pid, signum)
            time.sleep(0.3)
    for reader in readers:
        reader.join(timeout)
    _, status, usage = os.wait4(proc.pid, 0)  # this process's own peak RSS
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(proc.returncode, streams.get("out", ""), streams.get("err", ""), usage.ru_maxrss / 1024)


def records(path: Path) -> list[dict[str, Any]]:
    """Return the records of a JSONL file (every line must be whole JSON)."""
    if not path.exists():
        return []
    data = path.read_text(encoding="utf-8")
    assert not data or data.endswith("\n"), "half-written last line"
    return [json.loads(line) for line in data.splitlines()]


def emitted(state: Path) -> int:
    """Return how many articles the state store records as emitted (0 without a store)."""
    if not state.exists():
        return 0
    db = sqlite3.connect(state)
    try:
        return int(db.execute("SELECT COUNT(*) FROM emitted").fetchone()[0])
    except sqlite3.DatabaseError:  # no table yet, or a damaged store
        return 0
    finally:
        db.close()


def temporaries(folder: Path) -> list[Path]:
    """Return the temporary output files left in ``folder``."""
    return list(folder.glob(".*.tmp")) if folder.is_dir() else []


@contextmanager
def readonly_folder(folder: Path) -> Iterator[Path | None]:
    """Yield ``folder`` made read-only for this user (a read-only tmpfs mount when running
    as root, whom modes do not stop; chmod otherwise), or None when neither is possible."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    try:
        yield folder if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], capture_output=True)
