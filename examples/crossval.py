"""Run the headline protocol: train on four folds, predict the fifth, score the out-of-fold file.

Run from the repository root: ``python examples/crossval.py [OUT.jsonl]`` (the submission goes
to a new temporary folder unless OUT is given).
"""

import sys
import tempfile
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import migbench

cv = migbench.folds("stance")
for fold in cv:
    model = make_pipeline(
        TfidfVectorizer(), LogisticRegression(max_iter=1000, class_weight="balanced")
    )
    model.fit(fold.texts("train"), fold.labels())
    cv.predict(fold, model.predict(fold.texts("evaluation")))

out = cv.write(sys.argv[1] if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "stance.jsonl")
result = migbench.score("stance", out, protocol="cv")
low, high = result["ci"]["low"], result["ci"]["high"]
folds = result["folds"]
print(
    f"stance {result['main_metric']} {result['main_score']:.3f} (95% CI {low:.3f}-{high:.3f}); "
    f"per fold {folds['mean']:.3f} ± {folds['sd']:.3f}"
)
