"""The one exit-code policy (``newsbot.cli.report.exit_code``) and its documentation: every
code the policy returns is in ``--help`` and in the README's table, and the order of
precedence holds (lock, output delivery, start-up/state, signal, failures)."""

from __future__ import annotations

import re

import pytest

from newsbot.cli.report import (EXIT_CODES, EXIT_FAILURES, EXIT_LOCKED, EXIT_OK, EXIT_OUTPUT, EXIT_SIGINT,
                                EXIT_SIGTERM, EXIT_USAGE, exit_code)
from tests.conftest import ROOT

FOUND = {"newsbot/site/127.0.0.1/found": 3, "newsbot/site/127.0.0.1/fetched": 3, "newsbot/pages": 3,
         "finish_reason": "finished"}
HOME = ["http://127.0.0.1/"]


@pytest.mark.parametrize(("extra", "code"), [
    ({}, EXIT_OK),
    ({"newsbot/locked": 1, "newsbot/output/failed": 1}, EXIT_LOCKED),
    ({"newsbot/output/failed": 1, "newsbot/signal": 15}, EXIT_OUTPUT),
    ({"feedexport/failed_count/AtomicFileFeedStorage": 1}, EXIT_OUTPUT),
    ({"newsbot/state/failed": 1}, EXIT_USAGE),
    ({"newsbot/signal": 15, "finish_reason": "shutdown"}, EXIT_SIGTERM),
    ({"newsbot/signal": 2, "finish_reason": "shutdown"}, EXIT_SIGINT),
    ({"finish_reason": "extract_broken"}, EXIT_FAILURES),
])
def test_precedence(extra: dict[str, object], code: int) -> None:
    assert exit_code({**FOUND, **extra}, "crawl", HOME) == code


def test_crawl_that_could_not_start_is_a_usage_code() -> None:
    assert exit_code({"newsbot/crawl_error": "StoreError: state store x: disk I/O error"}, "crawl", HOME) == EXIT_USAGE


def test_worker_output_failure_is_the_delivery_code() -> None:
    stats = {**FOUND, "feedexport/failed_count/AtomicFileFeedStorage": 1}
    assert exit_code(stats, "worker") == EXIT_OUTPUT


def test_every_code_is_documented_in_help_and_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes"):]
    section = section[:section.index("\n## ")]
    for code in (EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_LOCKED, EXIT_OUTPUT, EXIT_SIGINT, EXIT_SIGTERM):
        assert re.search(rf"^\s*{code}\s", EXIT_CODES, re.M) or f"{code} stopped" in EXIT_CODES, code
        assert re.search(rf"\|\s*{code}\s*\|", section), f"README exit-code table lacks {code}"
