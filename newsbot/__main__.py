"""python -m newsbot."""

import sys

from newsbot.cli import main

sys.exit(main())
