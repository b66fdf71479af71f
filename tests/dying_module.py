"""A module whose import kills the process importing it: an extraction function whose
workers die before they are ready (``tests/test_workers.py``). Never import it in tests."""

import os

os._exit(3)
