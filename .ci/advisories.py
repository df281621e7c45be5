"""Offline advisory check for the pinned security-relevant packages (`.ci/advisories.toml`).

    .venv/bin/python .ci/advisories.py        # also run by .ci/audit and tests/reliability/test_advisories.py

Fails (exit 1) when one of `SECURITY_RELEVANT` has no entry, when an entry's `pinned`
is not the version in requirements.lock (a pin changed: look its advisories up again and
update the entry, with the date), or when a listed advisory's `affected` range contains
the pinned version and the advisory carries no `accepted` reason. Accepted ones are
printed every time. Needs no network: it says what was known on each entry's `checked`
date, nothing more.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
SECURITY_RELEVANT = ("fastapi", "starlette", "uvicorn", "pyjwt", "cryptography", "litellm", "google-adk", "jinja2", "h11",
                     "aiohttp", "websockets")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)")


def locked_versions(lock: str) -> dict[str, str]:
    pins = (_PIN.match(line.strip()) for line in lock.splitlines())
    return {canonicalize_name(m[1]): m[2] for m in pins if m}


def problems(advisories: dict, lock: str) -> tuple[list[str], list[str]]:
    """(failures, accepted notes) of `advisories` (the parsed TOML) against the text of requirements.lock."""
    locked = locked_versions(lock)
    entries = {canonicalize_name(p["name"]): p for p in advisories.get("package", [])}
    failures, notes = [], []
    for name in SECURITY_RELEVANT:
        entry = entries.get(name)
        if entry is None:
            failures.append(f"{name}: no entry in .ci/advisories.toml")
            continue
        if locked.get(name) != entry["pinned"]:
            failures.append(f"{name}: requirements.lock pins {locked.get(name)}, .ci/advisories.toml was checked for "
                            f"{entry['pinned']} (look the new pin's advisories up and update the entry and its date)")
            continue
        for advisory in entry.get("advisory", []):
            if not SpecifierSet(advisory["affected"]).contains(Version(entry["pinned"]), prereleases=True):
                continue
            where = f"{name}=={entry['pinned']}: {advisory['id']} (affected {advisory['affected']})"
            if advisory.get("accepted"):
                notes.append(f"{where}: accepted: {advisory['accepted']}")
            else:
                failures.append(f"{where}: {advisory['summary']}")
    return failures, notes


def main() -> int:
    advisories = tomllib.loads((ROOT / ".ci" / "advisories.toml").read_text())
    failures, notes = problems(advisories, (ROOT / "requirements.lock").read_text())
    for note in notes:
        print(f"ACCEPTED {note}")
    for failure in failures:
        print(f"FAIL {failure}")
    checked = sorted({p["checked"] for p in advisories.get("package", [])})
    print(f"{len(SECURITY_RELEVANT)} security-relevant pins against .ci/advisories.toml (checked {', '.join(checked)}): "
          f"{len(failures)} failures, {len(notes)} accepted advisories affecting a pin")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
