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
robots.txt. The output is deterministic for a given seed. No HTML is written by hand here:
every page comes from a fixture page.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
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


def build_site(root: Path, articles: int = 5000, seed: int = 1) -> SyntheticSite:
    """Write the synthetic site into ``root`` (emptied first) and return what it holds."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(FIXTURE_SITE, root)
    templates = load_templates()
    rng = random.Random(seed)
    headlines = [_WORD_RE.findall(t.title) for t in templates]
    pool = [p for t in templates for p in t.paragraphs]
    article_paths = []
    for index in range(articles):
        template = templates[index % len(templates)]
        path, page = make_article(rng, template, index, headlines, pool)
        target = root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
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
    return SyntheticSite(root=root, article_paths=article_paths, other_html_paths=others)
