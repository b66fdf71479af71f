"""python -m newsbot."""

from newsbot.cli import entry

entry()
