"""The rule data: every provider shape with a positive and a negative example, the allow-rules,
key-name judgement, and the labelled corpus built from providers' documented shapes."""

from __future__ import annotations

import pytest

from fireline.redaction import Redactor
from fireline.redaction.allow import ALLOW_RULES, is_example, is_placeholder, matching_rule
from fireline.redaction.keynames import FAINT, NONE, STRONG, WEAK, key_strength
from fireline.redaction.providers import PROVIDERS
from tests.secret_corpus import generate, survivors

R = Redactor()
_MIXED = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ2cF4hJ6kL8nP0rS2uX4wY6zA8bD0eG2iM4oQ6tV8"


def s(n: int, alphabet: str = _MIXED) -> str:
    """n characters cycled from `alphabet` (no long runs, letters and digits mixed)."""
    return (alphabet * (n // len(alphabet) + 1))[:n]


def h(n: int) -> str:
    return s(n, "0f1e2d3c4b5a69788796a5b4c3d2e1f0")


def up(n: int) -> str:
    return s(n, "A1B2C3D4E5F6G7H8J9K0LMNPQRSTUVWXYZ")


UUID = "3f1c9a7b-2e5d-4f0a-9c6b-1e9d7a3f5c8b"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe." + s(38)

# Provider id → (a text holding the secret, the secret, a near miss that is not one).
EXAMPLES: dict[str, tuple[str, str, str]] = {
    "aws-access-key": (f"id AKIA{up(16)} used", f"AKIA{up(16)}", "prefix AKIA only"),
    "gcp-api-key": (f"key=AIza{s(35)}", f"AIza{s(35)}", f"AIza{s(20)} short"),
    "gcp-oauth-secret": (f"GOCSPX-{s(28)}", f"GOCSPX-{s(28)}", f"GOCSPX-{s(10)}"),
    "gcp-access-token": (f"ya29.{s(60)}", f"ya29.{s(60)}", "ya29.short"),
    "gcp-private-key-id": (f'"private_key_id": "{h(40)}"', h(40), '"private_key_id": "abc"'),
    "azure-storage-key": (f"AccountKey={s(86)}==;", f"{s(86)}==", "the AccountKey field"),
    "azure-shared-access-key": (f"SharedAccessKey={s(43)}=", f"{s(43)}=", "SharedAccessKeyName=x"),
    "azure-sas-token": (
        f"https://a.blob.core.windows.net/c?sig={s(43)}%3D",
        f"{s(43)}%3D",
        "?sig=x",
    ),
    "azure-ad-client-secret": (f"{s(3)}7Q~{s(34)}", f"{s(3)}7Q~{s(34)}", "Q~ alone"),
    "digitalocean-token": (f"dop_v1_{h(64)}", f"dop_v1_{h(64)}", f"dop_v1_{h(20)}"),
    "heroku-api-key": (f"HRKU-{s(60)}", f"HRKU-{s(60)}", "HRKU-short"),
    "alibaba-access-key": (f"LTAI{s(20)}", f"LTAI{s(20)}", "LTAI123"),
    "cloudflare-origin-ca-key": (f"v1.0-{h(24)}-{h(146)}", f"v1.0-{h(24)}-{h(146)}", "v1.0-abc"),
    "netlify-token": (f"nfp_{s(36)}", f"nfp_{s(36)}", "nfp_short"),
    "vercel-token": (f"vcp_{s(40)}", f"vcp_{s(40)}", "vcp_abc"),
    "terraform-cloud-token": (
        f"{s(14)}.atlasv1.{s(67)}",
        f"{s(14)}.atlasv1.{s(67)}",
        "x.atlasv1.y",
    ),
    "pulumi-token": (f"pul-{h(40)}", f"pul-{h(40)}", "pul-abc"),
    "vault-token": (f"hvs.{s(90)}", f"hvs.{s(90)}", "hvs.short"),
    "doppler-token": (f"dp.pt.{s(43)}", f"dp.pt.{s(43)}", "dp.pt.short"),
    "age-secret-key": (
        "AGE-SECRET-KEY-1" + s(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
        "AGE-SECRET-KEY-1" + s(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
        "AGE-SECRET-KEY-1 is the prefix",
    ),
    "onepassword-token": (f"ops_eyJ{s(120)}", f"ops_eyJ{s(120)}", "ops_eyJshort"),
    "onepassword-secret-key": (
        f"A3-{up(6)}-{up(11)}-{up(5)}-{up(5)}-{up(5)}",
        f"A3-{up(6)}-{up(11)}-{up(5)}-{up(5)}-{up(5)}",
        "A3-ABC",
    ),
    "fireline-token": (f"fl_{s(43)}", f"fl_{s(43)}", "fl_short"),
    "github-token": (f"ghp_{s(36)}", f"ghp_{s(36)}", "ghp_short"),
    "gitlab-token": (f"glrt-{s(20)}", f"glrt-{s(20)}", "glrt-short"),
    "gitlab-runner-token": (f"GR1348941{s(20)}", f"GR1348941{s(20)}", "GR1348941abc"),
    "atlassian-token": (f"ATATT3xFfGF0{s(180)}", f"ATATT3xFfGF0{s(180)}", "ATATT3short"),
    "bitbucket-app-password": (f"ATBB{s(32)}", f"ATBB{s(32)}", "ATBBshort"),
    "npm-token": (f"npm_{s(36)}", f"npm_{s(36)}", "npm_install"),
    "pypi-token": (
        f"pypi-AgEIcHlwaS5vcmc{s(70)}",
        f"pypi-AgEIcHlwaS5vcmc{s(70)}",
        "pypi-AgEIcHlwaS5vcmc",
    ),
    "nuget-key": (f"oy2{s(43, 'a1b2c3d4e5f6g7h8')}", f"oy2{s(43, 'a1b2c3d4e5f6g7h8')}", "oy2abc"),
    "rubygems-key": (f"rubygems_{h(48)}", f"rubygems_{h(48)}", "rubygems_org"),
    "docker-hub-token": (f"dckr_pat_{s(27)}", f"dckr_pat_{s(27)}", "dckr_pat_x"),
    "clojars-token": (f"CLOJARS_{s(60, 'a1b2c3')}", f"CLOJARS_{s(60, 'a1b2c3')}", "CLOJARS_x"),
    "sourcegraph-token": (f"sgp_{h(40)}", f"sgp_{h(40)}", "sgp_abc"),
    "databricks-token": (f"dapi{h(32)}", f"dapi{h(32)}", "dapi123"),
    "figma-token": (f"figd_{s(40)}", f"figd_{s(40)}", "figd_x"),
    "postman-key": (f"PMAK-{h(24)}-{h(34)}", f"PMAK-{h(24)}-{h(34)}", "PMAK-abc"),
    "linear-key": (f"lin_api_{s(40)}", f"lin_api_{s(40)}", "lin_api_x"),
    "notion-token": (f"ntn_{'1' * 5}{'2' * 6}{s(35)}", f"ntn_{'1' * 5}{'2' * 6}{s(35)}", "ntn_x"),
    "airtable-token": (f"pat{s(14)}.{h(64)}", f"pat{s(14)}.{h(64)}", "path.to.file"),
    "contentful-token": (f"CFPAT-{s(43)}", f"CFPAT-{s(43)}", "CFPAT-x"),
    "anthropic-key": (f"sk-ant-api03-{s(93)}", f"sk-ant-api03-{s(93)}", "sk-ant-x"),
    "openai-key": (f"sk-proj-{s(100)}", f"sk-proj-{s(100)}", "sk-learn-kit"),
    "huggingface-token": (f"hf_{s(34)}", f"hf_{s(34)}", "hf_hub_download"),
    "groq-key": (f"gsk_{s(52)}", f"gsk_{s(52)}", "gsk_x"),
    "replicate-token": (f"r8_{s(37)}", f"r8_{s(37)}", "r8_x"),
    "perplexity-key": (f"pplx-{s(48)}", f"pplx-{s(48)}", "pplx-x"),
    "xai-key": (f"xai-{s(80)}", f"xai-{s(80)}", "xai-grok"),
    "slack-token": (f"xoxb-123456789012-{s(24)}", f"xoxb-123456789012-{s(24)}", "xoxb-"),
    "slack-webhook": (
        f"https://hooks.slack.com/services/T0{up(8)}/B0{up(8)}/{s(24)}",
        f"T0{up(8)}/B0{up(8)}/{s(24)}",
        "https://hooks.slack.com/services/",
    ),
    "discord-webhook": (
        f"https://discord.com/api/webhooks/123456789012345678/{s(68)}",
        s(68),
        "https://discord.com/api/webhooks/",
    ),
    "discord-bot-token": (f"client.run('{DISCORD}')", DISCORD, f"version {s(24)}.{s(6)}.{s(30)}"),
    "telegram-bot-token": (f"123456789:AA{s(33)}", f"123456789:AA{s(33)}", "12:30:AA"),
    "teams-webhook": (
        f"https://contoso.webhook.office.com/webhookb2/{UUID}@{UUID}/IncomingWebhook/{h(32)}",
        f"{UUID}@{UUID}/IncomingWebhook/{h(32)}",
        "https://contoso.webhook.office.com/",
    ),
    "newrelic-key": (f"NRAK-{up(27)}", f"NRAK-{up(27)}", "NRAK-x"),
    "newrelic-license-key": (f"{h(36)}NRAL", f"{h(36)}NRAL", "NRAL"),
    "sentry-token": (f"sntryu_{h(64)}", f"sntryu_{h(64)}", "sntryu_x"),
    "sentry-dsn": (
        f"https://{h(32)}@o42.ingest.sentry.io/7",
        h(32),
        "https://o42.ingest.sentry.io/7",
    ),
    "grafana-token": (f"glsa_{s(32)}_{h(8)}", f"glsa_{s(32)}_{h(8)}", "glsa_x"),
    "honeycomb-key": (f"hcaik_{s(60, 'a1b2c3d4')}", f"hcaik_{s(60, 'a1b2c3d4')}", "hcaik_x"),
    "dynatrace-token": (f"dt0c01.{up(24)}.{up(64)}", f"dt0c01.{up(24)}.{up(64)}", "dt0c01.x"),
    "planetscale-token": (f"pscale_pw_{s(43)}", f"pscale_pw_{s(43)}", "pscale_pw_x"),
    "supabase-token": (f"sbp_{h(40)}", f"sbp_{h(40)}", "sbp_x"),
    "stripe-key": (f"sk_live_{s(24)}", f"sk_live_{s(24)}", f"pk_live_{s(24)}"),
    "stripe-webhook-secret": (f"whsec_{s(32)}", f"whsec_{s(32)}", "whsec_x"),
    "braintree-token": (
        f"access_token$production${s(16, 'a1b2c3d4')}${h(32)}",
        f"access_token$production${s(16, 'a1b2c3d4')}${h(32)}",
        "access_token$production$",
    ),
    "square-token": (f"sq0csp-{s(43)}", f"sq0csp-{s(43)}", "sq0csp-x"),
    "shopify-token": (f"shpat_{h(32)}", f"shpat_{h(32)}", "shpat_x"),
    "flutterwave-key": (f"FLWSECK-{h(32)}-X", f"FLWSECK-{h(32)}-X", "FLWSECK-x"),
    "twilio-api-key": (f"SK{h(32)}", f"SK{h(32)}", f"AC{h(32)}"),
    "sendgrid-key": (f"SG.{s(22)}.{s(43)}", f"SG.{s(22)}.{s(43)}", "SG.x.y"),
    "mailgun-key": (f"key-{h(32)}", f"key-{h(32)}", "key-value"),
    "mailchimp-key": (f"{h(32)}-us12", f"{h(32)}-us12", "region-us12"),
    "easypost-key": (f"EZAK{s(54)}", f"EZAK{s(54)}", "EZAKx"),
    "shippo-token": (f"shippo_live_{h(40)}", f"shippo_live_{h(40)}", "shippo_live_x"),
    "typeform-token": (f"tfp_{s(59)}", f"tfp_{s(59)}", "tfp_x"),
    "mapbox-secret-token": (f"sk.eyJ{s(60)}.{s(22)}", f"sk.eyJ{s(60)}.{s(22)}", f"pk.eyJ{s(60)}"),
}


def test_every_provider_shape_has_examples() -> None:
    assert {p.id for p in PROVIDERS} == set(EXAMPLES)


@pytest.mark.parametrize("provider", sorted(EXAMPLES))
def test_provider_shape_replaces_its_token_and_spares_a_near_miss(provider: str) -> None:
    text, secret, near_miss = EXAMPLES[provider]
    result = R.redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{provider}#1]" in result.text
    assert R.redact(near_miss).text == near_miss


ALLOW_EXAMPLES = {
    "documented-example": ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPL3"),
    "example-word": ("acmeexample9", "acme_3x4mpl3_123"),
    "repeated-filler": ("xxxxxxxxxxxxxxxx", "x1x2x3x4x5x6"),
    "angle-or-square-placeholder": ("<your-token>", "a<b"),
    "template-or-variable": ("${API_TOKEN}", "$5ecretValue9"),
    "empty-ish-word": ("null", "nullable9x"),
    "obvious-placeholder": ("your_api_key_here", "yo8ur9key"),
    "type-name": ("boolean", "strX9y8z"),
    "digest-reference": ("sha256:e3b0c44298fc1c149afbf4c8996fb924", "sha9:abc"),
    "public-identifier": ("pk_live_" + s(24), "sk_live_" + s(24)),
    "elided": ("sk-...abcd", "sk-abcd"),
    "nil-uuid": ("ffffffff-ffff-ffff-ffff-ffffffffffff", UUID),
}


def test_every_allow_rule_has_examples() -> None:
    assert {r.id for r in ALLOW_RULES} == set(ALLOW_EXAMPLES)


@pytest.mark.parametrize("rule_id", sorted(ALLOW_EXAMPLES))
def test_allow_rule_matches_its_look_alike_and_not_a_secret(rule_id: str) -> None:
    allowed, secret = ALLOW_EXAMPLES[rule_id]
    assert matching_rule(allowed) == rule_id
    assert is_placeholder(allowed)
    assert not is_placeholder(secret)


def test_examples_apply_to_every_detector_placeholders_only_to_key_names() -> None:
    assert is_example("AKIAIOSFODNN7EXAMPLE")
    assert not is_example("changeme")  # a placeholder: spared under a key name only
    assert R.redact("AKIAIOSFODNN7EXAMPLE and password=changeme").findings == ()


@pytest.mark.parametrize(
    ("text", "unchanged"),
    [
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True),
        ("api_key: <your-api-key>", True),
        ("token: ${{ secrets.DEPLOY_TOKEN }}", True),
        ("commit 4f2c1e9a7b3d5f8e0c2a4b6d8f0e2c4a6b8d0f2e deployed", True),
        (f"request_id={UUID}", True),
        (f"STRIPE_PUBLISHABLE_KEY=pk_live_{s(24)}", True),
        (f"TWILIO_ACCOUNT_SID=AC{h(32)}", True),
        (f"HEROKU_API_KEY={UUID}", False),  # under a secret key name a UUID is a key
        (f"DD_API_KEY={h(32)}", False),  # so is hex
    ],
)
def test_look_alikes_in_context(text: str, unchanged: bool) -> None:
    assert (R.redact(text).text == text) is unchanged


@pytest.mark.parametrize(
    ("key", "strength"),
    [
        ("password", STRONG),
        ("dbPassword", STRONG),
        ("stripeToken", STRONG),
        ("apiKeyProd", STRONG),
        ("access_token1", STRONG),
        ("X-Api-Key", STRONG),
        ("AWS_SECRET_ACCESS_KEY", STRONG),
        ("HONEYCOMB_WRITEKEY", STRONG),
        ("app.db.password", STRONG),
        ("db_pass", STRONG),
        ("pass_through", WEAK),
        ("auth", WEAK),
        ("stripe_key", WEAK),
        ("key", FAINT),
        ("token_count", NONE),
        ("max_tokens", NONE),
        ("password_reset", NONE),
        ("secret_name", NONE),
        ("is_password_valid", NONE),
        ("cache_key", NONE),
        ("public_key", NONE),
        ("tokenizer", NONE),
        ("passwordless", NONE),
        ("bypass", NONE),
        ("AWS_ACCESS_KEY_ID", NONE),
    ],
)
def test_key_names_are_judged_by_their_words(key: str, strength: int) -> None:
    assert key_strength(key) == strength


def test_the_provider_corpus_is_fully_redacted_without_false_alarms() -> None:
    samples = generate(seed=23)
    positives = [sample for sample in samples if sample.secrets]
    negatives = [sample for sample in samples if not sample.secrets]
    assert len(positives) > 5000
    assert len(negatives) > 1000
    missed = [p for p in positives if survivors(p, R.redact(p.text).text)]
    alarmed = [n for n in negatives if R.redact(n.text).text != n.text]
    assert [(m.service, m.form) for m in missed] == []
    assert [(a.form, a.text) for a in alarmed] == []


# Forms seen in real configs, code and shells, written apart from the corpus generator.
REAL_WORLD = [
    ("aws_access_key_id = AKIAJ6Y4IRLTGP3GLEBQ", "AKIAJ6Y4IRLTGP3GLEBQ"),
    ('"password": "hunter2"', "hunter2"),
    ("PASSWORD = 'abc123xyz'", "abc123xyz"),
    ("mongodb://admin:pass1234@localhost:27017/app", "pass1234"),
    ("jdbc:mysql://localhost:3306/db?user=root&password=Secret123", "Secret123"),
    (
        "Server=tcp:x.database.windows.net;Database=db;User Id=app;Password=Tr1ckyPass!;",
        "Tr1ckyPass!",
    ),
    (
        "secret_key_base: 3b7cd727ee24e8444053437c36cc66c4fb0a2f7b",
        "3b7cd727ee24e8444053437c36cc66c4fb0a2f7b",
    ),
    ('token = "1234567890abcdef1234567890abcdef"', "1234567890abcdef1234567890abcdef"),
    ('conn = psycopg2.connect(host="db", user="postgres", password="s3cr3tpw")', "s3cr3tpw"),
    (
        "//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    ),
    ("_auth=dXNlcjpwYXNzd29yZDEyMw==", "dXNlcjpwYXNzd29yZDEyMw=="),
    ('{"auths": {"ghcr.io": {"auth": "Ym90OmdocF9hYmMxMjM="}}}', "Ym90OmdocF9hYmMxMjM="),
    ('props.setProperty("mail.smtp.password", "m4ilP@ss!")', "m4ilP@ss!"),
    ('curl -H "X-Auth-Token: abc123def456ghi789" https://x', "abc123def456ghi789"),
    (
        "curl 'https://graph.facebook.com/me?access_token=EAAG1a2b3c4d5e6f7g8h9i0'",
        "EAAG1a2b3c4d5e6f7g8h9i0",
    ),
    ('secret = "hunter22"', "hunter22"),
    ("pwd: hunter22", "hunter22"),
    ("SMTP_PASS=Sm7pP4ssw0rd", "Sm7pP4ssw0rd"),
    (
        "git clone https://oauth2:glpat-AbCdEfGhIjKlMnOpQrSt@gitlab.com/x/y.git",
        "glpat-AbCdEfGhIjKlMnOpQrSt",
    ),
    (
        "export AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQD1",
        "IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQD1",
    ),
    (
        '"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE"',
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE",
    ),
    ("DATABASE_URL='postgresql://u:p4ssw0rd@host/db'", "p4ssw0rd"),
    ("amqps://guest:Gu3stPass@rabbit:5671", "Gu3stPass"),
    (
        'var apiKey = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q";',
        "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    ),
    ("heroku config:set API_SECRET=Zk9x8c7v6b5n4m3", "Zk9x8c7v6b5n4m3"),
    ("kubectl create secret generic db --from-literal=password=Kub3Pass99", "Kub3Pass99"),
    ("--from-literal=DB_PASSWORD='Kub3Pass99'", "Kub3Pass99"),
    (
        'ENV["STRIPE_SECRET_KEY"] = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"',
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    ("passphrase = correct-horse-battery-9", "correct-horse-battery-9"),
    ("Password: Summer2024!", "Summer2024!"),
    ("psql postgres://svc:Svc_p4ss@10.0.0.5/db", "Svc_p4ss"),
    ("<Password>Xml9Pa55</Password>", "Xml9Pa55"),
    ('<entry key="db.password">Pr0pXml9</entry>', "Pr0pXml9"),
    ('  password = "multi"\n  "line"', "multi"),
    (
        "OPENAI_API_KEY=sk-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4",
        "sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4",
    ),
    ("token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
    (
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.",
    ),
    (
        "set-cookie: session=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYm9iIn0.abcDEF123",
        "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYm9iIn0.abcDEF123",
    ),
]


@pytest.mark.parametrize(("text", "secret"), REAL_WORLD)
def test_real_world_forms_are_redacted(text: str, secret: str) -> None:
    assert secret not in R.redact(text).text


# Look-alikes secret scanners are known to flag: code, templates, policies, prose.
LOOK_ALIKES = [
    "password = getpass.getpass()",
    "password = None",
    'password = ""',
    "token = os.environ.get('TOKEN')",
    "if password == user_password:",
    "password = hashlib.sha256(raw).hexdigest()",
    '"password": "{{password}}"',
    "api_key = config['api_key']",
    "secret = request.args.get('secret')",
    'token_url = "https://oauth2.googleapis.com/token"',
    'password_field = "password"',
    'PASSWORD_REGEX = "^(?=.*[A-Z])(?=.*[0-9]).{8,}$"',
    "token: process.env.TOKEN",
    "const password = req.body.password;",
    "secret: !Ref DbSecret",
    'password: "{{ vault_db_password }}"',
    '"key": "Content-Type"',
    'sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"',
    "Authorization: Bearer YOUR_ACCESS_TOKEN",
    "passwords = []",
    "Password must be at least 8 characters",
    '"password": true',
    "if new_password != confirm_password:",
    "api_key: ${{ secrets.API_KEY }}",
    "auth_token = auth_token or generate()",
    'private_key = open("key.pem").read()',
    "TOKEN_EXPIRY = 3600",
    "max_token_length: 512",
    'git commit -m "fix password reset"',
    'password = "<PASSWORD>"',
    'api_key = "sk-xxxxxxxxxxxxxxxxxxxxxxxx"',
    'aws_secret_access_key = "${AWS_SECRET}"',
    "tokens start with ghp_ or gho_",
    "def get_token(self) -> str:",
    "token = jwt.encode(payload, key, algorithm='HS256')",
    "secretName: my-tls-secret",
    "- secretRef:\n    name: app-env",
    "key_vault_name = 'kv-prod'",
    'keyboard.press("Enter")',
    "monkey = 'banana'",
    "self.password = password",
    "password=$(openssl rand -base64 32)",
    "export VAULT_TOKEN=$(vault login -token-only)",
    "login(username, password)",
    "user.set_password(raw_password)",
    "password_hash = bcrypt.hashpw(pw, salt)",
    "token = Token.objects.get(user=user)",
    "api_key = settings.OPENAI_API_KEY",
    'headers = {"Authorization": f"token {GITHUB_TOKEN}"}',
    '"apiKey": process.env.REACT_APP_KEY,',
    "password: ${DB_PASS:?must be set}",
    "access_key = var.access_key",
    'secret_key = "{}".format(uuid4())',
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    "client_id: 1234567890-abc.apps.googleusercontent.com",
    "ARG NPM_TOKEN",
    "token: ''",
    "credentials: include",
    "auth: true",
    "password: null",
    "key: ${{ runner.os }}-node-${{ hashFiles('**/package-lock.json') }}",
    'cache-key: v1-deps-{{ checksum "package-lock.json" }}',
    "https://example.com/reset?token=",
    "Basic authentication is disabled",
    "bearer token authentication",
    "The secret ingredient is love",
    "api_key_header = APIKeyHeader(name='X-API-Key')",
    "PASSWORD_MIN_LENGTH = 12",
    "secret_id: !vault secret/data/x",
    "token_type_hint=access_token",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert R.redact(text).text == text
