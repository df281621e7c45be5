"""`python -m eval.real prefix`: measure llama-server's prompt (prefix) cache here.

Runs, with a ~2,200-token system prompt (a pizzeria's instructions and menu):

1. one slot: cold request, then the same system prompt with other user messages,
   then a request with `cache_prompt: false`;
2. one slot, two different system prompts alternating (each switch replaces the
   slot's cache; recent servers may restore it from their RAM prompt cache);
3. two slots (`-np 2`), the two prompts alternating without `id_slot` (the server
   picks a slot by prompt similarity, `--slot-prompt-similarity`), then with
   `id_slot` pinned per prompt.

Prints `prompt_n` (computed), `cache_n` (reused), prefill and generation rates per
request, with the load average (the machine is shared, so rates vary with load).
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from eval.real import say
from eval.real.server import LlamaServer, ServerConfig

MENU = [
    ("Muzzarella", "salsa de tomate, muzzarella y aceitunas verdes"),
    ("Napolitana", "muzzarella, rodajas de tomate, ajo y perejil"),
    ("Fugazzeta", "cebolla, muzzarella y orégano, sin salsa"),
    ("Calabresa", "muzzarella y longaniza calabresa picante"),
    ("Especial", "muzzarella, jamón cocido, morrones asados y huevo duro"),
    ("Cuatro quesos", "muzzarella, provolone, roquefort y parmesano"),
    ("Rúcula", "muzzarella, rúcula fresca, jamón crudo y parmesano"),
    ("Palmitos", "muzzarella, jamón, palmitos y salsa golf"),
    ("Anchoas", "salsa de tomate, anchoas, ajo y aceitunas negras"),
    ("Vegetariana", "muzzarella, berenjenas, zucchini, morrones y cebolla morada"),
]
RULES = [
    "Respondé siempre en español rioplatense, con frases cortas y amables.",
    "Antes de confirmar un pedido, repetí cada producto con su tamaño y cantidad.",
    "Si el cliente pide algo que no está en el menú, ofrecé la opción más parecida.",
    "Los envíos cubren un radio de tres kilómetros y tardan entre treinta y cuarenta y cinco minutos.",
    "El pago puede ser en efectivo, con tarjeta de débito o por transferencia.",
    "No inventes precios ni promociones: usá solamente los datos de este mensaje.",
    "Si el cliente quiere cancelar, preguntá si cancela todo el pedido o un solo producto.",
    "Pedí nombre y dirección solo cuando el pedido esté completo.",
]


def system_prompt(shop: str, seed: int) -> str:
    """A ~2,200-token system prompt (Qwen tokenizer); `seed` varies prices so two prompts differ early."""
    lines = [f"Sos el asistente virtual de la pizzería {shop}. Tomás pedidos por WhatsApp.", "", "Reglas:"]
    lines += [f"- {rule}" for rule in RULES]
    lines += ["", "Menú (precio chica / grande, en pesos):"]
    for i, (name, what) in enumerate(MENU):
        small = 7000 + 350 * ((i * 7 + seed) % 11)
        lines.append(f"- Pizza {name}: {what}. Chica ${small}, grande ${small + 3500}. Porción: ${small // 6}.")
        lines.append(f"  Sugerencia: acompañala con una bebida; la {name.lower()} se hornea en piedra.")
    lines += ["", "Bebidas: gaseosa 1,5 l $3500, agua 500 ml $1500, cerveza 1 l $5000."] * 3
    lines += ["Horario: de martes a domingo, de 19 a 24 h. Los lunes está cerrado."] * 3
    return "\n".join(lines) * 2


class Probe:
    """Sends chat requests to one server and prints one row of timings per request."""

    def __init__(self, server: LlamaServer, client: httpx.Client) -> None:
        self.server, self.client = server, client

    def tokens(self, text: str) -> int:
        response = self.client.post(self.server.base_url + "/tokenize", json={"content": text})
        return len(response.json()["tokens"])

    def ask(self, label: str, system: str, user: str, **extra: Any) -> dict[str, Any]:
        body = {
            "model": self.server.config.alias,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0, "max_tokens": 24, **extra,
        }  # fmt: skip
        response = self.client.post(self.server.api_base + "/chat/completions", json=body)
        response.raise_for_status()
        answer = response.json()
        t = answer["timings"]
        prefill = t["prompt_n"] / t["prompt_ms"] * 1000 if t["prompt_ms"] else 0.0
        gen = t["predicted_n"] / t["predicted_ms"] * 1000 if t["predicted_ms"] else 0.0
        details = (answer.get("usage") or {}).get("prompt_tokens_details")
        load = os.getloadavg()[0]
        say(
            f"{label:<34} prompt_n={t['prompt_n']:4} cache_n={t.get('cache_n', '?'):>4} "
            f"prompt_ms={t['prompt_ms']:7.0f} ({prefill:5.0f} tok/s) predicted_n={t['predicted_n']:3} "
            f"predicted_ms={t['predicted_ms']:6.0f} ({gen:4.1f} tok/s) usage.prompt={answer['usage']['prompt_tokens']} "
            f"details={details} load={load:.2f}"
        )
        return answer


USERS = ["Hola, ¿qué pizzas tienen?", "¿Hacen envíos a Palermo?", "¿Cuánto sale la napolitana grande?",
         "¿Aceptan transferencia?", "¿Abren los lunes?", "Quiero una fugazzeta chica"]  # fmt: skip


def _phase(name: str, slots: int, steps: list[tuple[str, str, str, dict[str, Any]]], model: str) -> None:
    config = ServerConfig.for_model(model, slots=slots, ctx_per_slot=4096)
    with LlamaServer(config) as server, httpx.Client(timeout=600) as client:
        probe = Probe(server, client)
        say(f"--- {name} (-np {slots}); server up in {server.startup_s:.1f} s; load {os.getloadavg()}")
        for label, system, user, extra in steps:
            probe.ask(label, system, user, **extra)


def run_prefix(model: str) -> int:
    a, b = system_prompt("La Esquina", 0), system_prompt("Don Pepe", 5)
    with LlamaServer(ServerConfig.for_model(model)) as server, httpx.Client(timeout=60) as client:
        say(f"system prompts: A={Probe(server, client).tokens(a)} tokens, B={Probe(server, client).tokens(b)} tokens")
    _phase("same system prompt, one slot", 1, [
        ("1 cold A", a, USERS[0], {}),
        ("2 A, other user message", a, USERS[1], {}),
        ("3 A, third user message", a, USERS[2], {}),
        ("4 A, cache_prompt=false", a, USERS[3], {"cache_prompt": False}),
        ("5 A after cache_prompt=false", a, USERS[4], {}),
    ], model)  # fmt: skip
    alternating = [(f"{i + 1} {'AB'[i % 2]}", (a, b)[i % 2], USERS[i], {}) for i in range(6)]
    _phase("A/B alternating, one slot", 1, alternating, model)
    _phase("A/B alternating, two slots, no id_slot", 2, alternating, model)
    pinned = [(f"{label} id_slot={i % 2}", s, u, {"id_slot": i % 2}) for i, (label, s, u, _) in enumerate(alternating)]
    _phase("A/B alternating, two slots, id_slot pinned", 2, pinned, model)
    return 0
