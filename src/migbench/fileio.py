"""Writes that cannot hurt: every command that writes goes through here.

The policy (``docs/SECURITY.md``):

- Paths are compared by the files they name (device and inode, links resolved), not by spelling.
- A file output is created, or replaces a regular file. It never replaces a symlink, folder,
  FIFO or device, nor a file the command reads, nor lies inside a folder the command reads.
- The seeds folder, the annotations folder and every folder migbench wrote are guarded: a file
  is written inside one only by the command that owns it (:data:`SEEDS`, :data:`ANNOTATIONS`).
- A folder output is created, or replaces an empty folder or a folder migbench wrote: one whose
  marker :data:`MARKER_NAME` (a regular file of an exact schema) lists every file in it with its
  sha256, and which holds nothing else. Replacing it deletes only the files the marker lists.
  It is never the current directory, the package's source, an input, or a folder above or
  inside one.
- Every write goes through a temporary sibling and a rename; several files of one command are
  all written before any is renamed into place, so a failure leaves the previous outputs and no
  temporary file or staging folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from migbench.errors import MigbenchError
from migbench.jsonio import InputError, clip, file_kind, read_json

log = logging.getLogger("migbench")

#: Marker of a folder migbench wrote: every file it wrote there, with its sha256.
MARKER_NAME = ".migbench-output"
MARKER_BYTES = 1024 * 1024
STAGING_SUFFIX = ".migbench-staging"
OLD_SUFFIX = ".migbench-old"
#: Guarded folders, each told by a file only it holds, and the commands that own them.
SEEDS = "seeds"
ANNOTATIONS = "annotations"
_GUARDS = ((("manifest.json", "cleaning.json"), SEEDS), (("annotators.json",), ANNOTATIONS))
_PACKAGE = Path(__file__).resolve().parent
_SHOWN = 5
_SHA256 = re.compile(r"[0-9a-f]{64}")


class OutputError(MigbenchError):
    """An output path that a command must not write."""


def _resolved(path: Path) -> Path:
    """Return ``path`` absolute with every symlink resolved, ``link/..`` included."""
    return Path(os.path.realpath(path))


def _target(path: Path) -> Path:
    """Return where ``path`` itself lies: its folder resolved, its last part kept."""
    if path.name in ("", ".", ".."):
        return _resolved(path)
    return _resolved(path.parent) / path.name


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


def _within(target: Path, folder: Path) -> bool:
    return target == folder or folder in target.parents


def guarded_folder(path: Path) -> tuple[Path, str] | None:
    """Return the guarded folder that holds ``path`` and its kind, or None.

    The kinds: :data:`SEEDS`, :data:`ANNOTATIONS`, or ``"output"`` for a folder migbench wrote.
    """
    for folder in _target(path).parents:
        if os.path.lexists(folder / MARKER_NAME):
            return folder, "output"
        for names, kind in _GUARDS:
            if all(os.path.lexists(folder / name) for name in names):
                return folder, kind
    return None


def check_output_file(
    path: Path, *, inputs: Iterable[Path | None] = (), owns: str | None = None
) -> None:
    """Refuse a file output that is not absent or a regular file, or that names an input.

    Args:
        path: The file to write.
        inputs: Files and folders the command reads; the output may be none of them, nor lie
            inside one of the folders.
        owns: The guarded folder (:data:`SEEDS` or :data:`ANNOTATIONS`) the command may write in.

    Raises:
        OutputError: Saying what ``path`` is and why it is not written.
    """
    status = _lstat(path)
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise OutputError(f"{path}: is {file_kind(status.st_mode)}; an output replaces only a file")
    target = _target(path)
    if _within(target, _PACKAGE):
        raise OutputError(f"{path}: lies inside the migbench package; write elsewhere")
    identity = _identity(path) if status is not None else None
    for source in inputs:
        if source is None:
            continue
        if (identity is not None and _identity(source) == identity) or _resolved(source) == target:
            raise OutputError(f"{path}: is also an input ({source}); write the output elsewhere")
        if os.path.isdir(source) and _within(target, _resolved(source)):
            raise OutputError(f"{path}: lies inside the input folder {source}; write elsewhere")
    guard = guarded_folder(path)
    if guard is not None and guard[1] != owns:
        folder, kind = guard
        what = "a folder migbench wrote" if kind == "output" else f"the {kind} folder"
        raise OutputError(
            f"{path}: lies inside {folder}, {what}, which this command does not write; "
            "write the output elsewhere"
        )


def _default_mode(mode: int) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def _temporary(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to a new temporary sibling of ``path`` with the mode ``path`` will get."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        status = _lstat(path)
        os.chmod(tmp, stat.S_IMODE(status.st_mode) if status else _default_mode(0o666))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def temporary_sibling(path: Path) -> Path:
    """Create an empty file of a unique name beside ``path``, for staging it; return its path."""
    return _temporary(path, b"")


def write_atomic(
    path: Path,
    data: str | bytes,
    *,
    inputs: Iterable[Path | None] = (),
    owns: str | None = None,
) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Raises:
        OutputError: ``path`` may not be written (see :func:`check_output_file`) or cannot be.
    """
    write_files({path: data}, inputs=inputs, owns=owns)


def write_files(
    files: Mapping[Path, str | bytes],
    *,
    inputs: Iterable[Path | None] = (),
    owns: str | None = None,
    replace: bool = True,
) -> None:
    """Write several files all or nothing: every one is written aside before any is renamed.

    Should a rename fail, the files already renamed get their previous content back.

    Args:
        files: Path → text (UTF-8) or bytes.
        inputs: As for :func:`check_output_file`.
        owns: As for :func:`check_output_file`.
        replace: Whether an existing file may be replaced; if not, one is refused.

    Raises:
        OutputError: A path may not be written (see :func:`check_output_file`) or cannot be.
    """
    inputs = list(inputs)
    for path in files:
        check_output_file(path, inputs=inputs, owns=owns)
        if not replace and _lstat(path) is not None:
            raise OutputError(f"{path}: exists and migbench did not write it; it is not replaced")
    staged: dict[Path, Path] = {}
    backups: dict[Path, Path | None] = {}
    current = next(iter(files), None)
    try:
        for current, data in files.items():
            current.parent.mkdir(parents=True, exist_ok=True)
            payload = data.encode("utf-8") if isinstance(data, str) else data
            staged[current] = _temporary(current, payload)
        for current, tmp in staged.items():
            check_output_file(current, inputs=inputs, owns=owns)  # the path may have changed
            backups[current] = _backup(current)
            os.replace(tmp, current)
    except OSError as exc:
        _restore(backups)
        raise OutputError(f"cannot write {current}: {exc.strerror}") from None
    except BaseException:
        _restore(backups)
        raise
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        for backup in backups.values():
            if backup is not None:
                shutil.rmtree(backup.parent, ignore_errors=True)


def _backup(path: Path) -> Path | None:
    """Link the file at ``path`` into a hidden sibling folder, to restore should a rename fail."""
    if _lstat(path) is None:
        return None
    folder = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=OLD_SUFFIX))
    try:
        os.link(path, folder / path.name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder / path.name


def _restore(backups: Mapping[Path, Path | None]) -> None:
    for path, backup in backups.items():
        with suppress(OSError):
            if backup is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(backup, path)


def write_new(path: Path, data: bytes, *, owns: str | None = None) -> None:
    """Create ``path`` with ``data``, atomically, failing if anything exists there.

    Raises:
        OutputError: Something exists at ``path``, or it cannot be written.
    """
    check_output_file(path, owns=owns)
    try:
        tmp = _temporary(path, data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        os.link(tmp, path)  # unlike a rename, a link never replaces what is there
    except FileExistsError:
        raise OutputError(f"{path}: exists; it is not replaced") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


def sha256_file(path: Path) -> str:
    """Return the sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _below(folder: Path) -> tuple[list[str], list[str]]:
    """Return the non-folders and the folders below ``folder`` (links not followed), sorted."""
    files: list[str] = []
    folders: list[str] = []
    for root, names, others in os.walk(folder):
        base = Path(root)
        for name in names:
            entry = (base / name).relative_to(folder).as_posix()
            (files if (base / name).is_symlink() else folders).append(entry)
        files += [(base / name).relative_to(folder).as_posix() for name in others]
    return sorted(files), sorted(folders)


def read_marker(folder: Path) -> dict[str, str]:
    """Read the marker of a folder migbench wrote: relative path → sha256 of each file.

    Raises:
        OutputError: The marker is not a regular file, or not exactly the schema
            ``{"written_by": "migbench", "files": [{"path": ..., "sha256": ...}, ...]}`` with
            sorted, distinct, relative paths below the folder.
    """
    path = folder / MARKER_NAME
    damaged = f"{path}: not a marker migbench wrote; move the folder away yourself"
    status = _lstat(path)
    if status is None or not stat.S_ISREG(status.st_mode):
        raise OutputError(damaged)
    try:
        marker = read_json(path, max_bytes=MARKER_BYTES)
    except InputError:
        raise OutputError(damaged) from None
    if not (
        isinstance(marker, dict)
        and marker.keys() == {"written_by", "files"}
        and marker["written_by"] == "migbench"
        and isinstance(marker["files"], list)
    ):
        raise OutputError(damaged)
    listed: dict[str, str] = {}
    for entry in marker["files"]:
        if not (isinstance(entry, dict) and entry.keys() == {"path", "sha256"}):
            raise OutputError(damaged)
        name, digest = entry["path"], entry["sha256"]
        if not (
            isinstance(name, str)
            and isinstance(digest, str)
            and _SHA256.fullmatch(digest)
            and _relative(name)
            and name not in listed
            and (not listed or name > next(reversed(listed)))
        ):
            raise OutputError(damaged)
        listed[name] = digest
    return listed


def _relative(name: str) -> bool:
    parts = name.split("/")
    return name != MARKER_NAME and all(part not in ("", ".", "..") for part in parts)


def _shown(names: list[str]) -> str:
    shown = ", ".join(clip(name) for name in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def check_output_dir(out: Path, *, inputs: Iterable[Path | None] = ()) -> dict[str, str]:
    """Refuse a folder output that migbench may not create or replace.

    Returns:
        The files of ``out`` that replacing it deletes, with their sha256 (none when it is new).

    Raises:
        OutputError: ``out`` is the current directory, the package's source, an input, or a folder
            above or inside one; or it exists and is not an empty folder or one migbench wrote,
            or holds a file migbench did not write or one changed since.
    """
    target = _target(out)
    protected = [(Path.cwd().resolve(), "the current directory"), (_PACKAGE, "migbench's source")]
    for folder, what in protected:
        if _within(folder, target):
            raise OutputError(f"{out}: is {what} or a folder above it; choose another output")
    if _within(target, _PACKAGE):
        raise OutputError(f"{out}: lies inside migbench's source; choose another output")
    for source in inputs:
        if source is None:
            continue
        folder = _resolved(source)
        same = _identity(out) is not None and _identity(out) == _identity(source)
        if same or _within(target, folder) or _within(folder, target):
            raise OutputError(f"{out}: is, holds or lies inside the input {source}")
    guard = guarded_folder(out)
    if guard is not None:
        raise OutputError(f"{out}: lies inside {guard[0]}, a guarded folder; choose another output")
    status = _lstat(out)
    if status is None:
        return {}
    if not stat.S_ISDIR(status.st_mode):
        raise OutputError(
            f"{out}: is {file_kind(status.st_mode)}; the output must be a new or empty folder, "
            "or one migbench wrote"
        )
    files, folders = _below(out)
    if not files and not folders:
        return {}
    if MARKER_NAME not in files:
        raise OutputError(
            f"{out}: is not empty and migbench did not write it (no {MARKER_NAME}); "
            "choose another output, or move the folder away yourself"
        )
    listed = read_marker(out)
    parents = {parent.as_posix() for name in listed for parent in Path(name).parents}
    foreign = [name for name in files if name not in listed and name != MARKER_NAME]
    foreign += [name + "/" for name in folders if name not in parents]
    if foreign:
        raise OutputError(
            f"{out}: holds files migbench did not write ({_shown(sorted(foreign))}); "
            "move them away first"
        )
    changed = [
        name
        for name in files
        if name in listed
        and (
            not stat.S_ISREG(os.lstat(out / name).st_mode)
            or sha256_file(out / name) != listed[name]
        )
    ]
    if changed:
        raise OutputError(
            f"{out}: holds files changed since migbench wrote them ({_shown(changed)}); "
            "move them away first"
        )
    return {name: listed[name] for name in files if name in listed}


def marker_text(folder: Path) -> str:
    """Return the marker that lists every file below ``folder`` with its sha256."""
    files, _ = _below(folder)
    entries = [
        {"path": name, "sha256": sha256_file(folder / name)}
        for name in files
        if name != MARKER_NAME
    ]
    return json.dumps({"written_by": "migbench", "files": entries}, indent=1) + "\n"


@contextmanager
def output_dir(out: Path, *, inputs: Iterable[Path | None] = ()) -> Iterator[Path]:
    """Yield an empty staging folder beside ``out``; when the block succeeds it becomes ``out``.

    The staging folder is marked as migbench's and swapped in for ``out`` only when complete; on
    any failure (an exception, or a signal the CLI turns into one) it is removed and ``out`` is
    left as it was.

    Raises:
        OutputError: ``out`` may not be written (see :func:`check_output_dir`) or cannot be.
    """
    inputs = list(inputs)
    check_output_dir(out, inputs=inputs)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=STAGING_SUFFIX)
        )
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror}") from None
    try:
        try:
            os.chmod(staging, _default_mode(0o777))  # mkdtemp makes it private
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror}") from None
        yield staging
        owned = check_output_dir(out, inputs=inputs)  # the folder may have changed meanwhile
        try:
            (staging / MARKER_NAME).write_text(marker_text(staging), encoding="utf-8")
            _swap(staging, out, owned)
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, out: Path, owned: Mapping[str, str]) -> None:
    """Put ``staging`` in place of ``out``; then delete the files of the old one it listed."""
    if _lstat(out) is None:
        os.replace(staging, out)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=OLD_SUFFIX))
    try:
        os.replace(out, old)  # onto an empty folder: allowed
    except OSError:
        old.rmdir()
        raise
    try:
        os.replace(staging, out)
    except OSError:
        os.replace(old, out)
        raise
    _remove_listed(old, owned)


def _remove_listed(old: Path, owned: Mapping[str, str]) -> None:
    """Delete the listed files of ``old`` still as written, then its emptied folders."""
    for name, digest in owned.items():
        with suppress(OSError):
            if stat.S_ISREG(os.lstat(old / name).st_mode) and sha256_file(old / name) == digest:
                (old / name).unlink()
    with suppress(OSError):
        (old / MARKER_NAME).unlink()
    for root, _, _ in sorted(os.walk(old, topdown=False), key=lambda entry: -len(entry[0])):
        with suppress(OSError):
            os.rmdir(root)
    if os.path.lexists(old):
        log.warning("kept %s: it holds files that appeared while migbench wrote %s", old, old)
