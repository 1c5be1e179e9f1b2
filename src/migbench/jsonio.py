r"""Strict reading of the files users and annotation tools supply.

One policy for every reader of a submission, gold file, export, annotator list, manifest or
cleaning rules: the input is a regular file (a FIFO or device is refused without blocking), its
size is capped, its JSON follows RFC 8259 (no ``NaN``, valid UTF-8), no object repeats a key,
nesting is bounded, and every value quoted in a message is shortened.

JSON Lines files (submissions, gold files) are read line by line under one set of rules
(:func:`jsonl_lines`, :func:`parse_line`): a UTF-8 byte order mark is skipped, a ``\r`` before a
line's ``\n`` is fine, the last line may lack its ``\n``, and a blank line is a problem.

orjson does the parsing. It keeps the last of repeated keys silently, so a value is re-read with
the standard library, which reports them, only when the number of ``:`` in its text differs from
the number the decoded value accounts for (one per key, plus those inside strings): a cheap test
that never misses a repeated key and never re-encodes the value.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from migbench.errors import MigbenchError

#: Largest file read by default, in bytes: a JSON value of this size decodes within a few hundred
#: megabytes whatever its shape (docs/SECURITY.md).
MAX_BYTES = 16 * 1024 * 1024
#: Longest JSON Lines line decoded, in bytes; a longer one is a problem, never decoded.
MAX_LINE_BYTES = 1024 * 1024
#: Deepest nesting of arrays and objects accepted.
MAX_DEPTH = 32
#: Longest quoted value in a message, in characters.
SNIPPET_CHARS = 100


class InputError(MigbenchError):
    """An input file is unreadable, too large, not a regular file or not strict JSON."""


def clip(text: str, limit: int = SNIPPET_CHARS) -> str:
    r"""Return ``text`` shortened to ``limit`` characters, with ``...`` where it was cut.

    Control characters are escaped (``\x1b``), so that a value quoted in a message cannot move
    the cursor, ring the bell or recolour the terminal it is shown on.
    """
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return printable(text)


def printable(text: str, *, keep: str = "") -> str:
    """Return ``text`` with every non-printable character but those in ``keep`` escaped."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char in keep else repr(char)[1:-1] for char in text
    )


def quote(value: Any) -> str:
    """Return ``repr(value)`` shortened for a message."""
    return clip(repr(value))


def as_record(cls: type, row: Any, where: str) -> Any:
    """Build a dataclass whose fields are ``str``, ``int`` or ``Mapping[str, str]`` from JSON.

    Every key must be a field, every field without a default present, and every value of its
    field's type (``true`` and ``false`` are not integers).

    Raises:
        InputError: Naming ``where``, the field and the value received.
    """
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {quote(row)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [quote(key) for key in row if key not in fields]
    missing = [n for n, f in fields.items() if n not in row and f.default is dataclasses.MISSING]
    if unknown or missing:
        raise InputError(
            f"{where}: unknown keys {', '.join(unknown) or 'none'}, missing keys "
            f"{', '.join(missing) or 'none'}; expected {', '.join(fields)}"
        )
    for name, value in row.items():
        kind = str(fields[name].type)
        if kind in ("int", str(int)):
            valid, wanted = type(value) is int, "an integer"  # also refuses true/false
        elif kind.startswith("Mapping[str, str]"):
            valid = isinstance(value, dict) and all(
                type(key) is str and type(item) is str for key, item in value.items()
            )
            wanted = "an object of strings"
        else:
            valid, wanted = type(value) is str, "a string"
        if not valid:
            raise InputError(f"{where}: {name} must be {wanted}, got {quote(value)}")
    return cls(**row)


def file_kind(mode: int) -> str:
    """Name the kind of file an ``st_mode`` describes: a regular file, a folder, a FIFO..."""
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file"


def open_regular(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> io.BufferedReader:
    """Open a regular file of at most ``max_bytes`` bytes for reading, never blocking.

    The type is checked before the open and again on the open file, and the size on the open
    file, so that a FIFO, device or folder is refused without waiting on it.

    Raises:
        InputError: The path is missing, unreadable, not a regular file (a folder, FIFO, device or
            socket) or larger than ``max_bytes``.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: is {file_kind(mode)}, not a regular file")
        # O_NONBLOCK: should the path become a FIFO after the check, open() must not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    handle = os.fdopen(fd, "rb")
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        handle.close()
        raise InputError(f"{path}: is {file_kind(status.st_mode)}, not a regular file")
    if status.st_size > max_bytes:
        handle.close()
        raise InputError(f"{path}: larger than the {max_bytes}-byte limit")
    return handle


def read_bytes(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> bytes:
    """Return the bytes of a regular file of at most ``max_bytes`` bytes (see :func:`open_regular`).

    Raises:
        InputError: As :func:`open_regular`, or the file grew past ``max_bytes`` while read.
    """
    with open_regular(path, max_bytes=max_bytes) as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise InputError(f"{path}: larger than the {max_bytes}-byte limit")
    return data


def jsonl_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    r"""Yield (line number from 1, bytes) for each line of a JSON Lines text, lazily.

    The rules every JSONL reader shares: a UTF-8 byte order mark at the start is skipped; lines
    end with ``\n`` (a ``\r`` before it is whitespace), the last one may lack it; a blank line is
    yielded like any other, for :func:`parse_line` to refuse. Lines are sliced from ``data`` one
    at a time, so a file of millions of lines costs no list of them.
    """
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    size = len(data)
    number = 0
    while start < size:
        end = data.find(b"\n", start)
        end = size if end < 0 else end
        number += 1
        yield number, data[start:end]
        start = end + 1


def parse_line(raw: bytes) -> tuple[Any, str | None]:
    """Decode one JSONL line strictly; return (value, None) or (None, the problem).

    The problem says whether the line is blank, not UTF-8, not JSON, nests too deeply, repeats a
    key or holds an integer outside 64 bits; it quotes the line shortened and escaped.
    """
    if len(raw) > MAX_LINE_BYTES:
        return None, f"line longer than the {MAX_LINE_BYTES}-byte limit; not read"
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, _unreadable(raw, exc)
    problem = structure_problem(raw, value)
    if problem is None and _LONG_NUMBER.search(raw):
        problem = _wide_integer(raw)
    return (None, problem) if problem is not None else (value, None)


def _unreadable(raw: bytes, error: orjson.JSONDecodeError) -> str:
    """Say why a line is not a JSON value: not UTF-8, blank, or not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8: byte {raw[exc.start : exc.start + 1]!r} at column {exc.start}"
        return f"{message}; received {clip(repr(raw))}"
    if not text.strip():
        return "blank line; every line must be a JSON object"
    return f"invalid JSON ({error}); received {clip(text)}"


def read_text(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> str:
    """Return the UTF-8 text of a regular file (see :func:`read_bytes`).

    Raises:
        InputError: As :func:`read_bytes`, or the bytes are not UTF-8.
    """
    data = read_bytes(path, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start})") from None


def read_json(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Any:
    """Read a file holding one strict JSON value (see :func:`loads`)."""
    return loads(read_bytes(path, max_bytes=max_bytes), source=str(path))


def loads(data: bytes | str, *, source: str) -> Any:
    """Decode one strict JSON value.

    Raises:
        InputError: The text is not JSON, repeats a key in an object or nests too deeply.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON ({clip(str(exc))})") from None
    problem = structure_problem(raw, value)
    if problem is None and _LONG_NUMBER.search(raw):
        problem = _wide_integer(raw)
    if problem is not None:
        raise InputError(f"{source}: {problem}")
    return value


#: A run of digits that could be an integer outside 64 bits, which orjson turns into a float.
_LONG_NUMBER = re.compile(rb"\d{19,}")


def _wide_integer(raw: bytes) -> str | None:
    """Say which integer literal of ``raw`` lies outside 64 bits, or None."""

    def check(literal: str) -> int:
        if not -(2**63) <= int(literal) < 2**64:
            raise OverflowError(literal)
        return int(literal)

    try:
        json.loads(raw, parse_int=check)
    except OverflowError as exc:
        return f"integer {clip(str(exc))} is outside the 64-bit range"
    except ValueError:
        return None  # orjson accepted it; only the integers are checked here
    return None


def structure_problem(raw: bytes, value: Any) -> str | None:
    """Say why ``value``, decoded by orjson from ``raw``, breaks the policy; None if it does not.

    The policy: nesting at most :data:`MAX_DEPTH` deep, and no object with a repeated key.
    """
    objects = raw.count(b"{")
    if objects + raw.count(b"[") > MAX_DEPTH and _shape(value)[1] > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    colons = raw.count(b":")
    if isinstance(value, dict) and objects == 1:
        expected = len(value)  # a flat object, the usual JSONL line: one colon per key
    elif b"\\u" in raw:  # an escaped colon (\u003a) would count in the decoded strings only
        expected = _census(value)[0]
    elif len(raw) <= MAX_LINE_BYTES:
        # Re-encoded, each kept key gives one colon and the strings hold the colons they held;
        # orjson does it in C, and for a value this small its output is small.
        expected = orjson.dumps(value).count(b":")
    else:  # a large value is never re-encoded: counted in place, without a second copy
        keys, _, in_strings = _census(value)
        expected = keys + in_strings
    if colons != expected:
        return _repeated_key(raw)  # or colons inside strings: None
    return None


def _shape(value: Any) -> tuple[int, int]:
    """Return the number of object keys in ``value`` and its nesting depth, without recursion."""
    keys, depth, _ = _census(value)
    return keys, depth


def _census(value: Any) -> tuple[int, int, int]:
    """Return the object keys, the nesting depth and the colons inside strings of ``value``.

    Iterative, so that neither a deep value nor a large one reaches a recursion limit or a C
    extension's stack.
    """
    keys = depth = colons = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            keys += len(item)
            colons += sum(key.count(":") for key in item)
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, str):
                colons += item.count(":")
            continue
        depth = max(depth, level)
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
            elif isinstance(child, str):
                colons += child.count(":")
    return keys, depth, colons


class _RepeatedKey(Exception):
    pass


def _refuse_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return result


def _repeated_key(raw: bytes) -> str | None:
    try:
        json.loads(raw, object_pairs_hook=_refuse_repeats)
    except _RepeatedKey as exc:
        return f"an object repeats the key {quote(exc.args[0])}"
    return None  # the extra colons were inside strings
