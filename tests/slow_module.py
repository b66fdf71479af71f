"""A module that takes a minute to import: an extraction function whose workers are still
loading when the pool closes (``tests/test_workers.py``). Never import it in tests."""

import time

time.sleep(60)


def extract(value: object) -> object:
    """Return ``value``."""
    return value
