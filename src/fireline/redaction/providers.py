"""Provider token formats: one row per documented shape (prefix, body, optional validation).

Shapes come from the providers' public documentation of their key and token formats. A row
names its placeholder type, the expression of the whole token (or a `s` group for the secret
part), the lowercase literals one of which every match holds (the pre-filter), and optionally a
validator that must accept the secret (a checksum, a decodable structure). Checksums are not
required where providers embed them (GitHub's CRC32): a revoked or hand-made token of the right
shape is still redacted, which fails closed. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

# Token boundaries: not inside a longer run of token characters.
_L = r"(?<![A-Za-z0-9_-])"
_R = r"(?![A-Za-z0-9_-])"


@dataclass(frozen=True)
class Provider:
    """One documented token shape."""

    id: str
    pattern: str
    keywords: tuple[str, ...]
    valid: Callable[[str], bool] | None = None
    flags: int = 0
    anchor: str | None = None  # lowercase expression inside the token's first word


def _is_discord_bot_token(token: str) -> bool:
    """The first segment of a Discord bot token is the bot's numeric id, base64-encoded."""
    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return decoded.isdigit() and 15 <= len(decoded) <= 21


def _has_mixed_classes(token: str) -> bool:
    """Random keys mix letters and digits; words and identifiers usually do not."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


PROVIDERS: tuple[Provider, ...] = (
    # Cloud platforms.
    Provider(
        "aws-access-key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        ("akia", "asia", "abia", "acca", "a3t"),
    ),
    Provider("gcp-api-key", r"\bAIza[0-9A-Za-z_-]{35}" + _R, ("aiza",)),
    Provider("gcp-oauth-secret", _L + r"GOCSPX-[A-Za-z0-9_-]{28}" + _R, ("gocspx-",)),
    Provider("gcp-access-token", _L + r"ya29\.[0-9A-Za-z_-]{30,}" + _R, ("ya29.",)),
    Provider(
        "gcp-private-key-id",
        r"\"private_key_id\"\s*:\s*\"(?P<s>[0-9a-f]{40})\"",
        ("private_key_id",),
    ),
    Provider(
        "azure-storage-key",
        r"(?i)AccountKey\s*=\s*(?P<s>[A-Za-z0-9+/]{86}==)",
        ("accountkey",),
    ),
    Provider(
        "azure-shared-access-key",
        r"(?i)SharedAccess(?:Key|Signature)\s*=\s*(?P<s>[A-Za-z0-9+/%]{20,}={0,2})",
        ("sharedaccess",),
    ),
    Provider(
        "azure-sas-token",
        r"[?&]sig=(?P<s>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})",
        ("sig=",),
    ),
    Provider(
        "azure-ad-client-secret",
        _L + r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}" + _R,
        ("q~",),
    ),
    Provider("digitalocean-token", _L + r"do[opr]_v1_[a-f0-9]{64}" + _R, ("_v1_",)),
    Provider("heroku-api-key", _L + r"HRKU-[A-Za-z0-9_-]{40,70}" + _R, ("hrku-",)),
    Provider("alibaba-access-key", r"\bLTAI[A-Za-z0-9]{12,20}\b", ("ltai",)),
    Provider("cloudflare-origin-ca-key", _L + r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}" + _R, ("v1.0-",)),
    Provider("netlify-token", _L + r"nfp_[A-Za-z0-9]{36,40}" + _R, ("nfp_",)),
    Provider(
        "vercel-token",
        _L + r"vc[pikra]_[A-Za-z0-9]{24,64}" + _R,
        ("vcp_", "vci_", "vck_", "vcr_", "vca_"),
    ),
    Provider(
        "terraform-cloud-token",
        _L + r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9=_-]{60,90}" + _R,
        ("atlasv1",),
    ),
    Provider("pulumi-token", _L + r"pul-[a-f0-9]{40}" + _R, ("pul-",)),
    Provider("vault-token", _L + r"hv[sbr]\.[A-Za-z0-9_-]{24,}" + _R, ("hvs.", "hvb.", "hvr.")),
    Provider(
        "doppler-token",
        _L + r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}" + _R,
        ("dp.",),
    ),
    Provider(
        "age-secret-key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        ("age-secret-key-1",),
    ),
    Provider("onepassword-token", _L + r"ops_eyJ[A-Za-z0-9+/=_-]{100,}", ("ops_eyj",)),
    Provider(
        "onepassword-secret-key",
        r"\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}\b",
        ("a3-",),
    ),
    # fireline's own API tokens (`fireline token create`): fl_ and 43 base64url characters.
    Provider("fireline-token", _L + r"fl_[A-Za-z0-9_-]{43}" + _R, ("fl_",)),
    # Code hosting and package registries.
    Provider(
        "github-token",
        r"\b(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Provider(
        "gitlab-token",
        _L + r"(?:glpat|gldt|glrt|glrtr|glcbt|glptt|glft|glsoat|glimt|glagent|gloas|glffct"
        r"|glwt|glsa)-[A-Za-z0-9_.-]{20,}",
        (
            "glpat-",
            "gldt-",
            "glrt",
            "glcbt-",
            "glptt-",
            "glft-",
            "glsoat-",
            "glimt-",
            "glagent-",
            "gloas-",
            "glffct-",
            "glwt-",
            "glsa-",
        ),
    ),
    Provider("gitlab-runner-token", r"\bGR1348941[A-Za-z0-9_-]{20,}", ("gr1348941",)),
    Provider(
        "atlassian-token",
        _L + r"(?:ATATT3|ATCTT3|ATOAT3)[A-Za-z0-9_=+/-]{50,}" + _R,
        ("atatt3", "atctt3", "atoat3"),
    ),
    Provider("bitbucket-app-password", r"\bATBB[A-Za-z0-9_=.-]{28,}\b", ("atbb",)),
    Provider("npm-token", _L + r"npm_[A-Za-z0-9]{36}" + _R, ("npm_",)),
    Provider(
        "pypi-token",
        _L + r"pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{40,}",
        ("pypi-",),
    ),
    Provider("nuget-key", r"\boy2[a-z0-9]{43}\b", ("oy2",)),
    Provider("rubygems-key", _L + r"rubygems_[a-f0-9]{48}" + _R, ("rubygems_",)),
    Provider("docker-hub-token", _L + r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}", ("dckr_",)),
    Provider("clojars-token", r"(?i)\bCLOJARS_[a-z0-9]{60}\b", ("clojars_",)),
    Provider("sourcegraph-token", _L + r"sgp_(?:[a-f0-9]{16}_)?[a-f0-9]{40}" + _R, ("sgp_",)),
    Provider("databricks-token", _L + r"dapi[a-f0-9]{32}(?:-\d)?" + _R, ("dapi",)),
    Provider("figma-token", _L + r"figd_[A-Za-z0-9_-]{40}" + _R, ("figd_",)),
    Provider("postman-key", _L + r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _R, ("pmak-",)),
    Provider(
        "linear-key", _L + r"lin_(?:api|oauth)_[A-Za-z0-9]{40}" + _R, ("lin_api_", "lin_oauth_")
    ),
    Provider(
        "notion-token",
        _L + r"(?:secret_[A-Za-z0-9]{43}|ntn_[0-9]{11}[A-Za-z0-9]{35})" + _R,
        ("secret_", "ntn_"),
    ),
    Provider("airtable-token", _L + r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _R, ("pat",)),
    Provider("contentful-token", _L + r"CFPAT-[A-Za-z0-9_-]{43}" + _R, ("cfpat-",)),
    # AI model APIs and model hubs.
    Provider(
        "anthropic-key", _L + r"sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,}", ("sk-ant-",)
    ),
    Provider(
        "openai-key",
        _L + r"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ"
        r"[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,64})" + _R,
        ("sk-",),
        valid=_has_mixed_classes,
    ),
    Provider(
        "huggingface-token", _L + r"(?:hf_|api_org_)[A-Za-z0-9]{34}" + _R, ("hf_", "api_org_")
    ),
    Provider("groq-key", _L + r"gsk_[A-Za-z0-9]{48,56}" + _R, ("gsk_",)),
    Provider("replicate-token", _L + r"r8_[A-Za-z0-9]{37}" + _R, ("r8_",)),
    Provider("perplexity-key", _L + r"pplx-[A-Za-z0-9]{48}" + _R, ("pplx-",)),
    Provider("xai-key", _L + r"xai-[A-Za-z0-9]{80}" + _R, ("xai-",)),
    # Chat platforms.
    Provider(
        "slack-token",
        _L + r"(?:xox[abposer]-(?:\d+-)?[A-Za-z0-9-]{10,}|xoxe\.xox[bp]-\d-[A-Za-z0-9-]{20,}"
        r"|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)",
        ("xox", "xapp-"),
    ),
    Provider(
        "slack-webhook",
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9+/_-]{20,})",
        ("hooks.slack.com",),
    ),
    Provider(
        "discord-webhook",
        r"https?://(?:canary\.|ptb\.)?discord(?:app)?\.com/api/webhooks/\d+/(?P<s>[\w-]{60,70})",
        ("/api/webhooks/",),
    ),
    Provider(
        "discord-bot-token",
        _L + r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}" + _R,
        (),  # no literal prefix: found by its dotted middle part, checked by the validator
        valid=_is_discord_bot_token,
        anchor=r"\.[a-z0-9_-]{6}\.",
    ),
    Provider("telegram-bot-token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}" + _R, (":aa",)),
    Provider(
        "teams-webhook",
        r"https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/(?P<s>[A-Za-z0-9@/_-]{40,})",
        ("webhook.office.com",),
    ),
    # Observability and error tracking.
    Provider(
        "newrelic-key",
        _L + r"NR(?:AK|II|JS|AA|RA|SA)-[A-Za-z0-9_-]{19,40}" + _R,
        ("nrak-", "nrii-", "nrjs-", "nraa-", "nrra-", "nrsa-"),
    ),
    Provider("newrelic-license-key", r"\b[a-f0-9]{36}NRAL\b", ("nral",)),
    Provider(
        "sentry-token",
        _L
        + r"(?:sntrys_eyJ[A-Za-z0-9_=+/-]{30,}|sntryu_[a-f0-9]{64}|sntrya_[A-Za-z0-9_=+/-]{30,})",
        ("sntrys_", "sntryu_", "sntrya_"),
    ),
    Provider(
        "sentry-dsn",
        r"https?://(?P<s>[a-f0-9]{32}(?::[a-f0-9]{32})?)@[A-Za-z0-9.-]*sentry",
        ("sentry",),
    ),
    Provider(
        "grafana-token",
        _L + r"(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"
        r"|eyJrIjoi[A-Za-z0-9+/_-]{40,}={0,2})",
        ("glc_", "glsa_", "eyjrijoi"),
    ),
    Provider(
        "honeycomb-key",
        _L + r"hc(?:aik|aic|xik|xlk|bik|bic)_[a-z0-9]{20,}" + _R,
        ("hcaik_", "hcaic_", "hcxik_", "hcxlk_", "hcbik_", "hcbic_"),
    ),
    Provider(
        "dynatrace-token",
        _L + r"dt0[a-z]\d{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}" + _R,
        ("dt0",),
    ),
    # Databases as a service.
    Provider(
        "planetscale-token",
        _L + r"pscale_(?:pw|tkn|oauth)_[A-Za-z0-9_.=-]{32,64}" + _R,
        ("pscale_",),
    ),
    Provider(
        "supabase-token",
        _L + r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,})" + _R,
        ("sbp_", "sb_secret_"),
    ),
    # Payments, commerce, messaging.
    Provider(
        "stripe-key",
        _L + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}" + _R,
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    ),
    Provider("stripe-webhook-secret", _L + r"whsec_[A-Za-z0-9+/]{32,}" + _R, ("whsec_",)),
    Provider(
        "braintree-token",
        r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}",
        ("access_token$",),
    ),
    Provider(
        "square-token",
        _L + r"(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp|idp)-[A-Za-z0-9_-]{22,43})" + _R,
        ("eaaa", "sq0atp-", "sq0csp-", "sq0idp-"),
    ),
    Provider(
        "shopify-token",
        _L + r"shp(?:at|ss|ca|pa|tka)_[a-fA-F0-9]{32}" + _R,
        ("shpat_", "shpss_", "shpca_", "shppa_", "shptka_"),
    ),
    Provider(
        "flutterwave-key", _L + r"FLW(?:SECK|PUBK)(?:_TEST)?-[a-h0-9]{32}-X" + _R, ("flwseck",)
    ),
    Provider("twilio-api-key", r"\bSK[0-9a-fA-F]{32}\b", ("sk",)),
    Provider("sendgrid-key", _L + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _R, ("sg.",)),
    Provider("mailgun-key", _L + r"key-[a-f0-9]{32}" + _R, ("key-",)),
    Provider("mailchimp-key", r"\b[a-f0-9]{32}-us\d{1,2}\b", ("-us",)),
    Provider("easypost-key", _L + r"EZ[AT]K[A-Za-z0-9]{54}" + _R, ("ezak", "eztk")),
    Provider("shippo-token", _L + r"shippo_(?:live|test)_[a-f0-9]{40}" + _R, ("shippo_",)),
    Provider("typeform-token", _L + r"tfp_[A-Za-z0-9_.=-]{59}" + _R, ("tfp_",)),
    Provider(
        "mapbox-secret-token",
        _L + r"sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}" + _R,
        ("sk.eyj",),
    ),
)
