"""All configuration in one place, read from the environment (and `.env`).

Every variable is documented in `.env.example`. Invalid values stop the process at
start with pydantic's message, which names the variable.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    llm_model: str = Field(
        "ollama_chat/qwen2.5:7b",
        description="LiteLLM model string, or 'scripted' for the offline demo model.",
    )
    ollama_api_base: str = Field("http://127.0.0.1:11434", description="Model server base URL.")
    llm_num_ctx: int = Field(4096, ge=1024, description="Context window asked of Ollama (num_ctx).")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds before a model call is abandoned.")
    llm_max_tokens: int = Field(256, ge=16, description="Completion token cap per model call.")
    max_model_calls_per_turn: int = Field(4, ge=1, le=20)
    max_message_chars: int = Field(1000, ge=100, description="Longer customer messages are cut before any model call.")

    pizzeria_data_dir: Path = Field(Path(".data/pizzeria"), description="Runtime JSON files.")
    pizzeria_menu_path: Path = DATA_ROOT / "pizzeria" / "menu.json"
    pizzeria_seed_dir: Path = DATA_ROOT / "pizzeria"

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


@functools.cache
def get_settings() -> Settings:
    """Process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
