"""Semantic search over the catalog and the knowledge base, with SQL as the source of truth.

Chroma holds one collection each for products, categories and kb articles. Each
document's metadata carries a hash of what was embedded, so `sync_index` embeds
only what changed; products are further narrowed by an `updated_at` watermark kept
in the products collection's metadata. Searches take semantic candidates from
Chroma and then filter and hydrate them from SQL (prices, stock, activeness are
never trusted to the index).

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
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Where
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.settings import get_settings
from tools.shop.catalog import descendant_ids
from tools.shop.embeddings import make_embedder
from tools.shop.money import pesos, to_cents
from tools.shop.schema import categories, kb_articles, products, stock

CANDIDATES = 50
"""Semantic candidates fetched per product search, before SQL filters (price, stock) cut them down."""

KB_MIN_SCORE = 0.2
"""Below this cosine similarity no kb article is about the question. Measured on the seeded shop with the
USE model: the right article scored 0.26-0.64 for 12 support questions, off-topic chatter at most 0.16."""

CATEGORY_MIN_SCORE = 0.2
"""Below this cosine similarity no category matches the query (USE model: right category 0.28-0.50,
off-topic chatter at most 0.16)."""

WATERMARK_OVERLAP = timedelta(minutes=5)
"""Products updated this long before the watermark are re-read (not re-embedded unless changed), so a
transaction that committed late with an older `updated_at` is still picked up."""

UPSERT_BATCH = 256
MAX_MISSING_BY_ID = 1000  # more products missing from the index than this: rescan them all
WATERMARK_KEY = "synced_until"


class ProductHit(BaseModel):
    id: int
    sku: str
    name: str
    brand: str
    category_id: str
    price: Decimal  # pesos
    stock: int  # units over all warehouses
    score: float  # cosine similarity to the query, higher is closer


class CategoryHit(BaseModel):
    id: str
    name: str
    parent_id: str | None
    score: float


class KbHit(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    category_id: str | None
    score: float


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


# ---------------------------------------------------------------- search


def _query(
    collection: Collection, text: str, n_results: int, where: Where | None = None
) -> list[tuple[str, float, dict[str, Any]]]:
    """(id, cosine similarity, metadata) of the nearest documents, closest first."""
    if n_results <= 0:
        return []
    result = collection.query(
        query_texts=[text], n_results=n_results, where=where, include=["distances", "metadatas"]
    )
    metadatas = (result["metadatas"] or [[]])[0]
    distances = (result["distances"] or [[]])[0]
    return [
        (doc_id, round(1.0 - distance, 4), dict(meta or {}))
        for doc_id, distance, meta in zip(result["ids"][0], distances, metadatas, strict=True)
    ]


def _where(conditions: list[Where]) -> Where | None:
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


async def search_products(
    engine: AsyncEngine,
    index: SearchIndex,
    query: str,
    *,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    brand: str | None = None,
    category_id: str | None = None,
    in_stock: bool = False,
    limit: int = 5,
) -> list[ProductHit]:
    """Active products closest in meaning to `query`, filtered in SQL, in semantic order.

    `category_id` includes its subcategories; prices are in pesos (bounds inclusive);
    `brand` ignores case; `in_stock` keeps products with units in some warehouse.
    Brand and category also narrow the Chroma query, so a filtered search still gets
    `CANDIDATES` relevant candidates. The brand is re-checked on the SQL row in Python
    (SQLite's lower() only folds ASCII).
    """
    wanted_brand = brand.strip().lower() if brand else None
    async with engine.connect() as conn:
        category_ids = await descendant_ids(conn, category_id) if category_id else None
        if category_ids == []:
            return []
        conditions: list[Where] = []
        if wanted_brand:
            conditions.append({"brand": wanted_brand})
        if category_ids:
            conditions.append({"category_id": {"$in": category_ids}})
        ranked = await asyncio.to_thread(_query, index.products, query, max(CANDIDATES, limit), _where(conditions))
        scores = {int(doc_id): score for doc_id, score, _ in ranked}
        rows = await _hydrate_products(
            conn, list(scores), min_price=min_price, max_price=max_price, category_ids=category_ids, in_stock=in_stock
        )
    by_id = {row.id: row for row in rows if not wanted_brand or row.brand.lower() == wanted_brand}
    hits = [_product_hit(by_id[pid], score) for pid, score in scores.items() if pid in by_id]
    return hits[:limit]


async def _hydrate_products(
    conn: AsyncConnection,
    ids: list[int],
    *,
    min_price: Decimal | None,
    max_price: Decimal | None,
    category_ids: list[str] | None,
    in_stock: bool,
) -> list[Any]:
    """The active candidates within price, category and stock filters, with their total stock (`units`)."""
    if not ids:
        return []
    units = (
        select(stock.c.product_id, func.sum(stock.c.quantity).label("units"))
        .where(stock.c.product_id.in_(ids))
        .group_by(stock.c.product_id)
        .subquery()
    )
    units_col = func.coalesce(units.c.units, 0)
    stmt = (
        select(products.c.id, products.c.sku, products.c.name, products.c.brand, products.c.category_id,
               products.c.price_cents, units_col.label("units"))
        .select_from(products.outerjoin(units, units.c.product_id == products.c.id))
        .where(products.c.id.in_(ids), products.c.active.is_(True))
    )
    if min_price is not None:
        stmt = stmt.where(products.c.price_cents >= to_cents(min_price))
    if max_price is not None:
        stmt = stmt.where(products.c.price_cents <= to_cents(max_price))
    if category_ids:
        stmt = stmt.where(products.c.category_id.in_(category_ids))
    if in_stock:
        stmt = stmt.where(units_col > 0)
    return list((await conn.execute(stmt)).all())


def _product_hit(row: Any, score: float) -> ProductHit:
    return ProductHit(
        id=row.id, sku=row.sku, name=row.name, brand=row.brand, category_id=row.category_id,
        price=pesos(row.price_cents), stock=int(row.units), score=score,
    )


async def search_categories(index: SearchIndex, query: str, limit: int = 5) -> list[CategoryHit]:
    """Categories closest to `query`; scores under `CATEGORY_MIN_SCORE` mean no real match."""
    ranked = await asyncio.to_thread(_query, index.categories, query, limit)
    return [
        CategoryHit(id=doc_id, name=str(meta.get("name", doc_id)), parent_id=meta.get("parent_id") or None, score=score)
        for doc_id, score, meta in ranked
    ]


async def search_kb(engine: AsyncEngine, index: SearchIndex, query: str, limit: int = 3) -> list[KbHit]:
    """Knowledge-base articles closest to `query`, read from SQL; scores under `KB_MIN_SCORE` mean none is relevant."""
    ranked = await asyncio.to_thread(_query, index.kb, query, limit)
    scores = {int(doc_id): score for doc_id, score, _ in ranked}
    if not scores:
        return []
    async with engine.connect() as conn:
        rows = (await conn.execute(select(kb_articles).where(kb_articles.c.id.in_(list(scores))))).all()
    by_id = {row.id: row for row in rows}
    return [
        KbHit(id=aid, kind=by_id[aid].kind, title=by_id[aid].title, body=by_id[aid].body,
              category_id=by_id[aid].category_id, score=score)
        for aid, score in scores.items() if aid in by_id
    ]
