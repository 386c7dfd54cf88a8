"""Seeded generation for the fault campaign: scenarios, faults, kills and clock steps.

Everything comes from one ``random.Random(seed)``, so a failing case is replayed by its
seed alone (``python -m tests.reliability.campaign --seed N``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

NOW = datetime.fromisoformat("2026-06-20T12:00:00+00:00")
ACCOUNTS = (
    {"email": "buyer@example.com", "password": "buyer-pass-2026", "name": "Alex"},
    {"email": "other@example.com", "password": "other-pass-2026", "name": "Sam"},
)
STORES = ("Sunrise Electronics Store", "TechNest Accessories", "Casa Linen Shop", "Kite Toys")
ITEMS = (
    ("Wireless Bluetooth 5.3 Earbuds", "12.99"),
    ("USB-C Fast Charging Cable 2m", "3.20"),
    ("Linen Cushion Cover 45x45", "7.45"),
    ("Stunt Kite with 30 m Line", "18.00"),
)
#: States an order can start in, with the weight of each in a generated scenario.
STATES = {
    "awaiting_payment": 2,
    "payment_verifying": 1,
    "awaiting_shipment": 5,
    "cancellation_requested": 1,
    "cancellation_rejected": 1,
    "shipped": 1,
    "shipment_canceled": 1,
    "closed": 1,
    "completed": 1,
}
#: The three portals a seed can pick: (skin, locale).
SKINS: dict[str, tuple[str, str]] = {
    "accessible": ("accessible", "en"),
    "real": ("real", "en"),
    "real-es": ("real", "es"),
}
#: Where a fault can aim, per skin family: how the portal matches the request, and what in
#: the journal proves the command made it (``evidence``, see ``Reach``). Every target is
#: the command's first such request (``skip`` 0 unless the evidence can count further).
TARGETS: dict[str, dict[str, dict[str, Any]]] = {
    "accessible": {
        "detail": {"path": r"^/orders/\d{16}$"},
        "thread": {"path": r"^/p/message/index\.html$"},
        "cancel": {"path": r"^/orders/\d{16}/cancel$", "method": "POST"},
        "send": {"path": r"^/p/message/send$", "method": "POST"},
    },
    "real": {
        "detail": {"path": r"^/p/order/detail\.html$"},
        "detail_json": {"api": "detail"},
        "thread": {"path": r"^/p/message/index\.html$"},
        "thread_json": {"api": "thread"},
        "cancel": {"api": "operation", "method": "POST"},
        "send": {"api": "send", "method": "POST"},
    },
}
#: What proves a command reached a target: observations (a detail page read), cancel
#: attempts (the cancel was clicked), message attempts (the thread opened, the send clicked).
EVIDENCE = {
    "detail": "observed",
    "detail_json": "observed",
    "thread": "messages",
    "thread_json": "messages",
    "cancel": "cancels",
    "send": "messages",
}
#: Fault kinds a seed draws, per skin family (names of the generator, see ``kind_of`` for
#: what the portal logs).
FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "accessible": (
        "http",
        "slow",
        "hang",
        "drop",
        "expire",
        "seller",
        "challenge",
        "request_dropped",
        "slow_mask",
        "slow_modal",
    ),
    "real": (
        "http",
        "slow",
        "json_http",
        "json_slow",
        "hang",
        "drop",
        "expire",
        "seller",
        "challenge",
        "request_dropped",
        "slow_mask",
        "slow_modal",
    ),
}
#: Faults that never stop a command from reaching a later step (allowed with a kill point).
BENIGN = ("slow", "json_slow", "slow_mask", "slow_modal", "expire")
#: Where a command is SIGKILLed: at a random moment; when the portal receives the first
#: cancel or the first message; between the cancel dialog's steps (the flow logs each one,
#: ``MODAL_STEPS``); "modal_answer" is after "Submit", before the answer to the report
#: question (the attempt may or may not be journaled yet: the last instant before the click).
KILL_POINTS = (
    "random",
    "post_cancel",
    "post_message",
    "modal_open",
    "modal_request",
    "modal_reason",
    "modal_answer",
)
#: The line the flow logs (``-v``) when the dialog reaches each step (flows/cancel.py).
MODAL_STEPS = {
    "modal_open": "cancel dialog: opened",
    "modal_request": "cancel dialog: cancellation requested",
    "modal_reason": "cancel dialog: reason chosen",
    "modal_answer": "cancel dialog: report question shown",
}
#: Kill points reached only when the command cancels a paid order (request and report).
PAID_ONLY = {"modal_request", "modal_answer", "post_message"}
UNPAID = ("awaiting_payment", "payment_verifying")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _order(rng: random.Random, number: int, account: str, state: str) -> dict[str, Any]:
    placed = NOW - timedelta(hours=rng.uniform(30, 24 * 6))
    title, price = rng.choice(ITEMS)
    order: dict[str, Any] = {
        "id": f"82112795210{number:05d}",
        "account": account,
        "state": state,
        "placed_at": _iso(placed),
        "store": rng.choice(STORES),
        "items": [{"title": title, "price": price, "qty": rng.randint(1, 3)}],
        "seller": {
            "on_cancel": rng.choice(["accept", "accept", "reject", "ignore", "ship"]),
            "answer_after_hours": rng.choice([1, 12, 30, 60]),
            "replies": [{"after_hours": rng.choice([2, 20]), "text": "We got your message."}]
            if rng.random() < 0.6
            else [],
        },
        "refund_days": [0, rng.choice([1, 3]), rng.choice([5, 7])],
    }
    if state != "awaiting_payment":
        order["paid_at"] = _iso(placed + timedelta(minutes=3))
    if state == "payment_verifying":
        order["paid_at"] = _iso(NOW - timedelta(minutes=1))
    if state == "awaiting_shipment" and rng.random() < 0.3:
        order["cancel_button_delay_hours"] = 24
        order["paid_at"] = _iso(NOW - timedelta(hours=rng.uniform(1, 20)))
    if state in ("cancellation_requested", "cancellation_rejected"):
        order["requested_at"] = _iso(NOW - timedelta(hours=10))
        order["requested_reason"] = "Other reason(s)"
    if state in ("shipped", "shipment_canceled", "completed"):
        order["shipped_at"] = _iso(placed + timedelta(hours=20))
    if state == "closed":
        order["closed_reason"] = rng.choice(["seller_cancelled", "seller_accepted"])
        order["closed_at"] = _iso(NOW - timedelta(hours=5))
    if state == "shipped" and rng.random() < 0.5:
        order["tracking"] = {"fails_after_hours": rng.choice([24, 100])}
    return order


@dataclass
class Step:
    """One CLI command of a case, the faults live while it runs, and whether it is killed.

    Every fault carries a ``label``; ``aims`` maps it to its target (``TARGETS``), so the
    campaign can tell a fault the command never reached from one that did not fire.
    """

    command: tuple[str, ...]
    advance_days: float = 0
    faults: list[dict[str, Any]] = field(default_factory=list)
    kill: str | None = None  # a KILL_POINTS name; None: let it finish
    kill_after: float | None = None  # seconds, for kill == "random"
    aims: dict[str, str] = field(default_factory=dict)  # fault label -> target

    def requests_needed(self, label: str, fired: set[str]) -> int:
        """How many requests of a fault's target the command must make to be sure to meet it.

        A fired "before" fault that answers in the app's place (an error, a hang, a drop)
        takes the request it meets, so an "after" fault at the same target waits for the
        next one: after a 502 on the cancel POST, never sent twice, it cannot fire.
        """
        from mock_site.faults import answers_in_place

        fault = next(f for f in self.faults if f["label"] == label)
        taken = 0
        if fault["when"] == "after":
            taken = sum(
                1
                for f in self.faults
                if f["label"] in fired
                and f["when"] == "before"
                and self.aims[f["label"]] == self.aims[label]
                and answers_in_place(f)
            )
        return fault.get("skip", 0) + taken + 1


@dataclass
class CaseSpec:
    """A generated case: the portal (skin), its scenario, the orders asked for, the steps."""

    seed: int
    skin: str  # a SKINS key
    scenario: dict[str, Any]
    asked: dict[str, list[str]]  # account -> orders given to `cancel`
    steps: list[Step]

    @property
    def asked_ids(self) -> set[str]:
        return {order for orders in self.asked.values() for order in orders}

    @property
    def family(self) -> str:
        """The markup family: "accessible" or "real" (both locales)."""
        return SKINS[self.skin][0]

    def planned(self) -> tuple[set[str], set[str]]:
        """What the case covers: fault kinds (as the portal logs them) and kill points."""
        from mock_site.faults import Fault, kind_of

        kinds = {
            kind_of(Fault.model_validate(f).model_dump()) for s in self.steps for f in s.faults
        }
        return kinds, {s.kill for s in self.steps if s.kill}

    def kill_points_left(self, step: Step, fired: set[str]) -> set[str]:
        """The kill points ``step`` can still reach, once earlier steps' faults have fired.

        Its points are planned from its orders' first states; a seller who ships or cancels
        one of them first (a fault fired in an earlier command) takes that order's away.
        """
        earlier = self.steps[: next(i for i, s in enumerate(self.steps) if s is step)]
        gone = {
            fault["seller"]["order"]
            for s in earlier
            for fault in s.faults
            if fault["label"] in fired and fault.get("seller", {}).get("do") in ("ship", "cancel")
        }
        ids = [i for i in step.command[3:] if i not in gone]
        return set(kill_points(_orders_of(self.scenario, ids)))


#: Coverage classes: the portal's fault kinds with the status and the seller's act folded.
def coverage_class(kind: str) -> str:
    """``http_502_after`` -> ``http_after``, ``seller_ship`` -> ``seller``, else the kind."""
    parts = kind.split("_")
    if kind.startswith("json_http_"):
        return f"json_http_{parts[-1]}"
    if kind.startswith("http_"):
        return f"http_{parts[-1]}"
    if kind.startswith("seller_"):
        return "seller"
    return kind


#: What the CI seeds must cover between them, per skin family.
REQUIRED_FAULTS: dict[str, set[str]] = {
    "accessible": {
        "http_before",
        "http_after",
        "slow",
        "hang",
        "drop",
        "expire_sessions",
        "seller",
        "challenge_captcha",
        "challenge_code",
        "request_dropped",
        "slow_mask",
        "slow_modal",
    },
}
REQUIRED_FAULTS["real"] = REQUIRED_FAULTS["accessible"] | {
    "json_http_before",
    "json_http_after",
    "json_slow",
}


def _orders_of(scenario: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:
    return [o for o in scenario["orders"] if o["id"] in ids]


def _paid_cancellable(order: dict[str, Any]) -> bool:
    return order["state"] == "awaiting_shipment" and "cancel_button_delay_hours" not in order


def random_fault(
    rng: random.Random,
    family: str,
    scenario: dict[str, Any],
    asked: list[str],
    kinds: tuple[str, ...],
    taken: set[tuple[str, str]],
) -> tuple[dict[str, Any], str] | None:
    """One fault of a kind in ``kinds`` at a target the step has not used yet (or None)."""
    targets = TARGETS[family]
    pages = [t for t in ("detail", "thread") if t in targets]
    posts = ["cancel", "send"]
    apis = [t for t, v in targets.items() if "api" in v]
    kind = rng.choice(kinds)
    fault: dict[str, Any] = {"times": 1}
    when = "before"
    if kind == "http":
        target = rng.choice(pages + (posts if family == "accessible" else []))
        when = rng.choice(["before", "after"])
        fault.update(status=rng.choice([500, 502, 503]))
    elif kind == "json_http":
        target = rng.choice(apis)
        when = rng.choice(["before", "after"])
        fault.update(status=rng.choice([500, 502, 503]))
    elif kind == "slow":
        target = rng.choice(pages)
        fault.update(delay_ms=rng.randint(300, 2500), times=rng.randint(1, 3))
    elif kind == "json_slow":
        target = rng.choice(apis)
        fault.update(delay_ms=rng.randint(300, 2500))
    elif kind == "hang":
        target = rng.choice(pages + posts)
        when = "after" if target in posts and rng.random() < 0.5 else "before"
        fault.update(hang=True)
    elif kind == "drop":
        # Not "after" on a POST: Chromium itself resends a POST whose reused connection
        # closed without an answer, so the change would be applied twice by one click
        # (docs/reliability.md, open issues). Pages may drop after, POSTs before.
        target = rng.choice(pages + posts)
        when = "before" if target in posts else rng.choice(["before", "after"])
        fault.update(drop=True)
    elif kind == "expire":
        target = rng.choice(["detail", *(["detail_json"] if family == "real" else [])])
        when = rng.choice(["before", "after"])
        fault.update(expire_sessions=True)
    elif kind == "seller":
        what = rng.choice(["accept", "reject", "ship", "cancel", "reply"])
        target = "cancel" if what != "reply" else rng.choice(posts)
        when = rng.choice(["before", "after"])
        fault.update(seller={"order": rng.choice(asked), "do": what})
    elif kind == "challenge":
        target = rng.choice(pages)
        email = rng.choice(scenario["accounts"])["email"]
        fault.update(expire_sessions=True, email=email, challenge=rng.choice(["captcha", "code"]))
    elif kind == "request_dropped":
        target = "detail"
        paid = [o["id"] for o in _orders_of(scenario, asked) if _paid_cancellable(o)]
        order = rng.choice(paid or asked)
        if rng.random() < 0.5:
            fault.update(drop_request=order)
        else:
            fault.update(seller={"order": order, "do": "drop"})
    elif kind == "slow_mask":
        target = "detail"
        fault.update(mask_ms=rng.randint(800, 2500))
    else:  # slow_modal
        target = "detail"
        fault.update(fade_ms=rng.randint(600, 2000))
    if (target, when) in taken:
        return None
    taken.add((target, when))
    fault.update(targets[target], when=when)
    return fault, target


def generate(seed: int) -> CaseSpec:
    """The whole case for ``seed``: its portal, 1-2 accounts, 3-6 orders, 3-5 commands."""
    rng = random.Random(seed)
    skin = rng.choice(list(SKINS))
    accounts = [dict(a) for a in ACCOUNTS[: rng.choice([1, 1, 2])]]
    states = list(STATES)
    weights = [STATES[s] for s in states]
    orders = [
        _order(rng, seed % 1000 * 10 + n, rng.choice(accounts)["email"], state)
        for n, state in enumerate(rng.choices(states, weights, k=rng.randint(3, 6)))
    ]
    nuisances: dict[str, Any] = {}
    if rng.random() < 0.5:
        nuisances["promo_popup_delay_ms"] = rng.choice([0, 150, 400, 900])
    if rng.random() < 0.3:
        nuisances["cookie_banner"] = True
    if rng.random() < 0.3:
        nuisances["chat_bubble"] = True
    scenario = {
        "name": f"campaign-{seed}",
        "now": _iso(NOW),
        "accounts": accounts,
        "orders": orders,
        "nuisances": nuisances,
    }
    asked: dict[str, list[str]] = {}
    for order in orders:
        if rng.random() < 0.75:
            asked.setdefault(order["account"], []).append(order["id"])
    if not asked:
        asked[orders[0]["account"]] = [orders[0]["id"]]
    every = [o for os_ in asked.values() for o in os_]
    family = SKINS[skin][0]
    steps = []
    for account, ids in asked.items():  # one to three `cancel` commands per account
        rest = list(ids)
        while rest:
            size = rng.choice([1, 2, 3])
            chunk, rest = rest[:size], rest[size:]
            steps.append(_cancel_step(rng, family, scenario, every, account, chunk))
    for days in rng.choice([(2, 14), (1, 4, 12), (16,)]):
        # What a run will do is up to the portal and the seller: only its first page read
        # is sure (when a case is due).
        steps.append(
            _step(
                rng,
                family,
                scenario,
                every,
                ("run",),
                days,
                FAULT_KINDS[family],
                ("detail", "detail_json"),
            )
        )
    for index, step in enumerate(steps):
        labelled = []
        for j, fault in enumerate(step.faults):
            label = f"step{index}.{j}"
            step.aims[label] = step.aims.pop(str(j))
            labelled.append({**fault, "label": label})
        step.faults = labelled
    return CaseSpec(seed, skin, scenario, asked, steps)


def kill_points(orders: list[dict[str, Any]]) -> list[str]:
    """The points a `cancel` of these orders surely reaches (in ``KILL_POINTS`` order)."""
    paid = any(_paid_cancellable(o) for o in orders)
    cancellable = paid or any(o["state"] in UNPAID for o in orders)
    messages = paid or any(o["state"] == "cancellation_rejected" for o in orders)
    points = ["random"]
    if cancellable:
        points += ["post_cancel", "modal_open", "modal_reason"]
    if paid:
        points += ["modal_request", "modal_answer"]
    if messages:
        points += ["post_message"]
    return points


def _cancel_step(
    rng: random.Random,
    family: str,
    scenario: dict[str, Any],
    every: list[str],
    account: str,
    ids: list[str],
) -> Step:
    """`cancel` for one account: sometimes killed at a point this command surely reaches."""
    command = ("cancel", "--account", account, *ids)
    points = kill_points(_orders_of(scenario, ids))
    cancellable, messages = "post_cancel" in points, "post_message" in points
    if rng.random() < 0.35:
        # Faults only at requests this command makes: a cancel if an order is cancellable,
        # the thread and the send if it writes to a seller.
        reach = ["detail", "detail_json"]
        reach += ["cancel"] if cancellable else []
        reach += ["thread", "thread_json", "send"] if messages else []
        return _step(rng, family, scenario, every, command, 0, FAULT_KINDS[family], tuple(reach))
    kill = rng.choice(points)
    if kill == "random":
        # No faults: the kill may come before any of them is reached.
        return Step(command, kill=kill, kill_after=rng.uniform(2.0, 6.0))
    # Only faults that cannot keep the command from the kill point, on the first page read.
    benign = tuple(k for k in BENIGN if k in FAULT_KINDS[family])
    step = _step(rng, family, scenario, every, command, 0, benign, ("detail", "detail_json"))
    step.kill = kill
    return step


def _step(
    rng: random.Random,
    family: str,
    scenario: dict[str, Any],
    asked: list[str],
    command: tuple[str, ...],
    advance_days: float,
    kinds: tuple[str, ...],
    targets: tuple[str, ...] | None = None,
) -> Step:
    step = Step(command, advance_days)
    taken: set[tuple[str, str]] = set()
    for _ in range(rng.choice([0, 1, 2, 2, 3])):
        made = random_fault(rng, family, scenario, asked, kinds, taken)
        if made is None or (targets is not None and made[1] not in targets):
            continue
        if step.faults and ("challenge" in made[0] or any("challenge" in f for f in step.faults)):
            continue  # a challenge stops the account: it is the step's only fault
        step.aims[str(len(step.faults))] = made[1]
        step.faults.append(made[0])
    return step
