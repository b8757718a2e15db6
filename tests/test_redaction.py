"""The redaction engine: every detector, decoys, placeholder numbering, streams, properties."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.redaction import Finding, Redactor, engine

R = Redactor()

# (type, text holding one secret, the secret itself)
SECRETS = [
    ("aws-access-key", "key id AKIAIOSFODNN7EXAMPL3 used", "AKIAIOSFODNN7EXAMPL3"),
    ("aws-access-key", "session ASIAJ2QX4PXTDNYV6OMB expired", "ASIAJ2QX4PXTDNYV6OMB"),
    (
        "aws-secret-key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE",
    ),
    (
        "aws-secret-key",
        'AWS_SECRET_KEY: "Zq8x7Vb2nM4kL1pQ9wE3rT6yU0iO5aS8dF2gH7jK"',
        "Zq8x7Vb2nM4kL1pQ9wE3rT6yU0iO5aS8dF2gH7jK",
    ),
    (
        "gcp-api-key",
        "maps key=AIzaSyD4x9Q2mN7kP1wL8vB3cR6tY0uI5oE2aS4 in url",
        "AIzaSyD4x9Q2mN7kP1wL8vB3cR6tY0uI5oE2aS4",
    ),
    (
        "gcp-private-key-id",
        '"private_key_id": "3f1c9a7b2e5d8f0a4c6b1e9d7a3f5c8b2e0d4a6f",',
        "3f1c9a7b2e5d8f0a4c6b1e9d7a3f5c8b2e0d4a6f",
    ),
    (
        "private-key",
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n'
        '-----END PRIVATE KEY-----\\n",',
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    ),
    (
        "azure-storage-key",
        "DefaultEndpointsProtocol=https;AccountName=logs;AccountKey="
        + "a" * 30
        + "B9" * 28
        + "==;EndpointSuffix=core.windows.net",
        "a" * 30 + "B9" * 28 + "==",
    ),
    (
        "azure-sas-token",
        "https://logs.blob.core.windows.net/c/f?sv=2022-11-02&sig=Xk3v9QmZ2pL7wN4bR8tY1uE6iO0aS5dF3gH9jK2lM%3D",
        "Xk3v9QmZ2pL7wN4bR8tY1uE6iO0aS5dF3gH9jK2lM%3D",
    ),
    (
        "fireline-token",
        "FIRELINE_TOKEN=fl_q3Zk9Xb2Lm7Nw4Rt8Yv1Pc6Hd0Js5Gf3Ka2Eu9Wo7Ti ran CI",
        "fl_q3Zk9Xb2Lm7Nw4Rt8Yv1Pc6Hd0Js5Gf3Ka2Eu9Wo7Ti",
    ),
    (
        "github-token",
        "export GH=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    ),
    (
        "github-token",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a ok",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    (
        "github-token",
        "ghs_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa99 ghr_",
        "ghs_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa99",
    ),
    (
        "github-token",
        "github_pat_11ABCDEFG0abcdefghijkl_MNOPQRSTUVWXyz0123456789abcdefghijklmnopqrstuvwxyzABCDE",
        "github_pat_11ABCDEFG0abcdefghijkl_MNOPQRSTUVWXyz0123456789abcdefghijklmnopqrstuvwxyzABCDE",
    ),
    ("gitlab-token", "CI uses glpat-x7Kq2Lm9Np4Rt6Vw8Yz0 now", "glpat-x7Kq2Lm9Np4Rt6Vw8Yz0"),
    (
        "slack-token",
        "bot xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    ("slack-token", "legacy xoxp-2837465019-abcdefghijk", "xoxp-2837465019-abcdefghijk"),
    (
        "slack-webhook",
        "post to https://hooks.slack.com/services/T024BE7LD/B01ABCDEF9G/qW3eR5tY7uI9oP1aS3dF5gH7",
        "T024BE7LD/B01ABCDEF9G/qW3eR5tY7uI9oP1aS3dF5gH7",
    ),
    (
        "jwt",
        "cookie=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4f",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4f",
    ),
    (
        "private-key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQyNTUxOQAAACB\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAA",
    ),
    (
        "url-password",
        "DSN postgres://app:S3cr3t-Pa55@db.internal:5432/orders",
        "S3cr3t-Pa55",
    ),
    ("password", "login password=hunter2xyz ok", "hunter2xyz"),
    ("password", 'DB_PASSWORD: "correct horse battery"', "correct horse battery"),
    ("password", "passwd:Tr0ub4dor&3", "Tr0ub4dor"),
    ("secret", "client_secret='9f8e7d6c5b4a'", "9f8e7d6c5b4a"),
    ("secret", "secret: q1w2e3r4t5", "q1w2e3r4t5"),
    ("token", "token=5e6f7a8b9c0d1e2f", "5e6f7a8b9c0d1e2f"),
    ("token", '{"access_token": "ya29.a0AfH6SMBx"}', "ya29.a0AfH6SMBx"),
    ("api-key", "api_key=sk_live_51HxQ2eKq", "sk_live_51HxQ2eKq"),
    (
        "bearer-token",
        "Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543",
        "8f14e45fceea167a5a36dedd4bea2543",
    ),
    ("basic-auth", "authorization: Basic YWxpY2U6czNjcjN0", "YWxpY2U6czNjcjN0"),
    (
        "bearer-token",
        "retrying with bearer q9w8e7r6t5y4u3i2o1p0",
        "q9w8e7r6t5y4u3i2o1p0",
    ),
]

DECOYS = [
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 matches",
    "request id 123e4567-e89b-12d3-a456-426614174000 done",
    "payload aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSBzZWNyZXQgYXQgYWxs== decoded",
    "user=alice status=200 duration_ms=31 path=/api/v1/orders",
    "password_reset=true tokens=5 max_tokens=512 token_count=9",
    "token=null password=*** secret: ${DB_SECRET} api_key=<your-key>",
    "commit 4f2c1e9a7b3d5f8e0c2a4b6d8f0e2c4a6b8d0f2e deployed",
    "AKIA is the prefix AWS uses; AKIATOOSHORT is not a key",
    "the bearer of bad news; Basic setup",
    "https://example.com/path?q=1 and ssh://git@github.com/org/repo.git",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "pass: 12 fail: 0 skipped: 3",
    "ghp_short xoxb- glpat-",
]


@pytest.mark.parametrize(("kind", "text", "secret"), SECRETS)
def test_detector_replaces_the_secret_with_a_typed_placeholder(
    kind: str, text: str, secret: str
) -> None:
    result = R.redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{kind}#1]" in result.text
    assert Finding(kind, 1) in result.findings


@pytest.mark.parametrize("text", DECOYS)
def test_decoys_are_left_alone(text: str) -> None:
    result = R.redact(text)
    assert result.text == text
    assert result.findings == ()


def test_assignment_keeps_the_key_and_replaces_only_the_value() -> None:
    assert R.redact("password=hunter2xyz").text == "password=[REDACTED:password#1]"
    assert (
        R.redact("https://bob:pw12345@host/x").text
        == "https://bob:[REDACTED:url-password#1]@host/x"
    )


def test_repeated_secret_keeps_its_number_and_distinct_ones_count_up() -> None:
    a, b = "AKIAIOSFODNN7EXAMPL3", "AKIAI44QH8DHBEXAMPL3"
    result = R.redact(f"{a} then {b} then {a} again")
    assert result.text == (
        "[REDACTED:aws-access-key#1] then [REDACTED:aws-access-key#2] "
        "then [REDACTED:aws-access-key#1] again"
    )
    assert result.findings == (Finding("aws-access-key", 3),)
    assert result.summary == {"aws-access-key": 3}


def test_numbers_continue_after_placeholders_already_in_the_text() -> None:
    text = "[REDACTED:aws-access-key#1] and a new one AKIAI44QH8DHBEXAMPL3"
    assert (
        R.redact(text).text
        == "[REDACTED:aws-access-key#1] and a new one [REDACTED:aws-access-key#2]"
    )


def test_a_jwt_in_a_bearer_header_is_named_by_the_more_specific_rule() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"
    result = R.redact(f"Authorization: Bearer {jwt}")
    assert result.text == "Authorization: Bearer [REDACTED:jwt#1]"


def test_an_unterminated_private_key_is_redacted_to_the_end() -> None:
    result = R.redact("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nmore")
    assert result.text == "key:\n[REDACTED:private-key#1]"


def test_redaction_reports_the_pii_it_keeps() -> None:
    result = R.redact("mail bob@example.org from 10.1.2.3, at 41.878113, -87.629799")
    assert result.text == "mail bob@example.org from 10.1.2.3, at 41.878113, -87.629799"
    assert result.sensitive == {"email", "ip", "coordinates"}


def stream(text: str) -> tuple[str, tuple[Finding, ...]]:
    out = io.BytesIO()
    result = R.redact_stream(io.BytesIO(text.encode()), out)
    assert result.bytes_in == len(text.encode())
    assert result.bytes_out == len(out.getvalue())
    return out.getvalue().decode(), result.findings


def test_stream_redacts_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CHUNK", 16)
    key = "AKIAIOSFODNN7EXAMPL3"
    text = f"first line {key}\n" + "filler line\n" * 5 + f"again {key} token=q1w2e3r4t5\n"
    out, findings = stream(text)
    assert key not in out
    assert out.count("[REDACTED:aws-access-key#1]") == 2
    assert findings == (Finding("aws-access-key", 2), Finding("token", 1))


def test_stream_drops_a_pem_block_that_spans_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CHUNK", 32)
    body = "".join(f"MIIEpAIBAAKCAQEA{n:04d}xyz\n" for n in range(20))
    text = f"before\n-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\nafter\n"
    out, findings = stream(text)
    assert out == "before\n[REDACTED:private-key#1]\nafter\n"
    assert findings == (Finding("private-key", 1),)


def test_stream_keeps_bytes_that_are_not_utf8() -> None:
    raw = b"\xff\xfe binary \x00 password=hunter2xyz\n\xc3"
    out = io.BytesIO()
    R.redact_stream(io.BytesIO(raw), out)
    assert out.getvalue() == b"\xff\xfe binary \x00 password=[REDACTED:password#1]\n\xc3"


def test_stream_cuts_a_very_long_line_at_whitespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CHUNK", 8)
    text = "word " * 40 + "AKIAIOSFODNN7EXAMPL3 " + "word " * 40
    out, findings = stream(text)
    assert "AKIAIOSFODNN7EXAMPL3" not in out
    assert findings == (Finding("aws-access-key", 1),)


def test_stream_reports_pii_kinds() -> None:
    out = io.BytesIO()
    result = R.redact_stream(io.BytesIO(b"from 2001:db8::1 call +44 20 7946 0958\n"), out)
    assert result.sensitive == {"ip", "phone"}


# Property tests: redaction is idempotent and never lets a planted secret through.
_filler = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@given(st.lists(st.tuples(_filler, st.sampled_from(SECRETS)), min_size=1, max_size=4), _filler)
def test_redact_is_idempotent_and_hides_planted_secrets(
    pieces: list[tuple[str, tuple[str, str, str]]], tail: str
) -> None:
    text = "".join(f"{filler}\n{planted}\n" for filler, (_, planted, _) in pieces) + tail
    once = R.redact(text)
    assert R.redact(once.text).text == once.text
    for _, (_, _, secret) in pieces:
        assert secret not in once.text


@given(st.text(max_size=200))
def test_redact_is_idempotent_on_any_text(text: str) -> None:
    once = R.redact(text).text
    assert R.redact(once).text == once


def test_text_whose_lowercase_is_longer_is_still_redacted_and_masked() -> None:
    # "İ" lowercases to two characters, so keyword offsets in the lowered text do not line up.
    from fireline.redaction import mask

    text = "İstanbul: password=hunter2xyz key AKIAIOSFODNN7EXAMPL3 lat=41.0082 lon=28.9784"
    result = R.redact(text)
    assert result.text == (
        "İstanbul: password=[REDACTED:password#1] key [REDACTED:aws-access-key#1] "
        "lat=41.0082 lon=28.9784"
    )
    assert result.sensitive == {"coordinates"}
    assert mask(result.text).endswith("lat=41.0 lon=29.0")


# Fail-open forms: the value is replaced, never the operator, a prefix word or the scheme.
VALUE = "Zq8x7Vb2nM4kL1pQ"
FAIL_OPEN_FORMS = [
    ('API_KEY :::= "{v}"', 'API_KEY :::= "[REDACTED:api-key#1]"'),
    ("password ::= {v}", "password ::= [REDACTED:password#1]"),
    ('if secret == "{v}":', 'if secret == "[REDACTED:secret#1]":'),
    ('string password = @"{v}";', 'string password = @"[REDACTED:password#1]";'),
    ("token: Bearer {v}", "token: Bearer [REDACTED:bearer-token#1]"),
    ("auth_token = Basic {v}", "auth_token = Basic [REDACTED:token#1]"),
    (
        'headers["Authorization"] = "Bearer {v}"',
        'headers["Authorization"] = "Bearer [REDACTED:bearer-token#1]"',
    ),
    ("Authorization: token {v}", "Authorization: token [REDACTED:token#1]"),
    ("Authorization: Bot {v}", "Authorization: Bot [REDACTED:authorization#1]"),
    ("Authorization: SSWS {v}", "Authorization: SSWS [REDACTED:authorization#1]"),
    ("password = r'{v}'", "password = r'[REDACTED:password#1]'"),
]


@pytest.mark.parametrize(("form", "expected"), FAIL_OPEN_FORMS)
def test_the_value_is_replaced_never_the_operator_or_scheme(form: str, expected: str) -> None:
    assert R.redact(form.format(v=VALUE)).text == expected


KEY_FORMS = [
    'stripeToken = "{v}"',
    "apiKeyProd: {v}",
    'dbPassword="{v}"',
    "access_token1={v}",
    'System.setProperty("X_TOKEN", "{v}");',
    'os.environ["X_SECRET"] = "{v}"',
    'value = os.getenv("API_KEY", "{v}")',
    'const v = process.env.API_TOKEN || "{v}";',
    "<password>{v}</password>",
    '<add key="DbPassword" value="{v}" />',
    "export GH_TOKEN='{v}'",
    "mysql -h db -u root -p{v} orders",
    "deploy --password {v} --verbose",
    "deploy --api-key={v}",
    "curl -u admin:{v} https://api.internal",
    "redis://:{v}@cache:6379/0",
    "sshpass -p '{v}' ssh app@host",
    "docker login -u bot -p {v} registry.internal",
    "CREATE USER 'app'@'%' IDENTIFIED BY '{v}';",
    'DB_PASSWORD="${{DB_PASSWORD:-{v}}}"',
    'env:\n  - name: DB_PASSWORD\n    value: "{v}"',
    'password: str = "{v}"',
    '$env:API_KEY = "{v}"',
    "[db]\npassword = {v}\nuser = app",
    "x-api-key: {v}",
]


@pytest.mark.parametrize("form", KEY_FORMS)
def test_secrets_are_found_by_their_key_in_every_form(form: str) -> None:
    text = form.format(v=VALUE)
    result = R.redact(text)
    assert VALUE not in result.text
    assert result.findings


def test_json_escaped_values_stop_at_the_escape() -> None:
    text = (
        '{"config": "password=Zq8x7Vb2nM4kL1pQ\\nuser=bob", '
        '"c": "{\\"token\\": \\"Zq8x7Vb2\\"}\\n"}'
    )
    assert R.redact(text).text == (
        '{"config": "password=[REDACTED:password#1]\\nuser=bob", '
        '"c": "{\\"token\\": \\"[REDACTED:token#1]\\"}\\n"}'
    )


@pytest.mark.parametrize(
    "text",
    [
        "token=$(cat /run/secrets/token)",
        "export PASSWORD=${DB_PASSWORD}",
        "password: $DB_PASSWORD",
        "set DB_PASSWORD=%PROD_DB_PASSWORD%",
        'password: "{{ .Values.db.password }}"',
        "TOKEN=`cat ~/.token`",
        "env:\n  GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
        "Authorization: Bearer ${CI_TOKEN}",
        "password = os.environ['DB_PASSWORD']",
        "client = OpenAI(api_key=api_key)",
        'token = generate_token(user, scope="read")',
        'xhr.setRequestHeader("Authorization", "Bearer " + token);',
    ],
)
def test_substitutions_and_code_references_are_not_secret_values(text: str) -> None:
    assert R.redact(text).text == text


def test_overlapping_claims_are_merged_not_dropped() -> None:
    from fireline.redaction import Rule

    wide = Rule("wide", re.compile(r"left-[a-z]{8}"), ("left-",))
    late = Rule("late", re.compile(r"[a-z]{4}-right[0-9]{6}"), ("-right",))
    result = Redactor([wide, late]).redact("x left-abcdefgh-right123456 y")
    assert result.text == "x [REDACTED:wide#1] y"


def test_output_is_checked_again_until_nothing_is_found() -> None:
    from fireline.redaction import Rule

    # Matches only once the first pass has put a placeholder before it.
    after = Rule("after", re.compile(r"\] tail[0-9]{4}"), ("tail",))
    result = Redactor([after]).redact("AKIAIOSFODNN7EXAMPL3 tail1234")
    assert result.text == "[REDACTED:aws-access-key#1][REDACTED:after#1]"


def test_a_text_that_does_not_settle_is_refused() -> None:
    from fireline.errors import RedactionError
    from fireline.redaction import Rule

    # Each pass makes a new placeholder this rule matches after: it never settles.
    endless = Rule("endless", re.compile(r"\][a-]{4}"), ())
    with pytest.raises(
        RedactionError, match=r"did not settle after 4 passes .*; nothing was written"
    ):
        Redactor([endless]).redact("AKIAIOSFODNN7EXAMPL3" + "-" + "a" * 40)


# Property: planted secrets in random surroundings never survive, not even an 8-char piece.
_KEYS = ["password", "DB_PASSWORD", "apiKey", "stripeToken", "client_secret", "access_token1",
         "X-Api-Key", "authToken", "secret", "PGPASSWORD", "app.db.password"]  # fmt: skip
_OPS = ["=", ": ", " = ", ":=", "::=", " :::= ", "==", " => ", "=\t", ": \t"]
_QUOTES = [("", ""), ('"', '"'), ("'", "'"), ('\\"', '\\"'), ('@"', '"'), ("`", "`")]
# Surroundings are separated from the value, as text around a token is (`x1ghp_…` is one word).
_BEFORE = ["", "\n", " ", "\\n", ";", ",", "(", "{", "x=", "?a=1&t=", "\r\n", "- ", "\\t"]
_AFTER = ["", "\n", " ", "\\n", ";", ",", " # note", ")", "}", "&next=1", "\r\n", " -v"]
_SHAPED = ["ghp_{36}", "glpat-{20}", "xoxb-1234567890-{24}", "sk_live_{24}", "npm_{36}",
           "AKIA{U16}", "hf_{L34}", "SG.{22}.{43}", "dop_v1_{H64}", "sk-proj-{48}"]  # fmt: skip


def _value(seed: int) -> str:
    import random
    import string

    rng = random.Random(seed)
    alnum = string.ascii_letters + string.digits
    n = rng.randint(12, 40)
    while True:
        value = "".join(rng.choices(alnum, k=n))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def _shaped(template: str, seed: int) -> str:
    import random
    import string

    rng = random.Random(seed)
    alphabets = {"U": string.ascii_uppercase + string.digits, "L": string.ascii_letters,
                 "H": "0123456789abcdef", "": string.ascii_letters + string.digits}  # fmt: skip

    def fill(match: re.Match[str]) -> str:
        kind, count = match.group(1), int(match.group(2))
        body = "".join(rng.choices(alphabets[kind], k=count - 1))
        return body + rng.choice(string.digits if kind != "L" else string.ascii_letters)

    return re.sub(r"\{([ULH]?)(\d+)\}", fill, template)


_planted = st.one_of(
    st.tuples(
        st.sampled_from(_KEYS),
        st.sampled_from(_OPS),
        st.sampled_from(_QUOTES),
        st.integers(0, 2**32).map(_value),
    ).map(lambda t: (f"{t[0]}{t[1]}{t[2][0]}{t[3]}{t[2][1]}", t[3])),
    st.tuples(st.sampled_from(_SHAPED), st.integers(0, 2**32)).map(
        lambda t: (_shaped(t[0], t[1]),) * 2
    ),
)


@given(
    st.lists(
        st.tuples(st.sampled_from(_BEFORE), _planted, st.sampled_from(_AFTER)),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["", "log: ", "{", '{"cfg": "', "export ", "  - "]),
)
def test_no_planted_secret_or_piece_of_it_survives(
    pieces: list[tuple[str, tuple[str, str], str]], lead: str
) -> None:
    text = lead + "\n".join(f"{before}{planted}{after}" for before, (planted, _), after in pieces)
    out = R.redact(text).text
    rest = text
    for _, (_, secret), _ in pieces:
        rest = rest.replace(secret, "")
    for _, (_, secret), _ in pieces:
        for i in range(len(secret) - 7):
            piece = secret[i : i + 8]
            assert out.count(piece) <= rest.count(piece), (text, out)
    assert R.redact(out).text == out


def test_stream_keeps_a_two_line_pair_in_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CHUNK", 48)
    text = "filler line number one\n" * 3 + "  - name: DB_PASSWORD\n    value: Zq8x7Vb2nM4kL1pQ\n"
    for offset in range(24):
        out, findings = stream("x" * offset + "\n" + text)
        assert "Zq8x7Vb2nM4kL1pQ" not in out
        assert findings == (Finding("password", 1),)
