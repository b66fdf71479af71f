"""Pure scoring functions for the extraction-quality benchmark.

Everything here is side-effect free and works on plain strings, so the same
functions can be used by ``bench/quality.py`` and by tests.

Body text
    Texts are tokenised into the Unicode ``\\w+`` matches and turned into a
    multiset of 4-token shingles (a text of 1-3 tokens is a single shorter
    shingle; a text without tokens is the empty multiset).  Per page,
    ``tp`` is the size of the multiset intersection, ``fp`` what is left of
    the prediction and ``fn`` what is left of the truth.  Per-page precision
    and recall follow the article-extraction-benchmark conventions:

    * ``fp == fn == 0`` (identical multisets, including both empty): P = R = 1;
    * empty prediction, non-empty truth (``tp == fp == 0``): P = 0, R = 0;
    * non-empty prediction, empty truth (``tp == fn == 0``): P = 0, R = 0;
    * otherwise P = tp / (tp + fp), R = tp / (tp + fn).

    Dataset precision and recall are means over pages, F1 is the harmonic mean
    of those two means, accuracy is the share of pages whose token lists are
    identical.

Title
    Exact match after NFC, whitespace collapsing (any Unicode whitespace, incl.
    NBSP and U+3000, becomes one space; ends stripped) and case-folding.

Authors
    F1 of the sets of normalised names (same normalisation as titles).

Published
    ``same_day`` compares calendar dates as written (the local date in each
    value's own offset); only when both values carry a UTC offset and the
    offsets differ is the prediction first converted into the expected offset.
    ``same_minute`` is only defined where the expected value has a time of day;
    two aware values are compared as instants, otherwise wall-clock
    date/hour/minute as written.  By default an expected time of exactly
    ``00:00:00`` (no fraction) counts as "no time": FUNDUS serialises
    date-only sources as midnight datetimes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

SHINGLE_SIZE = 4
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_DATE_ONLY_RE = re.compile(r"^\s*[+-]?\d{4,}-\d{2}-\d{2}\s*$")

Shingle = tuple[str, ...]


# --------------------------------------------------------------------- body


def tokenize(text: str | None, nfc: bool = False) -> list[str]:
    """Return the Unicode ``\\w+`` matches of ``text`` in order ([] for None/empty).

    With ``nfc=True`` the text is NFC-normalised first (off by default: the
    benchmark spec tokenises text as given).
    """
    if not text:
        return []
    if nfc:
        text = unicodedata.normalize("NFC", text)
    return _TOKEN_RE.findall(text)


def shingle_list(tokens: Sequence[str], n: int = SHINGLE_SIZE) -> list[Shingle]:
    """Return the ordered list of ``n``-token shingles of ``tokens``.

    A sequence of 1..n-1 tokens yields one shorter shingle (all its tokens);
    an empty sequence yields [].
    """
    if not tokens:
        return []
    if len(tokens) < n:
        return [tuple(tokens)]
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def shingles(tokens: Sequence[str], n: int = SHINGLE_SIZE) -> Counter[Shingle]:
    """Return the multiset (Counter) of ``n``-token shingles of ``tokens``."""
    return Counter(shingle_list(tokens, n))


def body_counts(expected: str | None, predicted: str | None, nfc: bool = False) -> tuple[int, int, int]:
    """Return ``(tp, fp, fn)``: shingle-multiset overlap, prediction rest, truth rest."""
    true_sh = shingles(tokenize(expected, nfc))
    pred_sh = shingles(tokenize(predicted, nfc))
    tp = sum((true_sh & pred_sh).values())
    fp = sum(pred_sh.values()) - tp
    fn = sum(true_sh.values()) - tp
    return tp, fp, fn


def precision_recall(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Return per-page ``(precision, recall)`` with the module's 0/0 conventions.

    fp == fn == 0 -> (1, 1); an empty side (tp + fp == 0 or tp + fn == 0) gives
    0 for the undefined ratio (and the other ratio is then 0 as well, as tp == 0).
    """
    if fp == 0 and fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def harmonic_mean(a: float, b: float) -> float:
    """Return the harmonic mean 2ab/(a+b) of two scores, 0.0 when both are 0."""
    return 2 * a * b / (a + b) if a + b else 0.0


@dataclass(frozen=True)
class BodyScore:
    """Per-page body comparison."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    exact: bool

    @property
    def f1(self) -> float:
        """Return the per-page F1 (harmonic mean of this page's P and R)."""
        return harmonic_mean(self.precision, self.recall)


def body_score(expected: str | None, predicted: str | None, nfc: bool = False) -> BodyScore:
    """Return the :class:`BodyScore` of ``predicted`` against ``expected`` for one page."""
    true_tokens = tokenize(expected, nfc)
    pred_tokens = tokenize(predicted, nfc)
    true_sh, pred_sh = shingles(true_tokens), shingles(pred_tokens)
    tp = sum((true_sh & pred_sh).values())
    fp = sum(pred_sh.values()) - tp
    fn = sum(true_sh.values()) - tp
    precision, recall = precision_recall(tp, fp, fn)
    return BodyScore(tp, fp, fn, precision, recall, true_tokens == pred_tokens)


@dataclass(frozen=True)
class BodySummary:
    """Dataset-level body figures."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    pages: int


def summarize_body(scores: Iterable[BodyScore]) -> BodySummary:
    """Return mean precision, mean recall, their harmonic mean and the exact-token accuracy.

    An empty iterable gives all-zero figures with ``pages == 0``.
    """
    scores = list(scores)
    if not scores:
        return BodySummary(0.0, 0.0, 0.0, 0.0, 0)
    n = len(scores)
    p = sum(s.precision for s in scores) / n
    r = sum(s.recall for s in scores) / n
    acc = sum(1 for s in scores if s.exact) / n
    return BodySummary(p, r, harmonic_mean(p, r), acc, n)


def uncovered_text(text: str | None, other: str | None, limit: int = 300, nfc: bool = False) -> str:
    """Return the parts of ``text`` whose shingles are not matched in ``other``.

    Tokens of ``text`` covered by an unmatched shingle (multiset-aware, first
    occurrences matched first) are joined by spaces; separate runs are joined
    with " … ".  The result is cut to ``limit`` characters.  With ``text`` the
    truth this is the missed text; with ``text`` the prediction, the extra text.
    """
    tokens = tokenize(text, nfc)
    if not tokens:
        return ""
    available = shingles(tokenize(other, nfc))
    sh_list = shingle_list(tokens)
    width = len(sh_list[0])
    missed = [False] * len(tokens)
    for i, sh in enumerate(sh_list):
        if available[sh] > 0:
            available[sh] -= 1
        else:
            for j in range(i, i + width):
                missed[j] = True
    runs: list[str] = []
    current: list[str] = []
    for tok, flag in zip(tokens, missed):
        if flag:
            current.append(tok)
        elif current:
            runs.append(" ".join(current))
            current = []
    if current:
        runs.append(" ".join(current))
    out = " … ".join(runs)
    return out[:limit]


# ------------------------------------------------------------ title/authors


def normalize_text(value: str | None) -> str:
    """Return ``value`` NFC-normalised, whitespace-collapsed, stripped and case-folded ("" for None)."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    return " ".join(value.split()).casefold()


def title_match(expected: str | None, predicted: str | None) -> bool:
    """Return True when both titles are non-empty and equal after :func:`normalize_text`."""
    exp = normalize_text(expected)
    return bool(exp) and exp == normalize_text(predicted)


def normalize_authors(names: Iterable[str] | None) -> set[str]:
    """Return the set of non-empty normalised author names."""
    return {n for n in (normalize_text(x) for x in names or []) if n}


def author_f1(expected: Iterable[str] | None, predicted: Iterable[str] | None) -> float:
    """Return the F1 of normalised author-name sets.

    Both empty -> 1.0; exactly one empty -> 0.0.  (The benchmark only scores
    pages whose expected author list is non-empty.)
    """
    exp, pred = normalize_authors(expected), normalize_authors(predicted)
    if not exp and not pred:
        return 1.0
    if not exp or not pred:
        return 0.0
    common = len(exp & pred)
    return harmonic_mean(common / len(pred), common / len(exp))


# ---------------------------------------------------------------- dates


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date value: the calendar date as written, plus time/offset if given."""

    date: dt.date
    moment: dt.datetime | None  # None for a date-only value; aware iff an offset was given

    @property
    def has_time(self) -> bool:
        """Return True when the value carried a time of day."""
        return self.moment is not None

    @property
    def aware(self) -> bool:
        """Return True when the value carried a UTC offset."""
        return self.moment is not None and self.moment.utcoffset() is not None


def parse_date(value: str | dt.date | None) -> ParsedDate | None:
    """Return the :class:`ParsedDate` of an ISO 8601 date or date-time, or None if unparseable.

    Accepts "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH:MM]" and the
    other forms ``datetime.fromisoformat``/``dateutil.parser.isoparse`` know;
    ``datetime``/``date`` objects are accepted as well.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return ParsedDate(value.date(), value)
    if isinstance(value, dt.date):
        return ParsedDate(value, None)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if _DATE_ONLY_RE.match(text):
        try:
            return ParsedDate(dt.date.fromisoformat(text), None)
        except ValueError:
            return None
    moment: dt.datetime | None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None:
        try:
            from dateutil.parser import isoparse  # optional fallback
        except ImportError:  # pragma: no cover
            return None
        try:
            moment = isoparse(text)
        except (ValueError, OverflowError):
            return None
    return ParsedDate(moment.date(), moment)


def expected_has_time(value: str | dt.date | None, midnight_is_date: bool = True) -> bool:
    """Return True when an expected date value has a time of day.

    With ``midnight_is_date`` (default) a time of exactly 00:00:00.000000 is
    treated as a date-only value.
    """
    parsed = parse_date(value)
    if parsed is None or parsed.moment is None:
        return False
    if midnight_is_date and parsed.moment.time() == dt.time(0, 0):
        return False
    return True


def same_day(expected: str | dt.date | None, predicted: str | dt.date | None) -> bool:
    """Return True when the predicted value falls on the expected calendar day.

    Dates are compared as written; if both carry offsets and the offsets
    differ, the prediction is converted into the expected offset first.
    Unparseable or missing values give False.
    """
    exp, pred = parse_date(expected), parse_date(predicted)
    if exp is None or pred is None:
        return False
    pred_date = pred.date
    if exp.aware and pred.aware:
        assert exp.moment is not None and pred.moment is not None
        if exp.moment.utcoffset() != pred.moment.utcoffset():
            pred_date = pred.moment.astimezone(exp.moment.tzinfo).date()
    return exp.date == pred_date


def same_minute(
    expected: str | dt.date | None,
    predicted: str | dt.date | None,
    midnight_is_date: bool = True,
) -> bool | None:
    """Return whether the prediction matches the expected value to the minute.

    Returns None when the expected value has no time (see
    :func:`expected_has_time`), i.e. the page is not scored.  A prediction
    without a time, or unparseable, gives False.  Two aware values are compared
    as instants (prediction converted to the expected offset); otherwise the
    wall-clock date, hour and minute as written are compared.
    """
    if not expected_has_time(expected, midnight_is_date):
        return None
    exp, pred = parse_date(expected), parse_date(predicted)
    assert exp is not None and exp.moment is not None
    if pred is None or pred.moment is None:
        return False
    e, p = exp.moment, pred.moment
    if exp.aware and pred.aware:
        p = p.astimezone(e.tzinfo)
    return (e.date(), e.hour, e.minute) == (p.date(), p.hour, p.minute)
