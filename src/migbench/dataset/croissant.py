"""Croissant metadata (MLCommons, JSON-LD) of the dataset folder, Responsible-AI fields included.

One record set per config reads that config's parquet files; a ``split`` field comes from each
file's name. Each parquet file is a file object with its sha256, and each config's file set is
contained in its files, so every variant has its own Croissant file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datasets import ClassLabel, Features, List, Value

from migbench import licensing, markdown
from migbench.annotation.store import Annotator
from migbench.citation import TITLE, bibtex
from migbench.dataset.descriptions import config_description, field_description
from migbench.errors import MigbenchError
from migbench.version import DATASET_RELEASED, DATASET_VERSION

CROISSANT_NAME = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
#: The JSON-LD context that mlcroissant writes, with the RAI namespace.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
#: Why scores of language models against these labels need care (also in the card).
CIRCULARITY = (
    "Scoring language models against labels made by a language model is circular: a score "
    "measures agreement with the annotating model's reading of the guidelines, not with the "
    "truth, so a system that shares that model's tendencies (the same or a related model, a "
    "model trained on its outputs, or one given the same guidelines) can score high for "
    "imitating it. The annotating model is unknown, so this cannot be ruled out for any system."
)
_DATA_TYPES = {
    "string": "sc:Text",
    "bool": "sc:Boolean",
    "float32": "sc:Float",
    "float64": "sc:Float",
    **{f"int{bits}": "sc:Integer" for bits in (8, 16, 32, 64)},
}


def _data_type(feature, name: str) -> dict:
    if isinstance(feature, ClassLabel):
        return {"dataType": "sc:Integer"}
    if isinstance(feature, Value) and feature.dtype in _DATA_TYPES:
        return {"dataType": _DATA_TYPES[feature.dtype]}
    raise MigbenchError(f"feature {name!r}: no Croissant data type for {feature!r}")


def _field(record_set: str, name: str, feature, source: dict, path: str = "") -> dict:
    """Return the Croissant field of one feature, lists as arrays and records as sub-fields."""
    key = f"{path}.{name}" if path else name
    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{record_set}/{key.replace('.', '/')}",
        "name": name,
        "description": field_description(key),
    }
    shape = []
    while isinstance(feature, List):
        shape.append(str(feature.length) if feature.length > 0 else "-1")
        feature = feature.feature
    if shape:
        field |= {"isArray": True, "arrayShape": ",".join(shape)}
    if isinstance(feature, ClassLabel):
        field["description"] += f" ({_label_text(feature)})"
    if isinstance(feature, dict):
        field["subField"] = [
            _field(
                record_set,
                sub,
                value,
                {**source, "transform": {"jsonPath": sub}},
                key,
            )
            for sub, value in feature.items()
        ]
        return field
    return field | _data_type(feature, key) | {"source": source}


def _label_text(feature: ClassLabel) -> str:
    return "class label: " + ", ".join(f"{i} = {name}" for i, name in enumerate(feature.names))


def record_set(
    config: str, features: Features, data_dir: str, checksums: Mapping[str, str]
) -> tuple[list[dict], dict]:
    """Return the file objects and file set of one config, and its record set.

    Args:
        config: The config's name.
        features: Its features.
        data_dir: The folder of the parquet files, relative to the Croissant file.
        checksums: Path relative to the Croissant file → sha256, for every file of the config.
    """
    file_set = f"{config}-parquet"
    prefix = f"{data_dir}/{config}/"
    objects = [
        {
            "@type": "cr:FileObject",
            "@id": path,
            "name": path,
            "contentUrl": path,
            "encodingFormat": "application/x-parquet",
            "sha256": digest,
        }
        for path, digest in sorted(checksums.items())
        if path.startswith(prefix)
    ]
    if not objects:
        raise MigbenchError(f"config {config!r}: no checksum of a file under {prefix}")
    files = objects + [
        {
            "@type": "cr:FileSet",
            "@id": file_set,
            "name": file_set,
            "description": f"the parquet files of config `{config}`, one per split",
            "containedIn": [{"@id": item["@id"]} for item in objects],
            "encodingFormat": "application/x-parquet",
            "includes": f"{prefix}*.parquet",
        }
    ]
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"{config}/split",
            "name": "split",
            "description": "the split, from the file's name",
            "dataType": "sc:Text",
            "source": {
                "fileSet": {"@id": file_set},
                "extract": {"fileProperty": "filename"},
                "transform": {"regex": r"^(.*)\.parquet$"},
            },
        }
    ]
    fields += [
        _field(config, name, feature, {"fileSet": {"@id": file_set}, "extract": {"column": name}})
        for name, feature in features.items()
    ]
    records = {
        "@type": "cr:RecordSet",
        "@id": config,
        "name": config,
        "description": config_description(config),
        "field": fields,
    }
    return files, records


def croissant(
    configs: Mapping[str, Features],
    *,
    data_dir: str,
    checksums: Mapping[str, str],
    description: str,
    rai: Mapping[str, str | Sequence[str]],
) -> dict:
    """Return the Croissant JSON-LD of the dataset.

    Args:
        configs: Config name → its features, in card order.
        data_dir: The folder of the parquet files, relative to the Croissant file.
        checksums: Path relative to the Croissant file → sha256, for every parquet file.
        description: What the dataset is.
        rai: Responsible-AI properties without the ``rai:`` prefix (see ``rai_fields``).
    """
    distribution, record_sets = [], []
    for config, features in configs.items():
        files, records = record_set(config, features, data_dir, checksums)
        distribution.extend(files)
        record_sets.append(records)
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": "migbench",
        "alternateName": TITLE,
        "description": description,
        "version": DATASET_VERSION,
        "datePublished": DATASET_RELEASED,
        "license": licensing.DATA_LICENSE_URL,
        "usageInfo": "\n\n".join(f"{heading}: {text}" for heading, text in licensing.parts()),
        "citeAs": bibtex(),
        "creator": {"@type": "sc:Organization", "name": "migbench contributors"},
        "inLanguage": ["en"],
        "keywords": ["stance detection", "framing", "media frames", "named entities", "migration"],
        "isAccessibleForFree": True,
        **{f"rai:{key}": value for key, value in rai.items()},
        "distribution": distribution,
        "recordSet": record_sets,
    }


def rai_fields(
    stats: Mapping, agreement: Mapping, annotators: Mapping[int, Annotator]
) -> dict[str, str | list[str]]:
    """Return the Responsible-AI properties that apply, numbers taken from the committed files."""
    machine = [a for a in annotators.values() if a.is_language_model]
    models = sorted({f"name {a.model}, version {a.model_version}" for a in machine})
    first_pass = sum(a.annotation_pass == 1 for a in annotators.values())
    return {
        "dataCollection": (
            "The four source documents (three news articles and one report) were given to the "
            "project as its seed corpus; the project did not crawl or select them. Cleaning "
            "removals are declared with raw character ranges and reasons; units are sentences, "
            "headings, list items, captions and bylines with their raw character ranges."
        ),
        "dataCollectionType": ["Secondary data: published news articles and a report"],
        "dataCollectionRawData": (
            "The source files, byte-identical to the originals the project was given, with their "
            "sha256; the source texts belong to their publishers and are not licensed by the "
            "project."
        ),
        "dataPreprocessingProtocol": [
            "Declared removals (a donation appeal, a date line, a stray running heading, a "
            "References section), page-break repair, pysbd sentence splitting, whitespace "
            "normalisation; every unit keeps its raw character ranges."
        ],
        "dataAnnotationProtocol": [
            f"First pass: every one of {stats['units']} units on all four layers by "
            f"{first_pass} annotation agents, one per contiguous batch. Second pass: an "
            f"independent re-annotation of a seeded, document-stratified sample of "
            f"{agreement['n_units']} units. Adjudication: every disagreement resolved under "
            "guidelines v1.1 with a one-line reason; singly annotated units reviewed.",
            "Re-reading under guidelines v1.2, after the adjudication: the units the v1.2 rules "
            f"touch re-checked in context; the gold labels of {stats['guidelines'].get('1.2', 0)} "
            "units corrected, each correction a line `v1.2: <layer> <old> → <new>: <reason>` in "
            "the note of the unit's gold annotation. The `guidelines` field of config `all` gives "
            "the version under which each unit's gold was last decided.",
        ],
        "dataAnnotationPlatform": ["Label Studio (the exports are the source of the gold)"],
        "dataAnnotationAnalysis": [
            f"{layer}: Cohen's kappa {markdown.number(s['cohen_kappa'])}, Krippendorff's alpha "
            f"{markdown.number(s['krippendorff_alpha'])}, "
            f"raw agreement {s['percent_agreement']:.3f} over "
            f"{agreement['n_units']} doubly annotated units"
            for layer, s in agreement["layers"].items()
        ]
        + [
            f"entities: micro-F1 {agreement['entities']['micro_f1']:.3f} between the passes",
            "Both passes are instances of the same language model reading the same guidelines: "
            "the agreement measures the consistency of the procedure and likely overstates what "
            "independent human annotators would reach.",
            CIRCULARITY,
        ],
        "annotationsPerItem": (
            f"2 independent annotations and an adjudication for {agreement['n_units']} of "
            f"{stats['units']} units; 1 annotation and an adjudicating review for the others"
        ),
        "annotatorDemographics": [
            f"{len(machine)} of {len(annotators)} annotator ids are language-model annotation "
            "agents, the adjudicator included; no human annotated. Model: "
            + "; ".join(models)
            + ". Human demographics do not apply."
        ],
        "machineAnnotationTools": [
            "A large language model run as annotation agents (" + "; ".join(models) + ")"
        ],
        "dataUseCases": [
            "Benchmarking stance, framing and NER models on a small, densely annotated corpus; "
            "studying how policy prose and news frame India-US irregular migration. Not for "
            "decisions about individuals or groups, nor as a measure of public opinion."
        ],
        "dataBiases": [
            "Four documents are not a sample of the press: one report supplies most units, so "
            "models learn its register; the stance label `against` is rare and comes from one "
            "document.",
            "Labels are one language model's reading of the guidelines, with that model's "
            "systematic tendencies; they have not been checked against human experts.",
        ],
        "dataLimitations": [
            f"{stats['units']} units: scores have wide confidence intervals; report them.",
            "The gold is a consistently specified silver standard until a human expert sample "
            "checks it.",
        ],
        "personalSensitiveInformation": [
            "Names of public officials and of private people reported as victims of irregular "
            "routes, as the published texts give them; nationality and origin groups as NORP "
            "entities. Nothing beyond the published texts is recorded."
        ],
        "dataSocialImpact": (
            "Migration is a politically charged subject: stance and frame classifiers trained on "
            "this data must not be used to profile migrants, target enforcement or rank people."
        ),
        "dataReleaseMaintenancePlan": (
            "Corrections are new dataset versions (semantic versioning, CHANGELOG.md of the "
            "project); a corrected gold is never a silent edit."
        ),
    }
