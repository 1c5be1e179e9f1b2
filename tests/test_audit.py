"""Leakage and shortcut audit: context overlap and the document-identity rule."""

from __future__ import annotations

import pytest

from migbench.dataset.audit import (
    IDENTITY_COLUMNS,
    Partition,
    audit,
    audit_markdown,
    context_overlap,
    document_rule_scores,
    folder_schemes,
)

from .conftest import REPO


def unit(doc: str, text: str, prev: str, nxt: str, stance: str) -> dict:
    return {"doc_id": doc, "text": text, "prev_text": prev, "next_text": nxt, "stance": stance,
            "frame": "security", "mfc": "other"}  # fmt: skip


# Document "a": A1 A2 A3 A4; document "b": B1 B2. A2 and B2 are evaluated.
TRAIN = [
    unit("a", "A1.", "", "A2.", "against"),
    unit("a", "A3.", "A2.", "A4.", "against"),
    unit("a", "A4.", "A3.", "", "favor"),
    unit("b", "B1.", "", "B2.", "none"),
    unit("c", "C1.", "", "", "none"),
]
EVALUATION = [unit("a", "A2.", "A1.", "A3.", "against"), unit("b", "B2.", "B1.", "", "favor")]


def test_context_overlap_counts_both_directions():
    counts = context_overlap([Partition("p", TRAIN, EVALUATION)])
    assert counts == {"n_evaluation": 2, "text_in_train_context": 2, "train_text_in_context": 2}
    far = [unit("d", "D1.", "", "", "none")]
    assert context_overlap([Partition("p", TRAIN, far)])["text_in_train_context"] == 0


def test_the_document_rule_predicts_each_documents_training_majority():
    # a -> against (2 of 3), b -> none; overall majority: against and none tie, against first.
    scores = document_rule_scores([Partition("p", TRAIN, EVALUATION)], "stance")
    # Document rule: against right, favor missed (predicted none): F1 against 1, favor 0.
    assert scores["document_majority"] == pytest.approx(0.5)
    # Majority: against for both: against P 1/2 R 1 -> F1 2/3; favor 0.
    assert scores["majority"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="classification"):
        document_rule_scores([Partition("p", TRAIN, EVALUATION)], "ner")


@pytest.mark.integration
def test_the_packaged_dataset_audit_renders_for_the_card():
    result = audit(folder_schemes(REPO / "dataset/data"))
    assert set(result) >= {"cross-validation", "fixed split, test", "genre transfer, test"}
    for row in result.values():
        assert set(row["document_rule"]) == {"stance", "frame", "mfc"}
    text = audit_markdown(result)
    assert text.startswith("| scheme")
    assert text.count("\n| ") == len(result)  # one row each
    assert all(f"`{column}`" in text for column in IDENTITY_COLUMNS)
    assert "Do not use" in text
