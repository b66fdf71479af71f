"""Page metadata, read from structured data first (JSON-LD, OpenGraph and ``article:*`` meta,
Dublin Core, ``<time datetime>``), then the visible markup (byline, ``<h1>``), then htmldate
for a missing date. Values come back raw; :mod:`newsbot.extraction.loader` cleans them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml import etree
from lxml import html as lxml_html

from newsbot.extraction.authors import clean_author, looks_like_person, split_authors
from newsbot.extraction.byline import byline_people
from newsbot.extraction.dates import first_date, refine, to_iso8601
from newsbot.extraction.parse import as_texts, json_ld_objects, ld_types
from newsbot.extraction.text import clean_whitespace
from newsbot.extraction.title import QUOTE_AFTER, strip_site_name

ARTICLE_TYPES = frozenset(
    """Article NewsArticle ReportageNewsArticle AnalysisNewsArticle OpinionNewsArticle
    BackgroundNewsArticle ReviewNewsArticle AskPublicNewsArticle SatiricalArticle BlogPosting
    LiveBlogPosting Report TechArticle ScholarlyArticle SocialMediaPosting
    DiscussionForumPosting""".split()
)
ORGANISATION_TYPES = frozenset(
    """Organization NewsMediaOrganization Corporation NGO GovernmentOrganization
    EducationalOrganization WebSite Brand OnlineBusiness LocalBusiness""".split()
)
_DOMAIN_RE = re.compile(
    r"\bwww\.|\w\.(?:com|net|org|de|at|ch|be|nl|fr|it|es|pt|pl|no|se|dk|fi|uk|co|tr|jp|kr|cn|tw|in|za|au|ca|us|info|news)\b",
    re.I,
)


_DATE_METAS = (
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "cxenseparse:recs:publishtime",
)
# Elements that show the publication date as text (no machine-readable value): <time>
# without ``datetime``, and these elements with a class naming a date and no <p> inside.
_VISIBLE_DATE_TAGS = frozenset(("span", "div", "p", "small", "li"))
_VISIBLE_DATE_CLASSES = ("date", "Date", "publish", "posted", "timestamp", "datum", "fecha", "dato", "data")
_VISIBLE_DATE_CLASS = re.compile("|".join(_VISIBLE_DATE_CLASSES))  # one scan, not nine ``in`` tests


def _visible_date_elements(tree: lxml_html.HtmlElement, limit: int) -> list[lxml_html.HtmlElement]:
    """Return the first ``limit`` elements that may show the date as text, in document
    order: one walk of the document that stops there (the XPath it replaces, with its
    predicates on every element, cost twice as much and went on to the end)."""
    found: list[lxml_html.HtmlElement] = []
    for el in tree.getroottree().getroot().iter(etree.Element):
        tag = el.tag
        if tag == "time":
            if el.get("datetime") is None:
                found.append(el)
        elif tag in _VISIBLE_DATE_TAGS:
            cls = el.get("class")
            if cls is None or _VISIBLE_DATE_CLASS.search(cls) is None:
                continue
            if next(el.iterdescendants("p"), None) is None:
                found.append(el)
        if len(found) >= limit:
            break
    return found


_CANONICAL_XPATH = etree.XPath('//link[@rel="canonical"]/@href')
_TITLE_XPATH = etree.XPath("//title")
_ARTICLE_H1_XPATH = etree.XPath("//article//h1")
_H1_XPATH = etree.XPath("//h1")
# ``@datetime | @content`` of one element, in one walk (a union of two paths walked twice)
_PUBLISHED_XPATH = etree.XPath('//*[@itemprop="datePublished"]/@*[name()="datetime" or name()="content"]')
_MODIFIED_XPATH = etree.XPath('//*[@itemprop="dateModified"]/@*[name()="datetime" or name()="content"]')
_TIME_XPATH = etree.XPath("//time[@datetime]")
_HTML_LANG_XPATH = etree.XPath("/html/@lang")
_HTTP_LANGUAGE_XPATH = etree.XPath('//meta[@http-equiv="content-language"]/@content')


_NON_WORD = re.compile(r"\W+")


def _squash(text: str) -> str:
    """Return ``text`` case-folded with every non-word character removed."""
    return _NON_WORD.sub("", text.casefold())


class PageMetadata:
    """Metadata of one parsed page, read from its structured data first, then its markup."""

    def __init__(self, tree: lxml_html.HtmlElement, url: str) -> None:
        self.tree = tree
        self.url = url
        objects = json_ld_objects(tree)
        self.ld_article = next((o for o in objects if ld_types(o) & ARTICLE_TYPES), None)
        self.ld_types = set().union(*(ld_types(o) for o in objects)) if objects else set()
        self.ld_objects = objects
        self._site_key_cache: set[str] | None = None
        self._cached: dict[str, Any] = {}  # values several steps read (the tree is not changed)
        self.found_people = False  # set by authors(): the names found are people
        self._meta: dict[str, list[str]] = {}
        # the document's canonical links, <title> and <h1> elements, found in the walk over its
        # meta tags when ``tree`` is the document's root (else by their XPaths, when read)
        self._is_document = tree.getparent() is None
        self._canonicals: list[str] = []
        self._titles: list[lxml_html.HtmlElement] = []
        self._h1s: list[lxml_html.HtmlElement] = []
        for el in tree.iter("meta", "link", "title", "h1"):
            tag = el.tag
            if tag == "meta":
                key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
                content = el.get("content")
                if key and content and content.strip():
                    self._meta.setdefault(key, []).append(content.strip())
            elif tag == "link":
                href = el.get("href")
                if href is not None and el.get("rel") == "canonical":
                    self._canonicals.append(href)
            elif tag == "title":
                self._titles.append(el)
            else:
                self._h1s.append(el)

    # -- helpers

    def meta(self, *keys: str) -> list[str]:
        """Return the contents of the ``<meta>`` tags named by ``keys``, in key order."""
        return [v for k in keys for v in self._meta.get(k.lower(), [])]

    def ld(self, key: str, sub: str = "name") -> list[str]:
        """Return the texts of the JSON-LD article's ``key`` property."""
        return as_texts(self.ld_article.get(key), sub) if self.ld_article else []

    def _first_text(self, elements: list[Any]) -> str | None:
        for el in elements:
            text = clean_whitespace(el if isinstance(el, str) else el.text_content())
            if text:
                return text
        return None

    def _h1(self) -> str | None:
        """Return the text of the article's ``<h1>`` (else the page's first with text)."""
        if "h1" not in self._cached:
            if not self._is_document:
                self._cached["h1"] = self._first_text(_ARTICLE_H1_XPATH(self.tree)) or self._first_text(
                    _H1_XPATH(self.tree)
                )
            else:
                in_article = [h for h in self._h1s if next(h.iterancestors("article"), None) is not None]
                self._cached["h1"] = self._first_text(in_article) or self._first_text(self._h1s)
        h1: str | None = self._cached["h1"]
        return h1

    def _title_texts(self) -> list[str]:
        """Return the text of the page's first ``<title>`` (a list of at most one)."""
        if "title" not in self._cached:
            titles = self._titles if self._is_document else _TITLE_XPATH(self.tree)
            self._cached["title"] = [t.text_content() for t in titles][:1]
        return list(self._cached["title"])

    # -- fields

    def canonical_url(self) -> str | None:
        """Return the page's canonical URL (rel=canonical, else og:url), absolute; None if
        absent or if it points at a site's home page while this page is not one."""
        canonicals = self._canonicals if self._is_document else _CANONICAL_XPATH(self.tree)
        for candidate in canonicals + self.meta("og:url"):
            absolute = urljoin(self.url, candidate.strip())
            if not absolute.startswith(("http://", "https://")):
                continue
            if urlsplit(absolute).path in ("", "/") and urlsplit(self.url).path not in ("", "/"):
                continue
            return absolute
        return None

    def site_name(self) -> str | None:
        """Return the publication's name."""
        values = (
            self.meta("og:site_name")
            + as_texts(self.ld_article.get("publisher") if self.ld_article else None)
            + self.meta("application-name")
        )
        return values[0] if values else None

    def title(self, site_name: str | None) -> str | None:
        """Return the headline without site-name (or trailing section-name) segments: the
        declared title (OpenGraph, JSON-LD headline, Twitter, Dublin Core), else the
        ``<h1>``, else ``<title>``."""
        h1 = self._h1()
        candidates = self.meta("og:title") + self.ld("headline") + self.meta("twitter:title", "dc.title")
        if h1:
            candidates.append(h1)
        candidates += self._title_texts()
        section = self.section()
        for raw in candidates:
            title = strip_site_name(raw, site_name, self.url, h1)
            if title and section and title.casefold().endswith(section.casefold()) and len(title) > len(section) + 10:
                # "Headline - Section" once the site's name is gone
                title = (
                    re.sub(r"\s*[-|–—:\u3163]\s*" + re.escape(section) + r"$", "", title, flags=re.IGNORECASE) or title
                )
            if title and h1 and len(h1) > len(title) and h1.startswith(title) and QUOTE_AFTER.match(h1, len(title)):
                # a declared title cut short at a quotation mark (an unescaped quote ended its
                # attribute): the visible headline is whole
                title = strip_site_name(h1, site_name, self.url, h1)
            if title:
                return title
        return None

    def headlines(self) -> list[str]:
        """Return every version of the headline the page declares (to drop their repeats)."""
        h1 = self._h1()
        return [h for h in self.ld("headline") + self.meta("og:title", "twitter:title") + [h1 or ""] if h]

    def description(self) -> str | None:
        """Return the standfirst / summary."""
        values = self.meta("og:description", "description", "twitter:description", "dc.description") + self.ld(
            "description"
        )
        return values[0] if values else None

    def authors(self) -> list[str]:
        """Return author names, people first: the JSON-LD article's people, else those of
        the author meta tags, else the visible byline; when none of these names a person,
        the organisation the page declares as its author (a news agency such as "nda", the paper)."""
        people, orgs = [], []
        for name, is_org in self._ld_authors():
            if is_org or self._is_site(name):
                orgs.append(name)
            elif any(clean_author(n) for n in split_authors(name)):
                people.append(name)
            else:
                orgs.append(name)
        if people:
            # an agency credited next to the people ("Ann Lee, SDA"), not the site itself
            self.found_people = True
            return people + [o for o in orgs if not self._is_site(o)]
        metas = [
            v
            for v in self.meta("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
            if not v.startswith(("http://", "https://", "/", "@"))
        ]
        meta_people = [
            n
            for v in metas
            if not _DOMAIN_RE.search(v)
            for n in split_authors(v)
            if looks_like_person(n) and not self._is_site(n)
        ]
        if meta_people:
            self.found_people = True
            return meta_people
        byline, byline_orgs = byline_people(self.tree, self._is_site)
        if byline:
            self.found_people = True
            return byline
        return orgs or byline_orgs or [v for v in metas if not _DOMAIN_RE.search(v)] or metas[:1]

    def _ld_authors(self) -> list[tuple[str, bool]]:
        """Return (name, is an organisation) for each author of the JSON-LD article."""
        if not self.ld_article:
            return []
        value = self.ld_article.get("author") or self.ld_article.get("creator")
        values = value if isinstance(value, list) else [value]
        out: list[tuple[str, bool]] = []
        for item in values:
            if isinstance(item, str):
                out.append((item, False))
            elif isinstance(item, dict):
                if set(item) <= {"@id", "@type"} and isinstance(item.get("@id"), str):
                    item = self._ld_by_id().get(item["@id"], item)
                name = item.get("name")
                if isinstance(name, list):
                    name = next((n for n in name if isinstance(n, str)), None)
                if not isinstance(name, str) or not name.strip():
                    parts = [item.get("givenName"), item.get("additionalName"), item.get("familyName")]
                    name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
                if name and name.strip():
                    out.append((name, bool(ld_types(item) & ORGANISATION_TYPES)))
        return out

    def _ld_by_id(self) -> dict[str, dict[str, Any]]:
        return {o["@id"]: o for o in self.ld_objects if isinstance(o.get("@id"), str)}

    def _site_keys(self) -> set[str]:
        """Return the squashed names under which the site itself may appear as an author."""
        if self._site_key_cache is None:
            names = self.meta("og:site_name", "application-name", "twitter:site", "dc.publisher")
            if self.ld_article:
                names += as_texts(self.ld_article.get("publisher"))
            names += [n for o in self.ld_objects if ld_types(o) & ORGANISATION_TYPES for n in as_texts(o.get("name"))]
            host = (urlsplit(self.url).hostname or "").lower().removeprefix("www.")
            keys = {_squash(n) for n in names} | {_squash(host)}
            labels = host.split(".")
            if len(labels) >= 2:
                keys.add(_squash(labels[-2] if len(labels[-2]) > 3 or len(labels) < 3 else labels[-3]))
            self._site_key_cache = {k for k in keys if k}
        return self._site_key_cache

    def _is_site(self, name: str) -> bool:
        """Return True when ``name`` is the site's own name (or its host's)."""
        return _squash(name) in self._site_keys()

    def published(self) -> str | None:
        """Return the publication date as ISO 8601, or None: every candidate is tried in
        order of trust (JSON-LD ``datePublished``, ``article:published_time``, microdata and
        ``<time datetime>`` in the article, other date metas, any ``<time datetime>``, then
        htmldate, then a date written in the article's visible text), so a bad or
        impossible value does not hide a good one further down."""
        language = self.language_code()
        candidates = self._published_candidates()
        for candidate in candidates:
            found = to_iso8601(candidate, language)
            if found:  # the candidates before it do not parse: only later ones can refine it
                return refine(found, candidates, language)
        found = first_date(self._title_dates(), language) or first_date([d for d in [self._htmldate()] if d], language)
        if found:
            return refine(found, self._visible_dates(), language)
        return first_date(self._visible_dates(), language)

    def _published_candidates(self) -> Iterator[str]:
        """Yield the raw publication dates in order of trust, lazily: the walks over the page
        (microdata, ``<time>``) run only when the declared values before them give no date
        that is final (a date with its time and the page's own offset needs no refining)."""
        yield from self.ld("datePublished")
        yield from self.meta("article:published_time", "og:article:published_time")
        yield from _PUBLISHED_XPATH(self.tree)
        times = _TIME_XPATH(self.tree)  # one walk for both kinds of <time datetime>
        in_article = [
            t for t in times if t.get("pubdate") is not None or next(t.iterancestors("article"), None) is not None
        ]
        yield from (t.get("datetime") for t in in_article[:3])
        yield from self.ld("dateCreated")
        yield from self.meta(*_DATE_METAS)
        yield from (t.get("datetime") for t in times[:3])

    def _title_dates(self) -> list[str]:
        """Return the date segments of the page's titles ("Headline | Site | 28.04.2023")."""
        titles = self.meta("og:title") + self._title_texts()
        return [
            part
            for title in titles
            for part in re.split(r"\s+[|–—\-·•]\s+", title)
            if re.fullmatch(r"\s*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\s*", part)
        ]

    def _visible_dates(self) -> list[str]:
        """Return dates written as text near the headline: ``<time>`` elements without a
        ``datetime``, elements whose class names a date, in document order."""
        texts = []
        for el in _visible_date_elements(self.tree, 8):
            text = clean_whitespace(el.text_content())
            if text and 6 <= len(text) <= 80 and re.search(r"\d", text):
                texts.append(text)
        return texts

    def _htmldate(self) -> str | None:
        try:
            return find_date(
                self.tree, url=self.url, original_date=True, extensive_search=False, outputformat="%Y-%m-%d"
            )
        except Exception:  # noqa: BLE001 - htmldate can fail on odd markup
            return None

    def modified(self) -> str | None:
        """Return the last-modified date as ISO 8601 (the first plausible candidate), or None."""
        declared = self.ld("dateModified") + self.meta(
            "article:modified_time",
            "og:updated_time",
            "datemodified",
            "dc.date.modified",
            "dcterms.modified",
            "last-modified",
        )
        language = self.language_code()
        return first_date(declared, language) or first_date(_MODIFIED_XPATH(self.tree), language)

    def language_code(self) -> str | None:
        """Return the ISO 639-1 code of the page's language ("de-AT" -> "de"), or None."""
        value = self.language()
        code = re.split(r"[-_]", value.strip().lower())[0] if value else ""
        return code if re.fullmatch(r"[a-z]{2}", code) else None

    def language(self) -> str | None:
        """Return the page's language tag."""
        if "language" not in self._cached:
            values = (
                _HTML_LANG_XPATH(self.tree)
                + self.ld("inLanguage")
                + self.meta("og:locale", "content-language", "dc.language", "language")
            )
            values = values or _HTTP_LANGUAGE_XPATH(self.tree)  # a walk over the page: only when needed
            self._cached["language"] = values[0] if values else None
        language: str | None = self._cached["language"]
        return language

    def section(self) -> str | None:
        """Return the section the article is filed under."""
        values = self.meta("article:section") + self.ld("articleSection")
        return values[0] if values else None

    def tags(self) -> list[str]:
        """Return raw tag strings."""
        return self.meta("article:tag") or self.ld("keywords") or self.meta("news_keywords", "keywords")

    def image(self) -> str | None:
        """Return the lead image URL."""
        values = self.meta("og:image", "og:image:url", "twitter:image") + self.ld("image", "url")
        return values[0] if values else None
