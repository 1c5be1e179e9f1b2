"""Writes that cannot hurt: every command that writes goes through here.

The policy (``docs/SECURITY.md``):

- A file output is created, or replaces a regular file. It never replaces a symlink, folder,
  FIFO or device, nor a file the same command reads.
- A folder output is created, or replaces an empty folder or a folder migbench wrote: one that
  holds the marker :data:`MARKER_NAME`, which lists the files written, and no other file. It is
  never the current directory, the package's source, an input, or a folder above or inside one.
- Every write goes through a temporary sibling and a rename, so a failure leaves the previous
  output and no temporary file or staging folder.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from migbench.errors import MigbenchError
from migbench.jsonio import InputError, file_kind, read_json

#: Marker of a folder migbench wrote: the sorted list of the files it wrote there.
MARKER_NAME = ".migbench-output"
MARKER_BYTES = 1024 * 1024
STAGING_SUFFIX = ".migbench-staging"
OLD_SUFFIX = ".migbench-old"
_PACKAGE = Path(__file__).resolve().parent
_SHOWN = 5


class OutputError(MigbenchError):
    """An output path that a command must not write."""


def _absolute(path: Path) -> Path:
    """Return ``path`` absolute, symlinks resolved in its folders but not in its last part."""
    absolute = Path(os.path.abspath(path))
    return absolute.parent.resolve() / absolute.name if absolute.name else absolute


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


def check_output_file(path: Path, *, inputs: Iterable[Path | None] = ()) -> None:
    """Refuse a file output that is not absent or a regular file, or that names an input.

    Raises:
        OutputError: Saying what ``path`` is and why it is not written.
    """
    status = _lstat(path)
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise OutputError(f"{path}: is {file_kind(status.st_mode)}; an output replaces only a file")
    target = _absolute(path)
    if target == _PACKAGE or _PACKAGE in target.parents:
        raise OutputError(f"{path}: lies inside the migbench package; write elsewhere")
    for source in inputs:
        if source is None:
            continue
        same = _absolute(source) == target
        if not same and status is not None and os.path.exists(source):
            same = os.path.samefile(source, path)
        if same:
            raise OutputError(f"{path}: is also an input ({source}); write the output elsewhere")


def write_atomic(path: Path, data: str | bytes, *, inputs: Iterable[Path | None] = ()) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Raises:
        OutputError: ``path`` may not be written (see :func:`check_output_file`) or cannot be.
    """
    check_output_file(path, inputs=inputs)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        status = _lstat(path)
        os.chmod(tmp, stat.S_IMODE(status.st_mode) if status else _default_mode(0o666))
        check_output_file(path, inputs=inputs)  # the path may have changed meanwhile
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``, atomically, failing if anything exists there.

    Raises:
        OutputError: Something exists at ``path``, or it cannot be written.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _default_mode(0o666))
        os.link(tmp, path)  # unlike a rename, a link never replaces what is there
    except FileExistsError:
        raise OutputError(f"{path}: exists; it is not replaced") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _default_mode(mode: int) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def _files_below(folder: Path) -> list[str]:
    """Return every non-folder below ``folder`` (symlinks not followed), relative, sorted."""
    found = []
    for root, folders, files in os.walk(folder):
        base = Path(root)
        found += [(base / name).relative_to(folder).as_posix() for name in files]
        found += [
            (base / name).relative_to(folder).as_posix()
            for name in folders
            if (base / name).is_symlink()
        ]
    return sorted(found)


def check_output_dir(out: Path, *, inputs: Iterable[Path | None] = ()) -> None:
    """Refuse a folder output that migbench may not create or replace.

    Raises:
        OutputError: ``out`` is the current directory, the package's source, an input, or a folder
            above or inside one; or it exists and is not an empty folder or one migbench wrote.
    """
    target = _absolute(out)
    protected = [(Path.cwd().resolve(), "the current directory"), (_PACKAGE, "migbench's source")]
    for folder, what in protected:
        if target == folder or target in folder.parents:
            raise OutputError(f"{out}: is {what} or a folder above it; choose another output")
    if target == _PACKAGE or _PACKAGE in target.parents:
        raise OutputError(f"{out}: lies inside migbench's source; choose another output")
    for source in inputs:
        if source is None:
            continue
        folder = _absolute(source)
        if target == folder or target in folder.parents or folder in target.parents:
            raise OutputError(f"{out}: is, holds or lies inside the input {source}")
    status = _lstat(out)
    if status is None:
        return
    if not stat.S_ISDIR(status.st_mode):
        raise OutputError(
            f"{out}: is {file_kind(status.st_mode)}; the output must be a new or empty folder, "
            "or one migbench wrote"
        )
    present = _files_below(out)
    if not present:
        return
    if MARKER_NAME not in present:
        raise OutputError(
            f"{out}: is not empty and migbench did not write it (no {MARKER_NAME}); "
            "choose another output, or move the folder away yourself"
        )
    try:
        written = read_json(out / MARKER_NAME, max_bytes=MARKER_BYTES)["files"]
        foreign = sorted(set(present) - set(written) - {MARKER_NAME})
    except (InputError, TypeError, KeyError):
        raise OutputError(f"{out / MARKER_NAME}: damaged; move the folder away yourself") from None
    if foreign:
        shown = ", ".join(foreign[:_SHOWN])
        if len(foreign) > _SHOWN:
            shown += f" and {len(foreign) - _SHOWN} more"
        raise OutputError(
            f"{out}: holds files migbench did not write ({shown}); move them away first"
        )


def _mark(folder: Path) -> None:
    files = [name for name in _files_below(folder) if name != MARKER_NAME]
    text = json.dumps({"written_by": "migbench", "files": files}, indent=1) + "\n"
    (folder / MARKER_NAME).write_text(text, encoding="utf-8")


@contextmanager
def output_dir(out: Path, *, inputs: Iterable[Path | None] = ()) -> Iterator[Path]:
    """Yield an empty staging folder beside ``out``; when the block succeeds it becomes ``out``.

    The staging folder is marked as migbench's and swapped in for ``out`` only when complete; on
    any failure it is removed and ``out`` is left as it was.

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
        os.chmod(staging, _default_mode(0o777))  # mkdtemp makes it private
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror}") from None
    try:
        yield staging
        check_output_dir(out, inputs=inputs)  # the folder may have changed during the build
        try:
            _mark(staging)
            _swap(staging, out)
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` in place of ``out``; the old folder is removed only afterwards."""
    if _lstat(out) is None:
        os.replace(staging, out)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=OLD_SUFFIX))
    os.replace(out, old)  # onto an empty folder: allowed
    try:
        os.replace(staging, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
