"""The JSON Schema of the article record, shipped with the package."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


@lru_cache(maxsize=1)
def article_schema() -> dict[str, Any]:
    """Return the article record's JSON Schema (draft 2020-12) as a dict."""
    text = resources.files("newsbot.schema").joinpath("article.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def article_validator() -> Draft202012Validator:
    """Return a validator for article records (URI formats checked when the checker can)."""
    from jsonschema import Draft202012Validator  # only for a record the compiled check refuses

    return Draft202012Validator(article_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@lru_cache(maxsize=1)
def _quick_check() -> Callable[[dict[str, Any]], Any]:
    """Return the schema compiled to Python by fastjsonschema (raises on an invalid record)."""
    return fastjsonschema.compile(article_schema())


def record_errors(record: dict[str, Any]) -> list[str]:
    """Return the schema violations of ``record`` as one-line messages (empty when valid).

    The verdict is jsonschema's (draft 2020-12). A record the compiled check passes is
    valid for jsonschema too (that check is the stricter: it also checks ``uri`` formats,
    and ``$`` does not match before a final newline), and it is ten times faster; only a
    record it refuses is looked at by jsonschema, which may still find it valid.
    """
    try:
        _quick_check()(record)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    validator = article_validator()
    if validator.is_valid(record):
        return []
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<record>'}: {err.message}"
        for err in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    ]
