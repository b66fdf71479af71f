"""URL lists with hostile lines: ``newsbot scrape`` gives each its documented result (the
README's table) and the run goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer
from newsbot.urls import canonical_request_url, url_problem
from tests.conftest import run_newsbot


def test_idn_hosts_are_fetched_by_punycode() -> None:
    assert url_problem("https://bücher.example/straße") is None
    assert canonical_request_url("https://bücher.example/straße") == "https://xn--bcher-kva.example/stra%C3%9Fe"
    assert canonical_request_url("https://пример.испытание/").startswith("https://xn--e1afmkfd.xn--80akhbyknj4f/")


@pytest.mark.parametrize(("line", "problem"), [
    ("file:///etc/passwd", "unsupported scheme file:"),
    ("ftp://127.0.0.1/pub/x", "unsupported scheme ftp:"),
    ("javascript:alert(1)", "unsupported scheme javascript:"),
    ("data:text/html,<p>hi</p>", "unsupported scheme data:"),
    ("http://127.0.0.1/a b", "whitespace"),
    ("http://127.0.0.1/" + "a" * 3000, "longer than 2048"),
    ("http://" + "ä" * 70 + ".example/", "punycode"),
    ("http://[::1/", "not a URL"),
    ("news.example/story", "unsupported scheme (none)"),
])
def test_url_problems(line: str, problem: str) -> None:
    assert problem in (url_problem(line) or "")


def test_scrape_a_hostile_list(tmp_path: Path, fixture_site: FixtureServer,
                               expected_records: list[dict[str, Any]]) -> None:
    good = [fixture_site.url(r["path"]) for r in expected_records[:3]]
    lines: list[bytes] = [
        good[0].encode(),                                             # 1 fetched
        (good[0] + "?utm_source=x#comments").encode(),                # 2 duplicate of 1
        good[0].encode(),                                             # 3 duplicate of 1
        b"file:///etc/passwd",                                        # 4
        b"ftp://127.0.0.1/pub/x",                                     # 5
        b"javascript:alert(1)",                                       # 6
        b"data:text/html,<p>hi</p>",                                  # 7
        (fixture_site.url("/a b")).encode(),                          # 8 space inside
        b"   " + good[1].encode() + b"\t",                            # 9 fetched (outer blanks)
        (fixture_site.url("/") + "a" * 3000).encode(),                # 10 too long
        fixture_site.url("/caf").encode() + b"\xe9\xff/",             # 11 invalid UTF-8
        ("http://" + "ä" * 70 + ".example/").encode(),                # 12 IDN that cannot be punycoded
        b"",                                                          #    blank
        b"# a comment",                                               #    comment
        good[2].encode(),                                             # 15 fetched
    ]
    listing = tmp_path / "urls.txt"
    listing.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    proc = run_newsbot("scrape", str(listing), "-o", str(out), "-s", "NEWSBOT_EXTRACT_WORKERS=0", "-v")  # -v: INFO lines
    assert proc.returncode == 1, proc.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["source_url"] for r in records) == sorted(good)
    errors = [line for line in proc.stderr.splitlines() if "] ERROR: " in line]
    for n, reason in [(4, "file:"), (5, "ftp:"), (6, "javascript:"), (7, "data:"), (8, "whitespace"),
                      (10, "longer than 2048"), (11, "not valid UTF-8"), (12, "punycode")]:
        assert sum(f"{listing}:{n}: " in e and reason in e for e in errors) == 1, (n, errors)
    assert len(errors) == 8, errors
    infos = [line for line in proc.stderr.splitlines() if "duplicate of line 1, fetched once" in line]
    assert [f"{listing}:2:" in i for i in infos] == [True, False] and f"{listing}:3:" in infos[1], infos
