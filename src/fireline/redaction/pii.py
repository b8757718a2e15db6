"""PII and precise coordinates: detected at write time, kept in the store, masked in views.

E-mail addresses, phone numbers and IP addresses are replaced by `[masked:<kind>]`; precise
coordinates (lat/lon pairs, `lat=`/`lon=` values, WKT `POINT`, GeoJSON `Point` coordinates) are
generalised to a grid (0.1° by default). Masking is idempotent. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any

SENSITIVE_KINDS = ("email", "phone", "ip", "coordinates")

EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"
)
PHONE = re.compile(
    r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{2,4}){2,5}(?![\w-])"
    r"|(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-])"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
# Coordinates: "lat, lon" with 3+ decimals each; lat=/lon= and the geometry forms with 2+.
_LAT = r"[-+]?(?:90|[1-8]?\d)"
_LON = r"[-+]?(?:180|1[0-7]\d|[1-9]?\d)"
COORDINATES = re.compile(
    rf"(?<![\w.])(?P<plat>{_LAT}\.\d{{3,}})\s*,\s*(?P<plon>{_LON}\.\d{{3,}})(?![\w.])"
    rf"|(?i:\b(?:lat|latitude|lon|lng|long|longitude)\b)[\"']?\s*[:=]\s*[\"']?(?P<one>[-+]?\d{{1,3}}\.\d{{2,}})"
    rf"|(?i:\bPOINT)\s*(?:Z\s*)?\(\s*(?P<wlon>{_LON}\.\d{{2,}})\s+(?P<wlat>{_LAT}\.\d{{2,}})"
    rf"|\"coordinates\"\s*:\s*\[\s*(?P<glon>{_LON}\.\d{{2,}})\s*,\s*(?P<glat>{_LAT}\.\d{{2,}})"
)
_NUMBER_GROUPS = ("plat", "plon", "one", "wlon", "wlat", "glon", "glat")


def _is_ipv6(text: str) -> bool:
    if not any(c != ":" for c in text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def detect(text: str, *, skip: frozenset[str] = frozenset()) -> frozenset[str]:
    """Which of SENSITIVE_KINDS occur in `text` (kinds in `skip` are not looked for)."""
    found: set[str] = set()
    if "email" not in skip and "@" in text and EMAIL.search(text):
        found.add("email")
    if "coordinates" not in skip and COORDINATES.search(text):
        found.add("coordinates")
    if "ip" not in skip and (
        IPV4.search(text) or (":" in text and any(_is_ipv6(m.group()) for m in IPV6.finditer(text)))
    ):
        found.add("ip")
    if "phone" not in skip and PHONE.search(text):
        found.add("phone")
    return frozenset(found)


def mask(text: str, *, coordinate_precision: float = 0.1) -> str:
    """`text` with PII replaced and coordinates generalised to `coordinate_precision` degrees."""
    text = COORDINATES.sub(_generaliser(coordinate_precision), text)
    if "@" in text:
        text = EMAIL.sub("[masked:email]", text)
    if ":" in text:
        text = IPV6.sub(lambda m: "[masked:ip]" if _is_ipv6(m.group()) else m.group(), text)
    text = IPV4.sub("[masked:ip]", text)
    return PHONE.sub("[masked:phone]", text)


def mask_data(value: Any, *, coordinate_precision: float = 0.1) -> Any:
    """`value` (JSON-like: str, list, tuple, dict) with every string masked; keys are kept."""
    if isinstance(value, str):
        return mask(value, coordinate_precision=coordinate_precision)
    if isinstance(value, list | tuple):
        return [mask_data(v, coordinate_precision=coordinate_precision) for v in value]
    if isinstance(value, dict):
        return {
            k: mask_data(v, coordinate_precision=coordinate_precision) for k, v in value.items()
        }
    return value


def _generaliser(precision: float) -> Callable[[re.Match[str]], str]:
    decimals = max(0, math.ceil(-math.log10(precision) - 1e-9))

    def generalise(match: re.Match[str]) -> str:
        out = match.group()
        base = match.start()
        # Replace the numbers right to left so earlier offsets stay valid.
        spans = sorted(
            (match.span(g) for g in _NUMBER_GROUPS if match.group(g) is not None), reverse=True
        )
        for start, end in spans:
            number = match.string[start:end]
            rounded = round(float(number) / precision) * precision
            shown = f"{rounded:.{decimals}f}"
            if shown.startswith("-") and float(shown) == 0:
                shown = shown[1:]
            out = out[: start - base] + shown + out[end - base :]
        return out

    return generalise
