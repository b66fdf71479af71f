"""The story identity: the one SimHash (checked against the plain weighted SimHash, kept
here as the oracle) and the worker's fingerprint step."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

from newsbot.identity import SIMHASH_BITS, add_fingerprint, body_fingerprint
from newsbot.items import Article


def weighted_simhash(body: str) -> int:
    """Return the SimHash of the body's 4-word shingles computed the textbook way: +1/-1 per
    bit of each shingle's BLAKE2b hash, a bit set where the sum is positive."""
    words = re.findall(r"\w+", body.casefold())
    if not words:
        return 0
    shingles = [" ".join(words[i : i + 4]) for i in range(max(1, len(words) - 3))]
    weights = [0] * SIMHASH_BITS
    for shingle in shingles:
        h = int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(SIMHASH_BITS):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(SIMHASH_BITS) if weights[bit] > 0)


def test_the_worker_sets_the_body_fingerprint() -> None:
    body = "The harbour board met on Tuesday to discuss the new ferry timetable for the winter."
    assert add_fingerprint(Article(body=body)).fingerprint == body_fingerprint(body) != 0
    assert add_fingerprint(Article(body=body, drop_reason="too_short")).fingerprint == 0
    assert add_fingerprint(Article()).fingerprint == 0


def test_the_fast_simhash_equals_the_plain_weighted_one() -> None:
    expected = Path(__file__).resolve().parent.parent / "fixtures" / "expected"
    bodies = [json.loads(f.read_text(encoding="utf-8")).get("body") or "" for f in sorted(expected.glob("*.json"))]
    words = " ".join(bodies).split()
    rng = random.Random(7)
    bodies += [" ".join(rng.choice(words) for _ in range(rng.randint(0, 3000))) for _ in range(200)]
    bodies += ["", "!!", "one", "one two three", "one two three four", "Straße ÄÖÜ 東京 ニュース 기자"]
    assert [body_fingerprint(b) for b in bodies] == [weighted_simhash(b) for b in bodies]
