"""A labelled secret corpus built from providers' documented token shapes, values generated.

The shapes (prefixes, lengths, alphabets, structure) are what the providers document for their
keys and tokens; every value is generated from a seeded random source, so no real credential is
in it and the same seed gives the same corpus. Each shape is written into many surroundings
(env files, shell, YAML, JSON, JSON-escaped strings, TOML, INI, XML, code in nine languages,
URLs, headers, CLI flags, log lines). The negatives are look-alikes: documented example keys,
placeholders and templates under secret key names, hashes, UUIDs, public identifiers that share
a prefix, key names that describe a secret without holding one, code references and prose.

`generate(seed)` returns the samples; `SERVICES`, `KEYED_FORMS`, `BARE_FORMS` and
`STRUCTURAL` say what is covered (bench/redaction.py prints the counts).
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
_PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9._-]+#\d+\]")


@dataclass(frozen=True)
class Sample:
    """One text; `secrets` are the planted values (empty for a negative)."""

    text: str
    secrets: tuple[str, ...]
    service: str
    form: str


class Gen:
    """Seeded value helpers."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        while True:
            value = "".join(self.r.choices(alphabet, k=n))
            # Random keys of this length mix classes; skip the rare draw that does not.
            if n < 8 or len(set(value)) > min(n, len(alphabet)) // 3:
                return value

    def mixed(self, n: int, alphabet: str = ALNUM) -> str:
        while True:
            value = self.s(alphabet, n)
            if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                return value

    def b64url(self, raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# Service name, key-name words, value generator, whether the value has a shape of its own.
Shape = Callable[[Gen], str]


@dataclass(frozen=True)
class Service:
    name: str
    key: tuple[str, ...]
    value: Shape
    shaped: bool = True


def _jwt(g: Gen, *, signed: bool = True) -> str:
    head = g.b64url(json.dumps({"alg": "HS256" if signed else "none", "typ": "JWT"}).encode())
    claims = {"sub": str(g.r.randint(1, 10**9)), "iat": g.r.randint(1_600_000_000, 1_800_000_000)}
    body = g.b64url(json.dumps(claims).encode())
    return f"{head}.{body}." + (g.s(URLSAFE, 43) if signed else "")


def _discord_bot(g: Gen) -> str:
    user_id = str(g.r.randint(10**17, 10**18))
    return f"{g.b64url(user_id.encode())}.{g.s(URLSAFE, 6)}.{g.s(URLSAFE, 38)}"


SERVICES: tuple[Service, ...] = (
    # Payments and commerce.
    Service("stripe-secret", ("stripe", "secret", "key"), lambda g: "sk_live_" + g.mixed(99)),
    Service("stripe-test", ("stripe", "api", "key"), lambda g: "sk_test_" + g.mixed(24)),
    Service(
        "stripe-restricted", ("stripe", "restricted", "key"), lambda g: "rk_live_" + g.mixed(24)
    ),
    Service("stripe-webhook", ("stripe", "webhook", "secret"), lambda g: "whsec_" + g.mixed(32)),
    Service(
        "braintree",
        ("braintree", "access", "token"),
        lambda g: f"access_token$production${g.s(LOWER_ALNUM, 16)}${g.s(HEX, 32)}",
    ),
    Service("square", ("square", "access", "token"), lambda g: "EAAA" + g.mixed(60, URLSAFE)),
    Service("square-oauth", ("square", "secret"), lambda g: "sq0csp-" + g.mixed(43, URLSAFE)),
    Service("shopify", ("shopify", "access", "token"), lambda g: "shpat_" + g.s(HEX, 32)),
    Service("shopify-shared", ("shopify", "shared", "secret"), lambda g: "shpss_" + g.s(HEX, 32)),
    # AI model APIs and hubs.
    Service("openai", ("openai", "api", "key"), lambda g: "sk-proj-" + g.mixed(156, URLSAFE)),
    Service(
        "openai-legacy",
        ("openai", "key"),
        lambda g: "sk-" + g.mixed(20) + "T3BlbkFJ" + g.mixed(20),
    ),
    Service(
        "anthropic",
        ("anthropic", "api", "key"),
        lambda g: "sk-ant-api03-" + g.mixed(93, URLSAFE) + "AA",
    ),
    Service("huggingface", ("hf", "token"), lambda g: "hf_" + g.s(string.ascii_letters, 34)),
    Service("groq", ("groq", "api", "key"), lambda g: "gsk_" + g.mixed(52)),
    Service("replicate", ("replicate", "api", "token"), lambda g: "r8_" + g.mixed(37)),
    Service("cohere", ("cohere", "api", "key"), lambda g: g.mixed(40), shaped=False),
    # Chat platforms.
    Service(
        "slack-bot",
        ("slack", "bot", "token"),
        lambda g: f"xoxb-{g.r.randint(10**11, 10**12)}-{g.r.randint(10**12, 10**13)}-{g.mixed(24)}",
    ),
    Service(
        "slack-user",
        ("slack", "user", "token"),
        lambda g: (
            f"xoxp-{g.r.randint(10**11, 10**12)}-{g.r.randint(10**11, 10**12)}-"
            f"{g.r.randint(10**12, 10**13)}-{g.s(HEX, 32)}"
        ),
    ),
    Service(
        "slack-refresh",
        ("slack", "refresh", "token"),
        lambda g: f"xoxe-1-{g.mixed(140, UPPER_ALNUM + string.ascii_lowercase + '-')}",
    ),
    Service(
        "slack-app",
        ("slack", "app", "token"),
        lambda g: f"xapp-1-A{g.s(UPPER_ALNUM, 10)}-{g.r.randint(10**12, 10**13)}-{g.s(HEX, 64)}",
    ),
    Service("discord-bot", ("discord", "bot", "token"), _discord_bot),
    Service(
        "telegram-bot",
        ("telegram", "bot", "token"),
        lambda g: f"{g.r.randint(10**8, 10**10)}:AA{g.mixed(33, URLSAFE)}",
    ),
    # Code hosting and package registries.
    Service("github-pat", ("github", "token"), lambda g: "ghp_" + g.mixed(36)),
    Service("github-oauth", ("gh", "oauth", "token"), lambda g: "gho_" + g.mixed(36)),
    Service("github-app", ("github", "app", "token"), lambda g: "ghs_" + g.mixed(36)),
    Service("github-refresh", ("github", "refresh", "token"), lambda g: "ghr_" + g.mixed(76)),
    Service(
        "github-fine-grained",
        ("gh", "pat"),
        lambda g: "github_pat_11" + g.mixed(20) + "_" + g.mixed(59),
    ),
    Service("gitlab-pat", ("gitlab", "token"), lambda g: "glpat-" + g.mixed(20, URLSAFE)),
    Service(
        "gitlab-deploy", ("gitlab", "deploy", "token"), lambda g: "gldt-" + g.mixed(20, URLSAFE)
    ),
    Service("gitlab-runner", ("runner", "token"), lambda g: "glrt-" + g.mixed(20, URLSAFE)),
    Service("gitlab-ci-job", ("ci", "job", "token"), lambda g: "glcbt-64_" + g.mixed(20, URLSAFE)),
    Service("gitlab-trigger", ("trigger", "token"), lambda g: "glptt-" + g.s(HEX, 40)),
    Service("gitlab-feed", ("feed", "token"), lambda g: "glft-" + g.mixed(20, URLSAFE)),
    Service(
        "gitlab-registration",
        ("registration", "token"),
        lambda g: "GR1348941" + g.mixed(20, URLSAFE),
    ),
    Service("bitbucket", ("bitbucket", "app", "password"), lambda g: "ATBB" + g.mixed(32)),
    Service(
        "atlassian", ("atlassian", "api", "token"), lambda g: "ATATT3xFfGF0" + g.mixed(180, URLSAFE)
    ),
    Service("npm", ("npm", "token"), lambda g: "npm_" + g.mixed(36)),
    Service("pypi", ("pypi", "token"), lambda g: "pypi-AgEIcHlwaS5vcmc" + g.mixed(70, URLSAFE)),
    Service("nuget", ("nuget", "api", "key"), lambda g: "oy2" + g.mixed(43, LOWER_ALNUM)),
    Service("rubygems", ("rubygems", "api", "key"), lambda g: "rubygems_" + g.s(HEX, 48)),
    Service("dockerhub", ("docker", "hub", "token"), lambda g: "dckr_pat_" + g.mixed(27, URLSAFE)),
    # Cloud platforms.
    Service(
        "aws-access-key",
        ("aws", "access", "key", "id"),
        lambda g: "AKIA" + g.mixed(16, UPPER_ALNUM),
    ),
    Service(
        "aws-session-key",
        ("aws", "access", "key", "id"),
        lambda g: "ASIA" + g.mixed(16, UPPER_ALNUM),
    ),
    Service(
        "aws-secret", ("aws", "secret", "access", "key"), lambda g: g.mixed(40, B64), shaped=False
    ),
    Service("gcp-api-key", ("google", "api", "key"), lambda g: "AIza" + g.mixed(35, URLSAFE)),
    Service(
        "gcp-oauth-secret",
        ("google", "client", "secret"),
        lambda g: "GOCSPX-" + g.mixed(28, URLSAFE),
    ),
    Service(
        "azure-ad-secret",
        ("azure", "client", "secret"),
        lambda g: g.mixed(3) + str(g.r.randint(0, 9)) + "Q~" + g.mixed(34, ALNUM + "_~.-"),
    ),
    Service("digitalocean", ("digitalocean", "token"), lambda g: "dop_v1_" + g.s(HEX, 64)),
    Service("digitalocean-oauth", ("do", "oauth", "token"), lambda g: "doo_v1_" + g.s(HEX, 64)),
    Service("heroku", ("heroku", "api", "key"), lambda g: "HRKU-AA" + g.mixed(58, URLSAFE)),
    Service(
        "heroku-legacy",
        ("heroku", "api", "key"),
        lambda g: str(uuid.UUID(int=g.r.getrandbits(128))),
        shaped=False,
    ),
    Service(
        "cloudflare", ("cloudflare", "api", "token"), lambda g: g.mixed(40, URLSAFE), shaped=False
    ),
    Service("cloudflare-global", ("cf", "api", "key"), lambda g: g.s(HEX, 37), shaped=False),
    Service("fastly", ("fastly", "api", "token"), lambda g: g.mixed(32, URLSAFE), shaped=False),
    Service("vercel", ("vercel", "token"), lambda g: g.mixed(24), shaped=False),
    Service("netlify", ("netlify", "auth", "token"), lambda g: "nfp_" + g.mixed(36)),
    Service("linode", ("linode", "token"), lambda g: g.s(HEX, 64), shaped=False),
    Service("alibaba", ("alibaba", "access", "key"), lambda g: "LTAI" + g.mixed(20)),
    Service(
        "terraform-cloud",
        ("tfe", "token"),
        lambda g: g.mixed(14) + ".atlasv1." + g.mixed(67, URLSAFE),
    ),
    Service("pulumi", ("pulumi", "access", "token"), lambda g: "pul-" + g.s(HEX, 40)),
    Service("vault", ("vault", "token"), lambda g: "hvs." + g.mixed(90, URLSAFE)),
    Service("vault-batch", ("vault", "token"), lambda g: "hvb." + g.mixed(138, URLSAFE)),
    Service("doppler", ("doppler", "token"), lambda g: "dp.pt." + g.mixed(43)),
    Service(
        "onepassword",
        ("op", "service", "account", "token"),
        lambda g: "ops_eyJ" + g.mixed(200, B64),
    ),
    Service("okta", ("okta", "api", "token"), lambda g: "00" + g.mixed(40, URLSAFE), shaped=False),
    # Observability and error tracking.
    Service("datadog-api", ("dd", "api", "key"), lambda g: g.s(HEX, 32), shaped=False),
    Service("datadog-app", ("datadog", "app", "key"), lambda g: g.s(HEX, 40), shaped=False),
    Service(
        "newrelic-user",
        ("new", "relic", "api", "key"),
        lambda g: "NRAK-" + g.mixed(27, UPPER_ALNUM),
    ),
    Service(
        "newrelic-insert", ("newrelic", "insert", "key"), lambda g: "NRII-" + g.mixed(32, URLSAFE)
    ),
    Service("sentry-org", ("sentry", "auth", "token"), lambda g: "sntrys_eyJ" + g.mixed(60, B64)),
    Service("sentry-user", ("sentry", "token"), lambda g: "sntryu_" + g.s(HEX, 64)),
    Service("grafana-cloud", ("grafana", "token"), lambda g: "glc_" + g.mixed(40, B64) + "=="),
    Service(
        "grafana-sa",
        ("grafana", "service", "account", "token"),
        lambda g: "glsa_" + g.mixed(32) + "_" + g.s(HEX, 8),
    ),
    Service(
        "honeycomb", ("honeycomb", "api", "key"), lambda g: "hcaik_01" + g.mixed(56, LOWER_ALNUM)
    ),
    Service("honeycomb-legacy", ("honeycomb", "writekey"), lambda g: g.mixed(22), shaped=False),
    Service(
        "pagerduty", ("pagerduty", "token"), lambda g: "u+" + g.mixed(18, URLSAFE), shaped=False
    ),
    Service(
        "dynatrace",
        ("dynatrace", "api", "token"),
        lambda g: f"dt0c01.{g.mixed(24, UPPER_ALNUM)}.{g.mixed(64, UPPER_ALNUM)}",
    ),
    # Databases as a service.
    Service(
        "planetscale-pw", ("planetscale", "password"), lambda g: "pscale_pw_" + g.mixed(43, URLSAFE)
    ),
    Service(
        "planetscale-token",
        ("pscale", "service", "token"),
        lambda g: "pscale_tkn_" + g.mixed(43, URLSAFE),
    ),
    Service("supabase", ("supabase", "access", "token"), lambda g: "sbp_" + g.s(HEX, 40)),
    Service("supabase-service", ("supabase", "service", "role", "key"), lambda g: _jwt(g)),
    # Messaging and e-mail.
    Service("twilio-api-key", ("twilio", "api", "key"), lambda g: "SK" + g.s(HEX, 32)),
    Service("twilio-auth", ("twilio", "auth", "token"), lambda g: g.s(HEX, 32), shaped=False),
    Service(
        "sendgrid",
        ("sendgrid", "api", "key"),
        lambda g: f"SG.{g.mixed(22, URLSAFE)}.{g.mixed(43, URLSAFE)}",
    ),
    Service("mailgun", ("mailgun", "api", "key"), lambda g: "key-" + g.s(HEX, 32)),
    Service("mailchimp", ("mailchimp", "api", "key"), lambda g: g.s(HEX, 32) + "-us12"),
    # Developer tools.
    Service("postman", ("postman", "api", "key"), lambda g: f"PMAK-{g.s(HEX, 24)}-{g.s(HEX, 34)}"),
    Service("linear", ("linear", "api", "key"), lambda g: "lin_api_" + g.mixed(40)),
    Service("notion", ("notion", "token"), lambda g: "secret_" + g.mixed(43)),
    Service(
        "notion-new",
        ("notion", "api", "key"),
        lambda g: "ntn_" + str(g.r.randint(10**10, 10**11)) + g.mixed(35),
    ),
    Service(
        "age",
        ("age", "secret", "key"),
        lambda g: "AGE-SECRET-KEY-1" + g.s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    ),
    Service("jwt", ("session", "token"), _jwt),
    Service("jwt-unsigned", ("id", "token"), lambda g: _jwt(g, signed=False)),
    # Plain credentials: no shape, only their key names.
    Service("password", ("db", "password"), lambda g: g.mixed(14, ALNUM + "!#%^*+"), shaped=False),
    Service("passphrase", ("ssh", "passphrase"), lambda g: g.mixed(20), shaped=False),
    Service(
        "client-secret", ("oauth", "client", "secret"), lambda g: g.mixed(32, URLSAFE), shaped=False
    ),
    Service("signing-key", ("jwt", "signing", "key"), lambda g: g.mixed(44, B64), shaped=False),
    Service("webhook-secret", ("webhook", "secret"), lambda g: g.mixed(32), shaped=False),
)


def _words_style(words: tuple[str, ...], style: str) -> str:
    if style == "upper":
        return "_".join(words).upper()
    if style == "snake":
        return "_".join(words)
    if style == "kebab":
        return "-".join(words)
    if style == "dotted":
        return ".".join(words)
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    return words[0] + "".join(w.capitalize() for w in words[1:])  # camel


# Surroundings for a value under its key name: (form name, key style, template).
KEYED_FORMS: tuple[tuple[str, str, str], ...] = (
    ("env-file", "upper", "{K}={V}"),
    ("env-quoted", "upper", '{K}="{V}"'),
    ("shell-export", "upper", "export {K}='{V}'"),
    ("dockerfile", "upper", "ENV {K}={V}"),
    ("docker-run", "upper", "docker run --rm -e {K}={V} app:latest"),
    ("makefile", "upper", "{K} ?= {V}"),
    ("powershell", "upper", '$env:{K} = "{V}"'),
    ("windows-set", "upper", "set {K}={V}"),
    ("yaml", "snake", "config:\n  {K}: {V}\n  region: us-east-1"),
    ("yaml-quoted", "snake", "  {K}: '{V}'"),
    ("json", "camel", '{{"name": "svc", "{K}": "{V}", "retries": 3}}'),
    ("json-escaped", "snake", '{{"config": "{{\\"{K}\\": \\"{V}\\"}}\\nnext=1"}}'),
    ("json-escaped-env", "upper", '{{"env": "{K}={V}\\nDEBUG=0"}}'),
    ("toml", "snake", '[service]\n{K} = "{V}"'),
    ("ini", "snake", "[default]\n{K} = {V}\noutput = json"),
    ("properties", "dotted", "app.{K}={V}"),
    ("xml-tag", "pascal", "<config><{K}>{V}</{K}></config>"),
    ("xml-attr", "pascal", '<add key="{K}" value="{V}" />'),
    ("hcl", "snake", 'variable "x" {{\n  {K} = "{V}"\n}}'),
    ("python", "snake", '{K} = "{V}"'),
    ("python-environ", "upper", 'os.environ["{K}"] = "{V}"'),
    ("python-getenv", "upper", 'value = os.getenv("{K}", "{V}")'),
    ("python-kwarg", "snake", 'client = Client({K}="{V}", timeout=5)'),
    ("python-typed", "snake", '{K}: str = "{V}"'),
    ("python-compare", "snake", 'if {K} == "{V}":'),
    ("javascript", "camel", "const {K} = '{V}';"),
    ("javascript-object", "camel", 'module.exports = {{ {K}: "{V}" }};'),
    ("javascript-default", "upper", 'const v = process.env.{K} || "{V}";'),
    ("typescript", "camel", 'private readonly {K}: string = "{V}";'),
    ("go", "camel", '{K} := "{V}"'),
    ("java", "camel", 'String {K} = "{V}";'),
    ("java-property", "dotted", 'System.setProperty("{K}", "{V}");'),
    ("csharp-verbatim", "pascal", 'var {K} = @"{V}";'),
    ("ruby", "snake", '{K}: "{V}",'),
    ("ruby-rocket", "snake", ':{K} => "{V}"'),
    ("php", "snake", "'{K}' => '{V}',"),
    ("php-define", "upper", "define('{K}', '{V}');"),
    ("kotlin", "camel", 'val {K}: String = "{V}"'),
    ("rust", "snake", 'let {K} = "{V}";'),
    ("walrus-colons", "upper", '{K} :::= "{V}"'),
    ("bnf-assign", "upper", "{K} ::= {V}"),
    ("cli-flag", "kebab", "deploy --{K}={V} --verbose"),
    ("cli-flag-space", "kebab", "deploy --{K} {V} --verbose"),
    ("url-query", "snake", "GET https://api.internal/v1/items?{K}={V}&page=2"),
    ("log-kv", "snake", "2026-12-01T10:00:00Z INFO loaded settings {K}={V} pid=4242"),
    ("k8s-env", "upper", 'env:\n  - name: {K}\n    value: "{V}"'),
    ("header", "kebab", "curl -H 'X-{K}: {V}' https://api.internal"),
)

# Surroundings for a value that carries its own shape: no key name around it.
BARE_FORMS: tuple[tuple[str, str], ...] = (
    ("prose", "rotated the leaked credential {V} this morning"),
    ("call-arg", 'client.login("{V}")'),
    ("bearer-header", 'curl -H "Authorization: Bearer {V}" https://api.internal'),
    ("list", "- {V}\n- other"),
    ("log", '2026-12-01T10:00:00Z WARN auth failed for "{V}" (401)'),
)


def _structural(g: Gen) -> list[tuple[str, str, tuple[str, ...]]]:
    """(form, text, secrets) for shapes that are structures: URLs, headers, blocks, CLI."""
    pw = g.mixed(16, ALNUM + "!*-_~")
    user = g.r.choice(["app", "admin", "svc_etl", "deploy"])
    host = g.r.choice(["db.internal", "10.0.4.7", "cluster0.ab1cd.mongodb.net"])
    key_rows = [g.s(B64, 64) for _ in range(6)]
    basic = base64.b64encode(f"{user}:{pw}".encode()).decode()
    hook = g.mixed(24)
    token = g.mixed(40, URLSAFE)
    sa_key = "\\n".join(["-----BEGIN PRIVATE KEY-----", *key_rows, "-----END PRIVATE KEY-----"])
    kid = g.s(HEX, 40)
    teams = f"{uuid.UUID(int=g.r.getrandbits(128))}@{uuid.UUID(int=g.r.getrandbits(128))}"
    sentry = g.s(HEX, 32)
    items: list[tuple[str, str, tuple[str, ...]]] = [
        ("postgres-url", f"DATABASE_URL=postgres://{user}:{pw}@{host}:5432/orders", (pw,)),
        ("mysql-url", f'dsn = "mysql://{user}:{pw}@{host}/app?tls=true"', (pw,)),
        ("mongodb-srv", f"MONGO_URI=mongodb+srv://{user}:{pw}@{host}/?retryWrites=true", (pw,)),
        ("redis-url", f"redis://:{pw}@{host}:6379/0", (pw,)),
        ("amqp-url", f"broker_url: amqp://{user}:{pw}@{host}:5672//", (pw,)),
        ("https-creds", f"git clone https://{user}:{pw}@git.internal/platform/api.git", (pw,)),
        ("curl-u", f"curl -u {user}:{pw} https://api.internal/v1/me", (pw,)),
        ("curl-user", f'curl --user "{user}:{pw}" https://api.internal', (pw,)),
        ("basic-header", f"Authorization: Basic {basic}", (basic,)),
        ("basic-in-code", f'headers = {{"Authorization": "Basic {basic}"}}', (basic,)),
        ("bearer-header", f"Authorization: Bearer {token}", (token,)),
        ("token-header", f"Authorization: token {token}", (token,)),
        ("headers-index", f'headers["Authorization"] = "Bearer {token}"', (token,)),
        ("scheme-after-key", f"token: Bearer {token}", (token,)),
        ("bot-header", f"Authorization: Bot {(bot := _discord_bot(g))}", (bot,)),
        ("mysql-p", f"mysql -h {host} -u {user} -p{pw} orders", (pw,)),
        ("sshpass", f"sshpass -p '{pw}' ssh {user}@{host}", (pw,)),
        ("docker-login", f"docker login -u {user} -p {pw} registry.internal", (pw,)),
        ("redis-cli", f"redis-cli -h {host} -a {pw} ping", (pw,)),
        ("sql-identified", f"CREATE USER '{user}'@'%' IDENTIFIED BY '{pw}';", (pw,)),
        ("sql-with-password", f"ALTER ROLE {user} WITH PASSWORD '{pw}';", (pw,)),
        ("shell-default", f'DB_PASSWORD="${{DB_PASSWORD:-{pw}}}"', (pw,)),
        (
            "pem-rsa",
            "\n".join(
                ["-----BEGIN RSA PRIVATE KEY-----", *key_rows, "-----END RSA PRIVATE KEY-----"]
            ),
            tuple(key_rows),
        ),
        (
            "pem-openssh",
            "\n".join(
                [
                    "-----BEGIN OPENSSH PRIVATE KEY-----",
                    *key_rows,
                    "-----END OPENSSH PRIVATE KEY-----",
                ]
            ),
            tuple(key_rows),
        ),
        (
            "pem-pgp",
            "\n".join(
                [
                    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
                    "",
                    *key_rows,
                    "-----END PGP PRIVATE KEY BLOCK-----",
                ]
            ),
            tuple(key_rows),
        ),
        (
            "gcp-service-account",
            f'{{"type": "service_account", "project_id": "prod-1", "private_key_id": "{kid}", '
            f'"private_key": "{sa_key}\\n", "client_email": "ci@prod-1.iam.gserviceaccount.com"}}',
            (kid, *key_rows),
        ),
        (
            "slack-webhook",
            f"https://hooks.slack.com/services/T{g.s(UPPER_ALNUM, 8)}/B{g.s(UPPER_ALNUM, 10)}/"
            + hook,
            (hook,),
        ),
        (
            "discord-webhook",
            f"https://discord.com/api/webhooks/{g.r.randint(10**17, 10**18)}/"
            f"{(discord := g.mixed(68, URLSAFE))}",
            (discord,),
        ),
        (
            "teams-webhook",
            f"https://contoso.webhook.office.com/webhookb2/{teams}/IncomingWebhook/{g.s(HEX, 32)}/"
            f"{uuid.UUID(int=g.r.getrandbits(128))}",
            (teams,),
        ),
        (
            "sentry-dsn",
            f"SENTRY_DSN=https://{sentry}@o{g.r.randint(1, 10**6)}.ingest.sentry.io/42",
            (sentry,),
        ),
        (
            "azure-connection-string",
            "DefaultEndpointsProtocol=https;AccountName=logs;AccountKey="
            + (azure := g.mixed(86, B64) + "==")
            + ";EndpointSuffix=core.windows.net",
            (azure,),
        ),
        (
            "azure-sas",
            "https://logs.blob.core.windows.net/c/f.gz?sv=2022-11-02&ss=b&sig="
            + (sig := g.mixed(43, ALNUM) + "%3D"),
            (sig,),
        ),
        (
            "servicebus-connection-string",
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey="
            + (sb := g.mixed(43, B64) + "="),
            (sb,),
        ),
    ]
    return [(form, text, secrets) for form, text, secrets in items if secrets]


STRUCTURAL = tuple(form for form, _, _ in _structural(Gen(0)))

# Look-alikes under secret key names: not secrets.
PLACEHOLDERS = (
    "changeme", "<your-token>", "your_api_key_here", "REDACTED", "null", "true", "xxxxxxxxxxxx",
    "********", "${API_TOKEN}", "$(cat /run/secrets/token)", "{{ .Values.auth.token }}",
    "%API_TOKEN%", "$API_TOKEN", "<%= ENV['TOKEN'] %>", "${{ secrets.DEPLOY_TOKEN }}", "None",
    "TODO", "replace-me", "example-token-123", "dummy", "[token]", "...",
)  # fmt: skip
NEGATIVES: tuple[tuple[str, str], ...] = (
    ("aws-example", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
    ("aws-example-secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    (
        "aws-example-json",
        '{{"AccessKeyId": "AKIAI44QH8DHBEXAMPLE", '
        '"SecretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}}',
    ),
    ("github-example", "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("stripe-publishable", "STRIPE_PUBLISHABLE_KEY=pk_live_{a24}"),
    ("stripe-publishable-js", "const stripe = Stripe('pk_test_{a24}');"),
    ("mapbox-public", "mapboxgl.accessToken = 'pk.eyJ1Ijoi{a20}.{a22}';"),
    ("twilio-account-sid", "TWILIO_ACCOUNT_SID=AC{h32}"),
    ("git-commit", "deployed commit {h40} to production"),
    ("image-digest", "image: registry.internal/api@sha256:{h64}"),
    ("sha256-field", 'checksum: "sha256:{h64}"'),
    ("npm-integrity", '"integrity": "sha512-{b86}=="'),
    ("etag", 'ETag: "{h32}"'),
    ("request-id", "request_id={uuid} status=200"),
    ("trace-id", '{{"trace_id": "{h32}", "span_id": "{h16}"}}'),
    ("uuid-key", '{{"idempotency_key": "{uuid}"}}'),
    ("token-count", "usage: prompt_tokens=812 completion_tokens=90 total_tokens=902"),
    ("max-tokens", "max_tokens: 4096"),
    ("password-policy", "password_min_length: 12\npassword_require_symbols: true"),
    ("password-reset", "password_reset_url=https://id.internal/reset"),
    ("secret-name", "secret_name: prod-db-credentials"),
    ("secret-ref", "valueFrom:\n  secretKeyRef:\n    name: db-secret\n    key: password"),
    ("token-type", '{{"token_type": "Bearer", "expires_in": 3600}}'),
    ("tokenizer", 'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")'),
    ("code-ref", "password = os.environ['DB_PASSWORD']"),
    ("code-getenv", 'api_key = os.getenv("OPENAI_API_KEY")'),
    ("code-call", "token = generate_token(user, scope='read')"),
    ("code-attr", "self.secret = settings.SECRET_KEY"),
    ("code-passthrough", "client = OpenAI(api_key=api_key)"),
    ("code-type", "password: str"),
    ("code-fstring", 'headers = {{"Authorization": f"Bearer {{token}}"}}'),
    ("code-concat", 'xhr.setRequestHeader("Authorization", "Bearer " + token);'),
    ("js-env", "const token = process.env.GITHUB_TOKEN;"),
    ("html-input", '<input type="password" name="password" autocomplete="current-password">'),
    ("prose-rotate", "Rotate the API token every 90 days and never paste a password in chat."),
    ("prose-expired", "the token expired at 10:42; the secret was rotated"),
    ("validation-message", 'error: {{"password": "must be at least 12 characters long"}}'),
    ("empty-password", 'password: ""'),
    ("mysql-prompt", "mysql -u root -p orders"),
    ("password-stdin", "echo $CR_PAT | docker login ghcr.io -u bot --password-stdin"),
    ("docker-port", "docker run -p 8080:80 -u 1000:1000 nginx"),
    ("curl-env-creds", 'curl -u "$API_USER:$API_PASS" https://api.internal'),
    ("url-no-password", "ssh://git@github.com/org/repo.git and https://user@host.internal/x"),
    ("url-localhost", "postgres://localhost:5432/orders?sslmode=disable"),
    ("bearer-var", "Authorization: Bearer $TOKEN"),
    ("bearer-template", 'Authorization: "Bearer {{{{ .Values.token }}}}"'),
    ("ssh-public-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{b43} alice@laptop"),
    (
        "public-key-pem",
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE{b40}\n"
        "-----END PUBLIC KEY-----",
    ),
    ("certificate", "-----BEGIN CERTIFICATE-----\nMIIB{b60}\n-----END CERTIFICATE-----"),
    ("data-uri", '<img src="data:image/png;base64,iVBORw0KGgo{b80}">'),
    ("arn", "role_arn = arn:aws:iam::123456789012:role/deploy"),
    ("vault-path", "vault kv get secret/data/prod/db"),
    ("key-id", "kms_key_id: alias/prod-logs"),
    ("public-key-field", 'public_key: "{b44}"'),
    ("cache-key", "cache_key = f'user:{{user_id}}:profile'"),
    ("sort-key", '{{"partition_key": "tenant#42", "sort_key": "order#2026-12-01"}}'),
    ("base64-blob", "payload={b120}"),
    ("nil-uuid", 'api_key: "00000000-0000-0000-0000-000000000000"'),
    ("github-actions", "env:\n  GH_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}"),
    ("helm-template", "password: {{{{ .Values.db.password | quote }}}}"),
    ("ansible-vault", "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256"),
    ("yaml-alias", "password: *default_password"),
    ("shell-subst", "export TOKEN=$(vault read -field=token auth/ci)"),
    ("backtick-subst", "TOKEN=`cat ~/.token`"),
    ("windows-var", "set DB_PASSWORD=%PROD_DB_PASSWORD%"),
    ("erb", "secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>"),
    ("ellipsis", "api_key = sk-...abcd (truncated in the dashboard)"),
)


def generate(seed: int = 11) -> list[Sample]:
    """Every service in every form that fits it, the structural forms, and the negatives."""
    g = Gen(seed)
    samples: list[Sample] = []
    for service in SERVICES:
        for form, style, template in KEYED_FORMS:
            value = service.value(g)
            key = _words_style(service.key, style)
            samples.append(Sample(template.format(K=key, V=value), (value,), service.name, form))
        if service.shaped:
            for form, template in BARE_FORMS:
                value = service.value(g)
                samples.append(Sample(template.format(V=value), (value,), service.name, form))
    for _ in range(4):
        for form, text, secrets in _structural(g):
            samples.append(Sample(text, secrets, "structural", form))
    samples += negatives(g)
    return samples


def negatives(g: Gen) -> list[Sample]:
    """Look-alikes: placeholders under every keyed form, and the NEGATIVES texts."""
    out: list[Sample] = []
    names = (("api", "token"), ("db", "password"), ("client", "secret"), ("access", "key"))
    for form, style, template in KEYED_FORMS:
        for placeholder in PLACEHOLDERS:
            key = _words_style(g.r.choice(names), style)
            out.append(Sample(template.format(K=key, V=placeholder), (), "negative", form))
    for _ in range(6):
        for form, template in NEGATIVES:
            text = template.format(
                a20=g.mixed(20),
                a22=g.mixed(22),
                a24=g.mixed(24),
                h16=g.s(HEX, 16),
                h32=g.s(HEX, 32),
                h40=g.s(HEX, 40),
                h64=g.s(HEX, 64),
                b40=g.s(B64, 40),
                b43=g.s(B64, 43),
                b44=g.s(B64, 44),
                b60=g.s(B64, 60),
                b80=g.s(B64, 80),
                b86=g.s(B64, 86),
                b120=g.s(B64, 120),
                uuid=uuid.UUID(int=g.r.getrandbits(128)),
            )
            out.append(Sample(text, (), "negative", form))
    return out


def survivors(sample: Sample, redacted: str, *, piece: int = 8) -> list[str]:
    """The planted values of `sample` of which a `piece`-character run survives in `redacted`."""
    left = []
    redacted = _PLACEHOLDER.sub("\x00", redacted)  # `rubygems` in a placeholder is no leak
    rest = sample.text
    for secret in sample.secrets:
        rest = rest.replace(secret, "")
    for secret in sample.secrets:
        pieces = {secret[i : i + piece] for i in range(max(1, len(secret) - piece + 1))}
        # A piece the surroundings hold too (`rubygems` in `RUBYGEMS_API_KEY`) is not a leak.
        if any(redacted.count(p) > rest.count(p) for p in pieces):
            left.append(secret)
    return left
