"""How domain values are kept in Redis and sent between processes: msgpack, never pickle.

Frozen dataclasses become maps of their field names (enums by value, tuples and sets as
arrays) and come back through their type hints, so a field added later with a default
still reads records written before it.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import cache
from typing import Any, TypeVar

import msgpack

T = TypeVar("T")


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names, or None for any other type (looked up once per type)."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


def to_plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str | int | float | bytes | None):
        return value
    if isinstance(value, tuple | list | frozenset | set):
        return [to_plain(v) for v in value]
    kind: type = type(value)
    names = _field_names(kind)
    if names is not None:
        return {name: to_plain(getattr(value, name)) for name in names}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_plain(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(kind)
        if data is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_plain(arg, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{data!r} fits none of {kind}")
    if origin is tuple:
        (item, *_rest) = typing.get_args(kind)
        return tuple(from_plain(item, v) for v in data)
    if origin is frozenset:
        return frozenset(from_plain(typing.get_args(kind)[0], v) for v in data)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise TypeError(f"{kind.__name__} needs a map")
        hints = _hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: from_plain(hints[k], v) for k, v in data.items() if k in names})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind in (int, str, bool, float, bytes) and not isinstance(data, kind):
        raise TypeError(f"{data!r} is not {kind.__name__}")
    return data


def pack(value: Any) -> bytes:
    return msgpack.packb(to_plain(value), use_bin_type=True)  # type: ignore[no-any-return]


def unpack(kind: type[T], raw: bytes) -> T:
    return from_plain(kind, msgpack.unpackb(raw, raw=False))  # type: ignore[no-any-return]


def pack_plain(plain: Any) -> bytes:
    """``plain`` (maps, arrays, scalars, bytes), packed as it is."""
    return msgpack.packb(plain, use_bin_type=True)  # type: ignore[no-any-return]


def unpack_plain(raw: bytes) -> Any:
    """The plain value (maps, arrays, scalars) ``raw`` holds, for ``from_plain`` later."""
    return msgpack.unpackb(raw, raw=False)


def fields_from_plain(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """Some fields of dataclass ``kind``, each read through its type hint: a part of a
    value kept apart from the rest (``server.stores.redis_parts``)."""
    hints = _hints(kind)
    return {k: from_plain(hints[k], v) for k, v in data.items() if k in hints}


class MsgpackJson:
    """The ``dumps``/``loads`` pair python-socketio's Redis manager takes as ``json=``."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> bytes:
        return msgpack.packb(obj, use_bin_type=True)  # type: ignore[no-any-return]

    @staticmethod
    def loads(raw: bytes | str, **_: Any) -> Any:
        if isinstance(raw, str):
            raw = raw.encode()
        return msgpack.unpackb(raw, raw=False)
