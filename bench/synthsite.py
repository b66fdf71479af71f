"""A synthetic news site for the throughput benchmark, generated from the fixture site.

``build_site(root, articles, seed)`` copies ``fixtures/site`` (home page, sections, tags,
feeds, sitemaps, robots.txt) into ``root`` and adds ``articles`` article pages. Each new
page is a fixture article page used as a template, with its text varied:

* its path (everywhere: canonical link, og:url, JSON-LD) becomes a new one;
* its headline (``<title>``, ``<h1>``, og:title, JSON-LD) becomes a new one made of words
  from the fixture headlines;
* each body paragraph that appears as plain text in the page is replaced by a paragraph of
  another fixture article, with its sentences shuffled.

The new pages are listed in extra sitemaps (``sitemap-synth-<n>.xml``) named in the copied
``sitemap_index.xml``, so ``newsbot crawl`` finds all of them from the home page's
robots.txt. The output is deterministic for a given seed.

What a page looks like, and why
-------------------------------

The fixture article pages are small (6-27 KB, ~15 KB on average): hand-written test cases
with the article and a little chrome. Real news article pages weigh 80-200 KB of HTML
(the AEB pages of ``bench/quality.py`` average ~174 KB, median ~115 KB), and most of that weight is not the
article: inline scripts (tag managers, ad and consent configuration, framework state such
as ``__NEXT_DATA__``), inline CSS and SVG icon sprites, a mega-menu of section links, rows
of teasers for other stories, a comment thread and a large footer. Extraction has to parse
and prune all of it, so a benchmark over bare fixture pages measures the crawl's overhead
per page against an extraction that is ~4x cheaper than on real pages.

So each article page is then *dressed* (:class:`Dressing`) with generated boilerplate, the
fixture page's own article markup left as it is:

* in ``<head>``: a site stylesheet (~14 KB of generated rules, the same on every page, as
  a site's inline critical CSS is), a JSON-LD ``BreadcrumbList``, and a site-wide inline
  script bundle (~22 KB of generated, minified-looking JavaScript);
* after ``<body>``: an inline SVG icon sprite (~7 KB) and a header with a mega-menu
  (~60 section and sub-section links);
* before ``</body>``: a "more stories" block of 15-30 teasers (kicker, responsive
  ``<picture>``, headline link to another synthetic article, one- or two-sentence
  summary), a comment thread of 0-60 comments (generated names, times, sentences), a
  footer with ~30 links, and the page's framework state (a JSON blob listing the
  teasers, with other page data); then, to reach a target size drawn from a triangular
  distribution over 80-200 KB (mode 170 KB; mean page ~154 KB), a "latest news" river
  (time, headline link, standfirst, byline per item) for about half of what is missing
  and ad/analytics configuration script for the rest.

Measured over the first 200 pages against the 181 AEB pages (aggregates only, computed
with lxml): mean size 154 KB (AEB 174 KB, median 115 KB); ~1,100 elements (AEB ~780);
~250 links (AEB ~144); scripts 33 % of the bytes (AEB 31 %), styles 10 % (AEB 10 %), SVG
5 % (AEB 3 %), visible text 19 % (AEB 16 %). ``extract_article`` takes ~10 ms a page on
them against ~14 ms on AEB pages (6.8 vs 8.1 ms per 100 KB): if anything, they are
cheaper to extract than real pages, which does not flatter the crawl/extraction ratio.

The text of teasers and comments is made of words and shuffled sentences of the fixture
articles; scripts, styles and names are generated from seeded random identifiers. Nothing
is copied from other sites. The dressing is built to be recognised as boilerplate the way
real sites mark it (``<nav>``, ``<header>``, ``<footer>``, ``id="comments"``, teaser
``<div>`` cards rather than ``<article>`` elements), so it costs extraction time without
changing what extraction returns: ``check_dressing`` compares the records of dressed and
bare pages.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SITE = REPO / "fixtures" / "site"
FIXTURE_EXPECTED = REPO / "fixtures" / "expected"
SITEMAP_SIZE = 10_000
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z“‘\"'])")
_WORD_RE = re.compile(r"[A-Za-z0-9]+")


@dataclass
class Template:
    """A fixture article page and the texts in it that can be varied."""

    path: str
    page: str
    title: str
    paragraphs: list[str]


@dataclass
class SyntheticSite:
    """What :func:`build_site` wrote: the web root and the site paths of its HTML pages."""

    root: Path
    article_paths: list[str]
    other_html_paths: list[str]
    article_bytes: int = 0  # total size of the article pages as written

    @property
    def mean_article_kb(self) -> float:
        """Return the mean size of an article page in kB (1000 bytes)."""
        return self.article_bytes / max(1, len(self.article_paths)) / 1000

    @property
    def html_paths(self) -> list[str]:
        """Return every HTML page a crawl should fetch (fixture pages first)."""
        return self.other_html_paths + self.article_paths

    def file_of(self, path: str) -> Path:
        """Return the file that serves site path ``path``."""
        return self.root / path.strip("/") / "index.html" if path != "/" else self.root / "index.html"


def load_templates() -> list[Template]:
    """Return the fixture article pages with their expected headline and paragraphs."""
    templates = []
    for expected_file in sorted(FIXTURE_EXPECTED.glob("*.json")):
        if expected_file.name.startswith("_"):
            continue
        record = json.loads(expected_file.read_text(encoding="utf-8"))
        page_file = FIXTURE_SITE / record["path"].strip("/") / "index.html"
        templates.append(Template(
            path=record["path"],
            page=page_file.read_text(encoding="utf-8"),
            title=record["title"],
            paragraphs=[p for p in record["body"].split("\n\n") if len(p.split()) >= 12],
        ))
    return templates


def _text_variants(text: str) -> list[str]:
    """Return the forms ``text`` takes in a page: HTML-escaped (text and attribute), and JSON."""
    return list(dict.fromkeys([html.escape(text, quote=True), html.escape(text, quote=False),
                               json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], text]))


def _replace_text(page: str, old: str, new: str) -> str:
    for old_form, new_form in zip(_text_variants(old), _text_variants(new)):
        page = page.replace(old_form, new_form)
    return page


def _vary_paragraph(rng: random.Random, paragraph: str) -> str:
    sentences = _SENTENCE_RE.split(paragraph)
    rng.shuffle(sentences)
    return " ".join(sentences)


def make_article(rng: random.Random, template: Template, index: int, headlines: list[list[str]],
                 pool: list[str]) -> tuple[str, str]:
    """Return ``(path, page)``: a new article page made from ``template``."""
    words = rng.choice(headlines)[:] + rng.choice(headlines)[:3]
    rng.shuffle(words)
    title = " ".join(words[:rng.randint(6, 11)]).capitalize() + f" {index}"
    slug = "-".join(w.lower() for w in _WORD_RE.findall(title))
    year, month, day = 2024, 1 + index % 12, 1 + index % 28
    path = f"/{year}/{month:02d}/{day:02d}/{slug}/"
    page = template.page.replace(template.path, path)
    page = _replace_text(page, template.title, title)
    for paragraph in template.paragraphs:
        escaped = html.escape(paragraph, quote=False)
        marker = f">{escaped}<"
        if marker in page:
            page = page.replace(marker, f">{html.escape(_vary_paragraph(rng, rng.choice(pool)), quote=False)}<", 1)
    return path, page


# -- dressing: the weight and structure of a real news page around the fixture article

PAGE_KB = (80, 200, 170)  # triangular(low, high, mode) target page size, kB
_SYLLABLES = ("ka", "lo", "mi", "ren", "sa", "tor", "vi", "an", "bel", "cor", "da", "el", "fin", "gar",
              "hal", "is", "jo", "ker", "lin", "mar", "nor", "os", "per", "quin", "ros", "sel", "tam", "ul",
              "ven", "wil", "yor", "zen")
_SECTIONS = ("news", "world", "business", "science", "culture", "sport", "opinion", "travel", "health",
             "climate", "technology", "politics", "education", "lifestyle", "food", "arts")


def _ident(rng: random.Random, length: int = 0) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    first = rng.choice(letters + "_$")
    return first + "".join(rng.choice(letters + "0123456789") for _ in range(length or rng.randint(1, 4)))


def _name(rng: random.Random) -> str:
    def word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{word()} {word()}"


def _js_statement(rng: random.Random) -> str:
    a, b, c, d = (_ident(rng) for _ in range(4))
    key, num = _ident(rng, 6), rng.randint(0, 99999)
    forms = (
        f"function {a}({b},{c}){{if(!{b})return null;var {d}={b}.{key}||[];for(var i=0;i<{d}.length;i++)"
        f"{{{c}({d}[i],i)}}return {d}}}",
        f'var {a}={{"{key}":{num},"{_ident(rng, 5)}":"{_ident(rng, 8)}","{_ident(rng, 4)}":[{num % 7},{num % 13},'
        f"{num % 17}],\"enabled\":{str(num % 2 == 0).lower()}}};",
        f"{a}.prototype.{key}=function({b}){{return this.{_ident(rng)}.push({b}),this.{_ident(rng)}>{num % 500}&&"
        f"this.flush(),this}};",
        f'window.{a}=window.{a}||[];window.{a}.push(["{key}",{num},"{_ident(rng, 10)}"]);',
        f"!function({b}){{var {c}=document.createElement(\"script\");{c}.async=!0;{c}.src=\"/static/{key}."
        f"{num:x}.js\";{b}.head.appendChild({c})}}(document);",
        f"try{{{a}.{key}({b}&&{b}.{_ident(rng)}?{b}.{_ident(rng)}:{num})}}catch({c}){{console&&console.warn({c})}}",
        f"const {a}=({b},{c}=0x{num:x})=>{b}.map({d}=>({d}^{c})>>>{num % 8}).filter(Boolean);",
    )
    return rng.choice(forms)


def _js(rng: random.Random, size: int) -> str:
    parts, total = [], 0
    while total < size:
        part = _js_statement(rng)
        parts.append(part)
        total += len(part)
    return "".join(parts)


def _css(rng: random.Random, size: int) -> str:
    props = ("margin:0 auto", "padding:{n}px {m}px", "font-size:{n}px", "line-height:1.{m}",
             "color:#{h}", "background:#{h}", "border-bottom:1px solid #{h}", "display:flex",
             "flex-wrap:wrap", "max-width:{n}0px", "grid-template-columns:repeat({m},1fr)",
             "transition:opacity .{m}s ease", "position:relative", "text-transform:uppercase")
    parts, total = [], 0
    while total < size:
        selector = ",".join(f".{rng.choice(_SECTIONS)}-{_ident(rng, 5)}" + rng.choice(("", " a", ":hover", " > li"))
                            for _ in range(rng.randint(1, 3)))
        body = ";".join(rng.choice(props).format(n=rng.randint(1, 48), m=rng.randint(1, 9),
                                                   h=f"{rng.randrange(16 ** 6):06x}")
                        for _ in range(rng.randint(2, 6)))
        rule = f"{selector}{{{body}}}\n"
        if rng.random() < 0.08:
            rule = f"@media (min-width:{rng.choice((600, 768, 1024, 1280))}px){{{rule}}}\n"
        parts.append(rule)
        total += len(rule)
    return "".join(parts)


def _svg_sprite(rng: random.Random, icons: int) -> str:
    symbols = []
    for _ in range(icons):
        points = " ".join(f"{rng.randint(0, 24)}.{rng.randint(0, 99)} {rng.randint(0, 24)}.{rng.randint(0, 99)}"
                          for _ in range(rng.randint(12, 30)))
        symbols.append(f'<symbol id="icon-{_ident(rng, 6)}" viewBox="0 0 24 24"><path d="M{points}z"/></symbol>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">{"".join(symbols)}</svg>\n'


class Dressing:
    """Generated boilerplate for the article pages of one synthetic site (see the module
    docstring): site-wide parts made once, per-page parts made by :meth:`dress`."""

    def __init__(self, rng: random.Random, sentences: list[str], headline_words: list[list[str]]) -> None:
        self.sentences = sentences
        self.headline_words = headline_words
        self.css = _css(rng, 14_000)
        self.head_js = _js(rng, 22_000)
        self.page_js = _js(rng, 400_000)  # per-page ad and analytics configuration is cut from this
        self.sprite = _svg_sprite(rng, 24)
        subsections = {s: [_ident(rng, 7) for _ in range(rng.randint(2, 4))] for s in _SECTIONS}
        menu = []
        for section, subs in subsections.items():
            items = "".join(f'<li class="menu-item"><a href="/section/{section}/{sub}/">{sub.capitalize()}</a></li>'
                            for sub in subs)
            menu.append(f'<li class="menu-item has-children"><a href="/section/{section}/">{section.capitalize()}</a>'
                        f'<ul class="sub-menu">{items}</ul></li>\n')
        self.header = ('<header class="site-header" role="banner"><div class="header-bar"><a class="site-logo" '
                       'href="/" aria-label="Home"><svg class="icon"><use href="#icon-logo"/></svg></a>'
                       '<button class="menu-toggle" aria-expanded="false">Menu</button>'
                       '<form class="search-form" action="/search/" role="search"><input type="search" name="q" '
                       'placeholder="Search"><button type="submit">Search</button></form></div>\n'
                       f'<nav class="main-navigation mega-menu" aria-label="Sections"><ul class="menu">{"".join(menu)}'
                       '</ul></nav></header>\n')
        columns = []
        for title in ("Sections", "Services", "Company", "Follow us"):
            links = "".join(f'<li><a href="/{_ident(rng, 8)}/">{" ".join(_ident(rng, 5).capitalize() for _ in range(2))}'
                            "</a></li>" for _ in range(8))
            columns.append(f'<div class="footer-column"><h4>{title}</h4><ul>{links}</ul></div>')
        self.footer = (f'<footer class="site-footer" role="contentinfo"><nav aria-label="Footer">{"".join(columns)}'
                       '</nav><p class="legal">Terms of use · Privacy policy · Cookie settings · Accessibility</p>'
                       "</footer>\n")

    def _sentence(self, rng: random.Random) -> str:
        return rng.choice(self.sentences)

    def _headline(self, rng: random.Random) -> str:
        words = rng.choice(self.headline_words)[:] + rng.choice(self.headline_words)[:2]
        rng.shuffle(words)
        return " ".join(words[:rng.randint(5, 9)]).capitalize()

    def dress(self, rng: random.Random, page: str, path: str, others: list[str]) -> str:
        """Return ``page`` (an article page at ``path``) with the boilerplate of a real news
        page around its own markup; ``others`` are article paths teasers may link to."""
        target = int(rng.triangular(*PAGE_KB) * 1000)
        section = rng.choice(_SECTIONS)
        crumbs = json.dumps({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": "__ORIGIN__/"},
            {"@type": "ListItem", "position": 2, "name": section.capitalize(), "item": f"__ORIGIN__/section/{section}/"},
        ]})
        head = (f'<style id="critical-css">{self.css}</style>\n'
                f'<script type="application/ld+json">{crumbs}</script>\n'
                f"<script>{self.head_js}</script>\n")
        teasers, teaser_data = [], []
        for _ in range(rng.randint(15, 30)):
            link = rng.choice(others) if others else "/"
            headline = self._headline(rng)
            summary = " ".join(self._sentence(rng) for _ in range(rng.randint(1, 2)))
            kicker = rng.choice(_SECTIONS).upper()
            image = f"/images/teasers/{_ident(rng, 10)}"
            srcset = ", ".join(f"{image}-{w}.webp {w}w" for w in (320, 480, 640, 800, 1024, 1280))
            teasers.append(f'<div class="teaser card teaser--{kicker.lower()} js-track" data-track-id="{_ident(rng, 12)}" '
                           f'data-position="{len(teasers) + 1}"><div class="teaser__media"><a class="teaser-image" '
                           f'href="{link}" tabindex="-1"><picture><source type="image/webp" srcset="{srcset}" '
                           f'sizes="(min-width: 1024px) 320px, 50vw"><img loading="lazy" decoding="async" '
                           f'src="{image}-640.jpg" width="640" height="360" alt=""></picture></a></div>'
                           f'<div class="teaser__body"><span class="kicker">{kicker}</span>'
                           f'<h3 class="teaser-title"><a href="{link}">{html.escape(headline)}</a></h3>'
                           f'<p class="teaser-summary">{html.escape(summary, quote=False)}</p></div></div>\n')
            teaser_data.append({"url": link, "headline": headline, "kicker": kicker, "summary": summary,
                                "image": {"src": f"/images/teasers/{_ident(rng, 10)}.jpg", "width": 640, "height": 360}})
        comments = []
        for n in range(rng.choice((0, 8, 12, 20, 30, 40, 60))):
            text = " ".join(self._sentence(rng) for _ in range(rng.randint(1, 5)))
            comments.append(f'<li class="comment" id="comment-{n + 1}"><div class="comment-meta"><span class="comment-author">'
                            f'{_name(rng)}</span> <time>{rng.randint(1, 23)} hours ago</time></div>'
                            f'<div class="comment-content"><p>{html.escape(text, quote=False)}</p></div>'
                            f'<a class="comment-reply-link" href="#comment-{n + 1}">Reply</a></li>\n')
        comment_block = ('<section id="comments" class="comments-area"><h2 class="comments-title">Comments</h2>'
                         f'<ol class="comment-list">{"".join(comments)}</ol></section>\n' if comments else "")
        tail = (f'<aside class="more-stories" aria-label="More stories"><h2>More stories</h2>{"".join(teasers)}</aside>\n'
                f"{comment_block}{self.footer}")
        state = {"props": {"pageProps": {"path": path, "section": section, "teasers": teaser_data,
                                         "ads": {"slots": [_ident(rng, 8) for _ in range(12)]}}},
                 "page": "/[year]/[month]/[day]/[slug]", "buildId": _ident(rng, 21)}
        base = len(page) + len(head) + len(self.sprite) + len(self.header) + len(tail)
        state_text = json.dumps(state, ensure_ascii=False)
        pad = max(0, target - base - len(state_text) - 200)
        # about half of what is left is a "latest news" river (text with a link per item),
        # the rest ad and analytics configuration
        river, river_size = [], 0
        while river_size < pad // 2:
            link = rng.choice(others) if others else "/"
            standfirst = " ".join(self._sentence(rng) for _ in range(rng.randint(1, 3)))
            entry = (f'<li class="river-item"><time class="river-time">{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}'
                     f'</time> <a class="river-link" href="{link}">{html.escape(self._headline(rng))}</a>'
                     f'<p class="river-standfirst">{html.escape(standfirst, quote=False)}</p>'
                     f'<span class="river-byline">{_name(rng)}</span></li>\n')
            river.append(entry)
            river_size += len(entry)
        if river:
            tail = (f'<section class="latest-news" aria-label="Latest news"><h2>Latest news</h2>'
                    f'<ul class="river">{"".join(river)}</ul></section>\n') + tail
        pad = max(0, pad - river_size)
        start = rng.randrange(len(self.page_js) - pad) if pad < len(self.page_js) else 0
        start = self.page_js.find(";", start) + 1
        config = (self.page_js * (1 + pad // len(self.page_js)))[start:start + pad]
        scripts = (f'<script id="__NEXT_DATA__" type="application/json">{state_text}</script>\n'
                   f"<script>window.adConfig={{}};{config}</script>\n")
        page = page.replace("</head>", head + "</head>", 1) if "</head>" in page else head + page
        opening = re.search(r"<body[^>]*>", page)
        if opening:
            page = page[:opening.end()] + "\n" + self.sprite + self.header + page[opening.end():]
        closing = page.rfind("</body>")
        if closing < 0:
            closing = len(page)
        return page[:closing] + tail + scripts + page[closing:]


def article_pages(articles: int, seed: int = 1, dressed: bool = True) -> Iterator[tuple[str, str]]:
    """Yield ``(path, page)`` for the ``articles`` synthetic article pages, dressed as real
    news pages (:class:`Dressing`) unless ``dressed`` is false; the article markup and text
    are the same either way."""
    templates = load_templates()
    rng = random.Random(seed)
    dress_rng = random.Random(f"dressing-{seed}")
    headlines = [_WORD_RE.findall(t.title) for t in templates]
    pool = [p for t in templates for p in t.paragraphs]
    dressing = Dressing(dress_rng, [s for p in pool for s in _SENTENCE_RE.split(p)], headlines) if dressed else None
    paths: list[str] = []
    for index in range(articles):
        template = templates[index % len(templates)]
        path, page = make_article(rng, template, index, headlines, pool)
        if dressing is not None:
            page = dressing.dress(dress_rng, page, path, paths[-500:])
        paths.append(path)
        yield path, page


def build_site(root: Path, articles: int = 5000, seed: int = 1, dressed: bool = True) -> SyntheticSite:
    """Write the synthetic site into ``root`` (emptied first) and return what it holds."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(FIXTURE_SITE, root)
    article_paths = []
    article_bytes = 0
    for path, page in article_pages(articles, seed, dressed):
        target = root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = page.encode("utf-8")
        target.write_bytes(data)
        article_bytes += len(data)
        article_paths.append(path)
    sitemaps = []
    for n, start in enumerate(range(0, len(article_paths), SITEMAP_SIZE)):
        name = f"sitemap-synth-{n}.xml"
        entries = "".join(f"<url><loc>__ORIGIN__{p}</loc></url>\n" for p in article_paths[start:start + SITEMAP_SIZE])
        (root / name).write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                                 f"{entries}</urlset>\n", encoding="utf-8")
        sitemaps.append(name)
    index_file = root / "sitemap_index.xml"
    extra = "".join(f"<sitemap><loc>__ORIGIN__/{name}</loc></sitemap>\n" for name in sitemaps)
    index_file.write_text(index_file.read_text(encoding="utf-8").replace("</sitemapindex>", extra + "</sitemapindex>"),
                          encoding="utf-8")
    others = sorted("/" + p.parent.relative_to(FIXTURE_SITE).as_posix() + "/"
                    for p in FIXTURE_SITE.rglob("index.html") if p.parent != FIXTURE_SITE)
    others = ["/"] + [p for p in others if not p.startswith("/private/")]
    return SyntheticSite(root=root, article_paths=article_paths, other_html_paths=others,
                         article_bytes=article_bytes)


def check_dressing(articles: int = 200, seed: int = 1) -> tuple[int, int, list[str]]:
    """Return ``(same, compared, differing paths)``: how many of the first ``articles``
    pages give the same ``extract_article`` record dressed as bare (``__ORIGIN__`` set to a
    loopback origin)."""
    from newsbot.extraction import extract_article

    origin = "http://127.0.0.1:8000"
    same, differing = 0, []
    for (path, dressed), (_, bare) in zip(article_pages(articles, seed, True), article_pages(articles, seed, False)):
        records = [extract_article(page.replace("__ORIGIN__", origin), origin + path).record() for page in (dressed, bare)]
        if records[0] == records[1]:
            same += 1
        else:
            differing.append(path)
    return same, articles, differing
