"""Every baseline, declared once as a record, as MTEB declares its models (``ModelMeta``).

The main job, the results table, the model provenance check and the README read these records.
A record names its entry point as ``module:function`` and is imported only when run, so that
reading the registry imports neither torch nor spaCy. Adding a baseline is adding its module and
one record here (see the README, "Adding a baseline").
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from types import MappingProxyType
from typing import Any

import migbench
from baselines.paths import README
from baselines.provenance import MINILM, SPACY_MD, SPACY_SM
from migbench.markdown import table

#: Seeds of the baselines whose runs differ by seed.
SEEDS: tuple[int, ...] = (0, 1, 2)
#: The vote's members, fixed in advance: the plain baseline of each family.
VOTE_MEMBERS: tuple[str, ...] = ("embed-lr", "tfidf-lr", "transformer")

FitPredict = Callable[[str, Any, int], dict[str, list[Any]]]

_ALL_TASKS = tuple(migbench.TASKS)
_CLASSIFICATION = tuple(name for name, task in migbench.TASKS.items() if not task.is_sequence)


@dataclass(frozen=True)
class Baseline:
    """One baseline: what it runs, on what, and what it needs.

    Attributes:
        name: Its name in file names and tables.
        entry_point: ``module:function``, a function ``(task, experiment, seed) -> {split:
            predictions}`` (see :mod:`baselines.data`).
        tasks: The tasks it does.
        description: One line for the README and the results table.
        citation: The work it follows, for the README.
        protocols: The protocols it runs under.
        seeds: Seeds of its runs, each named in its files; None for one run, seed 0, unnamed.
        protocol_seeds: Seeds under the protocols named here, in place of ``seeds``.
        options: Fixed keyword arguments of the entry point.
        model_option: The keyword by which the entry point takes the user's model: ``model``
            (the encoder, ``--model``), ``spacy_model`` (``--spacy-model``, passed as ``model``)
            or ``settings`` (the transformer's :class:`~baselines.transformer.Settings`, which
            ``options`` then update); None when it takes none.
        requirements: The Python distributions it imports beyond the core.
        models: The pinned model distributions of ``baselines/models.json`` it loads.
        parallel: Whether its runs go to the first process pool; False for those that fine-tune
            an encoder, whose runs go to their own stage after it.
        reads: The baselines whose submissions it reads instead of training; its runs follow
            every other run.
        on_request: Tasks it runs only when ``--baselines`` names it, outside the main job:
            attempts at a missed target that the main job's budget does not hold. The main job
            tabulates their committed results with every other run's.
    """

    name: str
    entry_point: str
    tasks: tuple[str, ...]
    description: str
    citation: str
    protocols: tuple[str, ...] = tuple(migbench.PROTOCOLS)
    seeds: tuple[int, ...] | None = None
    protocol_seeds: Mapping[str, tuple[int, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    model_option: str | None = None
    requirements: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    parallel: bool = True
    reads: tuple[str, ...] = ()
    on_request: tuple[str, ...] = ()

    def seeds_in(self, protocol: str) -> tuple[int | None, ...]:
        """Return the seeds of its runs under a protocol; ``(None,)`` for one unnamed run."""
        return self.protocol_seeds.get(protocol, self.seeds) or (None,)

    def load(
        self,
        *,
        model: str | None = None,
        spacy_model: str | None = None,
        settings: Any = None,
    ) -> FitPredict:
        """Import the entry point and bind its options and the user's model.

        Args:
            model: The encoder (local path or Hub id) for ``model_option="model"``.
            spacy_model: The spaCy pipeline for ``model_option="spacy_model"``.
            settings: The transformer settings for ``model_option="settings"``.
        """
        module, _, function = self.entry_point.partition(":")
        entry = getattr(importlib.import_module(module), function)
        options = dict(self.options)
        if self.model_option == "settings":
            return partial(entry, settings=replace(settings, **options))
        if self.model_option == "model":
            options["model"] = model
        elif self.model_option == "spacy_model":
            options["model"] = spacy_model
        return partial(entry, **options)


BASELINES: dict[str, Baseline] = {
    baseline.name: baseline
    for baseline in (
        Baseline(
            "majority",
            "baselines.dummy:majority",
            _ALL_TASKS,
            "the training set's most frequent label (NER: no entity)",
            "scikit-learn's DummyClassifier (Pedregosa et al., 2011)",
            requirements=("scikit-learn",),
        ),
        Baseline(
            "stratified",
            "baselines.dummy:stratified",
            _ALL_TASKS,
            "random labels in the training set's proportions",
            "scikit-learn's DummyClassifier (Pedregosa et al., 2011)",
            seeds=SEEDS,
            requirements=("scikit-learn",),
        ),
        Baseline(
            "tfidf-lr",
            "baselines.tfidf:fit_predict",
            _CLASSIFICATION,
            "word and character n-gram tf-idf and logistic regression",
            "scikit-learn (Pedregosa et al., 2011)",
            requirements=("scikit-learn",),
        ),
        Baseline(
            "tfidf-lr-ctx",
            "baselines.tfidf:fit_predict",
            _CLASSIFICATION,
            "tfidf-lr with the neighbouring units as separate feature blocks",
            "scikit-learn (Pedregosa et al., 2011)",
            options=MappingProxyType({"context": True}),
            requirements=("scikit-learn",),
        ),
        Baseline(
            "embed-lr",
            "baselines.embeddings:fit_predict",
            _CLASSIFICATION,
            "frozen all-MiniLM-L6-v2 sentence embeddings and logistic regression",
            "Sentence-BERT (Reimers and Gurevych, 2019); MiniLM (Wang et al., 2020)",
            model_option="model",
            requirements=("scikit-learn", "torch", "transformers"),
            models=(MINILM,),
        ),
        Baseline(
            "embed-lr-ctx",
            "baselines.embeddings:fit_predict",
            _CLASSIFICATION,
            "embed-lr with the neighbours' embeddings",
            "Sentence-BERT (Reimers and Gurevych, 2019); MiniLM (Wang et al., 2020)",
            options=MappingProxyType({"context": True}),
            model_option="model",
            requirements=("scikit-learn", "torch", "transformers"),
            models=(MINILM,),
        ),
        Baseline(
            "embed-lr-sel",
            "baselines.embeddings:fit_predict_selected",
            _CLASSIFICATION,
            "embed-lr alone, with the neighbours' mean embedding or with both: chosen per fold",
            "Sentence-BERT (Reimers and Gurevych, 2019); MiniLM (Wang et al., 2020)",
            model_option="model",
            requirements=("scikit-learn", "torch", "transformers"),
            models=(MINILM,),
        ),
        Baseline(
            "embed-lr-stack",
            "baselines.stacked:fit_predict",
            ("frame", "mfc"),
            "embed-lr reading also the other task's out-of-fold probabilities (frame and mfc)",
            "stacked generalisation (Wolpert, 1992); MiniLM (Wang et al., 2020)",
            protocols=("cv",),
            model_option="model",
            requirements=("scikit-learn", "torch", "transformers"),
            models=(MINILM,),
        ),
        # Under cv only, as embed-lr-stack: an attempt at the frame and mfc targets.
        Baseline(
            "embed-tfidf-lr",
            "baselines.tfidf:fit_predict",
            ("frame", "mfc"),
            "tfidf-lr's n-gram features and embed-lr's embedding in one logistic regression",
            "scikit-learn (Pedregosa et al., 2011); MiniLM (Wang et al., 2020)",
            protocols=("cv",),
            options=MappingProxyType({"embedding": True}),
            model_option="model",
            requirements=("scikit-learn", "torch", "transformers"),
            models=(MINILM,),
        ),
        # Under cv, one seed: the tuning of five folds per task does not fit the main job's budget
        # for more. Stance (the task nearest its target) in the main job, frame and mfc on request.
        Baseline(
            "setfit-sel",
            "baselines.contrastive:fit_predict",
            _CLASSIFICATION,
            "all-MiniLM-L6-v2 tuned by SetFit's contrastive phase, then embed-lr-sel on it",
            "SetFit (Tunstall et al., 2022); MiniLM (Wang et al., 2020)",
            protocols=("cv",),
            model_option="model",
            requirements=("scikit-learn", "torch", "transformers", "setfit"),
            models=(MINILM,),
            parallel=False,
            on_request=("frame", "mfc"),
        ),
        Baseline(
            "crf",
            "baselines.crf:fit_predict",
            ("ner",),
            "a linear-chain CRF over word, shape and affix features of each token and neighbour",
            "Lafferty et al. (2001); CRFsuite (Okazaki, 2007) through sklearn-crfsuite",
            requirements=("sklearn-crfsuite",),
        ),
        Baseline(
            "spacy-zero-shot",
            "baselines.spacy_ner:zero_shot",
            ("ner",),
            "spaCy's pretrained English pipeline, its types and spans brought to the dataset's",
            "spaCy (Honnibal et al., 2020), en_core_web_sm 3.8.0",
            model_option="spacy_model",
            requirements=("spacy",),
            models=(SPACY_SM,),
        ),
        Baseline(
            "spacy-ner",
            "baselines.spacy_ner:fine_tuned",
            ("ner",),
            "the same pipeline's recogniser fine-tuned with `spacy train` (`baselines/spacy/`)",
            "spaCy (Honnibal et al., 2020), en_core_web_sm 3.8.0",
            model_option="spacy_model",
            requirements=("spacy",),
            models=(SPACY_SM,),
        ),
        # Under cv only: the main job's budget holds its five folds, not the other protocols.
        Baseline(
            "spacy-ner-md",
            "baselines.spacy_ner:fine_tuned",
            ("ner",),
            "spacy-ner from the medium pipeline, whose recogniser also reads static word vectors",
            "spaCy (Honnibal et al., 2020), en_core_web_md 3.8.0",
            protocols=("cv",),
            options=MappingProxyType({"distribution": SPACY_MD}),
            model_option="spacy_model",
            requirements=("spacy",),
            models=(SPACY_MD,),
        ),
        # Three seeds under the headline protocol, one elsewhere: fine-tuning fills the budget.
        Baseline(
            "transformer",
            "baselines.transformer:fit_predict",
            _ALL_TASKS,
            "all-MiniLM-L6-v2 fine-tuned, the best epoch chosen on held-out training units",
            "BERT fine-tuning (Devlin et al., 2019); MiniLM (Wang et al., 2020)",
            seeds=(0,),
            protocol_seeds=MappingProxyType({"cv": SEEDS}),
            model_option="settings",
            requirements=("torch", "transformers"),
            models=(MINILM,),
            parallel=False,
        ),
        Baseline(
            "transformer-ctx",
            "baselines.transformer:fit_predict",
            _CLASSIFICATION,
            "transformer with the neighbouring units as a second segment",
            "BERT fine-tuning (Devlin et al., 2019); MiniLM (Wang et al., 2020)",
            protocols=("split",),
            seeds=(0,),
            options=MappingProxyType({"context": True}),
            model_option="settings",
            requirements=("torch", "transformers"),
            models=(MINILM,),
            parallel=False,
        ),
        # Seeded as the transformer is: each seed reads the transformer's run of that seed.
        Baseline(
            "vote",
            "baselines.vote:fit_predict",
            _CLASSIFICATION,
            "majority vote of embed-lr, tfidf-lr and transformer (members fixed in advance)",
            "ensembles (Dietterich, 2000)",
            seeds=(0,),
            protocol_seeds=MappingProxyType({"cv": SEEDS}),
            options=MappingProxyType({"members": VOTE_MEMBERS}),
            requirements=("torch", "transformers"),
            models=(MINILM,),
            reads=VOTE_MEMBERS,
        ),
    )
}


def order(names: set[str] | list[str]) -> list[str]:
    """Return baseline names in registry order; names not in the registry follow, sorted."""
    known = list(BASELINES)
    return sorted(
        names, key=lambda name: (known.index(name) if name in known else len(known), name)
    )


def markdown() -> str:
    """Return the README's table of the baselines, one row per record."""
    rows = [
        [
            f"`{b.name}`",
            b.description,
            _tasks_cell(b),
            ", ".join(b.protocols),
            _seeds_cell(b),
            ", ".join(f"`{m}`" for m in b.models) or "–",
            b.citation,
        ]
        for b in BASELINES.values()
    ]
    header = ["baseline", "what it is", "tasks", "protocols", "seeds", "pinned models", "after"]
    commands = [f"- `{command}`" for command in on_request_commands()]
    if not commands:
        return table(header, rows)
    return "\n".join([table(header, rows), "", "The on-request runs:", "", *commands])


def on_request_commands() -> list[str]:
    """Return the command that runs each baseline's on-request tasks."""
    return [
        f"python -m baselines.run_all --skip-build --baselines {b.name} "
        f"--tasks {' '.join(b.on_request)} --protocols {' '.join(b.protocols)}"
        for b in BASELINES.values()
        if b.on_request
    ]


def _tasks_cell(baseline: Baseline) -> str:
    """Return the README's tasks cell: the main job's tasks, then those run on request."""
    cells = [", ".join(t for t in baseline.tasks if t not in baseline.on_request)]
    cells += [f"on request: {', '.join(baseline.on_request)}"] if baseline.on_request else []
    return "; ".join(cell for cell in cells if cell)


def _seeds_cell(baseline: Baseline) -> str:
    """Return the README's seeds cell: the seeds, then those of each protocol that differs."""
    cells = ["–" if baseline.seeds is None else ", ".join(map(str, baseline.seeds))]
    cells += [f"{p}: {', '.join(map(str, s))}" for p, s in baseline.protocol_seeds.items()]
    return "; ".join(cells)


#: The README block that holds :func:`markdown`'s table.
_BLOCK = re.compile(r"(<!-- baselines:registry -->\n).*?(<!-- /baselines:registry -->)", re.S)


def render_readme(text: str) -> str:
    """Return the README text with its registry table rewritten.

    Raises:
        ValueError: The README has no ``<!-- baselines:registry -->`` block.
    """
    if _BLOCK.search(text) is None:
        raise ValueError("README.md has no <!-- baselines:registry --> block")
    return _BLOCK.sub(lambda match: f"{match[1]}{markdown()}\n{match[2]}", text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check`` check) the README's table of the baselines."""
    parser = argparse.ArgumentParser(prog="python -m baselines.registry", description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    rendered = render_readme(text)
    if args.check:
        return int(rendered != text)
    if rendered != text:
        README.write_text(rendered, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
