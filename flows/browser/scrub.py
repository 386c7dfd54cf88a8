"""Remove secrets from recordings before anyone can read them.

A HAR or a trace of a signed-in session is full of credentials: the session cookie in
every request, ``Set-Cookie`` answers, CSRF tokens in forms and POST bodies, and the
password if a sign-in was recorded. Everything found is replaced by the same marker
``REDACTED`` everywhere, so a recording stays consistent enough to replay: a page's
scrubbed CSRF field is posted back as ``REDACTED`` and matches the scrubbed POST body.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MARK = "REDACTED"
SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "authorization", "proxy-authorization", "x-csrf-token"}
)
#: Form fields whose values are secrets (``name=value`` bodies and query strings): these
#: names, and any name ending in one of the words below.
SECRET_FIELDS = ("password", "code", "otp")
#: In pages, scripts and JSON: a name ending in one of these words (a real portal's
#: ``_tb_token_``, ``csrf``, ``x-csrf-token``, ``sessionToken``; not ``token_title``).
SECRET_WORDS = ("token", "csrf", "password", "secret")
_WORD_NAME = r"[\w.-]*(?:" + "|".join(SECRET_WORDS) + r")_*"
_FORM_NAME = r"(?:" + "|".join(SECRET_FIELDS) + "|" + _WORD_NAME + ")"
_FIELD_IN_BODY = re.compile(r"(?:^|[?&;])" + _FORM_NAME + r"=([^&\s\"'<>]+)", re.IGNORECASE)
#: ``<input name=... value=...>`` / ``<meta name=... content=...>``, attributes in any order.
_TAG = re.compile(r"<(?:input|meta)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SECRET_NAME = re.compile(_WORD_NAME + "$", re.IGNORECASE)
#: ``"token": "..."`` in JSON, ``csrfToken: '...'`` in a script, and the same JSON escaped
#: inside another JSON string (a trace).
_FIELD_IN_CODE = re.compile(
    r"""(?:\\?["'])?"""
    + _WORD_NAME
    + r"""(?:\\?["'])?\s*[:=]\s*\\?["']([^"'\\\s]+)\\?["']""",
    re.IGNORECASE,
)
_COOKIE_VALUE = re.compile(r"(?:^|[;,]\s*)[\w.-]+=([^;,\s]+)")


def token_like(value: str) -> bool:
    """Whether a value found next to a secret-sounding name looks like a secret: long, no
    spaces, letters and digits mixed. A label ("Forgot your password?"), a flag ("true")
    or an order number must never be learned: every copy of it would be scrubbed, in the
    page text and in the HAR's own JSON, and the recording would no longer replay."""
    return (
        len(value) >= 8
        and not any(c.isspace() for c in value)
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    )


class SecretSet:
    """The secret strings known so far; grows as the recording is read."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.values: set[str] = {v for v in known if v and len(v) >= 4}

    def add(self, value: str | None) -> None:
        """A value learned from the recording (a cookie, a token), if it looks like one."""
        if value and value != MARK and token_like(value):
            self.values.add(value)

    def learn_from(self, text: str) -> None:
        """Pick up CSRF tokens and secret fields from a page, a script or a POST body."""
        for tag in _TAG.finditer(text):
            found = _ATTR.finditer(tag.group(0))
            attrs = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in found}
            if _SECRET_NAME.match(attrs.get("name", "")):
                self.add(attrs.get("value") or attrs.get("content"))
        unescaped = text.replace("&amp;", "&")  # query strings inside HTML attributes
        for pattern in (_FIELD_IN_BODY, _FIELD_IN_CODE):
            for match in pattern.finditer(unescaped):
                self.add(match.group(1))

    def scrub(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, MARK)
        return text


def scrub_har(path: Path, secrets: SecretSet) -> None:
    """Rewrite a HAR file in place with every secret header, cookie and field replaced."""
    har = json.loads(path.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = har["log"]["entries"]
    for entry in entries:  # first pass: learn every secret the session carried
        for part in (entry["request"], entry["response"]):
            for header in part.get("headers", []):
                if header["name"].lower() in ("cookie", "set-cookie"):
                    for match in _COOKIE_VALUE.finditer(header["value"]):
                        secrets.add(match.group(1))
            for cookie in part.get("cookies", []):
                secrets.add(cookie.get("value"))
        post = entry["request"].get("postData") or {}
        secrets.learn_from(post.get("text", ""))
        content = entry["response"].get("content") or {}
        if content.get("encoding") != "base64":
            secrets.learn_from(content.get("text", ""))
    for entry in entries:
        for part in (entry["request"], entry["response"]):
            for header in part.get("headers", []):
                if header["name"].lower() in SECRET_HEADERS:
                    header["value"] = MARK
            for cookie in part.get("cookies", []):
                cookie["value"] = MARK
        post = entry["request"].get("postData")
        if post:
            post["text"] = secrets.scrub(post.get("text", ""))
            for param in post.get("params", []):
                param["value"] = secrets.scrub(param.get("value", ""))
        content = entry["response"].get("content") or {}
        if content.get("text") and content.get("encoding") != "base64":
            content["text"] = secrets.scrub(content["text"])
        entry["request"]["url"] = secrets.scrub(entry["request"]["url"])
    path.write_text(secrets.scrub(json.dumps(har)), encoding="utf-8")


def scrub_zip(path: Path, secrets: SecretSet) -> None:
    """Rewrite a Playwright trace (a zip) with the secrets replaced in every text member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        members = [(info, source.read(info)) for info in source.infolist()]
        for _, data in members:
            try:
                secrets.learn_from(data.decode("utf-8"))
            except UnicodeDecodeError:
                continue
        for info, data in members:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                out.writestr(info, data)  # images: screenshots mask password fields
                continue
            out.writestr(info, secrets.scrub(_scrub_trace_lines(text)))
    path.write_bytes(buffer.getvalue())


def _scrub_trace_lines(text: str) -> str:
    """Trace network events are JSON lines with HAR-like headers: blank the secret ones."""
    if '"headers"' not in text:
        return text
    pattern = re.compile(
        r'(\{"name":\s*"(?:'
        + "|".join(SECRET_HEADERS)
        + r')",\s*"value":\s*")((?:[^"\\]|\\.)*)(")',
        re.IGNORECASE,
    )
    return pattern.sub(lambda m: m.group(1) + MARK + m.group(3), text)
