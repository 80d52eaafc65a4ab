"""Text made safe to print: control and bidi characters shown as visible escapes."""

from __future__ import annotations

import re

# C0 and C1 controls (tab and newline aside), DEL, and the bidi controls that can make
# text read differently from what it is: none of them reach the terminal raw.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same characters, escaped in JSON too: json.dumps leaves C1 and bidi controls raw.
UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """Control and bidi characters as visible escapes (`\\x1b`), everything else as is."""
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
