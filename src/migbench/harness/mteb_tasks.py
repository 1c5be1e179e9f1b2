"""migbench's classification layers as MTEB classification tasks, cross-validated on its folds.

    >>> import mteb                                                     # doctest: +SKIP
    >>> from migbench.harness.mteb_tasks import tasks                   # doctest: +SKIP
    >>> mteb.evaluate(mteb.get_model("sentence-transformers/all-MiniLM-L6-v2"), tasks())

Each task encodes every unit once with the model, then, fold by fold of the dataset's ``fold``
column, fits the classifier on the other folds' embeddings and predicts the fold (MTEB's own
cross-validation draws random folds and undersamples the training units; migbench's folds keep
sections together, and every training unit is used). The out-of-fold predictions are scored
pooled by migbench's metrics, as ``migbench score --protocol cv`` scores a submission:
``main_score`` is the task's main score (``f_avg`` for stance, ``macro_f1`` otherwise), and the
predictions are kept on the task (:attr:`MigbenchClassification.submission`).

The classifier is the shipped ``embed-lr`` baseline's: a class-weighted logistic regression. The
baseline also chooses C by grouped cross-validation within each training part; here C is fixed
at :data:`C` (MTEB's tasks fix their classifier too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict
from mteb import TaskMetadata
from mteb._create_dataloaders import create_dataloader
from mteb.abstasks.classification import AbsTaskClassification
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from migbench.harness import lmeval
from migbench.scoring.evaluation import metrics
from migbench.scoring.tasks import get_task
from migbench.version import DATASET_VERSION

#: The logistic regression's inverse regularisation strength.
C = 1.0
#: The split that holds every unit.
SPLIT = "test"


class MigbenchClassification(AbsTaskClassification):
    """A migbench classification layer, cross-validated on the dataset's folds.

    Attributes:
        task: The migbench task.
        units: Every unit (``id``, ``text``, ``fold``, ``label``), once loaded.
        submission: The out-of-fold predictions of the last run, as a migbench submission.
    """

    task: str
    units: Dataset
    submission: list[dict[str, Any]]
    is_cross_validation = True
    train_split = SPLIT
    evaluator_model = LogisticRegression(class_weight="balanced", max_iter=2000, C=C)

    def load_data(self, num_proc: int | None = None, **_: Any) -> None:
        """Load every unit of the dataset (``$MIGBENCH_DATASET`` or the checkout's)."""
        if self.data_loaded:
            return
        self.units = Dataset.from_list(lmeval.documents(self.task))
        self.dataset = {"default": DatasetDict({SPLIT: self.units})}
        self.data_loaded = True

    def _evaluate_subset_cross_validation(  # type: ignore[override]
        self,
        model: Any,
        data_split: DatasetDict,
        *,
        encode_kwargs: Any,
        hf_split: str,
        hf_subset: str,
        num_proc: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        units = data_split[hf_split]
        loader = create_dataloader(
            units,
            task_metadata=self.metadata,
            input_column=self.input_column_name,
            num_proc=num_proc,
            **encode_kwargs,
        )
        embeddings = np.asarray(
            model.encode(
                loader,
                task_metadata=self.metadata,
                hf_split=hf_split,
                hf_subset=hf_subset,
                **encode_kwargs,
            )
        )
        # evaluate() kept only the text and label columns; the folds are the loaded dataset's.
        folds = np.asarray(self.units["fold"])
        labels = np.asarray(units[self.label_column_name])
        predicted = np.empty_like(labels)
        for fold in sorted(set(folds.tolist())):
            held_out = folds == fold
            classifier = clone(self.evaluator_model).set_params(random_state=self.seed)
            classifier.fit(embeddings[~held_out], labels[~held_out])
            predicted[held_out] = classifier.predict(embeddings[held_out])
        names = get_task(self.task).labels
        ids = self.units["id"]
        self.submission = [
            {"id": unit_id, self.task: names[i]}
            for unit_id, i in zip(ids, predicted.tolist(), strict=True)
        ]
        scores = metrics(self.task, [names[i] for i in labels], [names[i] for i in predicted])
        return {key: value for key, value in scores.items() if isinstance(value, float)}


def _metadata(task: str) -> TaskMetadata:
    declared = get_task(task)
    return TaskMetadata(
        name=f"Migbench{task.capitalize()}Classification",
        description=f"migbench {task}: {declared.description}; five-fold cross-validation on the "
        "dataset's folds, out-of-fold predictions scored pooled by migbench's metrics.",
        dataset={"path": "migbench", "revision": DATASET_VERSION},
        type="Classification",
        category="t2c",
        eval_splits=[SPLIT],
        eval_langs=["eng-Latn"],
        main_score=declared.main_metric,
        domains=["News", "Government", "Written"],
        license="cc-by-4.0",
        annotations_creators="LM-generated",
        sample_creation="found",
        bibtex_citation="",
    )


def tasks(names: tuple[str, ...] = lmeval.TASKS) -> list[MigbenchClassification]:
    """Return the MTEB tasks of the classification layers named (``stance``, ``frame``, ``mfc``)."""
    return [
        type(
            f"Migbench{name.capitalize()}Classification",
            (MigbenchClassification,),
            {"task": name, "metadata": _metadata(name)},
        )()
        for name in names
    ]
