"""The ``newsbot`` command: crawl, scrape, extract and demo.

:mod:`.parse` builds the argument parser, :mod:`.commands` runs each command (Scrapy with
the project settings, the ``-s NAME=VALUE`` overrides and a JSONL feed for ``-o``), and
:mod:`.report` prints the summary and decides the exit code, the same for every command.
"""

from __future__ import annotations

import sys

from newsbot.cli.commands import UsageError
from newsbot.cli.options import OptionError, check_conflicts
from newsbot.cli.report import EXIT_FAILURES, EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Run the ``newsbot`` command and return its exit code."""
    from newsbot.cli.parse import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_conflicts(args)
        return int(args.func(args))
    except (UsageError, OptionError) as exc:
        print(f"newsbot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return quiet_broken_pipe()


def entry() -> None:
    """The console script: run :func:`main` and exit with its code (never returns).

    A stop signal that arrives once the command has returned (a second Ctrl-C while the
    interpreter shuts down its worker pool) changes nothing any more: it is ignored, where
    Python's shutdown would restore the default action and end the process by the signal,
    hiding the exit code."""
    import gc
    import signal

    from newsbot.startup import pause_collection

    pause_collection()  # until the crawl starts (run_crawl); a command without one is short
    code = main()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    # Everything the run built is garbage now: freezing it spares the interpreter's final
    # collection of a crawler's objects (~0.3 s); files are closed and flushed as usual.
    gc.freeze()
    sys.exit(code)


def quiet_broken_pipe() -> int:
    """End quietly when the reader of standard output went away (``newsbot ... | head``):
    point stdout at devnull so that the interpreter's final flush does not fail too, and
    return exit code 1 (Python's documented recipe)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_FAILURES


if __name__ == "__main__":
    entry()
