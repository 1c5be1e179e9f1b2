"""Publishing the dataset folder to the Hugging Face Hub."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import HFValidationError, validate_repo_id

from migbench.dataset.textfree import source_text_problems
from migbench.errors import MigbenchError
from migbench.jsonio import quote

TOKEN_VARIABLE = "HF_TOKEN"
#: What a release uploads besides the data: card, datasheet, licence and Croissant metadata.
RELEASE_FILES = ("README.md", "DATASHEET.md", "LICENSE", "croissant.json")
_REPO_ID_RULES = (
    "expected ORG/NAME: letters, digits, '-', '_' and '.', at most 96 characters, "
    "no '--' or '..', not ending in '.git'"
)


def check_repo_id(repo_id: str) -> None:
    """Refuse a repo id that is not ``ORG/NAME`` by the Hub's rules.

    Raises:
        MigbenchError: Saying what a valid id looks like.
    """
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise MigbenchError(f"repo id {quote(repo_id)}: {_REPO_ID_RULES}") from None
    if repo_id.count("/") != 1:
        raise MigbenchError(f"repo id {quote(repo_id)}: {_REPO_ID_RULES}")


def dataset_files(folder: Path) -> list[Path]:
    """Return the files to upload, relative to the folder, sorted.

    Hidden files and folders (the output marker among them) are left out. A symlink could point
    outside the folder, so one is refused rather than followed.

    Raises:
        MigbenchError: The folder lacks a release file, or holds a symlink.
    """
    missing = [name for name in RELEASE_FILES if not (folder / name).is_file()]
    if missing:
        raise MigbenchError(f"{folder}: no {', '.join(missing)}; run `migbench build` first")
    files, links = [], []
    for root, folders, names in os.walk(folder):
        base = Path(root)
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in [*folders, *names]:
            path = base / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                links.append(path.relative_to(folder).as_posix())
            elif name in names and path.is_file():
                files.append(path.relative_to(folder))
    if links:
        raise MigbenchError(
            f"{folder}: holds symlinks ({', '.join(links[:5])}); "
            "the upload takes regular files only, so replace them with the files"
        )
    return sorted(files)


def push_dataset(
    folder: Path,
    repo_id: str,
    *,
    with_text: bool = False,
    private: bool = False,
    dry_run: bool = False,
) -> Iterator[str]:
    """Upload the dataset folder as a Hub dataset repository; yield one line per step.

    A folder that holds source text anywhere (any string column of any parquet file, or any
    other file: :func:`~migbench.dataset.textfree.source_text_problems`) is refused unless
    ``with_text``: the texts belong to their publishers, so the text-free variant is what goes
    out by default. Exactly the files
    :func:`dataset_files` lists are uploaded. The token is read from the ``HF_TOKEN``
    environment variable only, and never printed.
    """
    check_repo_id(repo_id)
    files = dataset_files(folder)
    problems = [] if with_text else source_text_problems(folder)
    if problems:
        shown = problems[:20] + ([f"and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise MigbenchError(
            f"{folder} holds the source texts, which the project does not license; push the "
            "text-free variant (`migbench build --no-text`, then `migbench push`), or pass "
            "--with-text if you may redistribute the texts:\n  " + "\n  ".join(shown)
        )
    total = sum((folder / f).stat().st_size for f in files)
    variant = "the full dataset, source texts included" if with_text else "the text-free variant"
    if dry_run:
        yield (
            f"dry run: would upload {variant} from {folder}: {len(files)} files ({total} bytes) "
            f"to datasets/{repo_id}"
        )
        yield from (f"  {f.as_posix()}" for f in files)
        return
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise MigbenchError(f"set {TOKEN_VARIABLE} to a Hugging Face token with write access")
    api = HfApi(token=token)
    operations = [
        CommitOperationAdd(path_in_repo=f.as_posix(), path_or_fileobj=str(folder / f))
        for f in files
    ]
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.create_commit(
            repo_id,
            operations,
            commit_message="Upload the migbench dataset",
            repo_type="dataset",
        )
    except (HfHubHTTPError, OSError) as exc:
        raise MigbenchError(f"upload to datasets/{repo_id} failed: {exc}") from None
    yield f"uploaded {len(files)} files to {commit.commit_url}"
