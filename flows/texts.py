"""The one way the flows compare a portal's visible texts with the profile's.

Real portals spell the same label several ways between releases and locales: "View All" /
"View all", "Canceled" / "Cancelled", "Order ID:" / "Order ID", "product(s)" / "products",
curly or straight quotes, extra spaces. Every comparison goes through ``norm`` (in
Python) or ``pattern`` (a regular expression for Playwright's text and name matching),
which forgive exactly those differences and nothing more: the words must be the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"\w+")


def _canonical(text: str) -> str:
    text = text.replace("(s)", "s").replace("(es)", "es").replace("\u2019", "'")
    return text.casefold().replace("cancelled", "canceled").replace("cancell", "cancel")


def norm(text: str) -> str:
    """Case, spaces, punctuation and the "Cancel(l)ed" / "(s)" spellings folded away."""
    return " ".join(_WORD.findall(_canonical(text)))


def same(a: str, b: str) -> bool:
    """True when two texts are the same label (see ``norm``)."""
    return norm(a) == norm(b)


def _word_pattern(word: str) -> str:
    if word in ("canceled", "cancelled"):
        return "cancell?ed"
    if word.startswith("cancel"):
        return "cancell?" + re.escape(word[len("cancel") :])
    if len(word) > 3 and word.endswith("s"):
        # "products" also reads "product(s)"
        return re.escape(word[:-1]) + r"\(?s\)?"
    return re.escape(word)


def _text_pattern(text: str) -> str:
    words = _WORD.findall(_canonical(text))
    return r"\W+".join(_word_pattern(word) for word in words)


def pattern(texts: Iterable[str], *, exact: bool = True) -> re.Pattern[str]:
    """A case-insensitive pattern for any of ``texts`` (whole text when ``exact``).

    For ``get_by_text``/``get_by_role(name=...)``/``get_by_placeholder``: matches the
    variants ``norm`` forgives, so "View all (34)" is *not* an exact "View all" (use
    ``exact=False`` for labels that carry counts).
    """
    alternatives = "|".join(f"(?:{_text_pattern(text)})" for text in texts if norm(text))
    if not alternatives:
        alternatives = r"(?!)"  # matches nothing: an empty label list finds nothing
    if exact:
        return re.compile(rf"^\W*(?:{alternatives})\W*$", re.IGNORECASE)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def find_label(text: str, texts: Iterable[str]) -> str | None:
    """The first of ``texts`` that appears (normalised, as whole words) in ``text``."""
    haystack = f" {norm(text)} "
    for label in texts:
        if norm(label) and f" {norm(label)} " in haystack:
            return label
    return None


def match_one(text: str, texts: Iterable[str]) -> bool:
    """True when ``text`` as a whole is one of ``texts`` (normalised)."""
    wanted = norm(text)
    return any(norm(label) == wanted for label in texts)
