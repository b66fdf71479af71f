"""A state store that cannot be used is one line naming the file and what to do, exit 2,
nothing crawled: truncated, overwritten with garbage, a folder, under a regular file, on a
read-only file system. Real SQLite files made for the purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbot.fixture_server import FixtureServer
from tests.outputcases import readonly_folder, run


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory, fixture_site: FixtureServer) -> bytes:
    folder = tmp_path_factory.mktemp("good")
    state = folder / "s.sqlite"
    result = run("crawl", fixture_site.url("/"), "--state", str(state), "-o", str(folder / "o.jsonl"))
    assert result.code == 0, result.stderr
    data = state.read_bytes()
    assert len(data) > 16 * 1024
    return data


def _refused(result: object, state: Path, tmp_path: Path, what: str) -> None:
    code, errors, stderr = result.code, result.errors(), result.stderr  # type: ignore[attr-defined]
    assert code == 2, stderr
    assert len(errors) == 1 and str(state) in errors[0] and what in errors[0], stderr
    assert "Traceback" not in stderr and "pages fetched" not in stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_truncated_store(tmp_path: Path, good_store: bytes, fixture_site: FixtureServer) -> None:
    state = tmp_path / "s.sqlite"
    state.write_bytes(good_store[: len(good_store) // 2])
    result = run("crawl", fixture_site.url("/"), "--state", str(state), "-o", str(tmp_path / "o.jsonl"))
    _refused(result, state, tmp_path, "move it aside")


def test_garbage_store(tmp_path: Path, fixture_site: FixtureServer) -> None:
    state = tmp_path / "s.sqlite"
    state.write_bytes(b"this is not a database\n" * 500)
    result = run("crawl", fixture_site.url("/"), "--state", str(state), "-o", str(tmp_path / "o.jsonl"))
    _refused(result, state, tmp_path, "not an SQLite database")


def test_store_that_is_a_folder(tmp_path: Path, fixture_site: FixtureServer) -> None:
    state = tmp_path / "s.sqlite"
    state.mkdir()
    result = run("crawl", fixture_site.url("/"), "--state", str(state), "-o", str(tmp_path / "o.jsonl"))
    _refused(result, state, tmp_path, "not a regular file")


def test_store_under_a_regular_file(tmp_path: Path, fixture_site: FixtureServer) -> None:
    (tmp_path / "plain").write_text("x")
    state = tmp_path / "plain" / "s.sqlite"
    result = run("crawl", fixture_site.url("/"), "--state", str(state), "-o", str(tmp_path / "o.jsonl"))
    _refused(result, state, tmp_path, "not a folder")


def test_store_on_a_read_only_file_system(tmp_path: Path, fixture_site: FixtureServer) -> None:
    with readonly_folder(tmp_path / "ro") as folder:
        if folder is None:
            pytest.skip("no way to make a read-only folder here (root without mount)")
        state = folder / "s.sqlite"
        result = run("crawl", fixture_site.url("/"), "--state", str(state), "-o", str(tmp_path / "o.jsonl"))
    _refused(result, state, tmp_path, "cannot write")
