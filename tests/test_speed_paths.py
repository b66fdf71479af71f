"""The fast paths of issue 19 give the same results as the slow ones: one parse per page
(flattened and parsed again only past the parser's depth limit) into the tree Trafilatura's
loader builds, with a class lookup that makes no Python call per element, the byline tests done
without XPath over every container's text, and ``newsbot extract`` without Scrapy.
No timing is asserted (bench/throughput.py and bench/profile.py measure it)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import load_html

from newsbot.extraction import body, byline, parse, region
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


_LOADER_CASES = {
    "xml declaration in a str": '<?xml version="1.0" encoding="utf-8"?><html><body><p>Café</p></body></html>',
    "windows-1252 bytes": "<html><head><meta charset=windows-1252></head><body><p>Caf\xe9 d\xe9j\xe0</p></body></html>"
    .encode("cp1252"),
    "byte order mark": "\ufeff<!DOCTYPE html><html><body><p>Text</p></body></html>".encode(),
    "no html tag, one block": "<p>only a fragment</p>",
    "no html tag, two blocks": "<div>one</div><div>two</div>",
    "plain text": "just some words, no markup at all",
    "self-closing html": '<!DOCTYPE html>\n<html lang="en"/>\n<body><p>Body</p></body></html>',
    "control characters": "<html><body><p>a\x00b\x0bc</p></body></html>",
    "form fields": "<html><body><form><input name=q value=x><select><option>1</select>"
    "<textarea>t</textarea><label>l</label></form><p>After</p></body></html>",
}


@pytest.mark.parametrize("name", sorted(_LOADER_CASES))
def test_pages_parse_to_the_tree_trafilatura_loads(name: str) -> None:
    page = _LOADER_CASES[name]
    ours, theirs = parse._load(page), load_html(page)
    assert (ours is None) == (theirs is None)
    if ours is not None and theirs is not None:
        assert etree.tostring(ours) == etree.tostring(theirs)
        assert all(type(el) is lxml_html.HtmlElement for el in ours.iter(etree.Element))
        assert ours.text_content() == theirs.text_content()


def test_fixture_pages_parse_to_the_tree_trafilatura_loads() -> None:
    pages = sorted(SITE.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        raw = path.read_bytes()
        assert etree.tostring(parse._load(raw)) == etree.tostring(load_html(raw)), path


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


def test_the_fallback_comparison_runs_only_where_it_can_change_the_text() -> None:
    story = [f"Paragraph {i} of the story tells what happened on the river bank that night, in detail." * 2
             for i in range(6)]
    tree = lxml_html.document_fromstring(
        "<html><body><div class='story'>" + "".join(f"<p>{t}</p>" for t in story) + "</div>"
        "<div class='other'><p>" + "Another block of text somewhere else on the page. " * 3 + "</p></div></body></html>"
    )
    scores = body.paragraph_parents(tree)
    block = sum(len(t) for t in story)
    assert not body.looks_wrong(story, scores)  # the main block was found
    assert body.looks_wrong(["Another block of text somewhere else on the page."] * 3, scores)  # missed, shorter
    elsewhere = ["Text from another container, as long as the story. " * 10] * 4
    assert sum(len(t) for t in elsewhere) >= block
    assert not body.looks_wrong(elsewhere, scores)  # missed but as long: Trafilatura would keep it
    assert body.looks_wrong(["x" * 401], scores)  # one long block
    # many times the main block: as one block of Trafilatura's, not as paragraphs of its own
    assert body.looks_wrong(elsewhere * 4, scores, 1)
    assert not body.looks_wrong(elsewhere * 4, scores, 16)


def test_main_text_counts_the_paragraph_elements_of_trafilaturas_result() -> None:
    story = [f"Sentence {i} of a story about the harbour, long enough to count as real prose here." * 2
             for i in range(4)]
    page = ("<html><body><nav><a href='/'>Home</a></nav><article><h1>Harbour</h1>"
            + "".join(f"<p>{t}</p>" for t in story) + "</article></body></html>")
    paragraphs, found = body.main_text(lxml_html.document_fromstring(page), "https://news.example/a")
    assert paragraphs == ["Harbour", *story] and found == 4  # the heading is no paragraph element
    assert body.main_text_paragraphs(lxml_html.document_fromstring(page), "https://news.example/a") == paragraphs


def test_trafilatura_reads_the_same_text_without_the_head() -> None:
    story = "".join(f"<p>Paragraph {i} of a forum post about river otters, with enough words to count.</p>"
                    for i in range(6))
    forum = ('{"@context": "https://schema.org", "@type": "DiscussionForumPosting", '
             '"headline": "Otters", "text": "Seen any?"}')
    page = ("<html><head><title>Otters</title><meta name='description' content='x'>"
            "<style>" + "p{color:red}" * 200 + "</style><script>var state = {};</script>"
            f"<link rel='stylesheet' href='/a.css'><script type='application/ld+json'>{forum}</script></head>"
            f"<body><div class='thread'><div class='comments'>{story}</div></div></body></html>")
    whole = lxml_html.document_fromstring(page)
    stripped = lxml_html.document_fromstring(page)
    region.strip_head(stripped)
    head = stripped.find("head")
    assert [el.get("type") for el in head] == ["application/ld+json"]  # only the JSON-LD stays
    found = body.main_text(stripped, "https://forum.example/t/1")
    assert found == body.main_text(whole, "https://forum.example/t/1") and found[1] == 6
    head.clear()  # without the JSON-LD, the posts would be taken for a comment section
    assert body.main_text(stripped, "https://forum.example/t/1")[1] == 0
    region.strip_head(lxml_html.fragment_fromstring("<div><p>no head</p></div>"))  # nothing to do


@pytest.mark.parametrize("fast", [True, False])
def test_reused_trafilatura_options_are_the_ones_its_keywords_build(fast: bool) -> None:
    from trafilatura import bare_extraction
    from trafilatura.settings import Extractor

    url = "https://news.example/2025/otters-é"
    built = Extractor(output_format="txt", fast=fast, comments=False, tables=True, images=False,
                      formatting=False, links=False, dedup=False, with_metadata=False, url=url)
    first, second = body._options(url, fast), body._options("https://other.example/", fast)
    assert {s: getattr(first, s) for s in Extractor.__slots__} == {s: getattr(built, s) for s in Extractor.__slots__}
    assert second.url == "https://other.example/" and first.url == url  # a copy per page, not shared
    # the options give the body the keywords give (only the text rendering, unread, is skipped)
    story = "".join(f"<p>Paragraph {i} about the harbour's otters, long enough to be prose here.</p>"
                    for i in range(5))
    page = f"<html><body><nav><a href='/'>Home</a></nav><article><h1>Otters</h1>{story}</article></body></html>"
    ours = bare_extraction(lxml_html.document_fromstring(page), options=body._options(url, fast))
    theirs = bare_extraction(lxml_html.document_fromstring(page), url=url, fast=fast, include_comments=False,
                             include_tables=True, include_images=False, include_formatting=False,
                             include_links=False, deduplicate=False, with_metadata=False)
    assert etree.tostring(ours.body) == etree.tostring(theirs.body)


def test_metadata_reads_the_whole_document_from_its_one_walk_or_its_xpaths() -> None:
    from newsbot.extraction.metadata import PageMetadata

    page = ("<html><head><title>Otters back | Site</title><link rel='stylesheet' href='/a.css'>"
            "<link rel='canonical' href='/2025/otters'><meta property='og:site_name' content='Site'></head>"
            "<body><div class='top'><h1>Site</h1></div><div id='main'><article><h1> River  otters back </h1>"
            "<p>Text.</p></article></div><svg><title>icon</title></svg></body></html>")
    doc = lxml_html.document_fromstring(page)
    inner = doc.get_element_by_id("main")  # not the document: read through the XPaths
    for tree in (doc, inner):
        meta = PageMetadata(tree, "https://news.example/2025/otters?ref=x")
        assert meta.canonical_url() == "https://news.example/2025/otters"
        assert meta._h1() == "River otters back"  # the article's, not the site's
        assert meta._title_texts() == ["Otters back | Site"]  # the first <title>, not the icon's
    assert PageMetadata(doc, "https://news.example/x").meta("og:site_name") == ["Site"]


def test_the_repairs_before_parsing_are_trafilaturas() -> None:
    import random

    from trafilatura.utils import repair_faulty_html

    pieces = ["<html", "/>", "\n", "<!DOCTYPE html>", "<! DOCTYPE x/y>", "\x00", "\x0b", "\x1f", "\ufffe", "\uffff",
              "a", " ", "<p>", "é", "\t", "\r\n", "\x0c", "\x7f", "\u2028", "\x1c", "<HTML lang='x'"]
    rng = random.Random(11)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert parse._repair(text, text[:50].lower()) == repair_faulty_html(text, text[:50].lower()), repr(text)
