"""A private PostgreSQL instance for tests that stop and restart the server.

`initdb` into a fresh directory, `pg_ctl start` on a free port with its unix
socket in that directory, trust authentication; `stop()`/`start()` for the test,
and teardown removes everything. The machine's shared instance (port 5432) is
never touched. initdb refuses to run as root, so as root the cluster belongs
to the `postgres` system user and every command runs through `runuser`.

    pytest_plugins = ["tests.reliability.pg_private"]   # then ask for `private_pg`
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.real.server import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"


class PrivatePostgres:
    """One throwaway cluster; `url` is the SQLAlchemy asyncpg URL of its `postgres` database."""

    def __init__(self, root: Path, port: int, as_user: str | None) -> None:
        self.root, self.port, self.as_user = root, port, as_user
        self.data = root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: clients are disconnected; `immediate`: like a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


def _unavailable() -> str | None:
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).exists()]
    if missing:
        return f"PostgreSQL server binaries not found in {PG_BIN} ({', '.join(missing)}); set PG_BIN"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OWNER)
        except KeyError:
            return f"running as root and there is no '{OWNER}' user to own a private cluster"
        if not shutil.which("runuser"):
            return "running as root and `runuser` is missing"
    return None


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    """A running private PostgreSQL; skipped (with the reason) where it cannot be made."""
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="private-pg-"))  # not under pytest's root-only tmp tree
    as_user = OWNER if os.geteuid() == 0 else None
    if as_user:
        entry = pwd.getpwnam(as_user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = PrivatePostgres(root, free_port(), as_user)
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop("immediate")
        except RuntimeError:
            pass  # already stopped by the test
        shutil.rmtree(root, ignore_errors=True)
