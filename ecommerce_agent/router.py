"""Deterministic intent router for the shop: `classify(text) -> IntentInfo`, no model call.

Two tiers, both pure and synchronous:
1. weighted rules over the normalized text (voseo, no accents, typos folded by
   `normalize` and by the patterns) plus entity evidence (an order number points
   to tracking, a coupon code to promotions, a brand or price range to products);
2. nearest-neighbour votes against the labelled examples in
   `data/ecommerce/router_examples.jsonl`, embedded with the offline embedder
   (skipped when the model file is not installed).
Scores are combined and turned into a confidence; below `CONFIDENCE_THRESHOLD` the
supervisor may ask a model (one short JSON classification call).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from ecommerce_agent.specialists import Specialist
from tools.settings import DATA_ROOT
from tools.shop.entities import Entities, extract
from tools.text import any_word, normalize

log = logging.getLogger(__name__)

CONFIDENCE_THRESHOLD = 0.55

INTENT_AGENT: dict[str, Specialist | None] = {
    "category_browsing": Specialist.CATEGORY,
    "product_inquiry": Specialist.PRODUCT,
    "promotions": Specialist.PROMOTIONS,
    "order_tracking": Specialist.TRACKING,
    "technical_support": Specialist.SUPPORT,
    "invoice_request": Specialist.INVOICE,
    "general_inquiry": None,  # the supervisor answers itself
    "complex_complaint": None,
    "legal_issue": None,
    "human_request": None,
}
HANDOFF_INTENTS = {"complex_complaint", "legal_issue", "human_request"}


class IntentInfo(BaseModel):
    primary_intent: str
    confidence: float
    entities: dict[str, Any] = Field(default_factory=dict)
    requires_handoff: bool = False
    target_agent: Specialist | None = None
    scores: dict[str, float] = Field(default_factory=dict, exclude=True)


# (pattern, weight) per intent. Patterns match normalized text (lower-case, no accents).
RULES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "legal_issue": [
        (any_word(r"denunci", r"defensa (?:del|al) consumidor", r"abogad", r"carta documento", r"demand[ao]r?\b", r"juicio", r"\bjuez",
             r"juzgado", r"estudio juridico", r"intimacion", r"estafa", r"ilegal", r"ley de defensa", r"legal(?:es|mente)?\b",
             r"mediacion", r"fiscal", r"tribunal", r"publicidad enganosa", r"secretaria de comercio", r"acciones legales", whole=False), 3.0),
    ],
    "human_request": [
        (any_word(r"humano", r"asesor\w*", r"operador\w*", r"representante", r"agente", r"persona (?:real|de verdad)", r"alguien (?:real|de verdad)",
             r"vendedor de verdad", r"atencion humana", r"(?:un|una) persona", r"hay alguien", r"\bbot\b", r"robot", r"maquina", whole=False), 2.2),
        (any_word(r"(?:habla\w*|comunica\w*|pasa\w*|deriva\w*|contacta\w*|atiend\w*|transfer\w*)(?: \w+){0,3} "
             r"(?:persona|humano|asesor|operador|agente|representante|vendedor|alguien|encargad)", whole=False), 1.5),
    ],
    "complex_complaint": [
        (any_word(r"verguenza", r"desastre", r"pesimo", r"horrible", r"indignad", r"cansad[oa]", r"harto", r"harta", r"re caliente",
             r"falta de respeto", r"exijo", r"compensacion", r"reintegr\w*", r"una burla", r"inaceptable", r"nunca mas (?:les )?compro",
             r"me (?:estafaron|robaron|cagaron)", whole=False), 2.2),
        (any_word(r"nadie me (?:responde|contesta|da bola|soluciona|explica)", r"nadie (?:responde|contesta|explica)", r"(?:tercera|cuarta|quinta|\d+) vez",
             r"(?:dos|tres|cuatro|\d+) veces", r"ya van", r"otra vez (?:lo mismo|me)", r"reclam\w*", r"queja", r"devuelv\w* (?:la )?plata",
             r"devolucion de(?:l| la) (?:plata|dinero)", r"reembolso", r"mala atencion", r"resena", r"review", r"escrach\w*",
             r"me cancelaron", r"me cambiaron el precio", r"que me lo cambien", r"nunca (?:llamaron|respondieron|contestaron|llego la respuesta)",
             r"semanas esperando", r"me prometieron", whole=False), 1.4),
        (any_word(r"(?:llego|vino) (?:roto|rota|danad|fallad|abierto|usad)", r"me mandaron (?:otro|otra|cualquier|mal)", r"encima", whole=False), 1.0),
    ],
    "invoice_request": [
        (any_word(r"factur\w*", r"factrua", r"facutra", r"comprobante", r"ticket", r"recibo", r"cuit", r"factura [ab]\b",
             r"nota de credito", r"responsable inscripto", r"monotribut\w*", r"razon social", whole=False), 2.6),
    ],
    "order_tracking": [
        (any_word(r"donde (?:esta|anda|quedo|viene)", r"cuando (?:me )?(?:llega|llegan|viene|vienen|entregan|mandan|despachan|sale)",
             r"me llega", r"llega hoy", r"no (?:me )?(?:llega|llego|llegaron|vino|recibi)", r"seguimiento", r"tracking", r"rastre\w*",
             r"(?:mi|el|del) envio", r"despach\w*", r"(?:mi|el|la) (?:pedido|pedio|compra|orden|paquete|encomienda)",
             r"estado de(?:l| mi| la)? (?:pedido|compra|orden|envio)", r"andreani", r"\boca\b", r"correo argentino", r"mercado envios",
             r"demora", r"atrasad", r"no se mueve", r"en camino", r"repartidor", r"entrega", whole=False), 1.5),
    ],
    "technical_support": [
        (any_word(r"no (?:me )?(?:prende|enciende|anda|funciona|carga|conecta|centrifuga|enfria|calienta|arranca|da imagen|tiene sonido|se conecta|"
             r"reconoce|agarra|empareja|lee|se empareja|se prende|se enciende|se carga)",
             r"se (?:apaga|reinicia|traba|tilda|cuelga|calienta|recalienta|corta|desconecta)", r"falla", r"error", r"pantalla (?:negra|azul)",
             r"como (?:conecto|configuro|instalo|actualizo|reseteo|uso|vinculo|emparejo|limpio|activo)", r"configur\w*", r"instal\w*",
             r"resete\w*", r"manual", r"garantia", r"service", r"servicio tecnico", r"tutorial", r"hace (?:un )?ruido", r"ruido raro",
             r"bluetooth", r"wifi", r"driver", r"actualizacion", r"bateria (?:dura|se)", r"problema con", r"tengo un problema",
             r"dejo de (?:andar|funcionar)", r"codigo de error", r"larga agua", r"pierde agua", r"gotea", r"olor a quemado", r"chispa", whole=False), 1.6),
        (any_word(r"(?:abr\w*|gener\w*|crea\w*|hace\w*|carga\w*|levanta\w*)(?: me)? (?:un |el )?ticket", r"ticket de (?:soporte|reclamo|servicio)", whole=False),
         3.0),  # a support ticket asked for by name ("ticket" alone is a receipt: invoice_request)
    ],
    "promotions": [
        (any_word(r"promo\w*", r"oferta\w*", r"descuento\w*", r"cupon\w*", r"codigo de descuento", r"voucher", r"hot ?sale", r"cyber ?monday",
             r"black ?friday", r"cuotas sin interes", r"sin interes", r"rebaja\w*", r"liquidacion", r"2x1", r"beneficio\w*", r"bonificacion",
             r"precio especial", r"(?:algo|mas) (?:mas )?barato", r"(?:haces|das|hacen|hacés) (?:algun |un )?(?:precio|descuento|rebaja)",
             r"algun precio", r"semana \w+", whole=False), 2.0),
    ],
    "category_browsing": [
        (any_word(r"categori\w*", r"seccion\w*", r"que (?:tipos?|clases?|variedad|modelos|marcas|linea)", r"q marcas", r"marcas de",
             r"que (?:tienen|tenes|hay|venden|manejan)(?: \w+)? (?:de|en)\b", r"catalogo", r"la parte de", r"recorrer", r"chusmear",
             r"mostrame (?:la |las |los |el )?(?:seccion|categoria|lista|parte|linea|opciones)", r"(?:ver|mirar|recorrer) (?:las |los )?(?:opciones|productos|categorias)",
             r"opciones de", r"listame", r"me (?:las|los) listas", r"listado", r"no encuentro donde", r"cosas de", r"que venden", r"rubros?",
             r"que productos", r"tienen (?:una )?(?:seccion|linea)", r"climatizacion", r"smart home", r"electro\b", r"linea blanca", whole=False), 1.4),
    ],
    "product_inquiry": [
        (any_word(r"stock", r"precio", r"cuanto (?:sale|salen|cuesta|cuestan|esta|estan|vale)", r"busco", r"necesito (?:un|una)", r"quiero (?:un|una|comprar)",
             r"tienen (?:el|la|los|las|algun|alguna)", r"hay (?:el|la|algun|alguna|stock)", r"caracteristicas", r"especificaciones", r"specs",
             r"compar\w*", r"diferencia entre", r"cual (?:me )?(?:conviene|recomendas|es mejor)", r"recomenda\w*", r"me sirve", r"es compatible",
             r"cuanta (?:ram|memoria)", r"pulgadas", r"viene con", r"trae", r"cancelacion de ruido", whole=False), 1.1),
        (any_word(r"notebook", r"notbook", r"laptop", r"celu\w*", r"telefono", r"smart ?tv", r"televisor", r"\btv\b", r"heladera", r"lavarropas",
             r"microondas", r"aire acondicionado", r"auricular\w*", r"auris", r"parlante\w*", r"monitor", r"mouse", r"teclado", r"consola",
             r"joystick", r"tablet", r"cafetera", r"ssd", r"pendrive", r"disco", r"placa de video", r"impresora", r"barra de sonido", r"smartwatch", whole=False), 0.6),
    ],
    "general_inquiry": [
        (any_word(r"hola+", r"buen(?:as|os)? (?:dias|tardes|noches)", r"^buenas", r"gracias", r"horario", r"atienden", r"sucursal", r"local (?:fisico|a la calle)",
             r"medios de pago", r"(?:aceptan|puedo pagar con|pago con) ", r"mercado ?pago", r"transferencia", r"efectivo", r"tarjeta",
             r"hacen envios?", r"envian a", r"envios? a (?!mi\b|la\b|casa\b)", r"llegan a", r"costo de(?:l)? envio", r"cuanto sale el envio",
             r"envio gratis", r"politica de (?:cambio|devolucion)", r"como (?:compro|funciona la compra|me registro)", r"quien(?:es)? (?:sos|son)",
             r"con quien (?:hablo|estoy)", r"chau", r"adios", r"^ok\b", r"^dale\b", r"perfecto", r"genial", whole=False), 1.0),
    ],
}


def rule_scores(norm: str, entities: Entities) -> dict[str, float]:
    scores = {intent: 0.0 for intent in INTENT_AGENT}
    for intent, rules in RULES.items():
        for pattern, weight in rules:
            hits = len(pattern.findall(norm))
            if hits:
                scores[intent] += weight * min(hits, 2) ** 0.5
    if entities.order_numbers:
        scores["order_tracking"] += 1.0
    if entities.coupon_codes:
        scores["promotions"] += 2.0
    if entities.brands or entities.models:
        scores["product_inquiry"] += 0.8
    if entities.price_range:
        scores["product_inquiry"] += 1.2
    return scores


def _confidence(scores: dict[str, float]) -> tuple[str, float]:
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top <= 0:
        return "general_inquiry", 0.2
    margin = 1 / (1 + math.exp(-2.0 * (top - second)))  # how clearly the best beats the runner-up
    strength = min(1.0, 0.55 + top / 4)  # how much evidence there is at all
    return best, round(margin * strength, 3)


def classify(text: str) -> IntentInfo:
    """The intent of one customer message, with entities and a confidence in [0, 1]."""
    norm = normalize(text)
    entities = extract(text)
    rules_only = rule_scores(norm, entities)
    scores = dict(rules_only)
    votes, nearest = neighbour_votes(norm)
    for intent, vote in votes.items():
        scores[intent] += vote
    intent, confidence = _confidence(scores)
    if intent in HANDOFF_INTENTS and rules_only[intent] == 0:
        # Never hand a customer to a person on resemblance alone: ask the model instead.
        confidence = min(confidence, CONFIDENCE_THRESHOLD - 0.05)
    if not any(rules_only.values()) and nearest < UNFAMILIAR_SIMILARITY:
        # No rule fired and nothing labelled looks like it (gibberish, off-topic): not sure.
        confidence = min(confidence, CONFIDENCE_THRESHOLD - 0.05)
    return IntentInfo(
        primary_intent=intent,
        confidence=confidence,
        entities=entities.model_dump(exclude_defaults=True, mode="json"),
        requires_handoff=intent in HANDOFF_INTENTS and confidence >= CONFIDENCE_THRESHOLD,
        target_agent=INTENT_AGENT[intent],
        scores=scores,
    )


EXAMPLES_PATH = DATA_ROOT / "ecommerce" / "router_examples.jsonl"
NEIGHBOURS = 8
NEIGHBOUR_WEIGHT = 8.0
MIN_SIMILARITY = 0.2
UNFAMILIAR_SIMILARITY = 0.45  # below this, with no rule evidence, a message is unlike anything labelled


@functools.cache
def _example_index() -> tuple[list[str], np.ndarray] | None:
    """Labels and embeddings of the labelled examples; None when the embedder is not installed."""
    from tools.shop import embeddings

    if not (embeddings.default_models_dir() / embeddings.MODEL_FILENAME).exists():
        log.warning("router: offline embedder not installed; using rules only (run `python -m tools.shop.embeddings`)")
        return None
    rows = [json.loads(line) for line in EXAMPLES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = np.array(embeddings.UseEmbedder()([normalize(r["text"]) for r in rows]), dtype=np.float32)
    return [r["intent"] for r in rows], vectors


def neighbour_votes(norm: str) -> tuple[dict[str, float], float]:
    """Similarity-weighted votes of the closest labelled examples (vectors are L2-normalized),
    and the similarity of the closest one (1.0 when the embedder is missing: rules decide alone)."""
    index = _example_index()
    if index is None or not norm:
        return {}, 1.0
    from tools.shop.embeddings import UseEmbedder

    labels, vectors = index
    query = np.asarray(UseEmbedder()([norm])[0], dtype=np.float32)
    similarities = vectors @ query
    votes: dict[str, float] = {}
    for i in np.argsort(-similarities)[:NEIGHBOURS]:
        if similarities[i] >= MIN_SIMILARITY:
            votes[labels[i]] = votes.get(labels[i], 0.0) + NEIGHBOUR_WEIGHT * float(similarities[i]) / NEIGHBOURS
    return votes, float(similarities.max())
