"""Time the clutter line rules (``is_clutter_paragraph``) on long paragraphs that open like
a clutter line ("Stand ...", "Published ...", "Uppdaterad ...", "By ..."): the inputs on
which a regular expression that backtracks would turn slow.

    .venv/bin/python bench/clutter_speed.py [--repeat N] [--rounds R]

Each round times ``--repeat`` passes over the four paragraphs; prints the milliseconds per
pass (best and median over ``--rounds`` rounds) and, per paragraph, the microseconds per
call of the best round. A pass used to be asserted under 50 ms in tests/test_clutter.py;
the test now only checks what the rules return on these paragraphs (they are kept).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from newsbot.extraction.clutter_text import is_clutter_paragraph  # noqa: E402

PARAGRAPHS = {
    "stand": "Stand der Dinge " * 20,
    "published": "Published " + "word " * 60,
    "uppdaterad": "Uppdaterad " + "ab " * 50,
    "by": "By " + "Ann " * 40,
}


def time_calls(texts: list[str], repeat: int) -> float:
    """Return the seconds taken by ``repeat`` passes of ``is_clutter_paragraph`` over ``texts``."""
    started = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            is_clutter_paragraph(text)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="passes over the paragraphs per round (200)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; best and median are printed (5)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.rounds < 1:
        parser.error("--repeat and --rounds must be at least 1")

    texts = list(PARAGRAPHS.values())
    rounds = [time_calls(texts, args.repeat) / args.repeat * 1000 for _ in range(args.rounds)]
    print(f"is_clutter_paragraph, one pass over {len(texts)} long paragraphs: "
          f"best {min(rounds):.3f} ms, median {statistics.median(rounds):.3f} ms "
          f"({args.rounds} rounds of {args.repeat} passes)")
    for name, text in PARAGRAPHS.items():
        best = min(time_calls([text], args.repeat) for _ in range(args.rounds))
        print(f"  {name:<11} {len(text.strip()):>4} chars  {best / args.repeat * 1e6:8.1f} us per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
