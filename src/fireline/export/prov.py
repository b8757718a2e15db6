"""prov/prov.json: the incident's provenance as W3C PROV-JSON, written by hand from a Record.

Entities are evidence items and status updates; activities are mitigations, decisions, evidence
collection and update publication; agents are the people who acted. Written directly as JSON
(sorted keys, fixed ids) rather than through the `prov` package so it is deterministic and
costs the runtime nothing; tests load it with `prov.model.ProvDocument.deserialize`. Pure.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fireline.export.model import Record

FIRELINE_NS = "https://fireline.dev/ns/prov#"


def _agent(name: str) -> str:
    return f"actor:{quote(name, safe='')}"


def _time(iso: str) -> str:
    return iso  # event times are already ISO 8601 UTC with a Z


def _typed(value: str) -> dict[str, str]:
    return {"$": value, "type": "prov:QUALIFIED_NAME"}


def prov_document(record: Record) -> dict[str, Any]:
    """The PROV-JSON document (a dict) for one incident record."""
    inc = record.incident_id
    entity: dict[str, Any] = {}
    activity: dict[str, Any] = {}
    agent: dict[str, Any] = {}
    relations: dict[str, dict[str, Any]] = {
        name: {}
        for name in (
            "used",
            "wasGeneratedBy",
            "wasAssociatedWith",
            "wasAttributedTo",
            "actedOnBehalfOf",
        )
    }

    def relate(kind: str, **fields: str) -> None:
        table = relations[kind]
        table[f"_:{kind}{len(table) + 1}"] = {f"prov:{k}": v for k, v in fields.items()}

    for name in record.actors:
        roles = sorted(role for role, holders in record.roles.items() if name in holders)
        agent[_agent(name)] = {
            "prov:type": _typed("prov:Person"),
            "prov:label": name,
            **({"fireline:roles": ", ".join(roles)} if roles else {}),
        }

    evidence_ids: dict[str, str] = {}
    for item in record.evidence:
        eid = f"inc:evidence-{item.number}"
        collect = f"inc:collect-evidence-{item.number}"
        attrs: dict[str, Any] = {
            "prov:type": _typed("fireline:Evidence"),
            "prov:label": item.name or item.ref or f"evidence {item.number}",
            "fireline:kind": item.kind,
        }
        if item.sha256:
            attrs["fireline:sha256"] = item.sha256
            evidence_ids[item.sha256] = eid
        if item.ref:
            attrs["fireline:ref"] = item.ref
        evidence_ids[f"evidence:{item.number}"] = eid
        entity[eid] = attrs
        activity[collect] = {
            "prov:type": _typed("fireline:EvidenceCollection"),
            "prov:startTime": _time(item.ts),
            "prov:endTime": _time(item.ts),
        }
        relate("wasGeneratedBy", entity=eid, activity=collect, time=_time(item.ts))
        relate("wasAssociatedWith", activity=collect, agent=_agent(item.actor))
        relate("wasAttributedTo", entity=eid, agent=_agent(item.actor))

    for entry in record.entries.values():
        if entry.erased or entry.kind not in ("mitigation", "decision"):
            continue
        aid = f"inc:{entry.kind}-{entry.seq}"
        activity[aid] = {
            "prov:type": _typed(f"fireline:{entry.kind.capitalize()}"),
            "prov:label": entry.text,
            "prov:startTime": _time(entry.when),
            "prov:endTime": _time(entry.when),
        }
        relate("wasAssociatedWith", activity=aid, agent=_agent(entry.actor))
        if entry.approver and entry.approver != entry.actor:
            relate("wasAssociatedWith", activity=aid, agent=_agent(entry.approver))
            agent.setdefault(
                _agent(entry.approver),
                {"prov:type": _typed("prov:Person"), "prov:label": entry.approver},
            )
        for ref in entry.refs:
            used = _evidence_named(ref, evidence_ids)
            if used is not None:
                relate("used", activity=aid, entity=used)

    for number, ts, actor, body in record.updates:
        uid = f"inc:update-{number}"
        publish = f"inc:publish-update-{number}"
        entity[uid] = {
            "prov:type": _typed("fireline:StatusUpdate"),
            "prov:label": f"Update #{number} ({body['status']})",
            "fireline:status": str(body["status"]),
            "fireline:impact": str(body["impact"]),
        }
        activity[publish] = {
            "prov:type": _typed("fireline:Publication"),
            "prov:startTime": _time(ts),
            "prov:endTime": _time(ts),
        }
        relate("wasGeneratedBy", entity=uid, activity=publish, time=_time(ts))
        relate("wasAssociatedWith", activity=publish, agent=_agent(actor))
        relate("wasAttributedTo", entity=uid, agent=_agent(actor))

    commanders = record.roles.get("ic") or ([record.declared_by] if record.declared_by else [])
    for role, holders in sorted(record.roles.items()):
        for holder in holders if role != "ic" else ():
            for ic in commanders:
                if ic != holder:
                    agent.setdefault(
                        _agent(ic), {"prov:type": _typed("prov:Person"), "prov:label": ic}
                    )
                    agent.setdefault(
                        _agent(holder), {"prov:type": _typed("prov:Person"), "prov:label": holder}
                    )
                    relate("actedOnBehalfOf", delegate=_agent(holder), responsible=_agent(ic))

    document: dict[str, Any] = {
        "prefix": {
            "fireline": FIRELINE_NS,
            "inc": f"urn:fireline:{inc}:",
            "actor": "urn:fireline:actor:",
        },
        "entity": entity,
        "activity": activity,
        "agent": agent,
    }
    document.update({kind: table for kind, table in relations.items() if table})
    return document


def _evidence_named(ref: str, ids: dict[str, str]) -> str | None:
    """The evidence entity a ref names: `evidence:N`, or a sha256 (or a 12+ hex prefix)."""
    if ref in ids:
        return ids[ref]
    value = ref.partition(":")[2] if ":" in ref else ref
    if len(value) >= 12:
        for key, eid in ids.items():
            if not key.startswith("evidence:") and key.startswith(value.lower()):
                return eid
    return None


def prov_json(record: Record) -> bytes:
    text = json.dumps(prov_document(record), indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode()
