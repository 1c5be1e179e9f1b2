"""Publishing the dataset folder to the Hugging Face Hub."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from migbench.errors import MigbenchError

TOKEN_VARIABLE = "HF_TOKEN"
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def dataset_files(folder: Path) -> list[Path]:
    """Return the files to upload, relative to the folder, sorted."""
    if not (folder / "README.md").is_file():
        raise MigbenchError(f"{folder}: no dataset card (README.md); run `migbench build` first")
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def push_dataset(
    folder: Path, repo_id: str, *, private: bool = False, dry_run: bool = False
) -> Iterator[str]:
    """Upload the dataset folder as a Hub dataset repository; yield one line per step.

    The token is read from the ``HF_TOKEN`` environment variable only, and never printed.
    """
    if not _REPO_ID.match(repo_id):
        raise MigbenchError(f"repo id {repo_id!r}: expected ORG/NAME")
    files = dataset_files(folder)
    total = sum((folder / f).stat().st_size for f in files)
    if dry_run:
        yield f"dry run: would upload {len(files)} files ({total} bytes) to datasets/{repo_id}"
        yield from (f"  {f.as_posix()}" for f in files)
        return
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise MigbenchError(f"set {TOKEN_VARIABLE} to a Hugging Face token with write access")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset")
    except (HfHubHTTPError, OSError) as exc:
        raise MigbenchError(f"upload to datasets/{repo_id} failed: {exc}") from None
    yield f"uploaded {len(files)} files to {commit.commit_url}"
