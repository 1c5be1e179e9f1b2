"""Released models: the best releasable baseline of each task, trained on the whole corpus.

Usage::

    python -m baselines.release [--tasks TASK ...] [--out models]

For each task the baseline with the best full-corpus cross-validation score among those that
can be released (:data:`RELEASABLE`) is read from ``baselines/results/cv/``, trained on every
unit with seed 0 and saved under ``models/migbench-<task>/`` (:mod:`migbench.models.artifact`):
the scikit-learn classifier with skops (and a tuned encoder as sentence-transformers saves it),
the spaCy pipeline with ``nlp.to_disk``, a manifest with
every file's sha256 and the provenance, and a model card (``README.md``) whose scores are the
committed results'. The same command on the same dataset and installed packages writes the same
bytes (see docs/SCALING.md, "Released models").
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import migbench
from baselines import contrastive, embeddings, provenance, spacy_ner
from baselines.data import TASKS, load_units
from baselines.paths import EVERY_UNIT, REPO, RESULTS, SPACY_CONFIG, PredictionName, prediction_path
from baselines.registry import BASELINES
from baselines.run_all import record_stage
from baselines.summary import best_baseline, load_results, scores
from migbench.fileio import output_dir
from migbench.models import artifact
from migbench.schema import SPLITS
from migbench.version import DATASET_VERSION

log = logging.getLogger("baselines")

MODELS = REPO / "models"
SEED = 0
#: Baselines that can be released, with their kind and whether they read the neighbours.
RELEASABLE: dict[str, str] = {
    "embed-lr": "embedding-classifier",
    "embed-lr-ctx": "embedding-classifier",
    "embed-lr-sel": "embedding-classifier",
    "setfit-sel": "embedding-classifier",
    "spacy-ner": "spacy-ner",
    "spacy-ner-md": "spacy-ner",
}
#: The features of each classifier baseline (:func:`baselines.embeddings.features`); None: chosen
#: on the training units.
CONTEXTS: dict[str, bool | None] = {
    "embed-lr": False,
    "embed-lr-ctx": True,
    "embed-lr-sel": None,
    "setfit-sel": None,
}
#: Classifier baselines that tune the encoder (:func:`baselines.contrastive.tune`) first.
TUNED: tuple[str, ...] = ("setfit-sel",)
#: The folder of a tuned encoder inside the model folder.
TUNED_FOLDER = "encoder"
#: Results reported on the card besides cross-validation: protocol, split, label.
OTHER_PROTOCOLS: tuple[tuple[str, str, str], ...] = (
    ("split", "test", "fixed split, test"),
    ("genre", "test", "genre transfer (report → news), test"),
)
#: Fixed date of every member of a skops zip, so that the file depends on its content only.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SKOPS_SCHEMA = "schema.json"
_ARRAY = re.compile(r'"file": "([^"]+\.npy)"')
#: skops identifies each object by its memory address (to share repeated ones): numbered instead.
_OBJECT_ID = re.compile(r'"__id__": (\d+)')
#: Settings of the training run that name this machine's files; the saved pipeline leaves them out.
MACHINE_PATHS = ("train", "dev", "base", "vectors")


def choose(task: str) -> str:
    """Return the releasable baseline with the best cv score of ``task``."""
    summary = scores(load_results())
    candidates = {key: value for key, value in summary.items() if key[1] in RELEASABLE}
    best = best_baseline(candidates, task, "cv", EVERY_UNIT)
    if best is None:
        raise SystemExit(f"no cv result of a releasable baseline for {task}; run the main job")
    return best


def result(baseline: str, task: str, protocol: str, split: str) -> dict[str, Any] | None:
    """Return a committed result's main score and interval, None where there is none."""
    name = PredictionName(protocol, baseline, task, split, None)
    path = prediction_path(RESULTS, name).with_suffix(".json")
    if not path.is_file():
        return None
    found = json.loads(path.read_text(encoding="utf-8"))
    ci = found["ci"]
    return {
        "main_metric": found["main_metric"],
        "score": {"value": found["main_score"], "low": ci["low"], "high": ci["high"]},
        "level": ci["level"],
        "n_units": found["n_units"],
        "file": path.relative_to(REPO).as_posix(),
    }


def deterministic_skops(path: Path) -> None:
    """Rewrite a skops file so that equal content gives equal bytes.

    skops names each array file and object after its memory address and zips them with the
    current time: arrays and objects are numbered by their order in the schema, and every member
    gets a fixed date.
    """
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    schema = members.pop(SKOPS_SCHEMA).decode("utf-8")
    names = {old: f"{index}.npy" for index, old in enumerate(dict.fromkeys(_ARRAY.findall(schema)))}
    if set(names) != set(members):
        raise ValueError(f"{path}: arrays {sorted(members)} do not match the schema's")
    schema = _ARRAY.sub(lambda match: f'"file": "{names[match[1]]}"', schema)
    ids = {old: str(index) for index, old in enumerate(dict.fromkeys(_OBJECT_ID.findall(schema)))}
    schema = _OBJECT_ID.sub(lambda match: f'"__id__": {ids[match[1]]}', schema)
    renamed = {names[old]: data for old, data in members.items()}
    renamed[SKOPS_SCHEMA] = schema.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in sorted(renamed.items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)


def save_classifier(task: str, baseline: str, units: Sequence[dict], folder: Path) -> dict:
    """Train an embedding classifier on ``units`` and save it; return its manifest part."""
    import skops.io

    context = CONTEXTS[baseline]
    model = None
    if baseline in TUNED:
        model = contrastive.tune(task, units, SEED)
        model.save(str(folder / TUNED_FOLDER), create_model_card=False)
    if context is None:
        context, search = embeddings.select(task, units, SEED, model=model)
    else:
        search = embeddings.fit(task, units, SEED, context=context, model=model)
    path = folder / "classifier.skops"
    skops.io.dump(search.best_estimator_, path)
    deterministic_skops(path)
    encoder = provenance.model_path(provenance.MINILM)
    pin = provenance.pins()[provenance.MINILM]
    return {
        "context": context,
        "labels": sorted(str(label) for label in search.best_estimator_.classes_),
        "hyperparameters": {
            "C": search.best_params_["C"],
            "C_grid": embeddings.C_GRID,
            **({"setfit": contrastive.settings()} if model is not None else {}),
        },
        "encoder": {
            "distribution": provenance.MINILM,
            "version": pin["version"],
            "original": pin["original"],
            "file": "model.safetensors",
            "sha256": provenance.sha256(encoder / "model.safetensors"),
            **({"tuned": TUNED_FOLDER} if model is not None else {}),
        },
    }


def save_tagger(units: Sequence[dict], folder: Path, distribution: str) -> dict:
    """Fine-tune a pinned spaCy pipeline's recogniser on ``units``, save it; return its part."""
    import spacy

    base = provenance.model_path(distribution)
    with tempfile.TemporaryDirectory(prefix="migbench-release-") as scratch:
        best = spacy_ner.train_pipeline(units, SEED, Path(scratch), base=str(base))
        spacy.load(best).to_disk(folder / "pipeline")
    config = folder / "pipeline" / "config.cfg"
    text = config.read_text(encoding="utf-8")
    for name in MACHINE_PATHS:
        text = re.sub(rf"(?m)^{name} = .*$", f"{name} = null", text, count=1)
    config.write_text(text, encoding="utf-8")
    pin = provenance.pins()[distribution]
    return {
        "context": False,
        "labels": sorted(migbench.get_task("ner").labels),
        "hyperparameters": {"config": SPACY_CONFIG.relative_to(REPO).as_posix()},
        "encoder": {
            "distribution": distribution,
            "version": pin["version"],
            "original": pin["original"],
            "file": "ner/model",
            "sha256": provenance.sha256(base / "ner" / "model"),
        },
    }


def release(task: str, out: Path) -> Path:
    """Train and save the released model of ``task`` under ``out``; return its folder."""
    baseline = choose(task)
    kind = RELEASABLE[baseline]
    units = [unit for split in SPLITS for unit in load_units("all", split)]
    name = f"migbench-{task}"
    log.info("%s: %s on %d units", name, baseline, len(units))
    with output_dir(out / name) as folder:
        if kind == "spacy-ner":
            [distribution] = BASELINES[baseline].models
            part = save_tagger(units, folder, distribution)
        else:
            part = save_classifier(task, baseline, units, folder)
        gold = migbench.get_task(task).gold_field
        if task == "ner":  # entity mentions by type
            found = [tag[2:] for unit in units for tag in unit[gold] if tag.startswith("B-")]
        else:
            found = [unit[gold] for unit in units]
        counts = Counter(found)
        manifest = {
            "format": artifact.FORMAT_VERSION,
            "name": name,
            "task": task,
            "kind": kind,
            "baseline": baseline,
            **part,
            "dataset": {
                "name": "migbench",
                "version": DATASET_VERSION,
                "units": len(units),
                "documents": len({unit["doc_id"] for unit in units}),
                "label_counts": dict(sorted(counts.items())),
            },
            "training": {
                "seed": SEED,
                "command": f"python -m baselines.release --tasks {task}",
                "cv_command": (
                    f"python -m baselines.run_all --skip-build --baselines {baseline} "
                    f"--tasks {task} --protocols cv"
                ),
            },
            "scores": {
                "cv": result(baseline, task, "cv", EVERY_UNIT),
                **{
                    protocol: result(baseline, task, protocol, split)
                    for protocol, split, _ in OTHER_PROTOCOLS
                },
            },
            "files": artifact.file_hashes(folder),
            "migbench_version": migbench.__version__,
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (folder / artifact.MANIFEST).write_text(text, encoding="utf-8")
        (folder / artifact.CARD).write_text(card(manifest), encoding="utf-8")
    return out / name


def _score_line(label: str, found: dict[str, Any] | None) -> str:
    if found is None:
        return f"| {label} | – | – |"
    score = found["score"]
    shown = f"{score['value']:.3f} [{score['low']:.3f}, {score['high']:.3f}]"
    return f"| {label} | {found['main_metric']} {shown} | `{found['file']}` |"


def card(manifest: dict[str, Any]) -> str:
    """Return the model card of a manifest."""
    task, baseline = manifest["task"], manifest["baseline"]
    declared = migbench.get_task(task)
    encoder, dataset, training = manifest["encoder"], manifest["dataset"], manifest["training"]
    scores_ = manifest["scores"]
    if manifest["kind"] == "spacy-ner":
        how = (
            f"the recogniser of spaCy's {encoder['original']}, as repackaged in "
            f"{encoder['distribution']} {encoder['version']}, fine-tuned with `spacy train` and "
            f"`{manifest['hyperparameters']['config']}`, the best of its evaluations on an inner "
            "development split of the units kept; it reads the project's tokens."
        )
        output = '`{"id": ..., "entities": [{"start": 0, "end": 5, "label": "GPE"}]}`'
    else:
        reads = {
            False: "the unit's sentence embedding",
            True: "the unit's sentence embedding followed by the previous and the next unit's",
            "mean": "the unit's sentence embedding followed by the mean of the previous and the "
            "next unit's",
        }[manifest["context"]]
        source = f"all-MiniLM-L6-v2 encoder ({encoder['distribution']} {encoder['version']})"
        if "tuned" in encoder:
            setfit = manifest["hyperparameters"]["setfit"]
            source = (
                f"{source}, tuned on the same units by SetFit's contrastive phase "
                f"({setfit['iterations']} similar and {setfit['iterations']} dissimilar pairs "
                f"per unit on average, batches of {setfit['batch_size']}, "
                f"setfit {setfit['version']}) and saved in `{encoder['tuned']}/`"
            )
        else:
            source = f"frozen {source}"
        how = (
            f"a class-weighted logistic regression (C = {manifest['hyperparameters']['C']}, "
            f"chosen by grouped cross-validation over {manifest['hyperparameters']['C_grid']}) "
            f"over {reads}, from the {source}."
        )
        output = f'`{{"id": ..., "{task}": "{manifest["labels"][0]}"}}`'
    lines = [
        f"# {manifest['name']}",
        "",
        f"Generated by `{training['command']}`; do not edit.",
        "",
        f"Predicts **{task}** ({declared.description}) for one sentence-level unit of English "
        f"news or policy writing on irregular migration between India and the United States. "
        f"It is the `{baseline}` baseline of migbench, trained on all {dataset['units']} units "
        f"of migbench {dataset['version']}: {how}",
        "",
        "## Use",
        "",
        "```bash",
        f"migbench predict corpus.jsonl --model {task} --out {task}.jsonl   # or .csv, .txt, "
        ".parquet, a dataset",
        "```",
        "",
        f"Each output line is {output}, the migbench submission format.",
        "",
        "## Scores",
        "",
        "The baseline's committed results under the benchmark's protocols (the same training "
        "procedure on part of the units, scored by the migbench scorer): main score [95 % "
        "bootstrap interval, resampling whole sections]. The released model itself is trained "
        "on every unit, so it has no held-out score.",
        "",
        "| protocol | score | result file |",
        "|---|---|---|",
        _score_line("full-corpus cross-validation (headline)", scores_["cv"]),
        *(_score_line(label, scores_[protocol]) for protocol, _, label in OTHER_PROTOCOLS),
        "",
        f"`{training['cv_command']}` retrains the cross-validation folds and reproduces the "
        "first row.",
        "",
        "## Training data",
        "",
        f"migbench {dataset['version']}: {dataset['units']} units of {dataset['documents']} "
        "documents (news articles and a report; see the dataset card). "
        + ("Entity mentions by type: " if task == "ner" else "Label counts: ")
        + ", ".join(f"{label} {count}" for label, count in dataset["label_counts"].items())
        + ".",
        "",
        "**The labels were made by language-model annotation agents** (a first pass, a second "
        "pass on a sample, adjudication and a re-reading under guidelines v1.2), not by human "
        "annotators; the model learns their judgements, errors included (see the dataset's "
        "datasheet).",
        "",
        "## Intended use and limits",
        "",
        "- Intended for measuring stance and framing, or finding entities, in large corpora of "
        "English news and policy writing on migration, with the errors measured above, and for "
        "comparison with new systems on migbench.",
        f"- {dataset['documents']} documents, {dataset['units']} units: the scores' intervals are "
        "wide, and units from other "
        "outlets, topics or periods may be predicted worse; check a sample of your corpus by "
        "hand before drawing conclusions from aggregate counts.",
        "- Not for decisions about individuals (for example immigration cases).",
        "- Predictions on migbench's own units are training-set predictions, not an evaluation.",
        "",
        "## Provenance",
        "",
        f"- pretrained model: {encoder['original']}, as {encoder['distribution']} "
        f"{encoder['version']}; `{encoder['file']}` sha256 `{encoder['sha256']}`",
        f"- dataset: migbench {dataset['version']}; training seed {training['seed']}",
        f"- built by: `{training['command']}` (migbench {manifest['migbench_version']})",
        "- files: sha256 of each in `model.json`, checked before the model is loaded",
        "",
        "## Licence",
        "",
        "The model files are released under CC BY 4.0, as the annotations they are trained on "
        "(LICENSE-annotations); the pretrained weights they include or load keep their own "
        f"licence ({encoder['distribution']} {encoder['version']}: "
        f"{provenance.pins()[encoder['distribution']]['licence']}). The licence does not cover "
        "the source texts the model was trained on, which the project does not license (see "
        "NOTICE).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the released models; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m baselines.release", description=__doc__)
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=TASKS)
    parser.add_argument("--out", type=Path, default=MODELS, help="folder of the models")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    started = time.perf_counter()
    for task in args.tasks:
        log.info("wrote %s", release(task, args.out))
    if set(args.tasks) == set(TASKS) and args.out.resolve() == MODELS.resolve():
        record_stage("release models", time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
