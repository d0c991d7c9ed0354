"""A room's state as Redis keeps it: in parts, so a change writes only what it changed.

The room's live hash (``room:{id}:live``, beside its ``v`` and ``e``) holds the state as
fields, not one blob:

- ``q`` — the room's seq, which every event moves;
- ``h`` — the head: every field of ``RoomState`` that is not a seq and not in a group
  below (controls, the pause, hands, the waiting room, the round, ...), small and
  rewritten only when one of them changes;
- one field per element of each group that grows with the room: ``m:{member id}`` a
  seat, ``c:{message id}`` a chat message (the chat history: deleted with the live hash
  when the room closes, like everything else of it), ``a:{member id}`` a presence,
  ``d:{member id}`` a standing. Each holds its element and its position in the
  group's order; a group's order is the positions', so a join, a leave or a chat
  writes only the seats or messages it made or changed.

Rules still see one ``RoomState``: ``read`` assembles it from the fields (decoding only
those whose bytes changed since the last read), ``diff`` finds the fields a rule's new
state changed (an element the rule did not touch is the same object, so finding it is
a pointer comparison, not an encoding), and ``patched`` applies a delta another
process's commit published (``server.stores.redis_commit``), so a process following the
room keeps its copy current without reading it.

``s`` is the whole-state blob of the layout before this one: a room found holding it is
read from it, and its first commit writes every part and deletes ``s``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rooms.presence import Presence
from rooms.state import ChatMessage, Member, RoomState, Standing
from server import codec

SEQ = b"q"
HEAD = b"h"
LEGACY = b"s"  # the whole state, as the layout before parts kept it
_OWN = (b"v", b"e")  # the write version and epoch: the commit's, not the state's


@dataclass(frozen=True, slots=True)
class _Group:
    field: str  # the RoomState field
    prefix: bytes
    kind: type
    key: Callable[[Any], str]


GROUPS = (
    _Group("members", b"m:", Member, lambda m: m.member_id),
    _Group("chat", b"c:", ChatMessage, lambda c: str(c.message_id)),
    _Group("attendance", b"a:", Presence, lambda p: p.member_id),
    _Group("standings", b"d:", Standing, lambda s: s.member_id),
)
_BY_PREFIX = {g.prefix: i for i, g in enumerate(GROUPS)}
_GROUPED = {g.field for g in GROUPS}
HEAD_FIELDS = tuple(
    f.name for f in dataclasses.fields(RoomState) if f.name not in _GROUPED and f.name != "seq"
)

# One element as kept: its position in the group's order, its bytes, and its value.
Entry = tuple[int, bytes, Any]


@dataclass(frozen=True, slots=True)
class Parts:
    """A room's fields as Redis holds them, decoded: ``state`` is the value they make."""

    state: RoomState
    head: bytes
    groups: tuple[Mapping[str, Entry], ...]
    legacy: bool = False  # Redis holds the whole-state blob ``s``, not parts


@dataclass(frozen=True, slots=True)
class Written:
    """What a commit writes: the fields set and deleted, and the parts they leave."""

    parts: Parts
    sets: list[tuple[bytes, bytes]]
    deletes: list[bytes]


def _pack_head(state: RoomState) -> bytes:
    return codec.pack({name: codec.to_plain(getattr(state, name)) for name in HEAD_FIELDS})


def _pack_entry(pos: int, value: Any) -> bytes:
    return codec.pack([pos, codec.to_plain(value)])


def _unpack_entry(kind: type, raw: bytes) -> tuple[int, Any]:
    pos, plain = codec.unpack_plain(raw)
    return int(pos), codec.from_plain(kind, plain)


def _ordered(entries: Mapping[str, Entry]) -> tuple[Any, ...]:
    return tuple(e[2] for e in sorted(entries.values(), key=lambda e: e[0]))


def _assembled(head: Mapping[str, Any], seq: int, groups: tuple[Mapping[str, Entry], ...],
               previous: RoomState | None, touched: Iterable[int]) -> RoomState:  # fmt: skip
    values = dict(head)
    redone = set(touched)
    for i, group in enumerate(GROUPS):
        reuse = previous is not None and i not in redone
        values[group.field] = getattr(previous, group.field) if reuse else _ordered(groups[i])
    return RoomState(seq=seq, **values)


def _head_values(state: RoomState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in HEAD_FIELDS}


def _unpack_head(raw: bytes) -> dict[str, Any]:
    plain = codec.unpack_plain(raw)
    return codec.fields_from_plain(RoomState, plain)


def opened(state: RoomState) -> list[tuple[bytes, bytes]]:
    """The fields of a room just opened (no member, no chat)."""
    return list(written(Parts(state, b"", tuple({} for _ in GROUPS), legacy=True), state).sets)


def read(fields: Mapping[bytes, bytes], previous: Parts | None) -> Parts:
    """The parts of the live hash's ``fields``, reusing what ``previous`` decoded from the
    same bytes."""
    if LEGACY in fields:
        state = codec.unpack(RoomState, fields[LEGACY])
        return Parts(state, b"", tuple({} for _ in GROUPS), legacy=True)
    usable = previous is not None and not previous.legacy
    earlier = previous.groups if previous is not None and usable else tuple({} for _ in GROUPS)
    head = fields[HEAD]
    same_head = previous is not None and usable and previous.head == head
    groups: list[dict[str, Entry]] = [{} for _ in GROUPS]
    changed = [False] * len(GROUPS)
    for name, raw in fields.items():
        i = _BY_PREFIX.get(name[:2])
        if i is None:
            continue
        key = name[2:].decode()
        old = earlier[i].get(key)
        if old is not None and old[1] == raw:
            groups[i][key] = old
        else:
            pos, value = _unpack_entry(GROUPS[i].kind, raw)
            groups[i][key] = (pos, raw, value)
            changed[i] = True
    for i in range(len(GROUPS)):
        changed[i] = changed[i] or len(groups[i]) != len(earlier[i])
    kept = tuple(groups)
    old_state = previous.state if previous is not None and usable else None
    head_values = _head_values(old_state) if same_head and old_state else _unpack_head(head)
    touched = [i for i in range(len(GROUPS)) if changed[i]]
    state = _assembled(head_values, int(fields[SEQ]), kept, old_state, touched)
    return Parts(state, head, kept)


def _same_head(a: RoomState, b: RoomState) -> bool:
    for name in HEAD_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x is not y and x != y:
            return False
    return True


def _group_written(
    group: _Group, before: Mapping[str, Entry], after: tuple[Any, ...], rewrite: bool
) -> tuple[dict[str, Entry], list[tuple[bytes, bytes]], list[bytes]]:
    """A group's elements in ``after``: each keeps its position while the order allows
    (the positions must rise along ``after``), else takes one past the highest; only
    elements new, changed or moved are written."""
    top = max((e[0] for e in before.values()), default=-1)
    last = -1
    entries: dict[str, Entry] = {}
    sets: list[tuple[bytes, bytes]] = []
    for value in after:
        key = group.key(value)
        old = before.get(key)
        if old is not None and old[0] > last:
            pos = old[0]
            if not rewrite and (old[2] is value or old[2] == value):
                entries[key] = old
                last = pos
                continue
        else:
            top += 1
            pos = top
        raw = _pack_entry(pos, value)
        entries[key] = (pos, raw, value)
        sets.append((group.prefix + key.encode(), raw))
        last = pos
    deletes = [group.prefix + key.encode() for key in before if key not in entries]
    return entries, sets, deletes


def _appended(
    group: _Group, before: Mapping[str, Entry], new: tuple[Any, ...]
) -> tuple[dict[str, Entry], list[tuple[bytes, bytes]], list[bytes]]:
    """``_group_written`` when the group only grew at its end (a join's seat and
    presence): the elements kept, the same objects in the same order, are not looked at
    one by one, which made every join cost a pass over the room."""
    top = max((e[0] for e in before.values()), default=-1)
    entries = dict(before)
    sets: list[tuple[bytes, bytes]] = []
    for value in new:
        top += 1
        key = group.key(value)
        raw = _pack_entry(top, value)
        entries[key] = (top, raw, value)
        sets.append((group.prefix + key.encode(), raw))
    return entries, sets, []


def written(parts: Parts, after: RoomState) -> Written:
    """The fields that turn ``parts`` into ``after``: only those that differ (every
    field, and ``s`` deleted, when Redis holds the whole-state blob)."""
    before = parts.state
    rewrite = parts.legacy
    sets: list[tuple[bytes, bytes]] = []
    deletes: list[bytes] = [LEGACY] if rewrite else []
    head = parts.head
    if rewrite or not _same_head(before, after):
        head = _pack_head(after)
        sets.append((HEAD, head))
    if rewrite or after.seq != before.seq:
        sets.append((SEQ, str(after.seq).encode()))
    groups: list[Mapping[str, Entry]] = []
    for i, group in enumerate(GROUPS):
        now = getattr(after, group.field)
        if not rewrite and now is getattr(before, group.field):
            groups.append(parts.groups[i])
            continue
        was = getattr(before, group.field)
        if not rewrite and len(now) > len(was) and now[: len(was)] == was:
            entries, added, gone = _appended(group, parts.groups[i], now[len(was) :])
        else:
            entries, added, gone = _group_written(group, parts.groups[i], now, rewrite)
        groups.append(entries)
        sets += added
        deletes += gone
    return Written(Parts(after, head, tuple(groups)), sets, deletes)


def patched(parts: Parts, sets: Iterable[tuple[bytes, bytes]], deletes: Iterable[bytes]) -> Parts:
    """``parts`` after another process's commit set and deleted these fields."""
    if parts.legacy:
        raise ValueError("a delta cannot apply to the whole-state blob")
    groups = [dict(g) for g in parts.groups]
    touched: set[int] = set()
    head, head_values = parts.head, None
    seq = parts.state.seq
    for name in deletes:
        i = _BY_PREFIX.get(name[:2])
        if i is not None:
            groups[i].pop(name[2:].decode(), None)
            touched.add(i)
    for name, raw in sets:
        if name == HEAD:
            head, head_values = raw, _unpack_head(raw)
        elif name == SEQ:
            seq = int(raw)
        else:
            i = _BY_PREFIX[name[:2]]
            pos, value = _unpack_entry(GROUPS[i].kind, raw)
            groups[i][name[2:].decode()] = (pos, raw, value)
            touched.add(i)
    kept = tuple(g if i in touched else parts.groups[i] for i, g in enumerate(groups))
    values = head_values if head_values is not None else _head_values(parts.state)
    state = _assembled(values, seq, kept, parts.state, touched)
    return Parts(state, head, kept)
