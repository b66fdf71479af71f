"""Shared test fixtures: the fixture site served on 127.0.0.1, expected records, and a
guard that keeps the test process off every address but loopback."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SITE = FIXTURES / "site"
EXPECTED = FIXTURES / "expected"
VENV_BIN = Path(sys.executable).parent


def load_expected() -> list[dict[str, Any]]:
    """Return every expected article record of the fixture site, sorted by path."""
    return sorted((json.loads(p.read_text(encoding="utf-8")) for p in EXPECTED.glob("*.json")
                   if not p.name.startswith("_")), key=lambda r: r["path"])


def site_manifest() -> dict[str, Any]:
    """Return ``fixtures/expected/_site.json``: articles, feed-only, non-article and forbidden paths."""
    return json.loads((EXPECTED / "_site.json").read_text(encoding="utf-8"))


def normalise_ws(text: str | None) -> str:
    """Return ``text`` NFC-normalised with each run of whitespace inside a paragraph collapsed."""
    text = unicodedata.normalize("NFC", text or "")
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def run_newsbot(*args: str, cwd: Path | str | None = None, stdin: str | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed ``newsbot`` console script and return the finished process."""
    return subprocess.run([str(VENV_BIN / "newsbot"), *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="session")
def fixture_site() -> Iterator[FixtureServer]:
    """The bundled fixture site, served on a free loopback port for the whole session."""
    with FixtureServer(SITE) as server:
        yield server


@pytest.fixture(scope="session")
def expected_records() -> list[dict[str, Any]]:
    """Every expected fixture article record."""
    records = load_expected()
    assert len(records) >= 30
    return records


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if not (host in ("localhost", "::1") or host.startswith("127.")):
            raise AssertionError(f"test tried to reach a non-loopback address: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test (in this process) that connects anywhere but loopback."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
