"""The portal's server-side state: orders, the simulated clock and the seller's behaviour.

Time only moves through `advance()`. Time-driven transitions (unpaid orders expiring, the
seller answering, the 15-day deadline, shipping, refund steps) are applied lazily by
`settle()`, which every reader calls first, so "now" can jump 20 days in one call.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .records import LoginGuard, Message, OrderRec, Record, Session
from .scenario import ClosedReason, Order, OrderState, Scenario, TrackingEvent

UNPAID_EXPIRY = timedelta(days=20)
SELLER_DEADLINE = timedelta(days=15)
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(hours=1)
PICKED_UP = "Shipment picked up by carrier"

REFUSE_PENDING = "A cancellation request is already pending for this order."
REFUSE_REJECTED = "The seller has already rejected a cancellation request for this order."
REFUSE_SHIPPED = "This order has been shipped and can no longer be canceled."
REFUSE_COMPLETED = "This order is completed and can no longer be canceled."
REFUSE_CLOSED = "This order is already closed."
REFUSE_TOO_EARLY = "Cancel order will be available 24 hours after payment."
REFUSE_NO_REASON = "Please select a reason for cancelling."
REFUSE_NO_REPORT = "Please tell us whether you want to submit a report against this supplier."
DONE_REQUESTED = "Your cancellation request has been submitted."
DONE_CANCELED = "Your order has been canceled."

_REFUSALS = {
    OrderState.CANCELLATION_REQUESTED: REFUSE_PENDING,
    OrderState.CANCELLATION_REJECTED: REFUSE_REJECTED,
    OrderState.SHIPPED: REFUSE_SHIPPED,
    OrderState.SHIPMENT_CANCELED: REFUSE_SHIPPED,
    OrderState.COMPLETED: REFUSE_COMPLETED,
    OrderState.CLOSED: REFUSE_CLOSED,
}


class Portal:
    """All mutable state of one mock portal; every public method holds the lock."""

    def __init__(self, scenario: Scenario) -> None:
        self.lock = threading.RLock()
        self.faults: list[dict[str, Any]] = []
        #: Wall clock of the flood defence (flood.py); tests may replace it.
        self.clock: Callable[[], float] = time.monotonic
        self.reset(scenario)

    # -- lifecycle -------------------------------------------------------------------
    def reset(self, scenario: Scenario) -> None:
        with self.lock:
            self.scenario = scenario
            self.now: datetime = scenario.now
            self.orders_spec = {o.id: o for o in scenario.orders}
            self.orders: dict[str, OrderRec] = {o.id: self._load(o) for o in scenario.orders}
            self.sessions: dict[str, Session] = {}
            self.sign_ins: Counter[str] = Counter()
            self.guards: dict[str, LoginGuard] = {}
            self.counts: Counter[str] = Counter()
            # Faults the scenario file carries; `POST /__mock__/faults` replaces them.
            self.faults = [fault.model_dump() for fault in scenario.faults]
            self.fired: list[dict[str, Any]] = []
            self.fired_counts: Counter[str] = Counter()
            self.challenges: dict[str, str] = {}
            # Page weight served (weight.py) and the flood defence (flood.py).
            self.weight_served: Counter[str] = Counter()
            self.weight_bytes = 0
            self.beacons: Counter[str] = Counter()
            self.flood_settings = scenario.flood
            self.flood_hits: dict[str, list[float]] = {}
            self.flood_until: dict[str, float] = {}
            self.flood_triggered: Counter[str] = Counter()
            self.flood_blocked: Counter[str] = Counter()

    def _hostile(self, o: Order) -> tuple[Order, str | None, list[Message]]:
        """The order as shown with its hostile content: (spec, injected card's order, chat)."""
        hostile = o.hostile or self.scenario.hostile
        if hostile is None:
            return o, None, []
        other = hostile.other or next(
            (x.id for x in self.scenario.orders if x.account == o.account and x.id != o.id), ""
        )

        def fill(text: str, title: str = "") -> str:
            return (
                text.replace("{title}", title).replace("{store}", o.store).replace("{other}", other)
            )

        update: dict[str, Any] = {}
        if hostile.store is not None:
            update["store"] = fill(hostile.store)
        if hostile.title is not None:
            update["items"] = [
                i.model_copy(update={"title": fill(hostile.title, i.title)}) for i in o.items
            ]
        chat = [
            Message("seller", fill(text), self.now - timedelta(minutes=len(hostile.chat) - n))
            for n, text in enumerate(hostile.chat)
        ]
        injected = other if hostile.injected_card and other in self.orders_spec else None
        return (o.model_copy(update=update) if update else o), injected, chat

    def _load(self, o: Order) -> OrderRec:
        now = self.now
        spec, injected, chat = self._hostile(o)
        rec = OrderRec(spec=spec, state=o.state, since=now, paid_at=o.paid_at)
        rec.injected, rec.messages = injected, chat
        rec.tracking_events = list(o.tracking.events)
        if o.state == OrderState.CANCELLATION_REQUESTED:
            rec.requested_at = o.requested_at or now
            rec.since = rec.requested_at
        if o.state in (OrderState.CANCELLATION_REQUESTED, OrderState.CANCELLATION_REJECTED):
            rec.records.append(
                Record(
                    "cancel",
                    o.requested_at or now,
                    True,
                    {"reason": o.requested_reason, "report": "no", "preexisting": True},
                )
            )
            rec.rejected = o.state == OrderState.CANCELLATION_REJECTED
        if o.state in (OrderState.SHIPPED, OrderState.SHIPMENT_CANCELED, OrderState.COMPLETED):
            rec.shipped_at = o.shipped_at or now
            rec.since = rec.shipped_at
            if not rec.tracking_events:
                rec.tracking_events.append(TrackingEvent(time=rec.shipped_at, text=PICKED_UP))
            if o.state == OrderState.SHIPMENT_CANCELED:
                rec.tracking_events.append(TrackingEvent(time=now, text="Delivery canceled"))
        if o.state == OrderState.CLOSED:
            rec.closed_at = o.closed_at or now
            rec.closed_reason = o.closed_reason
            rec.since = rec.closed_at
        if o.state == OrderState.PAYMENT_VERIFYING and o.paid_at is not None:
            rec.since = o.paid_at
        return rec

    def advance(self, delta: timedelta) -> datetime:
        with self.lock:
            if delta < timedelta(0):
                raise ValueError("the clock only moves forward")
            self.now += delta
            self.settle()
            return self.now

    # -- lazy time-driven transitions ------------------------------------------------
    def settle(self) -> None:
        with self.lock:
            for rec in self.orders.values():
                for _ in range(10):  # a handful of chained transitions at most
                    event = self._next_event(rec)
                    if event is None or event[0] > self.now:
                        break
                    self._apply(rec, event[0], event[1])
                for msg in list(rec.pending_replies):
                    if msg.time <= self.now:
                        rec.pending_replies.remove(msg)
                        rec.messages.append(msg)

    def _next_event(self, rec: OrderRec) -> tuple[datetime, str] | None:
        spec, seller = rec.spec, rec.spec.seller
        options: list[tuple[datetime, str]] = []
        if rec.state == OrderState.AWAITING_PAYMENT:
            options.append((spec.placed_at + UNPAID_EXPIRY, "expire"))
        elif rec.state == OrderState.PAYMENT_VERIFYING and rec.paid_at:
            minutes = self.scenario.payment_verification_minutes
            options.append((rec.paid_at + timedelta(minutes=minutes), "verified"))
        elif rec.state in (OrderState.AWAITING_SHIPMENT, OrderState.CANCELLATION_REJECTED):
            paid = rec.paid_at or spec.placed_at
            if seller.ship_after_hours is not None:
                when = max(paid + timedelta(hours=seller.ship_after_hours), rec.since)
                options.append((when, "ship"))
            if seller.cancel_after_hours is not None:
                when = max(paid + timedelta(hours=seller.cancel_after_hours), rec.since)
                options.append((when, "seller_cancel"))
        elif rec.state == OrderState.CANCELLATION_REQUESTED and rec.requested_at:
            options.append((rec.requested_at + SELLER_DEADLINE, "timeout"))
            if seller.on_cancel != "ignore":
                when = rec.requested_at + timedelta(hours=seller.answer_after_hours)
                options.append((when, seller.on_cancel))
        elif rec.state == OrderState.SHIPPED and rec.shipped_at:
            track = spec.tracking
            if track.fails_after_hours is not None:
                options.append((rec.shipped_at + timedelta(hours=track.fails_after_hours), "fail"))
            if track.delivered_after_hours is not None:
                when = rec.shipped_at + timedelta(hours=track.delivered_after_hours)
                options.append((when, "deliver"))
        return min(options, key=lambda o: o[0]) if options else None

    def _apply(self, rec: OrderRec, when: datetime, what: str) -> None:
        rec.since = when
        if what == "expire":
            self._close(rec, when, ClosedReason.EXPIRED)
        elif what == "verified":
            rec.state = OrderState.AWAITING_SHIPMENT
        elif what == "ship":
            rec.state, rec.shipped_at = OrderState.SHIPPED, when
            rec.tracking_events.append(TrackingEvent(time=when, text=PICKED_UP))
        elif what == "seller_cancel":
            self._close(rec, when, ClosedReason.SELLER_CANCELLED)
        elif what == "timeout":
            self._close(rec, when, ClosedReason.SELLER_TIMEOUT)
        elif what == "accept":
            self._close(rec, when, ClosedReason.SELLER_ACCEPTED)
        elif what == "reject":
            rec.state, rec.rejected = OrderState.CANCELLATION_REJECTED, True
        elif what == "drop":
            self._drop(rec, when)
        elif what == "fail":
            rec.state = OrderState.SHIPMENT_CANCELED
            rec.tracking_events.append(TrackingEvent(time=when, text="Delivery canceled"))
        elif what == "deliver":
            rec.state = OrderState.COMPLETED
            rec.tracking_events.append(TrackingEvent(time=when, text="Delivered"))

    def _drop(self, rec: OrderRec, when: datetime) -> None:
        """The pending request vanishes: back to awaiting shipment, cancellable, no note."""
        rec.state, rec.requested_at, rec.since, rec.rejected = (
            OrderState.AWAITING_SHIPMENT,
            None,
            when,
            False,
        )
        for record in rec.requests("cancel"):
            if record.accepted and "dropped_at" not in record.data:
                record.data["dropped_at"] = _iso(when)

    def _close(self, rec: OrderRec, when: datetime, reason: ClosedReason) -> None:
        rec.state, rec.closed_at, rec.closed_reason, rec.since = (
            OrderState.CLOSED,
            when,
            reason,
            when,
        )

    # -- reads -----------------------------------------------------------------------
    def orders_of(self, email: str) -> list[OrderRec]:
        with self.lock:
            self.settle()
            mine = [o for o in self.orders.values() if o.spec.account == email]
            return sorted(mine, key=lambda o: o.spec.placed_at, reverse=True)

    def order_of(self, email: str, order_id: str) -> OrderRec | None:
        with self.lock:
            self.settle()
            rec = self.orders.get(order_id)
            return rec if rec is not None and rec.spec.account == email else None

    def cancel_delay(self, rec: OrderRec) -> timedelta:
        hours = rec.spec.cancel_button_delay_hours
        if hours is None:
            hours = self.scenario.cancel_button_delay_hours
        return timedelta(hours=hours)

    def cancel_refusal(self, rec: OrderRec) -> str | None:
        """Why this order cannot be cancelled now, or None when "Cancel order" is offered."""
        if rec.state in _REFUSALS:
            return _REFUSALS[rec.state]
        paid = rec.paid_at
        if (
            rec.state == OrderState.AWAITING_SHIPMENT
            and paid is not None
            and (self.now < paid + self.cancel_delay(rec))
        ):
            return REFUSE_TOO_EARLY
        return None

    def refund_steps(self, rec: OrderRec) -> list[datetime | None] | None:
        """Completion time of each of the 3 refund steps (None: pending); None: no refund."""
        if rec.state != OrderState.CLOSED or rec.paid_at is None or rec.closed_at is None:
            return None
        closed = rec.closed_at
        return [
            closed + timedelta(days=d) if closed + timedelta(days=d) <= self.now else None
            for d in rec.spec.refund_days
        ]

    def platform_coupon_returned(self, rec: OrderRec) -> tuple[bool, str]:
        coupon = rec.spec.coupons.platform
        if coupon is None or rec.closed_at is None:
            return False, ""
        if coupon.expires_at <= self.now:
            return False, "the coupon has expired"
        others = [self.orders.get(i) for i in coupon.shared_with]
        if any(o is None or o.state != OrderState.CLOSED for o in others):
            return False, "other items paid with this coupon were not canceled"
        return True, ""

    # -- buyer actions (each returns (ok, message)) ------------------------------------
    def request_cancel(self, rec: OrderRec, reason: str, report: str) -> tuple[bool, str]:
        with self.lock:
            self.settle()
            self.counts["cancel"] += 1
            paid = rec.state == OrderState.AWAITING_SHIPMENT
            refusal = self.cancel_refusal(rec)
            if refusal is None and reason not in self.scenario.reasons:
                refusal = REFUSE_NO_REASON
            if refusal is None and paid and report not in ("yes", "no"):
                refusal = REFUSE_NO_REPORT
            data = {
                "reason": reason or None,
                "report": report or None,
                "refusal": refusal,
                "state_before": rec.state.value,
            }
            rec.records.append(Record("cancel", self.now, refusal is None, data))
            if refusal is not None:
                return False, refusal
            if not paid:
                self._close(rec, self.now, ClosedReason.BUYER_CANCELLED)
                return True, DONE_CANCELED
            rec.state, rec.requested_at, rec.since = (
                OrderState.CANCELLATION_REQUESTED,
                self.now,
                self.now,
            )
            self.settle()  # a seller that answers at once
            return True, DONE_REQUESTED

    def simple_action(self, rec: OrderRec, kind: str) -> tuple[bool, str]:
        """pay, extend, confirm, delete, cart, dispute, return."""
        with self.lock:
            self.settle()
            self.counts[kind] += 1
            ok, msg = self._simple(rec, kind)
            rec.records.append(Record(kind, self.now, ok, {"message": msg}))
            return ok, msg

    def _simple(self, rec: OrderRec, kind: str) -> tuple[bool, str]:
        s = rec.state
        if kind == "pay":
            if s != OrderState.AWAITING_PAYMENT:
                return False, "This order cannot be paid."
            rec.state, rec.paid_at, rec.since = OrderState.PAYMENT_VERIFYING, self.now, self.now
            return True, "Payment received. We are verifying it."
        if kind == "extend":
            if s != OrderState.AWAITING_SHIPMENT:
                return False, "The processing time cannot be extended for this order."
            return True, "The processing time has been extended."
        if kind == "confirm":
            if s != OrderState.SHIPPED:
                return False, "This order cannot be confirmed."
            rec.state, rec.since = OrderState.COMPLETED, self.now
            return True, "Thank you for confirming receipt."
        if kind == "delete":
            if s not in (OrderState.CLOSED, OrderState.COMPLETED):
                return False, "Only closed or completed orders can be deleted."
            rec.deleted = True
            return True, "The order was moved to Deleted orders."
        if kind == "cart":
            return True, "Added to cart."
        if kind == "dispute":
            if s not in (OrderState.SHIPPED, OrderState.SHIPMENT_CANCELED, OrderState.COMPLETED):
                return False, "A dispute cannot be opened for this order."
            return True, "Your dispute has been opened."
        if kind == "return":
            free = any(i.free_return for i in rec.spec.items)
            if s != OrderState.SHIPPED or not free:
                return False, "Free return is not available for this order."
            return True, "Your free return request has been submitted."
        return False, "Unknown action."

    def send_message(self, rec: OrderRec, text: str) -> tuple[bool, str]:
        with self.lock:
            self.settle()
            self.counts["message"] += 1
            text = text.strip()
            if not text:
                return False, "Please type a message."
            rec.messages.append(Message("buyer", text, self.now))
            index = sum(1 for m in rec.messages if m.author == "buyer") - 1
            replies = rec.spec.seller.replies
            if index < len(replies):
                reply = replies[index]
                when = self.now + timedelta(hours=reply.after_hours)
                rec.pending_replies.append(Message("seller", reply.text, when))
            self.settle()
            return True, "Message sent."

    # -- injected faults (see faults.py) -----------------------------------------------
    def fault_fired(self, fault: dict[str, Any], method: str, path: str, **details: object) -> None:
        """Log a fault that fired and apply its side effects on the portal's state."""
        from .faults import kind_of  # late import: faults is the HTTP layer above

        with self.lock:
            entry: dict[str, Any] = {
                "kind": kind_of(fault),
                "method": method,
                "path": path,
                "time": _iso(self.now),
                **details,
            }
            if fault.get("label"):
                entry["label"] = fault["label"]
            self.fired.append(entry)
            self.fired_counts[entry["kind"]] += 1
            if fault.get("expire_sessions"):
                self.expire_sessions(fault.get("email"))
            if fault.get("challenge"):
                self.challenge(fault["challenge"], fault.get("email"))
            if fault.get("seller"):
                event = fault["seller"]
                entry["applied"] = self.seller_event(event["order"], event["do"], event["text"])
            if fault.get("drop_request"):
                entry["applied"] = self.drop_request(fault["drop_request"])

    def log_fired(self, kind: str, **details: object) -> None:
        """Log an event the control API caused directly (counted like a fault)."""
        with self.lock:
            self.fired.append({"kind": kind, "time": _iso(self.now), **details})
            self.fired_counts[kind] += 1

    def drop_request(self, order_id: str) -> bool:
        """The portal silently drops the order's pending request; False if none is pending."""
        with self.lock:
            self.settle()
            rec = self.orders.get(order_id)
            if rec is None or rec.state != OrderState.CANCELLATION_REQUESTED:
                return False
            self._drop(rec, self.now)
            return True

    def expire_sessions(self, email: str | None = None) -> int:
        """Sign out every session (of `email`): the next page redirects to the sign-in."""
        with self.lock:
            n = 0
            for session in self.sessions.values():
                if session.user is not None and (email is None or session.user == email):
                    session.user = None
                    n += 1
            return n

    def challenge(self, kind: str, email: str | None = None) -> None:
        """Demand a captcha or a one-time code at the next sign-in of `email` (or everyone)."""
        with self.lock:
            for account in self.scenario.accounts:
                if email is None or account.email == email:
                    self.challenges[account.email] = kind

    def seller_event(self, order_id: str, what: str, text: str) -> bool:
        """The seller acts now, whatever the flow in progress; False if the state forbids it."""
        with self.lock:
            self.settle()
            rec = self.orders.get(order_id)
            if rec is None:
                return False
            allowed = {
                "accept": {OrderState.CANCELLATION_REQUESTED},
                "reject": {OrderState.CANCELLATION_REQUESTED},
                "ship": {OrderState.AWAITING_SHIPMENT, OrderState.CANCELLATION_REJECTED},
                "cancel": {OrderState.AWAITING_SHIPMENT, OrderState.CANCELLATION_REJECTED},
            }
            if what == "reply":
                rec.messages.append(Message("seller", text, self.now))
                return True
            if what == "drop":
                return self.drop_request(order_id)
            if rec.state not in allowed[what]:
                return False
            self._apply(rec, self.now, "seller_cancel" if what == "cancel" else what)
            return True

    # -- sessions ------------------------------------------------------------------------
    def session(self, sid: str | None) -> tuple[str, Session]:
        with self.lock:
            if sid is not None and sid in self.sessions:
                return sid, self.sessions[sid]
            sid = secrets.token_urlsafe(24)
            self.sessions[sid] = Session()
            return sid, self.sessions[sid]

    def guard(self, email: str) -> LoginGuard:
        return self.guards.setdefault(email, LoginGuard())

    def sign_in(self, session: Session, email: str) -> None:
        with self.lock:
            session.user, session.stage, session.pending_email = email, None, None
            session.code = None
            self.sign_ins[email] += 1

    def snapshot(self) -> dict[str, Any]:
        from .views import status_label  # late import: views imports this module

        with self.lock:
            self.settle()
            orders = {}
            for rec in self.orders.values():
                steps = self.refund_steps(rec)
                orders[rec.id] = {
                    "account": rec.spec.account,
                    "state": rec.state.value,
                    "label": status_label(rec),
                    "rejected": rec.rejected,
                    "deleted": rec.deleted,
                    "paid_at": _iso(rec.paid_at),
                    "requested_at": _iso(rec.requested_at),
                    "shipped_at": _iso(rec.shipped_at),
                    "closed_at": _iso(rec.closed_at),
                    "closed_reason": rec.closed_reason.value if rec.closed_reason else None,
                    "store": rec.spec.store,
                    "titles": [i.title for i in rec.spec.items],
                    "injected_card": rec.injected,
                    "cancellation_requests": [_rec(r) for r in rec.requests("cancel")],
                    "actions": [_rec(r) for r in rec.records if r.kind != "cancel"],
                    "messages": [
                        {"author": m.author, "text": m.text, "time": _iso(m.time)}
                        for m in rec.messages
                    ],
                    "refund_steps": None if steps is None else [_iso(s) for s in steps],
                }
            return {
                "scenario": self.scenario.name,
                "now": _iso(self.now),
                "orders": orders,
                "sign_ins": dict(self.sign_ins),
                "requests": dict(self.counts),
                "faults": list(self.faults),
                "fired": list(self.fired),
                "fired_counts": dict(self.fired_counts),
                "page_weight": {
                    "setting": self.page_weight_name(),
                    "served": dict(self.weight_served),
                    "bytes": self.weight_bytes,
                    "beacons": dict(self.beacons),
                    "beacons_total": sum(self.beacons.values()),
                },
                "flood": self.flood_snapshot(),
            }

    # -- page weight and flood defence (weight.py, flood.py) ------------------------------
    #: Set by create_app (CLI --page-weight) or the control API; wins over the scenario's.
    weight_override: Any = None

    def page_weight(self) -> Any:
        """The effective PageWeight (None: no payload)."""
        from .weight import resolve_weight  # late import: weight builds on this module

        setting = self.weight_override if self.weight_override is not None else None
        if setting is None:
            setting = self.scenario.page_weight
        return resolve_weight(setting)

    def page_weight_name(self) -> Any:
        setting = self.weight_override if self.weight_override is not None else None
        if setting is None:
            setting = self.scenario.page_weight
        return setting if isinstance(setting, str) else setting.model_dump()

    def flood_snapshot(self) -> dict[str, Any]:
        with self.lock:
            now = self.clock()
            settings = self.flood_settings
            return {
                "settings": None if settings is None else settings.model_dump(),
                "triggered": dict(self.flood_triggered),
                "blocked_requests": dict(self.flood_blocked),
                "blocked_for_s": {
                    email: round(until - now, 3)
                    for email, until in self.flood_until.items()
                    if until > now
                },
                "recent": {email: len(hits) for email, hits in self.flood_hits.items()},
            }


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _rec(r: Record) -> dict[str, Any]:
    return {"kind": r.kind, "time": _iso(r.time), "accepted": r.accepted, **r.data}
