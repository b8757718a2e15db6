"""PII detection and masking, coordinate generalisation, and who holds the clearance."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.config import load_settings
from fireline.errors import ConfigError
from fireline.redaction import can_see_sensitive, detect, mask


@pytest.mark.parametrize(
    ("text", "masked", "kind"),
    [
        ("mail alice.o@example.co.uk now", "mail [masked:email] now", "email"),
        ("call +1 312 555 0142 today", "call [masked:phone] today", "phone"),
        ("call (312) 555-0142 today", "call [masked:phone] today", "phone"),
        ("call 312-555-0142 today", "call [masked:phone] today", "phone"),
        ("call +44 20 7946 0958", "call [masked:phone]", "phone"),
        ("from 192.168.10.24 port 22", "from [masked:ip] port 22", "ip"),
        ("from 2001:db8:85a3::8a2e:370:7334 ok", "from [masked:ip] ok", "ip"),
        ("loopback ::1 ok", "loopback [masked:ip] ok", "ip"),
        ("at 41.878113, -87.629799 now", "at 41.9, -87.6 now", "coordinates"),
        ("lat=41.8781 lon=-87.6298", "lat=41.9 lon=-87.6", "coordinates"),
        ("geom POINT(-87.6298 41.8781)", "geom POINT(-87.6 41.9)", "coordinates"),
        (
            '{"type": "Point", "coordinates": [-87.6298, 41.8781]}',
            '{"type": "Point", "coordinates": [-87.6, 41.9]}',
            "coordinates",
        ),
    ],
)
def test_mask_hides_each_kind_and_detect_names_it(text: str, masked: str, kind: str) -> None:
    assert mask(text) == masked
    assert kind in detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "at 12:30:45 the job ran",
        "mac aa:bb:cc:dd:ee:ff",
        "std::vector and Foo::bar",
        "build 2026-12-01 took 3.5 s",
        "load 0.75, 0.80 and ratio 1.25",
        "version v1.2.3.4 released",
        "already [masked:email] and 41.9, -87.6",
        "order 1234567 shipped",
    ],
)
def test_mask_leaves_lookalikes_alone(text: str) -> None:
    assert mask(text) == text
    assert detect(text) == frozenset()


def test_coordinates_generalise_to_the_configured_grid() -> None:
    assert mask("41.878113, -87.629799", coordinate_precision=0.01) == "41.88, -87.63"
    assert mask("41.878113, -87.629799", coordinate_precision=1) == "42, -88"
    assert mask("lat=-0.04", coordinate_precision=0.1) == "lat=0.0"


@given(st.text(max_size=200), st.sampled_from([0.1, 0.01, 0.5, 1.0]))
def test_mask_is_idempotent(text: str, precision: float) -> None:
    once = mask(text, coordinate_precision=precision)
    assert mask(once, coordinate_precision=precision) == once


def test_nobody_holds_the_clearance_by_default(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path)
    assert not can_see_sensitive("alice", settings)


def test_configuration_and_registry_grant_the_clearance(tmp_path: Path) -> None:
    (tmp_path / "fireline.toml").write_text('sensitive_clearance = ["alice", "bob"]\n')
    settings = load_settings({}, cwd=tmp_path)
    assert settings.sensitive_clearance == ("alice", "bob")
    assert can_see_sensitive("alice", settings)
    assert not can_see_sensitive("carol", settings)
    assert can_see_sensitive("carol", settings, clearances=["sensitive"])


@pytest.mark.parametrize("value", ["0", "abc", "-1", "11"])
def test_bad_coordinate_precision_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="invalid coordinate_precision"):
        load_settings({"FIRELINE_COORDINATE_PRECISION": value}, cwd=tmp_path)
