"""The shipped JSON Schema: loadable as package data, valid, and strict where it matters."""

from __future__ import annotations

import copy

from jsonschema import Draft202012Validator

from newsbot.items import RECORD_FIELDS
from newsbot.schema import article_schema, record_errors

GOOD = {
    "id": "0123456789abcdef0123", "url": "https://news.example/2025/a/", "source_url": "https://news.example/2025/a/?utm_source=x",
    "title": "A headline", "description": None, "body": "One.\n\nTwo.", "authors": ["Ann Lee"],
    "published": "2025-03-03T09:30:00+01:00", "modified": None, "language": "en", "site_name": "Example",
    "section": None, "tags": [], "image": None, "word_count": 2, "fetched_at": "2025-03-04T10:00:00+00:00",
    "page_type": "article", "paywalled": None,
}


def test_schema_is_draft_2020_12_and_names_every_record_field() -> None:
    schema = article_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == set(RECORD_FIELDS)


def test_good_record_is_valid() -> None:
    assert record_errors(GOOD) == []


def test_bad_records_name_the_field() -> None:
    cases = {
        "published": "3 March 2025", "language": "english", "word_count": 0, "title": "",
        "url": "ftp://x/", "authors": "Ann Lee", "fetched_at": "yesterday",
    }
    for key, value in cases.items():
        bad = copy.deepcopy(GOOD)
        bad[key] = value
        errors = record_errors(bad)
        assert errors and errors[0].startswith(key), (key, errors)
    missing = {k: v for k, v in GOOD.items() if k != "body"}
    assert any("body" in e for e in record_errors(missing))


def test_quick_check_never_passes_what_jsonschema_refuses() -> None:
    # record_errors trusts the compiled check when it passes a record: it must be the stricter
    validator = Draft202012Validator(article_schema())
    variants = {
        "word_count": [True, 1.0, 0, -3, "2", None], "title": ["", None, 5], "authors": [[""], "x", [None], []],
        "language": ["en\n", "EN", "eng", None], "id": ["0" * 20 + "\n", "0" * 19, "g" * 20],
        "published": ["2026-01-01\n", "2026-01-01T10:00", "2026-01-01T10:00:00Z", "now", None],
        "url": ["http://a b/", "ftp://x/", "https://x/\u00e9", 7], "tags": [[1], ["a"], "a"],
        "fetched_at": ["2026-01-01T00:00:00.5+00:00", "2026-01-01T00:00:00+01:00"],
    }
    for key, values in variants.items():
        for value in values:
            record = copy.deepcopy(GOOD)
            record[key] = value
            assert (record_errors(record) == []) == validator.is_valid(record), (key, value)
