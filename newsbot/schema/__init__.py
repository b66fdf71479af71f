"""The JSON Schema of the article record, shipped with the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


@lru_cache(maxsize=1)
def article_schema() -> dict[str, Any]:
    """Return the article record's JSON Schema (draft 2020-12) as a dict."""
    text = resources.files("newsbot.schema").joinpath("article.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def article_validator() -> Draft202012Validator:
    """Return a validator for article records (URI formats checked when the checker can)."""
    return Draft202012Validator(article_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def record_errors(record: dict[str, Any]) -> list[str]:
    """Return the schema violations of ``record`` as one-line messages (empty when valid)."""
    validator = article_validator()
    if validator.is_valid(record):  # five times cheaper than collecting errors; most records are valid
        return []
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<record>'}: {err.message}"
        for err in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    ]
