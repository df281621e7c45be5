"""The deterministic router on Argentine Spanish: accuracy on a held-out labelled set, entities."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ecommerce_agent.router import CONFIDENCE_THRESHOLD, EXAMPLES_PATH, classify
from tools.shop.entities import extract

MEASURE = Path(__file__).with_name("router_measure.jsonl")
ACCURACY_FLOOR = 0.90  # the target; measured 0.938 on the held-out set


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_held_out_accuracy() -> None:
    rows = _rows(MEASURE)
    tuned_on = {r["text"] for r in _rows(EXAMPLES_PATH)}
    assert len(rows) + len(tuned_on) >= 300 and not tuned_on & {r["text"] for r in rows}
    results = [(r["intent"], classify(r["text"])) for r in rows]
    correct = sum(want == got.primary_intent for want, got in results)
    confident = [got for _, got in results if got.confidence >= CONFIDENCE_THRESHOLD]
    confident_correct = sum(want == got.primary_intent for want, got in results if got.confidence >= CONFIDENCE_THRESHOLD)
    misses = Counter(want for want, got in results if want != got.primary_intent)
    print(
        f"\nrouter held-out accuracy: {correct}/{len(rows)} = {correct / len(rows):.3f}; "
        f"routed without a model (confidence ≥ {CONFIDENCE_THRESHOLD}): {len(confident) / len(rows):.1%} "
        f"with accuracy {confident_correct / max(1, len(confident)):.3f}; misses by intent: {dict(misses)}"
    )
    assert correct / len(rows) >= ACCURACY_FLOOR


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("pasame con un humano", "human_request"),
        ("los voy a denunciar en defensa del consumidor", "legal_issue"),
        ("donde esta mi pedido #4581230", "order_tracking"),
        ("necesito la factura A del pedido 4581230", "invoice_request"),
        ("tengo el cupon HOTSALE15", "promotions"),
    ],
)
def test_unambiguous_messages_route_with_confidence(text: str, intent: str) -> None:
    info = classify(text)
    assert info.primary_intent == intent and info.confidence >= CONFIDENCE_THRESHOLD
    assert info.requires_handoff == (intent in {"human_request", "legal_issue", "complex_complaint"})


@pytest.mark.parametrize("text", ["blorf the quux", "asdkjh qwerty zxc", "mi tia cumple años", "el perro de mi vecino ladra", "42"])
def test_unfamiliar_messages_are_not_routed_with_confidence(text: str) -> None:
    """Gibberish and off-topic text goes to the model (or a clarifying question), not to a guess."""
    info = classify(text)
    assert info.confidence < CONFIDENCE_THRESHOLD and not info.requires_handoff


@pytest.mark.parametrize("text", ["#4581230", "pedido 4581230", "orden nro 4581230", "mi compra 4.581.230", "el 4581230 no llega"])
def test_order_numbers_written_many_ways(text: str) -> None:
    assert extract(text).order_numbers == ["4581230"]


def test_other_entities() -> None:
    assert extract("uso el codigo bienvenida10?").coupon_codes == ["BIENVENIDA10"]
    found = extract("busco notebook asus tuf rtx 4060 entre 300 y 600 lucas")
    assert "asus" in found.brands and "rtx 4060" in found.models
    assert (found.price_range.min, found.price_range.max) == (300_000, 600_000)
    assert extract("celu hasta $800.000").order_numbers == []  # a price is not an order number
    assert extract("mi cuit es 20-31234567-8, para la factura").order_numbers == []
