"""The pizzeria's runtime data: customers (`clientes.json`) and orders (`pedidos.json`).

Both live in `PIZZERIA_DATA_DIR`; `clientes.json` is seeded from `data/pizzeria/`
on first use. Nothing under `data/` is written at run time.

Phones and addresses are stored encrypted (`tools.crypto`): a customer is filed under
the keyed hash of the session's user id (the phone), with the phone and address as
tokens; an order keeps its user id and address as tokens. The seed file is
plaintext, keyed by phone; it is encrypted as it is copied in. The records these
stores return are plaintext.

An order's status moves only forward (`NEXT_STATUS`), or to cancelled with a reason,
through `OrderStore.change_status`: the check and the change happen under the file's
lock in one atomic replace, and asking for a status the order already went through is
no change at all (two staff tapping the same button, a retried request).
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from tools.crypto import FieldCipher, get_cipher
from tools.jsonstore import JsonFile
from tools.settings import get_settings
from tools.text import clean_text

_HASH_KEY = re.compile(r"[0-9a-f]{64}")


class Customer(BaseModel):
    name: str
    phone: str | None = None
    address: str | None = None
    created_at: str | None = None

    @classmethod
    def from_stored(cls, record: dict[str, Any]) -> Customer:
        cipher = get_cipher()
        return cls.model_validate(record | {"phone": cipher.decrypt(record.get("phone")),
                                            "address": cipher.decrypt(record.get("address"))})


class OrderStatus(StrEnum):
    """Where a saved order is, as the kitchen moves it (and the customer reads it)."""

    RECEIVED = "recibido"
    COOKING = "en preparación"
    ON_THE_WAY = "en camino"
    DELIVERED = "entregado"
    CANCELLED = "cancelado"


NEXT_STATUS = {
    OrderStatus.RECEIVED: OrderStatus.COOKING,
    OrderStatus.COOKING: OrderStatus.ON_THE_WAY,
    OrderStatus.ON_THE_WAY: OrderStatus.DELIVERED,
}
"""The one forward step from each open status; any open order may also be cancelled (with a reason)."""
FINAL_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED})
MAX_REASON_CHARS = 200
DAY_STARTS_AT = time(6)  # a service day runs from 06:00 to 06:00 local time: the evening's orders past midnight stay "today"


class StatusRefused(ValueError):
    """A status change the order cannot take; the message is Spanish, for the staff who asked."""


class StatusChange(BaseModel):
    status: OrderStatus
    at: str  # ISO 8601, UTC
    by: str  # who moved it: a staff member's name, or "bot"
    reason: str | None = None  # why it was cancelled


class SavedOrder(BaseModel):
    order_id: int
    order_key: str
    user_id: str
    customer_name: str | None
    items: list[dict[str, Any]]
    total: int  # the items' total plus the delivery fee
    address: str
    created_at: str
    delivery_fee: int = 0  # the zone's fee (pizzeria.json), when the address names a zone
    zone: str | None = None
    payment_method: str | None = None  # as the customer chose it ("efectivo", "transferencia"...)
    channel: str | None = None  # where the order came from ("web", "whatsapp"): status changes are sent there
    session_id: str | None = None  # the service's conversation the order was placed in
    status: OrderStatus = OrderStatus.RECEIVED
    status_changes: list[StatusChange] = Field(default_factory=list)

    @property
    def next_status(self) -> OrderStatus | None:
        return NEXT_STATUS.get(self.status)

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    @classmethod
    def from_stored(cls, record: dict[str, Any]) -> SavedOrder:
        cipher = get_cipher()
        return cls.model_validate(record | {"user_id": cipher.decrypt(record["user_id"]),
                                            "address": cipher.decrypt(record["address"])})

    def stored(self) -> dict[str, Any]:
        cipher = get_cipher()
        return self.model_dump() | {"user_id": cipher.encrypt(self.user_id), "address": cipher.encrypt(self.address)}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def local_time(moment: str | float) -> datetime:
    """An ISO 8601 timestamp or epoch seconds in `PANEL_TIMEZONE` (what the staff read)."""
    when = datetime.fromtimestamp(moment, UTC) if isinstance(moment, int | float) else datetime.fromisoformat(moment)
    return when.astimezone(ZoneInfo(get_settings().panel_timezone))


def day_start(now: datetime | None = None) -> datetime:
    """When the current service day began (`DAY_STARTS_AT` in `PANEL_TIMEZONE`), as an aware datetime."""
    zone = ZoneInfo(get_settings().panel_timezone)
    local = (now or datetime.now(UTC)).astimezone(zone)
    start = datetime.combine(local.date(), DAY_STARTS_AT, zone)
    return start if local >= start else start - timedelta(days=1)


def _status_change(record: dict[str, Any], status: OrderStatus, by: str, reason: str | None) -> StatusChange | None:
    """The change `record` takes to reach `status`; None when it already went through it; raises StatusRefused."""
    current = OrderStatus(record.get("status", OrderStatus.RECEIVED))
    if status == current or status in {change["status"] for change in record.get("status_changes", [])}:
        return None
    if current in FINAL_STATUSES:
        raise StatusRefused(f"El pedido #{record['order_id']} ya está {current}.")
    reason = re.sub(r"\s+", " ", clean_text(reason or "")).strip()[:MAX_REASON_CHARS] or None
    if status == OrderStatus.CANCELLED:
        if reason is None:
            raise StatusRefused("Para cancelar un pedido hace falta el motivo.")
    elif status != NEXT_STATUS[current]:
        raise StatusRefused(f"El pedido #{record['order_id']} está {current}: el paso siguiente es {NEXT_STATUS[current]}.")
    else:
        reason = None
    by = re.sub(r"\s+", " ", clean_text(by)).strip()[:60] or "personal"
    return StatusChange(status=status, at=_now(), by=by, reason=reason)


def _sealed_customers(doc: dict[str, Any], cipher: FieldCipher, rehash: bool) -> dict[str, Any]:
    """`doc` with phones and addresses re-encrypted under the newest key.

    Entries still keyed by a plain phone (the seed file, runtime files from before
    encryption) are filed under its hash; with `rehash` every entry is re-filed.
    """
    sealed = {}
    for key, record in doc.items():
        plain_key = not _HASH_KEY.fullmatch(key)
        phone = key if plain_key else cipher.decrypt(record.get("phone"))
        new_key = cipher.lookup_hash(phone) if plain_key or (rehash and phone) else key
        sealed[new_key] = record | {"phone": cipher.rotate(phone), "address": cipher.rotate(record.get("address"))}
    return sealed


class CustomerStore:
    def __init__(self, data_dir: Path, seed_dir: Path) -> None:
        self.seed = seed_dir / "clientes.json"
        self.file = JsonFile(data_dir / "clientes.json", self._seeded)

    def _seeded(self) -> dict[str, Any]:
        if not self.seed.exists():
            return {}
        return _sealed_customers(json.loads(self.seed.read_text(encoding="utf-8")), get_cipher(), rehash=False)

    def get(self, user_id: str) -> Customer | None:
        record = self.file.read().get(get_cipher().lookup_hash(user_id))
        return Customer.from_stored(record) if record else None

    def register(self, user_id: str, name: str) -> Customer:
        """Create the customer, or rename an existing one."""
        cipher = get_cipher()
        key = cipher.lookup_hash(user_id)

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any], Customer]:
            record = doc.get(key) or {"phone": cipher.encrypt(user_id), "created_at": _now()}
            record["name"] = name
            doc[key] = record
            return doc, Customer.from_stored(record)

        return self.file.update(change)

    def remember_address(self, user_id: str, address: str) -> None:
        cipher = get_cipher()
        key = cipher.lookup_hash(user_id)

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, None]:
            if key not in doc:
                return None, None
            doc[key]["address"] = cipher.encrypt(address)
            return doc, None

        self.file.update(change)


class OrderStore:
    def __init__(self, data_dir: Path) -> None:
        self.file = JsonFile(data_dir / "pedidos.json", list)
        self._day: tuple[tuple[int, int, int, datetime], list[SavedOrder]] | None = None  # of_day's last answer

    def all(self) -> list[SavedOrder]:
        return [SavedOrder.from_stored(o) for o in self.file.read()]

    def of_day(self, now: datetime | None = None) -> list[SavedOrder]:
        """The service day's orders, and the previous day's still open ones, oldest first (only these are decrypted).

        The answer is kept until the file changes (every write replaces it: new inode), so
        boards polling an unchanged file cost one `stat`.
        """
        start = day_start(now)
        try:
            info = self.file.path.stat()
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size, start)
        except FileNotFoundError:
            stamp = None
        if stamp is not None and self._day is not None and self._day[0] == stamp:
            return list(self._day[1])
        open_since = (start - timedelta(days=1)).astimezone(UTC).isoformat()
        start_utc = start.astimezone(UTC).isoformat()
        day = [
            SavedOrder.from_stored(o)
            for o in self.file.read()
            if o["created_at"] >= start_utc
            or (o["created_at"] >= open_since and o.get("status", OrderStatus.RECEIVED) not in FINAL_STATUSES)
        ]
        if stamp is not None:
            self._day = (stamp, day)
        return list(day)

    def get(self, order_id: int) -> SavedOrder | None:
        for record in self.file.read():
            if record["order_id"] == order_id:
                return SavedOrder.from_stored(record)
        return None

    def change_status(self, order_id: int, status: OrderStatus, by: str,
                      reason: str | None = None) -> tuple[SavedOrder, StatusChange | None]:
        """Move the order to `status` (who, when, why kept in its history); return (order, the change or None).

        None means nothing was written: the order already went through `status`. A change
        the order cannot take (backwards, from a final status, a cancel without a reason,
        no such order) raises `StatusRefused`. Check and write are one locked atomic replace.
        """

        def change(orders: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, tuple[SavedOrder, StatusChange | None]]:
            for record in orders:
                if record["order_id"] == order_id:
                    made = _status_change(record, status, by, reason)
                    if made is None:
                        return None, (SavedOrder.from_stored(record), None)
                    record["status"] = made.status.value
                    record["status_changes"] = [*record.get("status_changes", []), made.model_dump(mode="json")]
                    return orders, (SavedOrder.from_stored(record), made)
            raise StatusRefused(f"No hay un pedido #{order_id}.")

        return self.file.update(change)

    def latest_for(self, user_id: str) -> SavedOrder | None:
        """The customer's most recent order (the one "¿cuánto falta?" is about), or None."""
        mine = [o for o in self.all() if o.user_id == user_id]
        return max(mine, key=lambda o: o.order_id) if mine else None

    def save_once(self, order_key: str, record: dict[str, Any]) -> tuple[SavedOrder, bool]:
        """Append the order unless one with `order_key` exists; return (order, created).

        The key check and the append happen under one lock and one atomic
        replace, so retries and concurrent sessions never write an order twice.
        """

        def change(orders: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, tuple[SavedOrder, bool]]:
            for existing in orders:
                if existing["order_key"] == order_key:
                    return None, (SavedOrder.from_stored(existing), False)
            order_id = max((o["order_id"] for o in orders), default=1000) + 1
            now = _now()
            received = StatusChange(status=OrderStatus.RECEIVED, at=now, by="bot")
            saved = SavedOrder.model_validate(
                {**record, "order_id": order_id, "order_key": order_key, "created_at": now, "status_changes": [received]}
            )
            return [*orders, saved.stored()], (saved, True)

        return self.file.update(change)


@functools.cache
def _stores(data_dir: Path, seed_dir: Path) -> tuple[CustomerStore, OrderStore]:
    return CustomerStore(data_dir, seed_dir), OrderStore(data_dir)


def customers() -> CustomerStore:
    settings = get_settings()
    return _stores(settings.pizzeria_data_dir, settings.pizzeria_seed_dir)[0]


def orders() -> OrderStore:
    settings = get_settings()
    return _stores(settings.pizzeria_data_dir, settings.pizzeria_seed_dir)[1]


def reseal_files(data_dir: Path, *, rehash: bool = False) -> dict[str, int]:
    """Re-encrypt the runtime files in `data_dir` under the newest key (`python -m tools.key_rotation rotate`).

    Each file is rewritten in one atomic replace under its lock; a missing file is
    skipped. Returns the entries handled per file.
    """
    cipher = get_cipher()

    def customers_change(doc: dict[str, Any]) -> tuple[dict[str, Any], int]:
        return _sealed_customers(doc, cipher, rehash), len(doc)

    def orders_change(saved: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        return [o | {"user_id": cipher.rotate(o["user_id"]), "address": cipher.rotate(o["address"])} for o in saved], len(saved)

    counts: dict[str, int] = {}
    for name, default, change in (("clientes.json", dict, customers_change), ("pedidos.json", list, orders_change)):
        file = JsonFile(data_dir / name, default)
        if file.path.exists():
            counts[name] = file.update(change)
    return counts
