"""The fast paths of issue 19 give the same results as the slow ones: one parse per page
(flattened and parsed again only past the parser's depth limit), the byline tests done
without XPath over every container's text, and ``newsbot extract`` without Scrapy.
No timing is asserted (bench/throughput.py and bench/profile.py measure it)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import html as lxml_html

from newsbot.extraction import byline, parse
from tests.conftest import ROOT, SITE

_OLD_BY_PREFIX_XPATH = (
    "//*[self::p or self::span or self::div or self::li]["
    + " or ".join(
        f'starts-with(normalize-space(.), "{w}")'
        for w in ("By ", "By:", "Von ", "Von:", "Par ", "Por ", "Door ", "Av ", "Af ")
    )
    + "]"
)


def test_an_ordinary_page_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_flattening(html: str) -> str:
        raise AssertionError("flatten_nesting called on a page the parser takes whole")

    monkeypatch.setattr(parse, "flatten_nesting", no_flattening)
    page = "<html><body>" + "<div>" * 150 + "<p>Deep but parsed.</p>" + "</div>" * 150 + "<p>After.</p></body></html>"
    tree = parse.parse_html(page)
    assert tree is not None and "After." in tree.text_content()


@pytest.mark.parametrize("declaration", ["", '<?xml version="1.0" encoding="utf-8"?>'])
def test_a_page_past_the_depth_limit_is_flattened(declaration: str) -> None:
    page = f"{declaration}<html><body>" + "<div>" * 400 + "<p>Inside.</p>" + "</div>" * 400 + "<p>After.</p></body></html>"
    tree = parse.parse_html(page)
    assert tree is not None
    text = tree.text_content()
    assert "Inside." in text and "After." in text


@pytest.mark.parametrize("markup", [
    "<p>By Ann Lee</p>", "<span>By </span>", "<span>By</span>", "<div>  By\n  <b>Ann</b> Lee</div>",
    "<p>Door </p>", "<p>Door x</p>", "<p>Door\u00a0x</p>", "<li>Byron Bay</li>", "<div><span>Von:</span>Ann</div>",
    "<div>\n<script>var x;</script>By Ann</div>", "<p>Av <i></i> </p>", "<p>B</p>", "<div><p>By Ann</p><p>x</p></div>",
])
def test_by_line_test_matches_normalize_space(markup: str) -> None:
    tree = lxml_html.document_fromstring(f"<html><body>{markup}</body></html>")
    expected = tree.xpath(_OLD_BY_PREFIX_XPATH)
    found = [el for el in tree.iter(*byline._BY_PREFIX_TAGS) if byline._starts_with_by(el)]
    assert found == expected


def test_extract_command_imports_no_scrapy() -> None:
    page = next(SITE.glob("2025/*/*/*/index.html"))
    code = (
        "import sys\n"
        "from newsbot.cli import main\n"
        f"status = main(['extract', {str(page)!r}, '--url', 'https://news.example/story/', '--keep'])\n"
        "print('scrapy' in sys.modules, status, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] in ("False 0", "False 1")
