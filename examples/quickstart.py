"""Load the stance config, train a tiny model, write a submission and score it with migbench.

Run ``python examples/quickstart.py [OUT.jsonl]`` from any folder (the submission goes to a new
temporary folder unless OUT is given). The dataset is the folder or Hub id in
``$MIGBENCH_DATASET``, else the ``dataset/`` folder of the checkout this script is in.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from datasets import load_dataset
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import migbench

DATASET = os.environ.get("MIGBENCH_DATASET", str(Path(__file__).resolve().parents[1] / "dataset"))
stance = load_dataset(DATASET, "stance")
names = stance["train"].features["stance"].names  # ClassLabel ids -> label names
model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000, class_weight="balanced"))
model.fit(stance["train"]["text"], stance["train"]["stance"])

out = sys.argv[1] if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "stance.jsonl"
with open(out, "w", encoding="utf-8") as file:
    for unit, label in zip(stance["test"], model.predict(stance["test"]["text"]), strict=True):
        file.write(json.dumps({"id": unit["id"], "stance": names[label]}) + "\n")

result = migbench.score("stance", out, split="test", dataset=DATASET)
low, high = result["ci"]["low"], result["ci"]["high"]
print(f"stance {result['main_metric']} {result['main_score']:.3f} (95% CI {low:.3f}-{high:.3f})")
