"""Text made safe to print: control and bidi characters shown as visible escapes."""

from __future__ import annotations

import re

# Characters that do not show as themselves: the bidi controls that can make text read
# differently from what it is, the invisible format characters (soft hyphen, zero-width
# space and joiners, word joiner, byte-order mark, the Mongolian vowel separator and
# the combining grapheme joiner), the Hangul fillers that look like a space, the line
# and paragraph separators, and the tag characters that can carry hidden text to an
# LLM ("ASCII smuggling"). They are Unicode's Cf, Zl and Zp, and a few look-alikes.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f"
)
# C0 and C1 controls (tab and newline aside), DEL, and the invisible characters: none of
# them reach the terminal raw.
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
# The same characters, escaped in JSON too: json.dumps leaves C1, bidi and format
# characters raw (a JSON reader decodes the escapes to the same text).
UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")


def safe(text: str) -> str:
    """Control and bidi characters as visible escapes (`\\x1b`), everything else as is."""
    return _UNSAFE.sub(lambda m: _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
