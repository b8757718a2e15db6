"""Redaction quality and throughput: fireline on a provider-shaped corpus, against detect-secrets.

Quality: `tests/secret_corpus.py` builds a labelled corpus from providers' documented token shapes
with seeded random values, each written into many surroundings (config files, shell, JSON, YAML,
code in nine languages, URLs, headers), plus look-alikes that hold no secret. Every sample is
redacted on its own: recall is the share of planted secrets of which no 8-character piece
survives; the false-alarm rate is the share of look-alike samples that were changed at all.

Speed: a realistic log corpus (tens of MB: web access lines, JSON and key=value application logs,
stack traces, CI output, decoys) with the corpus samples planted in it; in one run, fireline's
`Redactor.redact_stream` and detect-secrets' scanner (its default plugins and filters,
`SecretsCollection.scan_file`, as `detect-secrets scan` runs) on the same file. Targets: >= 20x
detect-secrets' MB/s, recall >= 0.99, false alarms <= 0.02.
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import string
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fireline.redaction import Redactor
from tests.secret_corpus import (
    BARE_FORMS,
    KEYED_FORMS,
    NEGATIVES,
    PLACEHOLDERS,
    SERVICES,
    STRUCTURAL,
    Sample,
    generate,
    survivors,
)

TARGET_RATIO = 20.0
TARGET_RECALL = 0.99
TARGET_FALSE_ALARMS = 0.02

B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"
ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + "234567"
MESSAGES = ["order processed", "cache miss", "retrying upstream", "slow query"]


@dataclass
class Corpus:
    """The generated text and, per secret type, the planted values that must not survive."""

    text: str
    planted: list[tuple[str, str]] = field(default_factory=list)
    decoys: int = 0


class Generator:
    """Seeded generator of log lines; `secret_line` plants one labelled secret."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.t = 1_764_583_200  # 2026-12-01T10:00:00Z

    def pick(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choices(alphabet, k=n))

    def hexs(self, n: int) -> str:
        return self.pick("0123456789abcdef", n)

    def ip(self) -> str:
        return ".".join(str(self.r.randint(1, 254)) for _ in range(4))

    def ts(self) -> str:
        self.t += self.r.randint(0, 3)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.t))

    # Ordinary lines, decoys included.
    def noise_line(self) -> tuple[str, bool]:
        r = self.r
        kind = r.random()
        path = r.choice(["/api/v1/orders", "/api/v1/search", "/healthz", "/static/app.js"])
        if kind < 0.25:
            return (
                f'{self.ip()} - - [{self.ts()}] "GET {path}/{r.randint(1, 99999)}'
                f'?page={r.randint(1, 9)} HTTP/1.1" {r.choice([200, 200, 200, 304, 404, 500])} '
                f'{r.randint(200, 90000)} "-" '
                f'"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0"',
                False,
            )
        if kind < 0.45:
            return (
                f'{{"ts":"{self.ts()}","level":"{r.choice(["info", "warn", "error", "debug"])}",'
                f'"service":"{r.choice(["checkout", "catalog", "search", "billing"])}",'
                f'"msg":"{r.choice(MESSAGES)}",'
                f'"request_id":"{uuid.UUID(int=r.getrandbits(128))}","trace_id":"{self.hexs(32)}",'
                f'"duration_ms":{r.randint(1, 4000)}}}',
                False,
            )
        if kind < 0.62:
            return (
                f"ts={self.ts()} level=info component={r.choice(['billing', 'auth', 'queue'])} "
                f"user={r.choice(['alice', 'bob', 'carol', 'svc-deploy'])} "
                f"status={r.choice([200, 201, 403])} "
                f"retries={r.randint(0, 3)} cache={r.choice(['hit', 'miss'])} region=us-east-1",
                False,
            )
        if kind < 0.72:
            return (
                f"    at com.example.{r.choice(['orders', 'search'])}.Handler.process(Handler.java:"
                f"{r.randint(10, 900)})",
                False,
            )
        if kind < 0.80:
            return (
                f"{self.ts()} ci[{r.randint(100, 999)}]: "
                f"step {r.choice(['build', 'test', 'deploy'])} "
                f"finished in {r.uniform(0.5, 300):.1f}s (exit 0) image=registry.internal/app:"
                f"{self.hexs(12)}",
                False,
            )
        return self.decoy_line(), True

    def decoy_line(self) -> str:
        r = self.r
        choices = [
            lambda: f"{self.ts()} deploy commit {self.hexs(40)} digest sha256:{self.hexs(64)}",
            lambda: (
                f'{self.ts()} etag="{self.hexs(32)}" object={uuid.UUID(int=r.getrandbits(128))}'
            ),
            lambda: f"{self.ts()} payload={base64.b64encode(r.randbytes(90)).decode()}",
            lambda: (
                f"{self.ts()} password_reset=true tokens={r.randint(1, 9)} "
                f"max_tokens={r.randint(100, 4000)} token_count={r.randint(1, 99)}"
            ),
            lambda: (
                f"{self.ts()} config token=null password=******** secret: ${{DB_SECRET}} "
                f"api_key=<your-api-key>"
            ),
            lambda: f"{self.ts()} auth: using Authorization: Bearer ${{CI_TOKEN}} from env",
            lambda: f"{self.ts()} docs: keys start with AKIA or ASIA; never paste them",
            lambda: f"{self.ts()} fetched https://cdn.example.com/assets/{self.hexs(16)}.js?v=3",
            lambda: (
                f"{self.ts()} cloned ssh://git@git.internal/platform/{r.choice(['api', 'web'])}.git"
            ),
            lambda: (
                f"{self.ts()} cert -----BEGIN CERTIFICATE-----MIIB{self.pick(B64, 40)}"
                "-----END CERTIFICATE-----"
            ),
            lambda: f"{self.ts()} session={self.pick(ALNUM, 32)} csrf={self.pick(URLSAFE, 43)}",
            lambda: f"{self.ts()} message: the bearer of this badge may enter; Basic plan active",
            lambda: (
                f"{self.ts()} user {r.choice(['alice', 'bob'])}@example.com paged from "
                f"{self.ip()} near 41.{r.randint(100000, 999999)}, -87.{r.randint(100000, 999999)}"
            ),
        ]
        return r.choice(choices)()


def build_log(megabytes: float, seed: int, samples: list[Sample], secret_every: int) -> Corpus:
    """About `megabytes` of log text; one line in `secret_every` is a corpus sample."""
    gen = Generator(seed + 7919)  # not the corpus's seed: its decoys must not repeat its values
    lines: list[str] = []
    size = 0
    corpus = Corpus("")
    limit = int(megabytes * 1_000_000)
    pick = 0
    while size < limit:
        if gen.r.randrange(secret_every) == 0:
            sample = samples[pick % len(samples)]
            pick += 1
            line = sample.text
            corpus.planted += [(sample.service, v) for v in sample.secrets]
        else:
            line, decoy = gen.noise_line()
            corpus.decoys += decoy
        lines.append(line)
        size += len(line) + 1
    corpus.text = "\n".join(lines) + "\n"
    return corpus


@dataclass
class Quality:
    """Recall and false alarms on the labelled corpus, sample by sample."""

    positives: int = 0
    caught: int = 0
    negatives: int = 0
    alarms: int = 0
    missed: Counter[str] = field(default_factory=Counter)
    alarmed: Counter[str] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.caught / self.positives if self.positives else 0.0

    @property
    def false_alarms(self) -> float:
        return self.alarms / self.negatives if self.negatives else 0.0


def measure_quality(redactor: Redactor, samples: list[Sample]) -> Quality:
    quality = Quality()
    for sample in samples:
        out = redactor.redact(sample.text).text
        if sample.secrets:
            quality.positives += 1
            if survivors(sample, out):
                quality.missed[f"{sample.service}/{sample.form}"] += 1
            else:
                quality.caught += 1
        else:
            quality.negatives += 1
            if out != sample.text:
                quality.alarms += 1
                quality.alarmed[sample.form] += 1
    return quality


def time_fireline(path: Path, redactor: Redactor, repeat: int) -> tuple[float, str, int]:
    """Best wall time of `repeat` streamed redactions of the file; the output and findings."""
    best = float("inf")
    out = ""
    findings = 0
    for _ in range(repeat):
        sink = io.BytesIO()
        start = time.perf_counter()
        with path.open("rb") as src:
            result = redactor.redact_stream(src, sink)
        best = min(best, time.perf_counter() - start)
        out = sink.getvalue().decode()
        findings = sum(f.count for f in result.findings)
    return best, out, findings


def time_detect_secrets(path: Path) -> tuple[float, set[str]]:
    """One scan of the file with detect-secrets' default plugins and filters."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        collection = SecretsCollection()
        start = time.perf_counter()
        collection.scan_file(str(path))
        elapsed = time.perf_counter() - start
    found = {s.secret_value for _, s in collection if s.secret_value}
    return elapsed, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=24.0, help="log corpus size in MB")
    parser.add_argument(
        "--ds-mb", type=float, default=0.0, help="detect-secrets on the first N MB only (0: all)"
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--secret-every", type=int, default=60, help="one log line in N is a corpus sample"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    samples = generate(args.seed)
    redactor = Redactor()
    quality = measure_quality(redactor, samples)
    services = {s.name.split("-")[0] for s in SERVICES}
    forms = len(KEYED_FORMS) + len(BARE_FORMS) + len(STRUCTURAL)
    print(
        f"labelled corpus: {len(SERVICES)} token shapes from {len(services)} services in "
        f"{len(KEYED_FORMS)} keyed and {len(BARE_FORMS)} bare surroundings, plus "
        f"{len(STRUCTURAL)} structural forms ({forms} forms); {quality.positives:,} samples "
        f"with secrets, {quality.negatives:,} look-alikes ({len(NEGATIVES)} kinds, "
        f"{len(PLACEHOLDERS)} placeholders in every keyed form)"
    )
    print(
        f"recall          {quality.recall:8.4f}   ({quality.caught}/{quality.positives} samples "
        f"fully redacted; target >= {TARGET_RECALL})"
    )
    print(
        f"false alarms    {quality.false_alarms:8.4f}   ({quality.alarms}/{quality.negatives} "
        f"look-alikes changed; target <= {TARGET_FALSE_ALARMS})"
    )
    for what, n in quality.missed.most_common(8):
        print(f"  missed {what} x{n}")
    for what, n in quality.alarmed.most_common(8):
        print(f"  false alarm {what} x{n}")

    corpus = build_log(args.mb, args.seed, samples, args.secret_every)
    data = corpus.text.encode()
    mb = len(data) / 1_000_000
    print(
        f"log corpus: {mb:.1f} MB, {corpus.text.count(chr(10)):,} lines, "
        f"{len(corpus.planted):,} planted secrets, {corpus.decoys:,} decoy lines"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.log"
        path.write_bytes(data)
        seconds, out, findings = time_fireline(path, redactor, args.repeat)
        ds_path = path
        if args.ds_mb:
            cut = data.rfind(b"\n", 0, int(args.ds_mb * 1_000_000)) + 1
            ds_path = Path(tmp) / "corpus-head.log"
            ds_path.write_bytes(data[:cut])
        ds_mb = ds_path.stat().st_size / 1_000_000
        ds_seconds, ds_found = time_detect_secrets(ds_path)

    left = sum(1 for _, value in corpus.planted if value in out)
    fl_rate = mb / seconds
    ds_rate = ds_mb / ds_seconds
    ratio = fl_rate / ds_rate
    print(
        f"fireline        {fl_rate:8.1f} MB/s  ({mb:.1f} MB in {seconds:.2f} s, "
        f"best of {args.repeat}; {findings:,} replacements, {left} planted values left)"
    )
    print(
        f"detect-secrets  {ds_rate:8.2f} MB/s  ({ds_mb:.1f} MB in {ds_seconds:.2f} s, "
        "default plugins)"
    )
    print(f"ratio           {ratio:8.1f}x   (target >= {TARGET_RATIO:.0f}x)")
    if args.ds_mb == 0:
        ds_caught = sum(
            1 for _, value in corpus.planted if any(value in f or f in value for f in ds_found)
        )
        print(f"detect-secrets found {ds_caught}/{len(corpus.planted)} planted secrets (context)")
    verdict = (
        ratio >= TARGET_RATIO
        and quality.recall >= TARGET_RECALL
        and quality.false_alarms <= TARGET_FALSE_ALARMS
    )
    print("targets met" if verdict else "TARGETS NOT MET")


if __name__ == "__main__":
    main()
