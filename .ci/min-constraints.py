#!/usr/bin/env python3
"""Print a pip constraints file that pins every declared dependency to its lower bound.

    python3 .ci/min-constraints.py [EXTRA ...] > constraints.txt

Reads pyproject.toml beside .ci/: each requirement of ``[project] dependencies`` and of the
named extras must be ``name>=X`` (or ``name==X``, pinned as is); ``name>=X`` becomes
``name==X``. A requirement without a lower bound is an error, so that every dependency has a
floor that ``make test-min`` really tests. Standard library only (Python >= 3.11).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# name, optional [extras], a version clause list, optional ; marker
CLAUSE = re.compile(r"^(<=|>=|==|!=|~=|<|>|===)?\s*(.*)$")
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*?)\s*(?:;.*)?$")


def floor(requirement: str) -> str:
    """Return ``name==X`` for ``requirement``; raise ValueError if it has no lower bound."""
    match = REQUIREMENT.match(requirement)
    if not match:
        raise ValueError(f"cannot parse requirement {requirement!r}")
    name, clauses = match.groups()
    for clause in filter(None, (c.strip() for c in clauses.split(","))):
        op, version = CLAUSE.fullmatch(clause).groups()  # type: ignore[union-attr]  # always matches
        if op in (">=", "==", "~=") and version and "*" not in version:
            return f"{name}=={version}"
    raise ValueError(f"requirement {requirement!r} has no lower bound (>=X): add one")


def main(extras: list[str]) -> int:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        if extra not in optional:
            print(f"{PYPROJECT}: no extra named {extra!r}", file=sys.stderr)
            return 2
        requirements += optional[extra]
    try:
        pins = [floor(r) for r in requirements]
    except ValueError as exc:
        print(f"{PYPROJECT}: {exc}", file=sys.stderr)
        return 1
    print(f"# lower bounds of {PYPROJECT.name} [project] dependencies" + "".join(f", [{e}]" for e in extras))
    print("\n".join(pins))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
