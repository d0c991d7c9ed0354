"""What counts as text anywhere a person types it: chat, reasons, report notes, names.

Text is Unicode that can be stored, sent and shown as it was typed:

- no **lone surrogates** (``U+D800``-``U+DFFF`` on their own): they are not characters, so
  no encoder can write them and a record holding one could never be kept;
- no **control characters** (``Cc``), except a newline where a field allows one (chat
  messages may span lines; reasons, notes and names are one line);
- no **bidi embeddings, overrides or isolates** (``U+202A``-``U+202E``,
  ``U+2066``-``U+2069``): they reorder what follows them, so a message could show text
  in an order other than the one it was written in. Joiners and the plain direction marks
  stay: emoji sequences and many scripts need them.
- no private-use or unassigned code points: nobody can tell what they show.

Anything else is refused as it arrives (``invalid_payload``), before any rule runs, so
bad text can never be half-committed.
"""

from __future__ import annotations

import unicodedata

from rooms.errors import InvalidPayload

_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
_REORDERING = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def check_text(value: str, field: str, *, newlines: bool = False) -> str:
    """``value`` unchanged if it is text a person may send; refused otherwise."""
    for ch in value:
        if ch == "\n" and newlines:
            continue
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise InvalidPayload(f"'{field}' has a control or invalid character")
        if ch in _REORDERING:
            raise InvalidPayload(f"'{field}' has a text-direction control character")
    return value
