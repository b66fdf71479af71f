"""SIGTERM and SIGINT during a real (slowed) crawl of the fixture site: what was written is
delivered and recorded, exit 143 / 130; a second SIGINT stops at once, delivers nothing,
leaves no temporary file and no half-committed state (a rerun writes every article once)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer
from tests.outputcases import SLOW, emitted, records, run, temporaries


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_one_signal_delivers_what_was_written(signum: int, code: int, tmp_path: Path,
                                              fixture_site: FixtureServer,
                                              expected_records: list[dict[str, Any]]) -> None:
    state, out = tmp_path / "s.sqlite", tmp_path / "out" / "o.jsonl"
    base = ["crawl", fixture_site.url("/"), "--state", str(state), "-o", str(out)]
    stopped = run(*base, *SLOW, stop=[signum], watch=out.parent)
    assert stopped.code == code, stopped.stderr
    delivered = records(out)
    assert delivered and len(delivered) < len(expected_records)
    assert emitted(state) == len(delivered)
    assert not temporaries(out.parent) and "Traceback" not in stopped.stderr
    out.unlink()
    rest = run(*base)
    assert rest.code == 0, rest.stderr
    assert len(records(out)) + len(delivered) == len(expected_records) == emitted(state)


def test_second_sigint_stops_at_once_and_leaves_nothing_half_done(tmp_path: Path, fixture_site: FixtureServer,
                                                                  expected_records: list[dict[str, Any]]) -> None:
    state, out = tmp_path / "s.sqlite", tmp_path / "out" / "o.jsonl"
    base = ["crawl", fixture_site.url("/"), "--state", str(state), "-o", str(out)]
    stopped = run(*base, *SLOW, stop=[signal.SIGINT, signal.SIGINT], watch=out.parent)
    assert stopped.code == 130, stopped.stderr
    assert not temporaries(out.parent)
    # none, or (the first stop got as far as the rename) what it had written: then its
    # journal, not yet committed, is settled by the next run (StateStore.recover)
    delivered = records(out)
    assert emitted(state) in (0, len(delivered))
    second = out.with_name("second.jsonl")  # the first file stays where the journal says
    rest = run(*base[:-1], str(second))
    assert rest.code == 0, rest.stderr
    assert len(records(second)) + len(delivered) == len(expected_records) == emitted(state)
