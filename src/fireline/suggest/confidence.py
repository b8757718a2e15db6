"""How sure a ranked list is of its first answers: a relative signal, not an absolute score. Pure.

An absolute score (or a score over the query's best possible score) depends on how a library
and its alerts are written: long topic runbooks, several annotations, distractors from other
teams all move it, so no single threshold transfers between libraries. What transfers is how
far a runbook stands out from the crowd: its score's margin over the *background*, the score
of the BACKGROUND_RANKS-th runner-up, where runbooks the query does not match at all count as
null documents scoring 0. `confidence = (s - b) / (s + b)`, in [0, 1]: 0 when the runbook is
no better than the crowd, 1 when it is one of few that match at all. Scores scale with the
alert's length and the library's style alike, so their ratio does not.

The background rank was chosen on two libraries of different styles at once (the
development set and the GOV.UK set, `bench/runbook_suggest.py`): the 10th runner-up leaves a
range of thresholds meeting the abstain targets on both, a mean of the runners-up does not
(several close runbooks of one topic lift a mean, not the crowd's level).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fireline.suggest.rank import Hit

# Deep enough to be past a topic's few close runbooks, shallow enough to stay in the crowd.
BACKGROUND_RANKS = 10


def with_confidence(hits: Sequence[Hit], *, floor: float = 0.0) -> list[Hit]:
    """`hits` (best first) with each one's confidence: its margin over the list's background.

    One background for the whole list keeps confidence in the order of the scores. `floor`
    (the query's null-document score, `Corpus.null_score`) stands in when fewer runbooks
    match than the background needs, as in a small library.
    """
    if not hits:
        return []
    crowd = hits[BACKGROUND_RANKS].score if len(hits) > BACKGROUND_RANKS else 0.0
    background = max(crowd, floor)
    return [replace(h, confidence=margin(h.score, background)) for h in hits]


def margin(score: float, background: float) -> float:
    """`(score - background) / (score + background)`, clipped to [0, 1]."""
    if score <= 0:
        return 0.0
    return max(0.0, (score - background) / (score + background))
