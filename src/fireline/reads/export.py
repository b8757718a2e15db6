"""The export of one incident (folder or zip), as a read: need-to-know, the `--unmasked`
clearance check and the `export.created` record all happen in `export.writer`, once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fireline.reads import Model

if TYPE_CHECKING:
    from fireline.domain import IncidentId
    from fireline.export.writer import ExportResult
    from fireline.service import Context
    from fireline.service.identity import Identity


def export(
    ctx: Context,
    identity: Identity,
    incident_id: IncidentId,
    *,
    out: Path,
    masked: bool = True,
    archive: bool = False,
) -> ExportResult:
    """Write the export under `out` and record it (RecordExport); refuse on bad input."""
    from fireline.export.writer import export_incident

    return export_incident(
        ctx, incident_id, actor=identity, out=out, masked=masked, archive=archive
    )


def summary(result: ExportResult) -> Model:
    """What the CLI prints of an export, as data (the path is the writer's, local or not)."""
    return {
        "incident_id": result.incident_id,
        "seq": result.seq,
        "masked": result.masked,
        "files": result.files,
        "evidence_files": result.evidence_files,
        "withheld": result.withheld,
        "event_seq": result.event_seq,
        "unsalted": result.unsalted,
    }
