"""The offline advisory list (`.ci/advisories.toml`) follows requirements.lock, and no listed advisory hits a pin unexplained."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from types import ModuleType

from tools.settings import REPO_ROOT

LOCK = (REPO_ROOT / "requirements.lock").read_text()


def _check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("advisories_check", REPO_ROOT / ".ci" / "advisories.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _listed() -> dict:
    return tomllib.loads((REPO_ROOT / ".ci" / "advisories.toml").read_text())


def test_the_list_matches_the_lock_and_no_advisory_hits_a_pin_unexplained() -> None:
    done = subprocess.run([sys.executable, ".ci/advisories.py"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "11 security-relevant pins" in done.stdout


def test_every_entry_says_when_and_where_it_was_checked() -> None:
    for entry in _listed()["package"]:
        assert entry["checked"] and entry["source"] and entry["known"], entry["name"]


def test_a_pin_change_without_updating_the_list_fails() -> None:
    check = _check()
    bumped = LOCK.replace("starlette==1.10.0", "starlette==1.11.0")
    assert bumped != LOCK
    failures, _ = check.problems(_listed(), bumped)
    assert len(failures) == 1 and failures[0].startswith("starlette: requirements.lock pins 1.11.0")


def test_a_listed_advisory_that_hits_the_pin_fails_unless_accepted() -> None:
    check = _check()
    listed = _listed()
    jinja = next(p for p in listed["package"] if p["name"] == "Jinja2")
    jinja["advisory"].append({"id": "GHSA-test", "affected": "<=3.1.6", "summary": "made up for this test"})
    failures, _ = check.problems(listed, LOCK)
    assert failures == ["jinja2==3.1.6: GHSA-test (affected <=3.1.6): made up for this test"]
    jinja["advisory"][-1]["accepted"] = "not reachable here"
    failures, notes = check.problems(listed, LOCK)
    assert failures == [] and any("GHSA-test" in note for note in notes)


def test_a_missing_package_fails() -> None:
    listed = _listed()
    listed["package"] = [p for p in listed["package"] if p["name"] != "h11"]
    failures, _ = _check().problems(listed, LOCK)
    assert failures == ["h11: no entry in .ci/advisories.toml"]
