"""Semantic search over the catalog and the knowledge base, with SQL as the source of truth.

Searches take semantic candidates from the index (`search_index`) and then filter
and hydrate them from SQL (prices, stock, activeness are never trusted to the index).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tools.shop.catalog import descendant_ids
from tools.shop.money import pesos, to_cents
from tools.shop.schema import kb_articles, products, stock
from tools.shop.search_index import SearchIndex

CANDIDATES = 50
"""Semantic candidates fetched per product search, before SQL filters (price, stock) cut them down."""

KB_MIN_SCORE = 0.2
"""Below this cosine similarity no kb article is about the question. Measured on the seeded shop with the
USE model: the right article scored 0.26-0.64 for 12 support questions, off-topic chatter at most 0.16."""

CATEGORY_MIN_SCORE = 0.2
"""Below this cosine similarity no category matches the query (USE model: right category 0.28-0.50,
off-topic chatter at most 0.16)."""



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
