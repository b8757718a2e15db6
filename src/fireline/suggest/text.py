"""Text analysis for runbook retrieval: identifier splitting, stemming, stop words, bigrams.

Pure: no I/O. The same analysis runs on runbooks at index time and on alerts at query time, on
every backend, so a ranking never depends on which database holds the index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Words that say nothing about which runbook fits: English function words plus the words every
# alert template and runbook uses ("alert", "fire", "check").
_STOP_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our out over own same she should
    so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    may might must shall via per e g ie eg etc
    alert alerts alerting fire fires fired firing runbook value values label labels
    """
STOP_WORDS = frozenset(_STOP_TEXT.split())

# PromQL functions, aggregations and keywords: structure of an expression, not its subject.
_PROMQL_TEXT = """
    sum min max avg group stddev stdvar count count_values bottomk topk quantile by without on
    ignoring group_left group_right bool and or unless offset rate irate increase delta idelta
    deriv predict_linear histogram_quantile label_replace label_join abs absent absent_over_time
    ceil floor round clamp clamp_max clamp_min changes resets time timestamp vector scalar sort
    sort_desc avg_over_time min_over_time max_over_time sum_over_time count_over_time
    quantile_over_time stddev_over_time last_over_time present_over_time day_of_month
    day_of_week days_in_month hour minute month year exp ln log2 log10 sqrt sgn
    le bucket total job instance namespace
    """
PROMQL_WORDS = frozenset(_PROMQL_TEXT.split())
# Metric naming conventions (`_total`, `_bucket`, `_info` …): how a metric counts, not what.
METRIC_SUFFIXES = frozenset({"total", "bucket", "count", "sum", "created", "info"})

_TEMPLATE = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_TEMPLATE_LABEL = re.compile(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)")
_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]*[a-z][a-z0-9]*|[A-Z]+[0-9]*|[0-9]+")
_PROMQL_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_VOWEL = re.compile(r"[aeiouy]")


def strip_templates(text: str) -> str:
    """Drop Go template actions, keeping the label names they print (`{{ $labels.pod }}` → pod).

    A rule's annotation is a template; a fired alert has values there instead. The label names
    are what both share, so they stay.
    """
    return _TEMPLATE.sub(lambda m: " " + " ".join(_TEMPLATE_LABEL.findall(m.group(1))) + " ", text)


def split_identifier(word: str) -> list[str]:
    """Split CamelCase, snake_case, kebab-case and acronyms: `KubeAPIDown` → kube api down."""
    return [part.lower() for part in _CAMEL.findall(word)]


_SUFFIXES = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("iness", "y"),
    ("ness", ""),
    ("ments", ""),
    ("ment", ""),
    ("ities", ""),
    ("ity", ""),
    ("ures", ""),
    ("ure", ""),
    ("ies", "y"),
    ("sses", "ss"),
    ("ing", ""),
    ("edly", ""),
    ("ed", ""),
    ("ly", ""),
    ("ers", ""),
    ("er", ""),
    ("es", "e"),
    ("s", ""),
)
_UNDOUBLE = frozenset({"ing", "ed", "er", "ers"})


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stemmer (plural, -ing, -ed, -er, -ly, a few derivations).

    Deliberately conservative and dependency-free: it only has to make "failing", "failed",
    "failure" and "fails" meet, on runbooks and alerts alike.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in _SUFFIXES:
        if not word.endswith(suffix):
            continue
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            return word
        base = word[: -len(suffix)] + replacement
        if len(base) < 3 or not _VOWEL.search(base):
            continue
        if suffix in _UNDOUBLE and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
            base = base[:-1]
        return _drop_e(base)
    return _drop_e(word)


def _drop_e(word: str) -> str:
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def words(text: str) -> list[str]:
    """Lower-case word parts of `text`, identifiers split, before stop words and stemming."""
    out: list[str] = []
    for raw in _WORD.findall(strip_templates(text)):
        parts = split_identifier(raw)
        out.extend(parts)
    return out


def terms(text: str, *, promql: bool = False) -> list[str]:
    """The index terms of `text`: split, stop words dropped, stemmed, in order.

    With `promql`, `text` is an expression: PromQL vocabulary and label matcher syntax are
    dropped and metric names are split into their words (`node_filesystem_avail_bytes`).
    """
    return [term for term, _word in analyse(text, promql=promql)]


def analyse(text: str, *, promql: bool = False) -> list[tuple[str, str]]:
    """Like `terms`, with the word each term came from (to explain a match in words)."""
    if promql:
        idents = [
            ident
            for ident in _PROMQL_IDENT.findall(_strip_strings_and_comments(text))
            if ident.lower() not in PROMQL_WORDS
        ]
        text = " ".join(ident.replace(":", " ") for ident in idents)
    skip = STOP_WORDS | METRIC_SUFFIXES if promql else STOP_WORDS
    return [(stem(w), w) for w in words(text) if w not in skip and not w.isdigit()]


def bigrams(tokens: Iterable[str]) -> list[str]:
    """Adjacent pairs of terms, joined by `_`: phrase evidence that single words lack."""
    seq = list(tokens)
    return [f"{a}_{b}" for a, b in zip(seq, seq[1:], strict=False) if a != b]


def normalise_name(name: str) -> str:
    """One spelling for an alert or runbook name: `KubePodCrashLooping`, `kube-pod-crash-looping`
    and `kube_pod_crashlooping` all become `kubepodcrashlooping`."""
    return "".join(split_identifier(name))


def _strip_strings_and_comments(expr: str) -> str:
    lines = [line.split("#", 1)[0] for line in expr.splitlines()]
    joined = "\n".join(lines)
    # Keep label matcher values (job="etcd" names the component) but drop durations and regex
    # punctuation: they carry no subject.
    return re.sub(r"\[[0-9smhdwy:]+\]", " ", joined)
