"""Paywalls: subscription prompts dropped from the body, and whether the page is paywalled.

A page is *paywalled* (``True``) when it says so: JSON-LD ``isAccessibleForFree`` false
(on the article or on a ``hasPart`` with the ``cssSelector`` of the locked part), a
``content_tier`` meta of "locked" or "metered", or a block marked as a paywall (class or
id with "paywall", "premium", "subscriber" ...) that holds a subscription prompt, or a
prompt among the extracted paragraphs. It is *free* (``False``) when
``isAccessibleForFree`` is true or the content tier is "free"; otherwise unknown
(``None``). The class words are checked together with the block's text, so a CSS class
alone ("paywall-enabled" on a free page) decides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from lxml import etree
from lxml import html as lxml_html

# Subscription and metering prompts, in the languages of the pages newsbot meets. Each
# matches a whole short paragraph's gist: a paragraph of prose that mentions subscribing is
# longer than _MAX_PROMPT and is kept.
_PROMPT_RE = re.compile(
    r"""(?ix)
    # English
    \byou\s+have\s+(?:\d+|one|two|three|no)\s+(?:more\s+)?free\s+(?:articles?|stories|reads?)\b
    | \b(?:free\s+)?articles?\s+(?:left|remaining)\s+this\s+month\b
    | \bsubscribe\s+(?:now\s+)?to\s+(?:continue|keep)\s+reading\b
    | \b(?:continue|keep)\s+reading\s+with\s+(?:a|an|your)\s+\w*\s*subscription\b
    | \bthis\s+(?:article|story|content)\s+is\s+(?:only\s+)?(?:available\s+)?(?:exclusively\s+)?
      for\s+(?:paid\s+)?subscribers\b
    | \b(?:for|to)\s+subscribers\s+only\b | \bsubscribers?[-\s]only\s+(?:content|article|story)\b
    | \balready\s+a\s+subscriber\s*\?
    | \bto\s+read\s+the\s+full\s+(?:article|story)\b.*\bsubscri
    | \bunlock\s+(?:this|the\s+full)\s+(?:article|story)\b
    # German
    | \bsie\s+haben\s+(?:noch\s+)?(?:\d+|einen|zwei|drei|keine)\s+(?:kostenlose|kostenfreie|freie)\s+artikel\b
    | \b(?:jetzt\s+)?(?:abonnieren|abo\s+abschließen)\s+und\s+weiterlesen\b
    | \bweiterlesen\s+mit\s+\w*\s*(?:abo|abonnement|plus|\+)
    | \bdieser\s+(?:artikel|beitrag|inhalt)\s+ist\s+(?:nur\s+)?(?:exklusiv\s+)?für\s+
      (?:abonnenten|abonnentinnen|abonnent\*innen|\w*abonnenten)\b
    | \bbereits\s+abonnent(?:in)?\s*\?
    # French
    | \bil\s+vous\s+reste\s+\d+\s*%\s+de\s+cet\s+article\b
    | \bil\s+vous\s+reste\s+(?:\d+|un|deux|trois)\s+articles?\s+gratuits?\b
    | \bcet\s+article\s+est\s+réservé\s+aux\s+abonnés\b | \bréservé\s+aux\s+abonnés\b
    | \babonnez[-\s]vous\s+pour\s+(?:lire|continuer)\b | \bdéjà\s+abonné\s*\?
    # Spanish, Portuguese, Italian
    | \bsuscr[íi]bete\s+para\s+(?:seguir|continuar)\s+leyendo\b
    | \b(?:este\s+)?(?:contenido|artículo)\s+(?:es\s+)?exclusivo\s+para\s+suscriptores\b
    | \bte\s+quedan?\s+(?:\d+|un|una|dos|tres)\s+(?:artículos?|noticias?)\s+gratis\b
    | \bassine\s+para\s+continuar\s+lendo\b | \bexclusivo\s+para\s+assinantes\b | \bjá\s+é\s+assinante\s*\?
    | \babbonati\s+per\s+(?:continuare\s+a\s+leggere|leggere)\b
    | \b(?:questo\s+)?(?:articolo|contenuto)\s+(?:è\s+)?riservato\s+agli\s+abbonati\b
    # Dutch, Scandinavian, Polish, Russian
    | \bdit\s+(?:artikel|verhaal)\s+is\s+(?:alleen\s+)?(?:voor|exclusief\s+voor)\s+abonnees\b
    | \b(?:word\s+abonnee|neem\s+een\s+abonnement)\s+(?:om|en)\s+(?:verder\s+te\s+lezen|lees\s+verder)\b
    | \b(?:denne\s+artikkelen|denne\s+artikel|denna\s+artikel)\s+er\s+for\s+abonnenter\b
    | \bkun\s+for\s+abonnenter\b | \bför\s+prenumeranter\b
    | \b(?:ten\s+)?(?:artykuł|tekst)\s+(?:jest\s+)?dostępny\s+(?:tylko\s+)?dla\s+(?:subskrybentów|prenumeratorów)\b
    | \bwykup\s+(?:subskrypcję|prenumeratę|dostęp)\b
    | доступ(?:ен|на)?\s+только\s+(?:для\s+)?подписчик | оформите\s+подписку
    """
)
_MAX_PROMPT = 300
_MARKER_RE = re.compile(
    r"paywall|pay[-_]wall|premium[-_]?(?:content|article|box|teaser|wall|barrier)|subscriber[-_]?only|subscription[-_]?wall"
    r"|regwall|piano[-_]|tp[-_]container|meter[-_]?(?:ed|wall|ing)|abo[-_]?(?:wall|teaser|box)|plus[-_]?(?:teaser|wall)"
    r"|locked[-_]?content|content[-_]?locked|article[-_]?locked",
    re.IGNORECASE,
)
_MARKER_STEMS = ("wall", "premium", "subscriber", "piano", "tp-container", "metered", "locked")
_FALSE_VALUES = ("false", "False", "FALSE", "no", "0")
_TRUE_VALUES = ("true", "True", "TRUE", "yes", "1")


# Stems one of which every prompt holds: a quick test before the long pattern.
_STEM_RE = re.compile(
    r"(?i)subscri|free\s+(?:article|stor|read)|articles?\s+(?:left|remaining)|unlock|kostenlose|kostenfreie|freie\s+artikel"
    r"|abonn|abo\b|weiterlesen|reste|réservé|suscr|quedan?|assin|abbon|voor\s+abonnees|abonnee|abonnement|abonnenter"
    r"|prenumer|subskry|wykup|подпис"
)


# _STEM_RE without its flag, case-sensitive: on an ASCII text made lower case it finds what
# _STEM_RE finds in the text, several times faster (checked at import: no upper case in it).
_STEM_LOW = re.compile(_STEM_RE.pattern.removeprefix("(?i)"))
if _STEM_LOW.pattern != _STEM_LOW.pattern.lower() or _STEM_LOW.pattern.startswith("(?"):
    raise ValueError("_STEM_RE must be written in lower case after its (?i) flag")


def is_prompt(text: str) -> bool:
    """Return True when ``text`` (one paragraph) is a subscription or metering prompt."""
    if len(text) > _MAX_PROMPT:
        return False
    stem = _STEM_LOW.search(text.lower()) if text.isascii() else _STEM_RE.search(text)
    return stem is not None and bool(_PROMPT_RE.search(text))


def strip_paywall_prompts(paragraphs: list[str]) -> tuple[list[str], bool]:
    """Return (the paragraphs without subscription prompts, whether any was dropped)."""
    kept = [p for p in paragraphs if not is_prompt(p)]
    return kept, len(kept) < len(paragraphs)


def _accessible(value: Any) -> bool | None:
    """Return what an ``isAccessibleForFree`` value says (True: free), or None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.strip() in _FALSE_VALUES:
            return False
        if value.strip() in _TRUE_VALUES:
            return True
    return None


def declared_paywall(objects: list[dict[str, Any]], article: dict[str, Any] | None) -> bool | None:
    """Return what the JSON-LD says: True when the article (else any object) or one of its
    ``hasPart`` is not accessible for free, False when it is declared free, else None."""
    ordered = ([article] if article else []) + [o for o in objects if o is not article]
    for obj in ordered:
        parts = obj.get("hasPart")
        for part in parts if isinstance(parts, list) else [parts]:
            if isinstance(part, dict) and _accessible(part.get("isAccessibleForFree")) is False:
                return True
        free = _accessible(obj.get("isAccessibleForFree"))
        if free is not None:
            return not free
    return None


# (Two walks of the attribute axis cost less than one that tests every attribute's name.)
_CLASS_ID = "//body//@class | //body//@id"
_CLASS_ID_VALUES = etree.XPath(_CLASS_ID, smart_strings=False)
_CLASS_ID_ATTRIBUTES = etree.XPath(_CLASS_ID)


def marked_paywall(tree: lxml_html.HtmlElement) -> bool:
    """Return True when a block marked as a paywall by its class or id holds a
    subscription prompt (a class alone decides nothing)."""
    markers = " ".join(_CLASS_ID_VALUES(tree)).lower()  # plain strings: cheap
    if not any(stem in markers for stem in _MARKER_STEMS):
        return False  # most pages: no marker at all
    values = _CLASS_ID_ATTRIBUTES(tree)  # each knows its element
    seen: set[lxml_html.HtmlElement] = set()
    for value in values:
        folded = value.lower()
        if not any(stem in folded for stem in _MARKER_STEMS):
            continue
        el = value.getparent()
        if el is None or el in seen:
            continue
        seen.add(el)
        if not _MARKER_RE.search(f"{el.get('class', '')} {el.get('id', '')}"):
            continue
        if any(is_prompt(chunk) for chunk in _chunks(el)):
            return True
    return False


def _chunks(el: lxml_html.HtmlElement) -> Iterator[str]:
    """Yield the texts of ``el``'s first blocks (the element itself first)."""
    for block in islice(el.iter("p", "div", "span", "h2", "h3", "a", "button", "section"), 40):
        text = block.text_content()
        if text.strip() and len(text) <= 4 * _MAX_PROMPT:
            yield " ".join(text.split())


def content_tier(tier_values: list[str]) -> bool | None:
    """Return what a ``content_tier`` meta says: "locked"/"metered" -> True, "free" -> False."""
    for value in tier_values:
        folded = value.strip().lower()
        if folded in ("locked", "metered", "premium", "subscriber", "paid"):
            return True
        if folded == "free":
            return False
    return None


def paywalled(
    tree: lxml_html.HtmlElement,
    objects: list[dict[str, Any]],
    article: dict[str, Any] | None,
    tier_values: list[str],
    prompt_found: bool,
) -> bool | None:
    """Return True when the page says its text is for subscribers, False when it says
    the text is free, None when it says neither (see the module docstring)."""
    declared = declared_paywall(objects, article)
    if declared is not None:
        return declared
    tier = content_tier(tier_values)
    if tier is not None:
        return tier
    if prompt_found or marked_paywall(tree):
        return True
    return None
