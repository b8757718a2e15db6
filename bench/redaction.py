"""Redaction throughput and quality: fireline against detect-secrets on one generated log corpus.

Generates a realistic, labelled log corpus (tens of MB: web access lines, JSON and key=value
application logs, stack traces, CI output, service-account JSON, PEM blocks) with planted secrets
of every type fireline detects and decoys that look like them (hashes, UUIDs, base64 blobs,
certificates, templated and null assignments, `token_count=`). Then, in one run, it measures
fireline's `Redactor.redact_stream` and detect-secrets' scanner (its default plugins and filters,
`SecretsCollection.scan_file`, as `detect-secrets scan` runs) on the same file, and fireline's
recall and precision on the planted secrets. Targets: >= 20x detect-secrets' MB/s, recall >=
0.99, precision >= 0.95.
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import string
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fireline.redaction import Redactor

TARGET_RATIO = 20.0
TARGET_RECALL = 0.99
TARGET_PRECISION = 0.95

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

    # Planted secrets: (line, type, the value that must not survive).
    def secret(self) -> tuple[str, str, str]:
        r = self.r
        kind = r.randrange(22)
        ts = self.ts()
        if kind == 0:
            v = r.choice(["AKIA", "ASIA"]) + self.pick(UPPER_DIGITS, 16)
            return f"{ts} boto3 credentials access_key_id={v} region=eu-west-1", "aws-access-key", v
        if kind == 1:
            v = self.pick(B64, 40)
            return f"{ts} env aws_secret_access_key = {v}", "aws-secret-key", v
        if kind == 2:
            v = "AIza" + self.pick(URLSAFE, 35)
            return (
                f"{ts} GET https://maps.googleapis.com/maps/api/geocode/json?key={v}",
                "gcp-api-key",
                v,
            )
        if kind == 3:
            v = self.hexs(40)
            return (
                f'{{"type": "service_account", "project_id": "prod-1", "private_key_id": "{v}",',
                "gcp-private-key-id",
                v,
            )
        if kind == 4:
            body = self.pick(B64, 64)
            line = (
                f'  "private_key": "-----BEGIN PRIVATE KEY-----\\n{body}\\n{self.pick(B64, 64)}'
                '\\n-----END PRIVATE KEY-----\\n",'
            )
            return line, "private-key", body
        if kind == 5:
            rows = [self.pick(B64, 64) for _ in range(r.randint(4, 12))]
            label = r.choice(["RSA ", "EC ", "OPENSSH ", ""])
            block = "\n".join(
                [f"-----BEGIN {label}PRIVATE KEY-----", *rows, f"-----END {label}PRIVATE KEY-----"]
            )
            return f"{ts} dumping key file:\n{block}", "private-key", rows[0]
        if kind == 6:
            v = self.pick(B64, 86) + "=="
            return (
                f"{ts} DefaultEndpointsProtocol=https;AccountName=logs{r.randint(1, 9)};"
                f"AccountKey={v};"
                "EndpointSuffix=core.windows.net",
                "azure-storage-key",
                v,
            )
        if kind == 7:
            v = self.pick(ALNUM + "%", 43) + "%3D"
            return (
                f"{ts} upload https://logs.blob.core.windows.net/c/f.gz?sv=2022-11-02&ss=b&sig={v}",
                "azure-sas-token",
                v,
            )
        if kind == 8:
            v = r.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + self.pick(ALNUM, 36)
            return f"{ts} git push https://github.com/org/repo (token {v})", "github-token", v
        if kind == 9:
            v = "github_pat_" + self.pick(ALNUM, 22) + "_" + self.pick(ALNUM, 59)
            return f"{ts} GH_TOKEN={v} gh release create", "github-token", v
        if kind == 10:
            v = "glpat-" + self.pick(URLSAFE, 20)
            return f"{ts} gitlab-runner: registering with {v}", "gitlab-token", v
        if kind == 11:
            team, bot = r.randint(10**11, 10**12), r.randint(10**12, 10**13)
            v = f"xoxb-{team}-{bot}-{self.pick(ALNUM, 24)}"
            return f"{ts} slack client init token {v}", "slack-token", v
        if kind == 12:
            hook = self.pick(ALNUM, 24)
            v = f"T{self.pick(UPPER_DIGITS, 8)}/B{self.pick(UPPER_DIGITS, 10)}/{hook}"
            return f"{ts} notify POST https://hooks.slack.com/services/{v}", "slack-webhook", v
        if kind == 13:
            head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
            claims = f'{{"sub":"{r.randint(1, 10**9)}","exp":{self.t}}}'.encode()
            body = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
            v = f"{head}.{body}.{self.pick(URLSAFE, 43)}"
            return f"{ts} set-cookie: session={v}; HttpOnly", "jwt", v
        if kind == 14:
            v = self.pick(ALNUM + "!#%^*", r.randint(10, 20))
            user = r.choice(["app", "admin", "etl"])
            return (
                f"{ts} connecting postgres://{user}:{v}@db-{r.randint(1, 9)}.internal:5432/orders",
                "url-password",
                v,
            )
        if kind == 15:
            v = self.pick(ALNUM, r.randint(10, 24))
            form = r.choice(["password={}", 'password: "{}"', "DB_PASSWORD={}", "passwd:{}"])
            return f"{ts} {form.format(v)}", "password", v
        if kind == 16:
            v = self.pick(ALNUM, r.randint(16, 40))
            form = r.choice(["client_secret={}", "secret: {}", '"secret_key": "{}"'])
            return f"{ts} {form.format(v)}", "secret", v
        if kind == 17:
            v = self.pick(ALNUM, r.randint(20, 40))
            form = r.choice(["token={}", "access_token: {}", '"auth_token": "{}"'])
            return f"{ts} {form.format(v)}", "token", v
        if kind == 18:
            v = "sk_live_" + self.pick(ALNUM, 24)
            return f"{ts} stripe api_key={v}", "api-key", v
        if kind == 19:
            v = self.pick(URLSAFE, 40)
            return (
                f'{ts} curl -H "Authorization: Bearer {v}" https://api.internal',
                "bearer-token",
                v,
            )
        if kind == 20:
            v = base64.b64encode(f"svc:{self.pick(ALNUM, 12)}".encode()).decode()
            return f"{ts} > Authorization: Basic {v}", "basic-auth", v
        v = "ASIA" + self.pick(UPPER_DIGITS, 16)
        return f'{ts} {{"AccessKeyId": "{v}", "Expiration": "2026-12-01"}}', "aws-access-key", v


def generate(megabytes: float, seed: int, secret_every: int) -> Corpus:
    """About `megabytes` of log text; one line in `secret_every` plants a secret."""
    gen = Generator(seed)
    lines: list[str] = []
    size = 0
    corpus = Corpus("")
    limit = int(megabytes * 1_000_000)
    while size < limit:
        if gen.r.randrange(secret_every) == 0:
            line, kind, value = gen.secret()
            corpus.planted.append((kind, value))
        else:
            line, decoy = gen.noise_line()
            corpus.decoys += decoy
        lines.append(line)
        size += len(line) + 1
    corpus.text = "\n".join(lines) + "\n"
    return corpus


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
    parser.add_argument("--mb", type=float, default=24.0, help="corpus size in MB")
    parser.add_argument(
        "--ds-mb", type=float, default=0.0, help="detect-secrets on the first N MB only (0: all)"
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--secret-every", type=int, default=120, help="one line in N plants a secret"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    corpus = generate(args.mb, args.seed, args.secret_every)
    data = corpus.text.encode()
    mb = len(data) / 1_000_000
    per_type = Counter(kind for kind, _ in corpus.planted)
    print(
        f"corpus: {mb:.1f} MB, {corpus.text.count(chr(10)):,} lines, "
        f"{len(corpus.planted):,} planted "
        f"secrets of {len(per_type)} types, {corpus.decoys:,} decoy lines"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.log"
        path.write_bytes(data)
        redactor = Redactor()
        seconds, out, findings = time_fireline(path, redactor, args.repeat)
        ds_path = path
        if args.ds_mb:
            cut = data.rfind(b"\n", 0, int(args.ds_mb * 1_000_000)) + 1
            ds_path = Path(tmp) / "corpus-head.log"
            ds_path.write_bytes(data[:cut])
        ds_mb = ds_path.stat().st_size / 1_000_000
        ds_seconds, ds_found = time_detect_secrets(ds_path)

    text = out
    missed = [(kind, value) for kind, value in corpus.planted if value in text]
    caught = len(corpus.planted) - len(missed)
    recall = caught / len(corpus.planted)
    precision = caught / findings if findings else 0.0
    ds_caught = sum(
        1 for _, value in corpus.planted if any(value in f or f in value for f in ds_found)
    )
    fl_rate = mb / seconds
    ds_rate = ds_mb / ds_seconds
    ratio = fl_rate / ds_rate
    print(
        f"fireline        {fl_rate:8.1f} MB/s  ({mb:.1f} MB in {seconds:.2f} s, "
        f"best of {args.repeat})"
    )
    print(
        f"detect-secrets  {ds_rate:8.2f} MB/s  ({ds_mb:.1f} MB in {ds_seconds:.2f} s, "
        "default plugins)"
    )
    print(f"ratio           {ratio:8.1f}x   (target >= {TARGET_RATIO:.0f}x)")
    print(
        f"recall          {recall:8.4f}   ({caught}/{len(corpus.planted)} planted secrets removed; "
        f"target >= {TARGET_RECALL})"
    )
    print(
        f"precision       {precision:8.4f}   ({caught} of {findings} replacements were planted "
        "secrets; "
        f"target >= {TARGET_PRECISION})"
    )
    if args.ds_mb == 0:
        print(
            f"detect-secrets found {ds_caught}/{len(corpus.planted)} planted secrets (for context)"
        )
    for kind, value in missed[:10]:
        print(f"  missed {kind}: {value[:12]}…")
    verdict = ratio >= TARGET_RATIO and recall >= TARGET_RECALL and precision >= TARGET_PRECISION
    print("targets met" if verdict else "TARGETS NOT MET")


if __name__ == "__main__":
    main()
