"""State is a projection: any command sequence, rebuilt from the ledger, gives the same state."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fireline.commands import (
    AddActionItem,
    AssignRole,
    AttachRunbook,
    ChangeSeverity,
    CheckItem,
    Command,
    CompleteActionItem,
    CorrectEntry,
    EraseEntry,
    LogEntry,
    PublishUpdate,
    ReleaseRole,
    Transition,
    UncheckItem,
)
from fireline.domain import ActorId, IncidentId, Status
from fireline.errors import FirelineError
from fireline.integrity import check_freeze_record, load_store_public_key, verify_store
from fireline.projections.audit import compare_store
from fireline.service import Context, rebuild
from tests.factories import make_incident, projection_state, run

people = st.sampled_from(["alice", "bob", "carol", "dave"])
words = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=20)
seqs = st.integers(min_value=1, max_value=25)
# Item addresses on the declaration's built-in checklists and on the runbooks a script attaches.
item_refs = st.builds(
    lambda name, n: f"{name}:{n}",
    st.sampled_from(["first-15-minutes", "mitigated", "resolved", "RBK-a", "RBK-b"]),
    st.integers(1, 6),
)
runbooks = st.sampled_from(
    [
        b"---\nid: RBK-a\n---\n## Triage Checklist\n- [ ] one\n  - [ ] nested\n",
        b"---\nid: RBK-b\n---\n## Containment Steps\n- [ ] two\n- [x] three\n",
    ]
)

Step = Callable[[IncidentId], Command]
steps: st.SearchStrategy[Step] = st.one_of(
    st.builds(
        lambda r, h: lambda i: AssignRole(incident_id=i, role=r, holder=h),
        st.sampled_from(["ic", "scribe", "comms", "sme"]),
        people,
    ),
    st.builds(
        lambda r: lambda i: ReleaseRole(incident_id=i, role=r),
        st.sampled_from(["ic", "scribe", "sme"]),
    ),
    st.builds(
        lambda s, w: lambda i: ChangeSeverity(incident_id=i, severity=s, reason=w),
        st.sampled_from(["SEV0", "SEV1", "SEV2", "SEV3"]),
        words,
    ),
    st.builds(
        lambda s: lambda i: Transition(incident_id=i, status=s),
        st.sampled_from([s.value for s in Status]),
    ),
    st.builds(
        lambda k, w: (
            lambda i: LogEntry(incident_id=i, kind=k, text=w, why=w if k == "decision" else None)
        ),
        st.sampled_from(["fact", "hypothesis", "decision", "mitigation"]),
        words,
    ),
    st.builds(lambda w: lambda i: PublishUpdate(incident_id=i, impact=w, facts=(w,)), words),
    st.builds(
        lambda w, o: (
            lambda i: AddActionItem(incident_id=i, title=w, owner=o, due=date(2026, 12, 1))
        ),
        words,
        people,
    ),
    st.builds(
        lambda n: lambda i: CompleteActionItem(incident_id=i, number=n, verification="v"),
        st.integers(1, 3),
    ),
    st.builds(
        lambda n, w: lambda i: CorrectEntry(incident_id=i, target_seq=n, text=w), seqs, words
    ),
    st.builds(
        lambda n, w: lambda i: EraseEntry(incident_id=i, target_seq=n, reason=w), seqs, words
    ),
    st.builds(lambda b: lambda i: AttachRunbook(incident_id=i, path="rb.md", content=b), runbooks),
    st.builds(
        lambda r, w: lambda i: CheckItem(incident_id=i, items=(r,), note=w), item_refs, words
    ),
    st.builds(lambda r: lambda i: UncheckItem(incident_id=i, items=(r,)), item_refs),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(people, steps), min_size=1, max_size=25))
def test_rebuild_equals_live_state_and_chains_verify(
    ctx: Context, script: list[tuple[str, Step]]
) -> None:
    incident = make_incident(ctx)
    for actor, step in script:
        with contextlib.suppress(FirelineError):  # a refusal writes nothing; the script goes on
            run(ctx, step(incident), actor)
    live = projection_state(ctx.engine)
    key = load_store_public_key(ctx.settings.public_key_path)
    with ctx.engine.connect() as conn:  # the live rows are what replaying the ledger gives
        assert compare_store(conn) is None
        assert check_freeze_record(conn, key) is None
    assert rebuild(ctx, actor=ActorId("tester")) > 0
    assert projection_state(ctx.engine) == live
    with ctx.engine.connect() as conn:
        report = verify_store(conn, key)
    assert report.ok, report.breaks
