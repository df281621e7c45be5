"""`python -m eval.real provision|serve|check|prefix|chat`: see `eval.real`."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from eval.real import cache_dir, say
from eval.real.chat import AGENTS
from eval.real.models import DEFAULT_MODEL, MODELS
from eval.real.server import DEFAULT_SLOTS


def provision(model: str, with_server: bool) -> None:
    """Build llama-server and fetch `model` (or every model for `all`) into the cache."""
    from eval.real.llama import ensure_server
    from eval.real.models import ensure_model

    started = time.monotonic()
    say(f"cache: {cache_dir()}")
    if with_server:
        ensure_server()
    for name in MODELS if model == "all" else [model]:
        ensure_model(MODELS[name])
    say(f"provisioned in {time.monotonic() - started:.1f} s")


def serve(model: str, port: int | None, slots: int, ctx: int) -> None:
    """Run the server in the foreground until Ctrl-C, printing the LiteLLM settings."""
    from eval.real.server import LlamaServer, ServerConfig

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on SIGTERM too
    with LlamaServer(ServerConfig.for_model(model, port=port, slots=slots, ctx_per_slot=ctx)) as server:
        say(f"ready in {server.startup_s:.1f} s; log: {server.log_path}")
        print(f"LLM_MODEL=openai/{server.config.alias} OLLAMA_API_BASE={server.api_base}", flush=True)
        try:
            server.wait()
        except KeyboardInterrupt:
            say("stopping")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.real", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    names = sorted(MODELS)

    p = commands.add_parser("provision", help="build llama-server and fetch the model (idempotent)")
    p.add_argument("--model", choices=[*names, "all"], default=DEFAULT_MODEL)
    p.add_argument("--no-server", action="store_true", help="only fetch the model")

    for name, text in (("serve", "run the server in the foreground"), ("check", "plain chat + tool call")):
        p = commands.add_parser(name, help=text)
        p.add_argument("--model", choices=names, default=DEFAULT_MODEL)
        p.add_argument("--port", type=int, default=None, help="default: a free port")
        p.add_argument("--slots", type=int, default=1, help="parallel sequences (-np)")
        p.add_argument("--ctx", type=int, default=4096, help="context tokens per slot")

    p = commands.add_parser("prefix", help="measure llama-server's prompt cache")
    p.add_argument("--model", choices=names, default=DEFAULT_MODEL)

    p = commands.add_parser("chat", help="chat with an agent on the served model (LLM_MODEL=local make run)")
    p.add_argument("--agent", choices=AGENTS, default=AGENTS[0])
    p.add_argument("--model", choices=names, default=DEFAULT_MODEL)
    p.add_argument("--slots", type=int, default=DEFAULT_SLOTS, help="slots, one per specialist; 0: one, unpinned")
    p.add_argument("--ctx", type=int, default=4096, help="context tokens per slot")

    args = parser.parse_args(argv)
    if args.command == "provision":
        provision(args.model, with_server=not args.no_server)
        return 0
    if args.command == "serve":
        serve(args.model, args.port, args.slots, args.ctx)
        return 0
    if args.command == "chat":
        from eval.real.chat import run_chat

        return run_chat(args.agent, args.model, args.slots, args.ctx)
    if args.command == "check":
        from eval.real.check import run_check

        return run_check(args.model, args.port, args.slots, args.ctx)
    from eval.real.prefix import run_prefix

    return run_prefix(args.model)


if __name__ == "__main__":
    sys.exit(main())
