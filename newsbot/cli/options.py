"""The first-contact options of ``newsbot``: output format and fields, ``--max-pages``,
``-v``, the quiet default log level, conflicting flags, and the per-list default store.

:func:`add_output_options` adds the flags to a command's parser, :func:`check_conflicts`
refuses flags that exclude each other, :func:`feed_entry` turns ``-o`` (with Scrapy's
``FILE:FORMAT`` form) and ``--format``/``--fields`` into one ``FEEDS`` entry, and
:func:`apply_options` puts the rest into the crawl's settings.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

# --format values and the Scrapy exporter each is written with (FEED_EXPORTERS names)
FORMATS = {"jsonl": "jsonl", "json": "json", "csv": "csv", "xml": "xml"}
# extensions (and Scrapy's FILE:FORMAT suffixes) that name a format
EXTENSIONS = {
    "jsonl": "jsonl",
    "jl": "jsonl",
    "jsonlines": "jsonl",
    "ndjson": "jsonl",
    "json": "json",
    "csv": "csv",
    "xml": "xml",
}
# the quiet default of the command: warnings, errors and the summary
QUIET_LEVEL = "WARNING"


class OptionError(ValueError):
    """A flag (or a combination of flags) that cannot be used: exit code 2."""


def add_output_options(p: argparse.ArgumentParser, *, pages: bool = True) -> None:
    """Add ``--format``, ``--fields``, ``--max-pages`` (when ``pages``) and ``-v`` to ``p``."""
    p.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default=None,
        help="output format, written by Scrapy's exporter of that name "
        "(default: from the -o extension .jsonl/.json/.csv/.xml; jsonl for - or no extension); "
        "Scrapy's -o FILE:FORMAT form is understood too",
    )
    p.add_argument(
        "--fields",
        metavar="A,B,C",
        default=None,
        help="write only these record fields, in this order (default: every field of the schema)",
    )
    if pages:
        p.add_argument(
            "--max-pages",
            type=int,
            default=None,
            metavar="N",
            help="stop after about N responses (Scrapy's CLOSESPIDER_PAGECOUNT; requests in flight finish)",
        )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show Scrapy's INFO lines (banner, components, stats dump); "
        f"the default shows a progress line on a terminal, {QUIET_LEVEL.lower()}s, errors and the summary",
    )


def version_text() -> str:
    """Return what ``newsbot --version`` prints: newsbot's version and Scrapy's, Trafilatura's."""
    from importlib.metadata import PackageNotFoundError, version

    from newsbot import __version__

    parts = []
    for name in ("scrapy", "trafilatura"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return f"newsbot {__version__} ({', '.join(parts)})"


class _Version(argparse.Action):
    """``--version``: the versions are read when asked for (reading the installed packages'
    metadata is a tenth of the start-up of every other command)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(version_text())
        parser.exit()


def add_version(parser: argparse.ArgumentParser) -> None:
    """Add ``--version`` to the top-level parser."""
    parser.add_argument("--version", action=_Version, help="print the version and exit")


def check_conflicts(args: argparse.Namespace) -> None:
    """Raise :class:`OptionError` naming flags given together that exclude each other."""
    pairs = [
        ("state", "no_state", "--state", "--no-state"),
        ("verbose", "log_level", "-v", "-L"),
        ("seed_only", "worker", "--seed-only", "--worker"),
    ]
    for first, second, first_flag, second_flag in pairs:
        if getattr(args, first, None) and getattr(args, second, None):
            raise OptionError(f"{first_flag} and {second_flag} exclude each other")
    fmt = getattr(args, "format", None)
    output = getattr(args, "output", None)
    if fmt and output:
        _, suffix_format = split_format(output)
        if suffix_format and suffix_format != FORMATS[fmt]:
            raise OptionError(f"-o {output!r} names format {suffix_format}, --format {fmt}")
    max_pages = getattr(args, "max_pages", None)
    if max_pages is not None and max_pages < 1:
        raise OptionError(f"--max-pages {max_pages}: give a number of pages of at least 1")
    if getattr(args, "fields", None) is not None:
        parse_fields(args.fields)


def split_format(output: str) -> tuple[str, str | None]:
    """Return ``(file, format)`` of Scrapy's ``FILE:FORMAT`` form, ``(output, None)`` otherwise."""
    file, sep, suffix = output.rpartition(":")
    if sep and file and suffix.lower() in EXTENSIONS:
        return file, EXTENSIONS[suffix.lower()]
    return output, None


def output_format(output: str, fmt: str | None) -> tuple[str, str]:
    """Return ``(file, format)`` for ``-o`` and ``--format``: ``--format``, else the
    ``:FORMAT`` suffix, else the extension, else jsonl (``-`` and files without an
    extension). Raise :class:`OptionError` for an extension that names no format."""
    file, suffix_format = split_format(output)
    if fmt:
        return file, FORMATS[fmt]
    if suffix_format:
        return file, suffix_format
    if file == "-":
        return file, "jsonl"
    ext = Path(file).suffix.lower().lstrip(".")
    if not ext:
        return file, "jsonl"
    if ext in EXTENSIONS:
        return file, EXTENSIONS[ext]
    names = ", ".join(f".{e}" for e in EXTENSIONS)
    raise OptionError(f"-o {output!r}: no output format is named .{ext} ({names}); give --format")


def record_fields() -> list[str]:
    """Return the names a record can have: the schema's properties, in schema order."""
    from newsbot import settings

    return [*settings.FEED_EXPORT_FIELDS, "updated"]


def parse_fields(text: str) -> list[str]:
    """Return the field names of ``--fields a,b,c``; raise :class:`OptionError` naming an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise OptionError("--fields: give field names separated by commas")
    known = record_fields()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise OptionError(f"--fields: unknown field {unknown[0]!r} (fields: {', '.join(known)})")
    return names


def feed_entry(output: str, args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """Return ``(file, feed options)`` of the ``FEEDS`` entry for ``-o``: the format, the
    encoding, ``overwrite`` for files (standard output cannot be overwritten) and the fields."""
    file, fmt = output_format(output, getattr(args, "format", None))
    options: dict[str, Any] = {"format": fmt, "encoding": "utf-8"}
    if file != "-":
        options["overwrite"] = True
    if getattr(args, "fields", None):
        options["fields"] = parse_fields(args.fields)
    return file, options


def quiet_default(settings: Any) -> Any:
    """Return the project ``settings`` with the command's quiet log level (a config's
    ``[settings]``, ``-s LOG_LEVEL=``, ``-L`` and ``-v`` override it)."""
    settings.set("LOG_LEVEL", QUIET_LEVEL, priority="project")
    return settings


def apply_options(settings: Any, args: argparse.Namespace) -> None:
    """Put ``--max-pages`` and ``-v`` (Scrapy's INFO lines) into ``settings``."""
    if getattr(args, "max_pages", None):
        settings.set("CLOSESPIDER_PAGECOUNT", args.max_pages, priority="cmdline")
    if getattr(args, "verbose", False):
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")


def default_state_for_urls(urls: list[str]) -> Path:
    """Return the state store of a crawl of ``urls`` with no ``--state`` and no config: one
    per list of sites (the same URLs in any order share it), in the user's state folder."""
    from newsbot.state import default_state_path

    digest = hashlib.sha256("\n".join(sorted(set(urls))).encode()).hexdigest()[:12]
    return default_state_path().with_name(f"urls-{digest}.sqlite")


def nothing_written_lines(stats: dict[str, Any], output: str | None, state: str | None) -> list[str]:
    """Return why a crawl wrote no file, when it wrote no article: every article it found
    was emitted before (named with the state store), or it found none."""
    if stats.get("newsbot/articles", 0):
        return []
    seen = int(stats.get("newsbot/skipped/seen", 0)) + int(stats.get("newsbot/unchanged", 0))
    target = "standard output" if output == "-" else (output or "the output")
    if seen and state:
        why = f"all {seen} articles found were emitted before (state store: {state})"
        return [f"nothing written to {target}: {why}; --no-state or another --state emits them again"]
    if not stats.get("newsbot/pages", 0) and not any(k.startswith("newsbot/errors/") for k in stats):
        return [f"nothing written to {target}: no page to fetch"]
    return [f"nothing written to {target}: no {'new ' if state else ''}article found"]
