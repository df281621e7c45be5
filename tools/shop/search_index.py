"""The shop's semantic index: Chroma collections for products, categories and kb articles, kept in sync with SQL.

Each document's metadata carries a hash of what was embedded, so `sync_index` embeds
only what changed; products are further narrowed by an `updated_at` watermark kept
in the products collection's metadata.

Client: `chromadb.PersistentClient(CHROMA_PATH)` (default `.data/chroma`), or
`chromadb.HttpClient` when `CHROMA_URL` is set. Collection names carry the
embedder's name, so switching `EMBEDDINGS` builds fresh collections instead of
mixing vectors from two models.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from tools.settings import get_settings
from tools.shop.embeddings import make_embedder
from tools.shop.schema import categories, kb_articles, products

WATERMARK_OVERLAP = timedelta(minutes=5)
"""Products updated this long before the watermark are re-read (not re-embedded unless changed), so a
transaction that committed late with an older `updated_at` is still picked up."""

UPSERT_BATCH = 256
MAX_MISSING_BY_ID = 1000  # more products missing from the index than this: rescan them all
WATERMARK_KEY = "synced_until"


class CollectionSync(BaseModel):
    embedded: int = 0  # new or changed documents upserted
    deleted: int = 0
    unchanged: int = 0  # documents read from SQL whose hash matched the index


class SyncReport(BaseModel):
    products: CollectionSync
    categories: CollectionSync
    kb: CollectionSync
    seconds: float

    @property
    def embedded(self) -> int:
        return self.products.embedded + self.categories.embedded + self.kb.embedded


def make_client() -> ClientAPI:
    """`HttpClient` for `CHROMA_URL` if set, else an embedded `PersistentClient` at `CHROMA_PATH` (settings)."""
    settings = ChromaSettings(anonymized_telemetry=False)
    url = get_settings().chroma_url
    if url:
        parts = urlsplit(url)
        return chromadb.HttpClient(
            host=parts.hostname or "127.0.0.1", port=parts.port or 8000, ssl=parts.scheme == "https", settings=settings
        )
    return chromadb.PersistentClient(path=str(get_settings().chroma_path), settings=settings)


class SearchIndex:
    """The shop's three Chroma collections (cosine space), opened or created on construction."""

    def __init__(self, client: ClientAPI | None = None, embedder: EmbeddingFunction[Documents] | None = None) -> None:
        self.client = client or make_client()
        self.embedder = embedder or make_embedder()
        self.products = self._open("products")
        self.categories = self._open("categories")
        self.kb = self._open("kb")

    def _open(self, kind: str) -> Collection:
        return self.client.get_or_create_collection(
            f"shop-{kind}-{self.embedder.name()}",
            embedding_function=self.embedder,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def watermark(self) -> datetime | None:
        """`updated_at` of the newest product the last sync saw (re-read: another process may have synced)."""
        metadata = self.client.get_collection(self.products.name, embedding_function=self.embedder).metadata or {}
        value = metadata.get(WATERMARK_KEY)
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    def set_watermark(self, value: datetime) -> None:
        self.products.modify(metadata={WATERMARK_KEY: value.isoformat()})


@dataclass(frozen=True)
class IndexDoc:
    """One document as it should be in a collection; `digest` identifies its content."""

    id: str
    text: str
    metadata: dict[str, str | int | bool]

    @property
    def digest(self) -> str:
        payload = json.dumps([self.text, self.metadata], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


# ---------------------------------------------------------------- documents


def category_paths(rows: Iterable[Any]) -> dict[str, str]:
    """Category id -> "Computación > Notebooks > Notebooks gamer"."""
    by_id = {row.id: row for row in rows}

    def path(category_id: str) -> str:
        names, current, seen = [], by_id.get(category_id), set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id else None
        return " > ".join(reversed(names))

    return {category_id: path(category_id) for category_id in by_id}


def attributes_text(attributes_json: str) -> str:
    """'{"gpu": "RTX 4060", "ram_gb": 16, "wifi": true}' -> "gpu RTX 4060, ram gb 16, wifi sí"."""
    try:
        attributes = json.loads(attributes_json or "{}")
    except json.JSONDecodeError:
        return ""
    if not isinstance(attributes, dict):
        return ""
    return ", ".join(f"{key.replace('_', ' ')} {attribute_value(value)}" for key, value in attributes.items())


def attribute_value(value: Any, list_separator: str = " ") -> str:
    """A product attribute as words: booleans as "sí"/"no", lists joined."""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, list):
        return list_separator.join(str(item) for item in value)
    return str(value)


def product_doc(row: Any, category_path: str) -> IndexDoc:
    """A product's Spanish document: name, brand, category path, description, attributes."""
    parts = [f"{row.name}.", f"Marca: {row.brand}.", f"Categoría: {category_path}."]
    if row.description.strip():
        parts.append(row.description.strip())
    if attributes := attributes_text(row.attributes):
        parts.append(f"Características: {attributes}.")
    metadata = {"brand": row.brand.lower(), "category_id": row.category_id}
    return IndexDoc(id=str(row.id), text=" ".join(parts), metadata=metadata)


def category_doc(row: Any, path: str) -> IndexDoc:
    text = f"{path}. {row.description.strip()}".strip()
    return IndexDoc(id=row.id, text=text, metadata={"name": row.name, "parent_id": row.parent_id or ""})


def kb_doc(row: Any) -> IndexDoc:
    tags = json.loads(row.tags or "[]")
    text = f"{row.title}. {row.body.strip()}" + (f" Temas: {', '.join(tags)}." if tags else "")
    return IndexDoc(id=str(row.id), text=text, metadata={"kind": row.kind, "category_id": row.category_id or ""})


# ---------------------------------------------------------------- Chroma writes (blocking; run in a thread)


def indexed_ids(collection: Collection) -> set[str]:
    return set(collection.get(include=[])["ids"])


def changed_docs(collection: Collection, docs: Sequence[IndexDoc]) -> list[IndexDoc]:
    """The documents that are new to `collection` or whose digest differs from the indexed one."""
    if not docs:
        return []
    existing = collection.get(ids=[doc.id for doc in docs], include=["metadatas"])
    pairs = zip(existing["ids"], existing["metadatas"] or [], strict=True)
    digests = {doc_id: (meta or {}).get("digest") for doc_id, meta in pairs}
    return [doc for doc in docs if digests.get(doc.id) != doc.digest]


def upsert_changed(collection: Collection, docs: Sequence[IndexDoc]) -> CollectionSync:
    """Upsert (and so embed) only the new or changed documents among `docs`."""
    report = CollectionSync()
    for start in range(0, len(docs), UPSERT_BATCH):
        batch = docs[start:start + UPSERT_BATCH]
        changed = changed_docs(collection, batch)
        if changed:
            collection.upsert(
                ids=[doc.id for doc in changed],
                documents=[doc.text for doc in changed],
                metadatas=[doc.metadata | {"digest": doc.digest} for doc in changed],
            )
        report.embedded += len(changed)
        report.unchanged += len(batch) - len(changed)
    return report


def delete_ids(collection: Collection, ids: set[str]) -> int:
    if ids:
        collection.delete(ids=sorted(ids))
    return len(ids)


def replace_all(collection: Collection, docs: Sequence[IndexDoc]) -> CollectionSync:
    """Make `collection` hold exactly `docs`, embedding only new or changed ones."""
    stale = indexed_ids(collection) - {doc.id for doc in docs}
    report = upsert_changed(collection, docs)
    report.deleted = delete_ids(collection, stale)
    return report


# ---------------------------------------------------------------- sync


async def sync_index(engine: AsyncEngine, index: SearchIndex) -> SyncReport:
    """Bring the index in line with SQL, embedding only new or changed documents.

    Categories and kb articles are few: all are read and compared by digest. Products
    are read only if updated since the watermark (minus `WATERMARK_OVERLAP`), missing
    from the index, or in a category whose name or path changed; inactive or deleted
    products leave the index. Categories are written last, so a sync that fails
    half-way still sees their changes (and rechecks their products) next time.
    """
    started = time.perf_counter()
    async with engine.connect() as conn:
        category_rows = (await conn.execute(select(categories))).all()
        kb_rows = (await conn.execute(select(kb_articles))).all()
    paths = category_paths(category_rows)
    category_docs = [category_doc(row, paths[row.id]) for row in category_rows]
    changed_categories = {doc.id for doc in await asyncio.to_thread(changed_docs, index.categories, category_docs)}
    product_report = await _sync_products(engine, index, paths, changed_categories)
    category_report = await asyncio.to_thread(replace_all, index.categories, category_docs)
    kb_report = await asyncio.to_thread(replace_all, index.kb, [kb_doc(row) for row in kb_rows])
    return SyncReport(
        products=product_report, categories=category_report, kb=kb_report, seconds=round(time.perf_counter() - started, 3)
    )


async def _sync_products(
    engine: AsyncEngine, index: SearchIndex, paths: dict[str, str], changed_categories: set[str]
) -> CollectionSync:
    indexed = await asyncio.to_thread(indexed_ids, index.products)
    since = await asyncio.to_thread(index.watermark)
    async with engine.connect() as conn:
        newest = (await conn.execute(select(func.max(products.c.updated_at)))).scalar()
        active = {str(pid) for pid in (await conn.execute(select(products.c.id).where(products.c.active.is_(True)))).scalars()}
        missing = active - indexed
        if len(missing) > MAX_MISSING_BY_ID:
            since = None
        rows = (await conn.execute(
            select(products).where(products.c.active.is_(True), _needs_check(since, missing, changed_categories))
        )).all()
    docs = [product_doc(row, paths.get(row.category_id, row.category_id)) for row in rows]
    report = await asyncio.to_thread(upsert_changed, index.products, docs)
    report.deleted = await asyncio.to_thread(delete_ids, index.products, indexed - active)
    if newest is not None:
        await asyncio.to_thread(index.set_watermark, newest)
    return report


def _needs_check(since: datetime | None, missing: set[str], changed_categories: set[str]) -> ColumnElement[bool]:
    """Which active products to read: all on a first sync, else changed, missing or recategorized ones."""
    if since is None:
        return true()
    return or_(
        products.c.updated_at > since - WATERMARK_OVERLAP,
        products.c.id.in_(sorted(int(pid) for pid in missing)) if missing else false(),
        products.c.category_id.in_(sorted(changed_categories)) if changed_categories else false(),
    )
