"""What the recording tests plant and look for: a password no artifact may contain."""

from __future__ import annotations

#: The account's password in the recording tests' own portal; found in no recording.
PLANTED_PASSWORD = "Planted-Secret-Pw-7f3c9e21"
