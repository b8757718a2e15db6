"""PII and precise coordinates: detected at write time, kept in the store, masked in views.

E-mail addresses, phone numbers and IP addresses are replaced by `[masked:<kind>]`; precise
coordinates (lat/lon pairs, `lat=`/`lon=` values, WKT `POINT`, GeoJSON `Point` coordinates) are
generalised to a grid (0.1° by default). Masking is idempotent. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

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
PAIR = re.compile(rf"(?<![\w.])(?P<lat>{_LAT}\.\d{{3,}})\s*,\s*(?P<lon>{_LON}\.\d{{3,}})(?![\w.])")
LABELLED = re.compile(
    r"(?i:\b(?:lat|latitude|lon|lng|long|longitude)\b)[\"']?\s*[:=]\s*[\"']?"
    r"(?P<lat>[-+]?\d{1,3}\.\d{2,})"
)
WKT_POINT = re.compile(
    rf"(?i:\bPOINT)\s*(?:Z\s*)?\(\s*(?P<lon>{_LON}\.\d{{2,}})\s+(?P<lat>{_LAT}\.\d{{2,}})"
)
GEOJSON_POINT = re.compile(
    rf"\"coordinates\"\s*:\s*\[\s*(?P<lon>{_LON}\.\d{{2,}})\s*,\s*(?P<lat>{_LAT}\.\d{{2,}})"
)


@dataclass(frozen=True)
class _Finder:
    """A precise expression, and a cheap anchor every match contains (found first, fast).

    The precise expression runs only on the line around each anchor, from at most `back`
    characters before it; `lower` anchors are searched in the lowercased text.
    """

    kind: str
    precise: re.Pattern[str]
    anchor: re.Pattern[str]
    back: int
    lower: bool = False
    valid: Callable[[str], bool] | None = None
    hint: str = ""  # a substring every anchor holds: checked first, at C speed

    def matches(self, text: str, low: str) -> Iterator[re.Match[str]]:
        if self.hint and self.hint not in (low if self.lower else text):
            return
        if self.lower and len(low) != len(text):  # some characters lowercase to two
            yield from (m for m in self.precise.finditer(text) if self._ok(m))
            return
        last = 0
        for anchor in self.anchor.finditer(low if self.lower else text):
            if anchor.start() < last:
                continue
            line_end = text.find("\n", anchor.end())
            lo = max(text.rfind("\n", 0, anchor.start()) + 1, anchor.start() - self.back, last)
            for match in self.precise.finditer(text, lo, len(text) if line_end == -1 else line_end):
                if match.start() >= anchor.end():
                    break
                if match.end() > anchor.start() and self._ok(match):
                    yield match
                    last = match.end()
                    break

    def _ok(self, match: re.Match[str]) -> bool:
        return self.valid is None or self.valid(match.group())


def _is_ipv6(text: str) -> bool:
    if not any(c != ":" for c in text):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


_COORDINATES = (
    _Finder("coordinates", PAIR, re.compile(r"\.\d{3,}\s*,\s*[-+]?\d{1,3}\.\d{3}"), 4, hint=","),
    _Finder(
        "coordinates",
        LABELLED,
        re.compile(r"l(?:at|on|ng)[a-z]*[\"']?\s*[:=]\s*[\"']?[-+]?\d"),
        0,
        lower=True,
        hint="l",
    ),
    _Finder(
        "coordinates", WKT_POINT, re.compile(r"point\s*(?:z\s*)?\("), 0, lower=True, hint="point"
    ),
    _Finder(
        "coordinates",
        GEOJSON_POINT,
        re.compile(r"\"coordinates\"\s*:\s*\["),
        0,
        hint='"coordinates"',
    ),
)
_EMAIL = _Finder("email", EMAIL, re.compile("@"), 64, hint="@")
# An IPv6 address either compresses ("::") or has eight groups (so four colons in a row).
_IPV6 = (
    _Finder("ip", IPV6, re.compile("::"), 39, valid=_is_ipv6, hint="::"),
    _Finder(
        "ip",
        IPV6,
        re.compile(r":[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:"),
        4,
        valid=_is_ipv6,
    ),
)
_IPV4 = _Finder("ip", IPV4, re.compile(r"\.\d{1,3}\.\d{1,3}\.\d"), 3, hint=".")
_PHONE = tuple(
    _Finder("phone", PHONE, re.compile(anchor), 4, hint=hint)
    for anchor, hint in (
        (r"\+[1-9]", "+"),
        (r"[.-]\d{3}[.-]\d{4}", ""),
        (r"\)\s?\d{3}[.-]\d{4}", ")"),
    )
)
# Masking order: coordinates before the rest (their digits are not phone numbers), e-mail
# before IPs (a domain may be an address).
_FINDERS = (*_COORDINATES, _EMAIL, *_IPV6, _IPV4, *_PHONE)


def detect(text: str, *, skip: frozenset[str] = frozenset()) -> frozenset[str]:
    """Which of SENSITIVE_KINDS occur in `text` (kinds in `skip` are not looked for)."""
    found = set(skip)
    low = text.lower()
    for finder in _FINDERS:
        if finder.kind not in found and next(finder.matches(text, low), None) is not None:
            found.add(finder.kind)
    return frozenset(found - skip)


def mask(text: str, *, coordinate_precision: float = 0.1) -> str:
    """`text` with PII replaced and coordinates generalised to `coordinate_precision` degrees."""
    generalise = _generaliser(coordinate_precision)
    for finder in _FINDERS:
        low = text.lower() if finder.lower else text
        parts: list[str] = []
        pos = 0
        for match in finder.matches(text, low):
            parts += (text[pos : match.start()], _masked(finder.kind, match, generalise))
            pos = match.end()
        if parts:
            text = "".join(parts) + text[pos:]
    return text


def _masked(kind: str, match: re.Match[str], generalise: Callable[[re.Match[str]], str]) -> str:
    return generalise(match) if kind == "coordinates" else f"[masked:{kind}]"


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
            (match.span(g) for g in ("lat", "lon") if g in match.re.groupindex), reverse=True
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


class Sink(Protocol):
    """Where a masked stream goes: a binary file, or a writer that hashes on the way."""

    def write(self, data: bytes, /) -> int: ...


STREAM_LINE_LIMIT = 1024 * 1024
STREAM_BLOCK = 1024 * 1024


def mask_stream(src: IO[bytes], dst: Sink, *, coordinate_precision: float = 0.1) -> None:
    """Copy a text file to `dst` with PII masked, about STREAM_BLOCK bytes of whole lines at a time.

    Masking a block of lines in one call is several times faster than line by line; it can only
    mask more (a coordinate pair split across two lines is generalised too). A line longer than
    STREAM_LINE_LIMIT is taken in pieces, so memory stays bounded even without newlines (a value
    split across that boundary could escape masking; log lines are far shorter). Bytes that are
    not UTF-8 pass through unchanged.
    """
    block: list[bytes] = []
    size = 0
    for raw in iter(lambda: src.readline(STREAM_LINE_LIMIT), b""):
        block.append(raw)
        size += len(raw)
        if size >= STREAM_BLOCK:
            _write_masked(block, dst, coordinate_precision)
            block, size = [], 0
    _write_masked(block, dst, coordinate_precision)


def _write_masked(block: list[bytes], dst: Sink, precision: float) -> None:
    if block:
        text = b"".join(block).decode("utf-8", errors="surrogateescape")
        masked = mask(text, coordinate_precision=precision)
        dst.write(masked.encode("utf-8", errors="surrogateescape"))
