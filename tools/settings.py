"""All configuration in one place, read from the environment (and `.env`).

Every variable is documented in `.env.example`. An empty value (`SMTP_PORT=`) means
the default. `get_settings()` validates everything once; invalid values stop the
process with one line per variable, named as in the environment (`LLM_NUM_CTX`), and
no traceback (`InvalidSettings`). Validation rules live on the fields and validators
of `Settings`, and nowhere else.

Under ADK's `adk eval` every data path points into a temporary directory for the run
(`eval_sandbox`), so an evaluation never reads or writes the user's data.
"""

from __future__ import annotations

import atexit
import functools
import logging
import re
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / "data"

log = logging.getLogger(__name__)

TRIAL_MOMENT = "2026-12-04T21:00:00-03:00"  # a Friday night, open: what tests, eval runs and benchmarks freeze the pizzeria's clock at

LOCAL_MODEL = "local"
"""`LLM_MODEL=local`: llama.cpp's server with a small model on this machine, started by `make run`
(`python -m eval.real chat`), which runs the chat with `LLM_MODEL=openai/<alias>`."""
MODEL_FORMS = (
    "scripted (the offline demo model), local (make run starts llama.cpp's server with a small model), "
    "ollama_chat/<model> or ollama/<model> (Ollama, e.g. ollama_chat/qwen2.5:7b), "
    "openai/<alias> (llama.cpp's llama-server, vLLM or any OpenAI-compatible server at OLLAMA_API_BASE), "
    "or another LiteLLM <provider>/<model>"
)
_MODEL_STRING = re.compile(r"[a-z][a-z0-9_]*/\S+")
_SECRET_NAME = re.compile(r"secret|token|password|key", re.IGNORECASE)
MIN_SECRET_BYTES = 32
OUR_SECRETS = ("jwt_secret", "server_api_key", "operator_token", "panel_secret", "whatsapp_verify_token",
               "whatsapp_app_secret", "lookup_key")
"""Secrets this service checks (unset keeps their feature closed); set, each needs `MIN_SECRET_BYTES`."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    llm_model: str = Field(
        "ollama_chat/qwen2.5:7b",
        description="LiteLLM model string, 'scripted' for the offline demo model, or 'local' (see LOCAL_MODEL).",
    )
    ollama_api_base: str = Field("http://127.0.0.1:11434", description="Model server base URL.")
    llm_num_ctx: int = Field(4096, ge=1024, description="Context window asked of Ollama (num_ctx).")
    llm_timeout_s: float = Field(
        120.0, gt=0,
        description="Seconds before a model call is abandoned: a cold 1,500-token prompt and a full answer on a 2-core CPU.",
    )
    llm_max_tokens: int = Field(256, ge=16, description="Completion token cap per model call.")
    max_model_calls_per_turn: int = Field(
        3, ge=1, le=20, description="A tool call, its summary and one re-ask; a fourth call is a loop.",
    )
    llm_slots: int = Field(
        0, ge=0, le=64,
        description="llama.cpp: pin each specialist to one of N server slots (id_slot; run the server with -np N); 0: don't.",
    )
    llm_keep_alive: str = Field("", description="Ollama keep_alive (e.g. '30m', '-1'): how long the model stays loaded.")
    max_message_chars: int = Field(1000, ge=100, description="Longer customer messages are cut before any model call.")

    pizzeria_data_dir: Path = Field(Path(".data/pizzeria"), description="Runtime JSON files.")
    pizzeria_menu_path: Path = DATA_ROOT / "pizzeria" / "menu.json"
    pizzeria_seed_dir: Path = DATA_ROOT / "pizzeria"
    pizzeria_now: datetime | None = Field(
        None, description="Trials and tests: the pizzeria's clock stands still at this ISO 8601 moment (opening hours); empty: real time.",
    )

    database_url: str = Field("sqlite+aiosqlite:///.data/shop.db", description="Shop database (SQLite or postgresql+asyncpg).")
    shop_name: str = "ElectroHogar Online S.A."
    shop_cuit: str = "30-71234567-9"
    invoice_point_of_sale: int = Field(3, ge=1, le=99999)

    smtp_host: str = Field("", description="Invoice e-mails go out through this SMTP server; empty: only logged.")
    smtp_port: int | None = Field(None, description="Default 587 with STARTTLS, else 25.")
    smtp_from: str = "facturacion@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_s: float = Field(10.0, gt=0)

    embeddings: str = Field("use", pattern="^(?i:use|ollama)$", description="Embedder: 'use' (offline ONNX) or 'ollama'.")
    ollama_embed_model: str = "mxbai-embed-large"
    shop_models_dir: Path = Field(Path(".data/models"), description="Where the offline embedding model file lives.")
    chroma_path: Path = Field(Path(".data/chroma"), description="Embedded Chroma directory.")
    chroma_url: str = Field("", description="Chroma server URL; when set, used instead of the embedded store.")

    carrier_api_url: str = Field("", description="Carrier tracking API; empty: tracking from our shipment events.")
    carrier_api_key: str = ""
    carrier_timeout_s: float = Field(5.0, gt=0)
    carrier_retries: int = Field(2, ge=0, le=10)

    # --- Service (gateway) ---
    session_db_url: str = Field(
        "sqlite+aiosqlite:///.data/sessions.db",
        description="ADK sessions (DatabaseSessionService): SQLite file or postgresql+asyncpg://...",
    )
    database_schema: str = Field(
        "shop", pattern=r"^[a-z_][a-z0-9_]*$",
        description="PostgreSQL schema for our business tables, apart from ADK's session tables (ignored on SQLite).",
    )
    jwt_secret: str = Field("", description="HS256 secret for customer session tokens; required to serve /v1/chat.")
    jwt_ttl_s: int = Field(3600, ge=60, description="Lifetime of issued session tokens.")
    server_api_key: str = Field("", description="Key of the shop's own backend: issues tokens, reaches ADK's raw API.")
    operator_token: str = Field("", description="Bearer token for the human-handoff operator endpoints.")
    max_body_bytes: int = Field(
        1 << 20, ge=1024, description="Largest request body served (413 beyond it, before reading past it); nginx: client_max_body_size 1m.",
    )
    expose_adk_api: bool = Field(True, description="Mount ADK's own API (behind SERVER_API_KEY); false: not served.")
    whatsapp_verify_token: str = Field("", description="Token Meta sends in the webhook verification handshake.")
    whatsapp_app_secret: str = Field("", description="App secret: X-Hub-Signature-256 HMAC key.")
    whatsapp_access_token: str = Field("", description="Graph API token for sending replies; empty: replies are only logged.")
    whatsapp_phone_number_id: str = Field("", description="Sender phone number id in the Graph API.")
    whatsapp_api_url: str = Field("https://graph.facebook.com/v21.0", description="Graph API base URL.")
    whatsapp_timeout_s: float = Field(10.0, gt=0)
    whatsapp_retries: int = Field(2, ge=0, le=10)

    retention_days: int = Field(
        90, ge=1, description="`python -m gateway.retention purge` deletes conversations and answered messages older than this."
    )
    handoff_release_s: int = Field(
        1800, ge=0, description="A handed-off shop conversation nobody answered for this long goes back to the bot; 0: never."
    )

    # --- Local trials ---
    demo_user: str = Field(
        "", pattern=r"^[A-Za-z0-9_+\-]{0,64}$",
        description="In adk run / adk web, the person at the keyboard is this customer (e.g. 5491160000001).",
    )

    # --- Staff panels (kitchen board, operator console) ---
    panel_secret: str = Field("", description="Staff password of /panel/pizzeria and /panel/ecommerce; empty: the panels are closed.")
    panel_session_ttl_s: int = Field(12 * 3600, ge=300, description="How long a staff login lasts.")
    panel_timezone: str = Field("America/Argentina/Buenos_Aires",
                                description="Local time of the panels and the orders command: times shown, when a day starts.")

    # --- Sensitive data at rest ---
    data_keys: str = Field(
        "", description="Comma-separated Fernet keys, newest first (rotation: prepend a new key, run the rotate command)."
    )
    lookup_key: str = Field("", description="Key of the keyed hash used to look customers up by phone.")
    keys_path: Path = Field(Path(".data/keys.json"), description="Local keys generated on first run when DATA_KEYS is empty.")

    # --- Cache ---
    redis_url: str = Field("", description="Redis for the shared cache (e.g. redis://127.0.0.1:6379/0); empty: in-process.")
    cache_ttl_s: int = Field(3600, ge=0, description="Seconds a cached promotion or catalog lookup lives.")

    # --- Observability ---
    log_format: str = Field("auto", pattern="^(auto|json|text)$", description="Log lines: auto = text on a terminal, JSON otherwise.")
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_content: bool = Field(False, description="Debug only: log customer message text and phone numbers.")
    otel_exporter_otlp_endpoint: str = Field("", description="OTLP/HTTP collector; when set, metrics and traces are exported.")

    @field_validator(*OUR_SECRETS)
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"too short: {len(value.encode())} bytes, at least {MIN_SECRET_BYTES} needed (generate one with "
                             "python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return value

    @field_validator("panel_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as America/Argentina/Buenos_Aires)") from None
        return value

    @field_validator("llm_model")
    @classmethod
    def _model_string(cls, value: str) -> str:
        if value not in ("scripted", LOCAL_MODEL) and not _MODEL_STRING.fullmatch(value):
            raise ValueError(f"not a model string; use {MODEL_FORMS}")
        return value


class InvalidSettings(SystemExit):
    """Configuration that cannot start: exits with one line per invalid variable (no traceback)."""

    def __init__(self, error: ValidationError) -> None:
        self.lines = [_describe(problem) for problem in error.errors()]
        super().__init__("\n".join(["Invalid settings (environment or .env; see .env.example):", *self.lines]))


def _describe(problem: Any) -> str:
    """`LLM_NUM_CTX='abc': Input should be a valid integer` (secrets' values are never shown)."""
    name = str(problem["loc"][0]) if problem["loc"] else ""
    field = Settings.model_fields.get(name)
    variable = str(field.validation_alias or name if field else name).upper() or "settings"
    message = str(problem["msg"]).removeprefix("Value error, ")
    if _SECRET_NAME.search(name) or problem["type"] == "missing":
        return f"  {variable}: {message}"
    return f"  {variable}={str(problem['input'])[:80]!r}: {message}"


def load_settings() -> Settings:
    """Settings from the environment and `.env`; `InvalidSettings` when a value is wrong."""
    try:
        settings = Settings()
    except ValidationError as error:
        raise InvalidSettings(error) from None
    sandbox = eval_sandbox()
    if sandbox and settings.pizzeria_now is None:
        sandbox["pizzeria_now"] = datetime.fromisoformat(TRIAL_MOMENT)  # an evaluation runs while the pizzeria is open
    return settings.model_copy(update=sandbox) if sandbox else settings


@functools.cache
def get_settings() -> Settings:
    """Process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return load_settings()


def eval_sandbox() -> dict[str, Any] | None:
    """Under ADK's `adk eval`: every data path in one temporary directory for this run, else None.

    ADK imports the agent (which reads settings) inside its click command, so the
    running command tells: `adk eval` is ADK's `eval` command on its own CLI group.
    Outbound effects (SMTP, carrier API, a shared Redis or Chroma server) are off too.
    """
    click = sys.modules.get("click")
    context = click.get_current_context(silent=True) if click else None
    if context is None or context.command.name != "eval":
        return None
    if type(context.find_root().command).__module__ != "google.adk.cli.cli_tools_click":
        return None
    root = _sandbox_dir()
    return {
        "pizzeria_data_dir": root / "pizzeria",
        "database_url": f"sqlite+aiosqlite:///{root / 'shop.db'}",
        "session_db_url": f"sqlite+aiosqlite:///{root / 'sessions.db'}",
        "chroma_path": root / "chroma",
        "chroma_url": "",
        "keys_path": root / "keys.json",
        "redis_url": "",
        "smtp_host": "",
        "carrier_api_url": "",
    }


@functools.cache
def _sandbox_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="adk-eval-data-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    log.info("adk eval: this run's data lives in %s (removed at exit); .data is not touched", root)
    return root
