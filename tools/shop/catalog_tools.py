"""The category_agent's tools: the category tree, and finding the category a customer means."""

from __future__ import annotations

from typing import Any

from tools.shop import replies, runtime
from tools.shop.records import CategoryNode
from tools.shop.search import CATEGORY_MIN_SCORE, search_categories
from tools.shop.tool_common import category_paths, category_tree, guarded


def _tree_text(node: CategoryNode) -> str:
    """\"Name (count): Child (count), ...\" for a category and its subcategories."""
    text = f"{node.name} ({node.product_count})"
    if node.children:
        text += ": " + ", ".join(_tree_text(child) for child in node.children)
    return text


def _tree_data(node: CategoryNode) -> dict[str, Any]:
    """A category and its subcategories with their product counts, for the model."""
    data: dict[str, Any] = {"id": node.id, "name": node.name, "products": node.product_count}
    if node.children:
        data["children"] = [_tree_data(child) for child in node.children]
    return data


def _product_counts(roots: list[CategoryNode]) -> dict[str, int]:
    """Category id -> its product count, at every depth."""
    counts: dict[str, int] = {}
    pending = list(roots)
    while pending:
        node = pending.pop()
        counts[node.id] = node.product_count
        pending += node.children
    return counts


@guarded
async def list_categories() -> dict[str, Any]:
    """Todas las categorías de la tienda, con cuántos productos tiene cada una."""
    engine = await runtime.get_engine()
    async with engine.connect() as conn:
        roots = await category_tree(conn)
    return {"ok": True, "categories": [_tree_data(root) for root in roots],
            "message": replies.category_list([_tree_text(root) for root in roots])}


@guarded
async def find_categories(query: str) -> dict[str, Any]:
    """Busca la categoría de lo que pide el cliente.

    Args:
      query: lo que busca (ej. "algo para lavar la ropa").
    """
    text = " ".join(str(query or "").split())
    if not text:
        return await list_categories()
    engine = await runtime.get_engine()
    index = await runtime.get_index()
    hits = [hit for hit in await search_categories(index, text, limit=5) if hit.score >= CATEGORY_MIN_SCORE]
    if not hits:
        return {"ok": True, "categories": [], "message": replies.NO_CATEGORY_FOUND}
    async with engine.connect() as conn:
        counts = _product_counts(await category_tree(conn))
        paths, names = await category_paths(conn)
    found: list[dict[str, Any]] = [
        {"id": hit.id, "name": hit.name, "path": " > ".join(names.get(c, c) for c in reversed(paths.get(hit.id, [hit.id]))),
         "products": counts.get(hit.id, 0), "score": hit.score}
        for hit in hits
    ]
    return {"ok": True, "categories": found,
            "message": replies.categories_found([(item["path"], item["products"]) for item in found])}
