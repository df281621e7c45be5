"""Sloppy-model mode: the replay's tool calls, perturbed the way small local models get them wrong.

`SloppyPolicy(policy, seed)` wraps a scripted-model policy. Each tool call the
policy makes is, with probability `rate`, changed in one way chosen with a seeded
`random.Random` among the ways that apply to it:

- misspelled: a word of the item / product / query loses or swaps a letter
- size_words: the size written another way ("grande" -> "familiar", "gde")
- quantity_words: the quantity as a word or string (2 -> "dos")
- order_number: the order number as "#4581230", "nro 4581230", "4.581.230"
- unknown_tool: a made-up tool name (camelCase, "functions." prefix...)
- repeated_call: the same call twice in the batch
- missing_argument: the required argument left out

and the shop-agnostic habits of real small models (`HABIT_WEIGHTS`, `_habit_variants`):

- text_call: the call written as text in the content (a JSON object, a JSON list or
  Qwen's `<tool_call>` tags) instead of a function call
- repeated_turn: after the call's result came back, the same call again
- foreign_tool: a tool of another specialist of the same agent instead
- text_instead: "¡Listo!" as text instead of the (single) call; asked again, the call

After an unknown or foreign tool or a missing argument, the tool's error goes back to
the model, and the sloppy model does what a real one does: it retries the intended
call once. Every change is recorded in `perturbations` for the report.

The shop's kinds (`SHOP_WEIGHTS`, what a real 1.5B model did to the shop):

- coupon_unasked: promotions listed -> a coupon redeemed nobody asked to use
- staff_tool: the customer's own orders -> the staff-only `lookup_any_order`
- min_for_max: "menos de 1.500 lucas" -> `min_price` instead of `max_price`
- pesos_for_dollars: "menos de 100 dólares" -> `max_price="100"`, as if pesos

Each leaves the call's outcome as it was when the shop absorbs it, so a shop case hit by
one is also held to the clean replay's reply of that turn (`shop_differences`).

The pizzeria's kinds (`ORDER_WEIGHTS`, what a real 1.5B model did to orders; the order
specialist's cross-check, `tools.pizzeria.crosscheck`, absorbs each):

- name_number: the number inside an item's name as its quantity ("cuatro quesos" -> quantity "cuatro")
- duplicate_spelling: the add sent again under another spelling, quantity 1 ("muzza" x2 + "muzzza" x1)
- left_out: of two items named in one add, only the first is sent
- default_quantity: a change of size sent with quantity=1 (a small model's default)
- text_only: "¡Listo!" as text instead of the call, and the same text when asked again
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from typing import Any

from eval.replay import failed
from eval.report import CaseResult, Perturbation, StateMismatch, ToolCall
from tools.llm.scripted import Policy, Reply, View
from tools.pizzeria.menu import load_menu
from tools.pizzeria.resolver import find_mentions, mention_tokens, parse_quantity_word
from tools.shop.entities import extract, foreign_currency

SIZE_WORDS: dict[str, list[str]] = {
    "grande": ["familiar", "gde", "Grande", "grandes", "grande (8 porciones)"],
    "chica": ["individual", "chiquita", "pequeña", "chicas"],
    "mediana": ["mediano", "med", "Mediana", "6 porciones"],
    "1,5 L": ["1.5 litros", "litro y medio", "1,5lts", "1.5L"],
    "unidad": ["unidades", "c/u"],
    "docena": ["doc", "docenas"],
}
QUANTITY_WORDS = {1: ["una", "un", "1"], 2: ["dos", "2", "un par"], 3: ["tres", "3"], 6: ["seis", "media docena"],
                  12: ["doce", "una docena"]}
REQUIRED = ("item", "query", "order_number", "code", "sku", "skus", "subject")
"""Arguments without a default in our tools; `missing_argument` drops the first one present."""
HABIT_WEIGHTS = {"text_call": 2, "repeated_turn": 1, "foreign_tool": 1, "text_instead": 1}
"""What real small models do (issue 12): absorbed in code by `tools.llm.absorb` and the guards."""
WEIGHTS = {"misspelled": 3, "size_words": 3, "quantity_words": 3, "order_number": 3,
           "unknown_tool": 1, "repeated_call": 1, "missing_argument": 1, **HABIT_WEIGHTS}
SHOP_WEIGHTS = {"coupon_unasked": 3, "staff_tool": 3, "min_for_max": 3, "pesos_for_dollars": 3}
ORDER_WEIGHTS = {"name_number": 3, "duplicate_spelling": 3, "left_out": 3, "default_quantity": 3, "text_only": 2}
ALL_WEIGHTS = WEIGHTS | SHOP_WEIGHTS | ORDER_WEIGHTS
KINDS = (*WEIGHTS, *SHOP_WEIGHTS, *ORDER_WEIGHTS)
RETRIED = ("unknown_tool", "missing_argument", "foreign_tool")
"""Kinds whose tool error makes the sloppy model send the intended call again."""

Call = tuple[str, dict[str, Any]]
TEXT = "(text)"
"""Pseudo tool name: the perturbed call is said as this text instead of called."""


def misspell(text: str, rng: random.Random) -> str | None:
    """One word of 5+ letters with a letter dropped or two swapped (never the first letter)."""
    words = [m for m in re.finditer(r"[^\W\d_]{5,}", text)]
    if not words:
        return None
    word = rng.choice(words)
    w, i = word.group(0), rng.randrange(1, len(word.group(0)) - 1)
    typo = w[:i] + w[i + 1:] if rng.random() < 0.5 else w[:i] + w[i + 1] + w[i] + w[i + 2:]
    if typo == w:  # swapping two equal letters changes nothing: drop one instead
        typo = w[:i] + w[i + 1:]
    return text[:word.start()] + typo + text[word.end():]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _variants(name: str, args: dict[str, Any], rng: random.Random) -> dict[str, Call | list[Call]]:
    """Every perturbation that applies to this call: kind -> the call(s) sent instead."""
    found: dict[str, Call | list[Call]] = {
        "unknown_tool": (rng.choice([_camel(name), f"functions.{name}", name.replace("_", "")]), dict(args)),
        "repeated_call": [(name, dict(args)), (name, dict(args))],
    }
    text_key = next((k for k in ("item", "query") if isinstance(args.get(k), str)), None)
    typo = misspell(args[text_key], rng) if text_key else None
    if text_key and typo:
        found["misspelled"] = (name, args | {text_key: typo})
    if args.get("size") in SIZE_WORDS:
        found["size_words"] = (name, args | {"size": rng.choice(SIZE_WORDS[args["size"]])})
    if args.get("quantity") in QUANTITY_WORDS:
        found["quantity_words"] = (name, args | {"quantity": rng.choice(QUANTITY_WORDS[args["quantity"]])})
    if str(args.get("order_number", "")).isdigit():
        number = str(args["order_number"])
        spelled = rng.choice([f"#{number}", f"nro {number}", f"pedido nro. {number}", f"{int(number):,}".replace(",", ".")])
        found["order_number"] = (name, args | {"order_number": spelled})
    required = next((k for k in REQUIRED if k in args), None)
    if required:
        found["missing_argument"] = (name, {k: v for k, v in args.items() if k != required})
    return found


def written_call(name: str, args: dict[str, Any], rng: random.Random) -> str:
    """The call as a small model writes it in its text: a JSON object, a list of one, or Qwen's tags."""
    call = json.dumps({"name": name, "arguments": args}, ensure_ascii=False)
    return rng.choice([call, f"[{call}]", f"<tool_call>\n{call}\n</tool_call>"])


def _habit_variants(name: str, args: dict[str, Any], rng: random.Random, foreign: Sequence[str],
                    single: bool) -> dict[str, Call | list[Call]]:
    """The habits of real small models that apply to this call (see `HABIT_WEIGHTS`)."""
    found: dict[str, Call | list[Call]] = {
        "text_call": (TEXT, {"text": written_call(name, args, rng)}),
        "repeated_turn": (name, dict(args)),  # sent as is; the repeat comes after its result
    }
    if foreign:
        found["foreign_tool"] = (rng.choice(list(foreign)), dict(args))
    if single:
        found["text_instead"] = (TEXT, {"text": rng.choice(["¡Listo! Ya está.", "Listo, ya lo hice.", "Hecho 👍"])})
    return found


class SloppyPolicy:
    """A policy whose tool calls are perturbed; see the module docstring."""

    def __init__(self, policy: Policy, seed: int | str, rate: float = 0.5, kinds: tuple[str, ...] = KINDS,
                 tools: Sequence[str] = ()) -> None:
        self.policy = policy
        self.rng = random.Random(seed)
        self.rate = rate
        self.kinds = kinds
        self.tools = tuple(tools)  # every tool of the agent: another specialist's are the foreign ones
        self.perturbations: list[Perturbation] = []
        self._retry: list[Call] = []  # intended calls to make again once their error comes back
        self._again: list[Call] = []  # calls to repeat once their result came back (repeated_turn)
        self._instead: list[Call] = []  # calls said as text; made when asked again (text_instead)
        self._stubborn: str | None = None  # text said again when asked again (text_only)
        self._relay_from = 0  # tool messages before this index were errors the retry fixed

    def __call__(self, view: View) -> Reply | None:
        if not view.responses:
            if view.nudged and self._instead:
                calls, self._instead = self._instead, []
                return Reply(calls=calls)
            if view.nudged and self._stubborn:
                return Reply.say(self._stubborn)
            self._retry, self._again, self._instead, self._relay_from, self._stubborn = [], [], [], 0, None
        elif self._retry and any(failed(r) for _, r in view.responses):
            retry, self._retry = [c for c in self._retry if c[0] in view.tools], []
            if retry:
                self._relay_from = len(view.responses)
                return Reply(calls=retry)
        elif self._again:
            again, self._again = self._again, []
            return Reply(calls=again)
        reply = self.policy(view)
        if reply is None:
            return self._relay(view) if self._relay_from else None
        if not reply.calls or not view.tools:  # text, or a classification answer: nothing to perturb
            return reply
        single = len(reply.calls) == 1
        sent = [c for name, args in reply.calls for c in self._perturb(name, args, view, single)]
        texts = [str(args["text"]) for name, args in sent if name == TEXT]
        calls = [(name, args) for name, args in sent if name != TEXT]
        return Reply(calls=calls, text="\n".join([*([reply.text] if reply.text else []), *texts]) or None)

    def _perturb(self, name: str, args: dict[str, Any], view: View, single: bool) -> list[Call]:
        foreign = [t for t in self.tools if t not in view.tools]
        variants = (_variants(name, args, self.rng) | _habit_variants(name, args, self.rng, foreign, single)
                    | shop_variants(name, args, view.user_text) | order_variants(name, args, self.rng, single))
        options = {k: v for k, v in variants.items() if k in self.kinds}
        if not options or self.rng.random() >= self.rate:
            return [(name, args)]
        kind = self.rng.choices(list(options), weights=[ALL_WEIGHTS[k] for k in options])[0]
        sent = options[kind]
        calls = sent if isinstance(sent, list) else [sent]
        sent_call = ToolCall(name=calls[0][0], args=calls[0][1])
        self.perturbations.append(Perturbation(kind=kind, tool=name, before=args, sent=sent_call))
        if kind in RETRIED:
            self._retry.append((name, args))
        elif kind == "repeated_turn":
            self._again.append((name, args))
        elif kind == "text_instead":
            self._instead.append((name, args))
        elif kind == "text_only":
            self._stubborn = str(calls[0][1]["text"])
        return calls

    def _relay(self, view: View) -> Reply:
        """After a retry: say what the retried calls answered, not the errors before them."""
        return Reply.say(" ".join(m for m in view.messages()[self._relay_from:] if m) or "Listo.")


# --------------------------------------------------------------------------- the pizzeria's mistakes


def order_variants(name: str, args: dict[str, Any], rng: random.Random, single: bool) -> dict[str, Call | list[Call]]:
    """The pizzeria's perturbations (`ORDER_WEIGHTS`) that apply to this order call."""
    found: dict[str, Call | list[Call]] = {}
    item = args.get("item")
    if name == "change_item" and args.get("quantity") in (None, ""):
        found["default_quantity"] = (name, args | {"quantity": 1})
    if name != "add_item_to_order" or not isinstance(item, str):
        return found
    menu = load_menu()
    mentions = find_mentions(item, menu)
    numbered = next((w for m in mentions for w in mention_tokens(menu.item(m.item_id).name) if parse_quantity_word(w)), None)
    if numbered:
        found["name_number"] = (name, args | {"quantity": numbered})
    if mentions and (typo := misspell(menu.item(mentions[0].item_id).name, rng)):
        found["duplicate_spelling"] = [(name, dict(args)), (name, {"item": typo, "quantity": 1})]
    if len(mentions) >= 2:
        found["left_out"] = (name, args | {"item": " ".join(mention_tokens(item)[:mentions[1].start])})
    if single:
        found["text_only"] = (TEXT, {"text": rng.choice(["¡Listo, ya lo anoté!", "Perfecto, agregado 👍"])})
    return found


# --------------------------------------------------------------------------- the shop's mistakes

SHOP_COUPON = "BIENVENIDA10"
"""A coupon every seeded basic customer may use once: redeeming it unasked spends it."""
SOMEONE_ELSES_ORDER = "4581231"


def shop_variants(name: str, args: dict[str, Any], said: str) -> dict[str, Call]:
    """The shop's perturbations that apply to this call, given what the customer said this turn."""
    found: dict[str, Call] = {}
    if name == "my_promotions":
        found["coupon_unasked"] = ("redeem_coupon_code", {"code": args.get("code") or SHOP_COUPON})
    if name in ("track_order", "my_recent_orders"):
        found["staff_tool"] = ("lookup_any_order", {"order_number": args.get("order_number") or SOMEONE_ELSES_ORDER})
    if name == "search_catalog":
        bounds = extract(said).price_range
        amount = bounds.max if bounds else None
        if amount is not None and foreign_currency(said):
            found["pesos_for_dollars"] = (name, args | {"max_price": str(int(amount)) if amount == int(amount) else str(amount)})
        elif amount is not None:
            found["min_for_max"] = (name, {k: v for k, v in args.items() if k != "max_price"} | {"min_price": str(int(amount))})
    return found


def shop_differences(result: CaseResult, replay: CaseResult) -> dict[str, StateMismatch]:
    """A turn a shop mistake hit must read as the clean replay's: the shop absorbed the mistake."""
    found: dict[str, StateMismatch] = {}
    for p in result.perturbations:
        if p.kind not in SHOP_WEIGHTS:
            continue
        intended = ToolCall(name=p.tool, args=p.before)
        for n, (turn, clean) in enumerate(zip(result.turns, replay.turns, strict=True)):
            if intended in turn.expected_calls and turn.reply != clean.reply:
                found[f"turn {n} reply after {p.kind} (as in replay)"] = StateMismatch(got=turn.reply, want=clean.reply)
    return found


def differences_from_replay(result: CaseResult, replay: CaseResult) -> dict[str, StateMismatch]:
    """What a sloppy run did differently from the clean replay of the same case: the orders
    saved, and how each turn's tools ended (a doubled item or a lost line shows up here even
    when the case's final state does not check it)."""
    found: dict[str, StateMismatch] = {}
    if result.saved_orders != replay.saved_orders:
        found["saved orders (as in replay)"] = StateMismatch(got=result.saved_orders, want=replay.saved_orders)
    for n, (turn, clean) in enumerate(zip(result.turns, replay.turns, strict=True)):
        if turn.outcome != clean.outcome:
            found[f"turn {n} tool outcome (as in replay)"] = StateMismatch(got=turn.outcome, want=clean.outcome)
    return found | shop_differences(result, replay)
