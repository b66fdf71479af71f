"""Hand-computed self-checks for bench/metrics.py.

Run with ``.venv/bin/python -m pytest bench/test_metrics.py -q``.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import metrics as m  # noqa: E402
from bench.quality import Page, Prediction, fundus_body, standfirst_line  # noqa: E402

# ------------------------------------------------------------------ tokens


def test_tokenize_unicode_words() -> None:
    assert m.tokenize("Grüße, naïve café! 42_x — ok") == ["Grüße", "naïve", "café", "42_x", "ok"]
    assert m.tokenize("") == [] and m.tokenize(None) == []
    assert m.tokenize("東京、大阪") == ["東京", "大阪"]


def test_tokenize_nfc_option() -> None:
    decomposed = "fu\u0308r"  # "für" with a combining diaeresis
    assert m.tokenize(decomposed) == ["fu", "r"]
    assert m.tokenize(decomposed, nfc=True) == ["für"]


def test_shingles_short_and_long() -> None:
    assert m.shingles([]) == Counter()
    assert m.shingles(["a"]) == Counter({("a",): 1})
    assert m.shingles(["a", "b", "c"]) == Counter({("a", "b", "c"): 1})
    assert m.shingles(list("abcd")) == Counter({tuple("abcd"): 1})
    assert m.shingles(list("abcde")) == Counter({tuple("abcd"): 1, tuple("bcde"): 1})


# -------------------------------------------------------------------- body


def test_identical_texts_score_one() -> None:
    s = m.body_score("One two three four five.", "One two\n\nthree four five")
    assert (s.tp, s.fp, s.fn) == (2, 0, 0)
    assert (s.precision, s.recall, s.f1, s.exact) == (1.0, 1.0, 1.0, True)


def test_both_empty_scores_one() -> None:
    s = m.body_score("", "  ... ")
    assert (s.tp, s.fp, s.fn, s.precision, s.recall, s.exact) == (0, 0, 0, 1.0, 1.0, True)


def test_disjoint_texts() -> None:
    s = m.body_score("a b c d e", "v w x y z")
    assert (s.tp, s.fp, s.fn) == (0, 2, 2)
    assert (s.precision, s.recall, s.f1, s.exact) == (0.0, 0.0, 0.0, False)


def test_empty_prediction_and_empty_truth() -> None:
    s = m.body_score("a b c d e", None)
    assert (s.tp, s.fp, s.fn, s.precision, s.recall) == (0, 0, 2, 0.0, 0.0)
    s = m.body_score("", "a b c d e")
    assert (s.tp, s.fp, s.fn, s.precision, s.recall) == (0, 2, 0, 0.0, 0.0)


def test_partial_overlap() -> None:
    # truth a..f -> abcd bcde cdef (3); prediction a..e + x -> abcd bcde cdex (3)
    s = m.body_score("a b c d e f", "a b c d e x")
    assert (s.tp, s.fp, s.fn) == (2, 1, 1)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    # prediction is a strict prefix: perfect precision, recall 1/3
    s = m.body_score("a b c d e f", "a b c d")
    assert (s.tp, s.fp, s.fn, s.precision) == (1, 0, 2, 1.0)
    assert s.recall == pytest.approx(1 / 3)


def test_short_texts_are_one_shingle() -> None:
    assert m.body_counts("hello world", "Hello world") == (0, 1, 1)  # case matters
    assert m.body_counts("hello world", "hello, world!") == (1, 0, 0)
    # a 2-token truth is not found inside a longer prediction (4-gram vs 2-gram)
    assert m.body_counts("hello world", "hello world and more") == (0, 1, 1)
    assert m.body_counts("one", "one") == (1, 0, 0)


def test_multiset_duplicates() -> None:
    # truth repeats its 4 tokens twice: shingles abcd x2, bcda, cdab, dabc
    truth = "a b c d a b c d"
    assert m.body_counts(truth, "a b c d") == (1, 0, 4)
    # prediction repeating a paragraph three times: 2 of its 3 copies are extra
    assert m.body_counts("a b c d", "a b c d. a b c d. a b c d") == (1, 8, 0)
    s = m.body_score("a b c d", "a b c d a b c d a b c d")
    assert s.precision == pytest.approx(1 / 9) and s.recall == 1.0


def test_summarize_body_means_and_f1() -> None:
    scores = [m.body_score("a b c d e f", "a b c d"),  # P 1, R 1/3
              m.body_score("a b c d", "a b c d")]      # P 1, R 1, exact
    summ = m.summarize_body(scores)
    assert summ.precision == 1.0
    assert summ.recall == pytest.approx(2 / 3)
    assert summ.f1 == pytest.approx(2 * 1 * (2 / 3) / (1 + 2 / 3))  # 0.8, not the mean of page F1s
    assert summ.accuracy == 0.5 and summ.pages == 2
    assert m.summarize_body([]).pages == 0


def test_uncovered_text() -> None:
    assert m.uncovered_text("a b c d e f", "a b c d") == "b c d e f"
    assert m.uncovered_text("a b c d", "a b c d e f") == ""
    assert m.uncovered_text("x y a b c d", "a b c d") == "x y a b c"
    assert m.uncovered_text("", "a") == ""
    assert len(m.uncovered_text("w " * 500, "")) == 300


# ----------------------------------------------------------- title/authors


def test_title_normalisation() -> None:
    assert m.title_match("Einschlag in Elmshorn: Es war ein Meteorit ", "einschlag  in elmshorn: es war ein METEORIT")
    assert m.title_match("A\u00a0B\u3000C", "a b c")                  # NBSP / ideographic space
    assert m.title_match("Grüße", "Gru\u0308ße")                        # NFC
    assert m.title_match("STRASSE", "straße")                           # casefold
    assert not m.title_match("Helikopter\u00adlandeplatz", "Helikopterlandeplatz")  # soft hyphen kept
    assert not m.title_match("A title", None)
    assert not m.title_match("", "")


def test_author_f1() -> None:
    assert m.author_f1(["Birgit Baumann", "Anna Fink"], ["anna  fink", "BIRGIT BAUMANN"]) == 1.0
    assert m.author_f1(["A", "B"], ["A"]) == pytest.approx(2 / 3)          # P 1, R 1/2
    assert m.author_f1(["A"], ["A", "C", "D"]) == pytest.approx(0.5)       # P 1/3, R 1
    assert m.author_f1(["A", "B"], ["C"]) == 0.0
    assert m.author_f1(["A"], []) == 0.0 and m.author_f1(["A"], None) == 0.0
    assert m.author_f1([], []) == 1.0
    assert m.author_f1(["A"], ["a", "A "]) == 1.0                           # set semantics


# ------------------------------------------------------------------- dates


def test_parse_date_forms() -> None:
    assert not m.parse_date("2024-05-03").has_time
    p = m.parse_date("2024-05-03 15:47:42.389000+00:00")
    assert p.has_time and p.aware
    assert m.parse_date("2024-05-03T15:47:42Z").aware
    assert not m.parse_date("2024-05-03T15:47:42").aware
    assert m.parse_date("yesterday") is None and m.parse_date(None) is None and m.parse_date("") is None


def test_same_day_with_offsets() -> None:
    exp = "2025-06-05 23:30:00+02:00"
    assert m.same_day(exp, "2025-06-05")
    assert m.same_day(exp, "2025-06-05T21:30:00Z")      # converted: 23:30+02:00
    assert m.same_day(exp, "2025-06-06T00:10:00+03:00")  # converted: 23:10+02:00
    assert not m.same_day(exp, "2025-06-06")
    assert not m.same_day(exp, "2025-06-06T01:30:00")   # naive: compared as written
    assert m.same_day("2024-04-25 04:21:02", "2024-04-25T04:21:02-04:00")  # naive expected: as written
    assert m.same_day("2024-05-03 01:00:00+00:00", "2024-05-02T21:00:00-04:00")
    assert not m.same_day(exp, None) and not m.same_day(exp, "garbage")


def test_same_minute_with_offsets() -> None:
    exp = "2024-05-03 15:47:42.389000+00:00"
    assert m.same_minute(exp, "2024-05-03T15:47:00Z") is True
    assert m.same_minute(exp, "2024-05-03T17:47:59+02:00") is True   # same instant, other offset
    assert m.same_minute(exp, "2024-05-03T15:48:00+00:00") is False
    assert m.same_minute(exp, "2024-05-03T15:47:42") is True         # naive: wall clock as written
    assert m.same_minute(exp, "2024-05-03") is False                 # prediction lacks a time
    assert m.same_minute(exp, None) is False
    assert m.same_minute("2024-05-03", "2024-05-03T15:47:00Z") is None  # not scored
    assert m.same_minute("2023-04-28 13:53:25", "2023-04-28T13:53:00-04:00") is True


def test_midnight_expected_counts_as_date_only() -> None:
    assert m.same_minute("2023-04-28 00:00:00", "2023-04-28") is None
    assert m.same_minute("2025-11-03 00:00:00+00:00", "2025-11-03T09:00:00Z") is None
    assert m.same_minute("2025-11-03 00:00:00+00:00", "2025-11-03", midnight_is_date=False) is False
    assert m.expected_has_time("2024-01-01 00:00:01")
    assert not m.expected_has_time("2024-01-01 00:00:00+08:00")
    assert m.expected_has_time("2024-01-01 00:00:00+08:00", midnight_is_date=False)


# ------------------------------------------------------------ fundus body


def test_fundus_body_lists_and_strings() -> None:
    body = {"summary": ["Sum one.", "Sum two."],
            "sections": [{"headline": [], "paragraphs": ["P1", "P2"]},
                         {"headline": "Head", "paragraphs": ["P3"]}]}
    assert fundus_body(body) == "Sum one.\n\nSum two.\n\nP1\n\nP2\n\nHead\n\nP3"
    assert fundus_body({"summary": "S", "sections": []}) == "S"
    assert fundus_body(None) == ""


def test_standfirst_line_counts_segments_only_in_the_description() -> None:
    page = Page("trafeval", "k", "", b"", "", with_segments=["A lead  sentence", "Body text"],
                without_segments=["Menu"])
    ours = Prediction(body="Body text", description="A lead sentence.")
    theirs = Prediction(body="A lead sentence. Body text. Menu")
    line = standfirst_line([page], [ours], [theirs])
    assert line.startswith("trafeval standfirsts: 1 expected segments are in newsbot's description")
    assert "(1 of them in trafilatura's text)" in line
    assert line.endswith("description + body: P 1.000 R 1.000 F1 1.000")
    assert "0 expected" in standfirst_line([page], [Prediction(body="A lead sentence Body text")], None)
