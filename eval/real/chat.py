"""`python -m eval.real chat [--agent NAME]` (`LLM_MODEL=local make run`): chat with an agent on llama.cpp's server.

For a machine with no Ollama: the settings are checked first (before any build), the model
and `llama-server` are provisioned (cached; the first time builds ~10–12 min and downloads
~1.1 GB, with progress), the server starts on a free 127.0.0.1 port as `make eval-real` runs
it (`eval.real.server.local_server`), the pre-flight check runs against it, and `adk run
<agent>` gets the terminal with `LLM_MODEL=openai/<alias>` and `OLLAMA_API_BASE` pointing
there. The server stops when the chat ends, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from eval.real import say
from eval.real.server import DEFAULT_SLOTS, LlamaServer, env_settings, local_server

AGENTS = ("pizzeria_agent", "ecommerce_agent")


def adk_command(agent: str) -> list[str]:
    """`adk run <agent>` with this interpreter's ADK (the venv's, whatever is on PATH)."""
    return [sys.executable, "-m", "google.adk.cli", "run", agent]


def chat_env(server: LlamaServer, slots: int, base: dict[str, str]) -> dict[str, str]:
    """`base` (the environment) with the settings that point the agents at `server`."""
    return base | env_settings(server, slots)


def run_foreground(argv: list[str], env: dict[str, str]) -> int:
    """Run `argv` on this terminal until it ends; SIGTERM/SIGHUP are passed on to it.

    Ctrl-C reaches the child from the terminal itself (same process group), so this
    process ignores SIGINT meanwhile and cleans up after the child has ended.
    """
    child = subprocess.Popen(argv, env=env)

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_chat(agent: str, model: str, slots: int = DEFAULT_SLOTS, ctx: int = 4096) -> int:
    """Provision, serve, pre-flight, chat; the exit code is the chat's (or the pre-flight's)."""
    from tools.llm.preflight import main as preflight
    from tools.settings import load_settings

    load_settings()  # invalid settings stop here, one line per variable, before any build
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # before the chat: still stop the server
    with local_server(model, slots, ctx) as server:
        say(f"llama-server up in {server.startup_s:.1f} s at {server.api_base} (log {server.log_path})")
        env = chat_env(server, slots, dict(os.environ))
        os.environ.update(env)  # the pre-flight check reads its settings from here
        if checked := preflight(["--no-pull"]):
            return checked
        say(f"chatting with {agent} on {env['LLM_MODEL']}; the server stops when the chat ends")
        code = run_foreground(adk_command(agent), env)
        say("stopping llama-server")
    return code
