"""Rank ranges and groups of systems from the paired tests of one leaderboard table.

The tests are :func:`migbench.compare`'s paired approximate randomization tests, one per pair
of systems; their p-values are Holm-adjusted over all pairs of the table, and a pair is
*separated* when the adjusted p-value is below :data:`ALPHA`. Then, for each system:

* its **rank range** runs from 1 + the number of systems known to be better, to the number of
  systems minus the number known to be worse, where *known* is separated by a test or implied
  by a chain of separations (A above B above C puts A above C): the ranks the system takes in
  some order of the systems that agrees with every separation;
* its **group**: systems are taken in order of their main score; the first opens group 1, and
  each next system joins the current group unless the test separates it from the group's first
  system, in which case it opens the next group. Within a group no system is separated from the
  group's best; neighbouring groups may still overlap in rank range.

No total order is claimed beyond what the tests separate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migbench.scoring.significance import DEFAULT_TRIALS, holm

#: Family-wise error rate of the separations in one table.
ALPHA = 0.05
#: The p-value of compare's output that separates systems.
TEST = "p_randomization"


def resolution(pairs: Sequence[Mapping[str, Any]]) -> str | None:
    """Say why no pair can be separated, or None when some could be.

    A p-value from ``n`` trials is at least ``1 / (n + 1)``; Holm multiplies the smallest by
    the number of pairs, so with too few trials for the number of pairs nothing is separated,
    whatever the systems.
    """
    if not pairs:
        return None
    trials = min(pair.get("n_trials", DEFAULT_TRIALS) for pair in pairs)
    if len(pairs) / (trials + 1) < ALPHA:
        return None
    return (
        f"with {trials} trials per test and {len(pairs)} pairs, Holm's correction cannot "
        f"separate any pair at {ALPHA}: resubmit with more than {int(len(pairs) / ALPHA)} trials"
    )


def separated(pairs: Sequence[Mapping[str, Any]]) -> dict[frozenset[str], float]:
    """Return each pair's Holm-adjusted p-value, keyed by the pair's two names."""
    adjusted = holm([pair[TEST] for pair in pairs]) if pairs else []
    return {frozenset((pair["a"], pair["b"])): p for pair, p in zip(pairs, adjusted, strict=True)}


def rank(scores: Mapping[str, float], pairs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return each system's rank range and group, best first.

    Args:
        scores: Each system's main score.
        pairs: One test per pair of systems (``a``, ``b`` and the raw ``p_randomization``);
            a pair without a test counts as not separated.

    Returns:
        One dict per system, in order of score (ties by name): ``name``, ``main_score``,
        ``rank_low``, ``rank_high``, ``group``.
    """
    adjusted = separated(pairs)
    order = sorted(scores, key=lambda name: (-scores[name], name))

    def apart(a: str, b: str) -> bool:
        return a != b and adjusted.get(frozenset((a, b)), 1.0) < ALPHA

    # Systems known to be better than each: separated and higher, closed under chains. A
    # separated pair never ties in score, so following the score order sees every chain.
    above: dict[str, set[str]] = {}
    for name in order:
        direct = [o for o in order if scores[o] > scores[name] and apart(name, o)]
        above[name] = set(direct).union(*(above[o] for o in direct))
    rows = []
    group, leader = 0, None
    for name in order:
        better = len(above[name])
        worse = sum(name in above[other] for other in order)
        if leader is None or apart(name, leader):
            group, leader = group + 1, name
        rows.append(
            {
                "name": name,
                "main_score": scores[name],
                "rank_low": 1 + better,
                "rank_high": len(order) - worse,
                "group": group,
            }
        )
    return rows
