"""Publishing the dataset folder to the Hugging Face Hub."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from migbench.dataset.textfree import holds_text
from migbench.errors import MigbenchError

TOKEN_VARIABLE = "HF_TOKEN"
#: What a release uploads besides the data: card, datasheet, licence and Croissant metadata.
RELEASE_FILES = ("README.md", "DATASHEET.md", "LICENSE", "croissant.json")
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def dataset_files(folder: Path) -> list[Path]:
    """Return the files to upload, relative to the folder, sorted."""
    missing = [name for name in RELEASE_FILES if not (folder / name).is_file()]
    if missing:
        raise MigbenchError(f"{folder}: no {', '.join(missing)}; run `migbench build` first")
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def push_dataset(
    folder: Path,
    repo_id: str,
    *,
    with_text: bool = False,
    private: bool = False,
    dry_run: bool = False,
) -> Iterator[str]:
    """Upload the dataset folder as a Hub dataset repository; yield one line per step.

    A folder that holds source texts is refused unless ``with_text``: the texts belong to their
    publishers, so the text-free variant is what goes out by default. The token is read from the
    ``HF_TOKEN`` environment variable only, and never printed.
    """
    if not _REPO_ID.match(repo_id):
        raise MigbenchError(f"repo id {repo_id!r}: expected ORG/NAME")
    files = dataset_files(folder)
    if holds_text(folder) and not with_text:
        raise MigbenchError(
            f"{folder} holds the source texts, which the project does not license; push the "
            "text-free variant (`migbench build --no-text`, then `migbench push`), or pass "
            "--with-text if you may redistribute the texts"
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
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset")
    except (HfHubHTTPError, OSError) as exc:
        raise MigbenchError(f"upload to datasets/{repo_id} failed: {exc}") from None
    yield f"uploaded {len(files)} files to {commit.commit_url}"
