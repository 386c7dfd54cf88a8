"""Finding what a person sees: controls by their text, fields by placeholder, boxes by words.

The real portal gives most controls no role and no label (PORTAL.md, "The real markup"):
buttons are ``<div>``s and ``<span>``s, the reason picker is a box reading "Select here",
modals are ``<div>``s appended under ``<body>``. These helpers locate by visible text,
placeholder and alt/title first, and take a role or a ``<label>`` only as one more way to
the same element. None of them reads a class name, a test id or an ``aria-label``.
"""

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import JSHandle, Locator, Page

from flows.texts import pattern

Scope = Page | Locator

#: For each candidate element: the control it belongs to (its nearest clickable ancestor,
#: itself included) and how much it looks like one: 3 for a button or link (native or by
#: role), 2 for a pointer cursor (what makes a ``<div>`` look clickable), 1 otherwise.
#: A control inside one of the ``outside`` boxes (another order's card) is not visible.
_RANK = """(els, outside) => els.map(el => {
    const native = el.closest(
        'button, a[href], input[type=button], input[type=submit], [role=button], [role=link], '
        + '[role=tab], [role=menuitem], [role=option]');
    const control = native || el;
    const box = control.getBoundingClientRect();
    const visible = box.width > 0 && box.height > 0
        && getComputedStyle(control).visibility !== 'hidden'
        && !(outside || []).some(other => other.contains(control));
    const score = native ? 3 : getComputedStyle(el).cursor === 'pointer' ? 2 : 1;
    if (!window.__oaIds) { window.__oaIds = new WeakMap(); window.__oaNext = 1; }
    if (!window.__oaIds.has(control)) window.__oaIds.set(control, window.__oaNext++);
    const texts = [el.textContent, el.getAttribute('aria-label'), el.getAttribute('alt'),
        el.getAttribute('title')].filter(t => t);
    return {visible, score, id: window.__oaIds.get(control), texts};
})"""


def candidates(scope: Scope, texts: Sequence[str], *, exact: bool = True) -> Locator:
    """Every element reading one of ``texts``: by role name, by text, by alt or title."""
    wanted = pattern(texts, exact=exact)
    return (
        scope.get_by_role("button", name=wanted)
        .or_(scope.get_by_role("link", name=wanted))
        .or_(scope.get_by_text(wanted))
        .or_(scope.get_by_alt_text(wanted))
        .or_(scope.get_by_title(wanted))
    )


def controls(
    scope: Scope, texts: Sequence[str], *, exact: bool = True, outside: JSHandle | None = None
) -> list[Locator]:
    """The visible controls reading one of ``texts``, the most clickable-looking first.

    A ``<button><span>Sign in</span></button>`` is one control (the span belongs to the
    button); a heading that happens to read "Sign in" ranks below it. ``outside``: a
    handle on boxes whose controls do not count (``flows.others``: other orders' cards).
    """
    found = candidates(scope, texts, exact=exact)
    ranks: list[dict[str, int | bool]] = found.evaluate_all(_RANK, outside)
    best: dict[int, tuple[int, int]] = {}  # control id -> (score, index of a candidate)
    for index, rank in enumerate(ranks):
        if not rank["visible"]:
            continue
        key, score = int(rank["id"]), int(rank["score"])
        if key not in best or score > best[key][0]:
            best[key] = (score, index)
    ordered = sorted(best.values(), key=lambda pair: -pair[0])
    if not ordered:
        return []
    top = ordered[0][0]
    return [found.nth(index) for score, index in ordered if score == top]


def offered(
    scope: Scope, labels: Sequence[str], *, outside: JSHandle | None = None
) -> dict[str, int]:
    """How clickable the best visible control reading each label looks (3: a button or
    link, 2: a pointer cursor, 1: plain text); labels shown nowhere are left out.

    One round trip for every label: reading an order page's offered actions one label at
    a time cost a DOM scan per label, a tenth of a case's CPU.
    """
    ranks: list[dict[str, object]] = candidates(scope, labels).evaluate_all(_RANK, outside)
    wanted = {label: pattern([label]) for label in labels}
    best: dict[str, int] = {}
    for rank in ranks:
        if not rank["visible"]:
            continue
        texts = [" ".join(str(text).split()) for text in rank["texts"]]  # type: ignore[attr-defined]
        score = int(rank["score"])  # type: ignore[call-overload]
        for label, regex in wanted.items():
            if score > best.get(label, 0) and any(regex.search(text) for text in texts):
                best[label] = score
    return best


def control(
    scope: Scope, texts: Sequence[str], *, exact: bool = True, outside: JSHandle | None = None
) -> Locator | None:
    """The most clickable-looking visible control reading one of ``texts``, or None."""
    found = controls(scope, texts, exact=exact, outside=outside)
    return found[0] if found else None


def field(scope: Scope, texts: Sequence[str]) -> Locator:
    """A text field found by its placeholder, or by its label where the page has one."""
    wanted = pattern(texts)
    return scope.get_by_placeholder(wanted).or_(scope.get_by_label(wanted))


def shown(scope: Scope, texts: Sequence[str], *, exact: bool = True) -> Locator:
    """Elements showing one of ``texts`` (for waiting until a page or a modal is drawn)."""
    return candidates(scope, texts, exact=exact)


def box_with(page: Page, inner: Locator, also: Locator | None = None) -> Locator:
    """The smallest element holding ``inner`` (and ``also``): a modal found by its texts.

    Modals are appended under ``<body>``; the innermost element holding both the question
    and its buttons is the modal, whatever its markup.
    """
    boxes = page.locator("body *").filter(has=inner)
    if also is not None:
        boxes = boxes.filter(has=also)
    return boxes.last
