"""The Alerts page: firing and resolved groups, declaring from an alert, attaching one."""

from __future__ import annotations

import json

import pytest

from fireline.service import Context
from tests import hostile
from tests.alerting import add_source, alert, counts, webhook
from tests.conftest import Store
from tests.webclient import add_user, web_client

pytestmark = pytest.mark.adapter


def test_alerts_page_declares_and_attaches_from_alerts(store: Store, ctx: Context) -> None:
    add_user(ctx, "alice", roles=("commander",))
    secret = add_source(store.settings, "prom", "alertmanager", by="root")
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    with web_client(store) as web:
        for n, name in enumerate(("DiskFull", hostile.ALL[:60])):
            body = webhook(
                [alert(name, n=n, severity="warning", extra={"note": hostile.SCRIPT})],
                key=f"g{n}",
            )
            sent = web.client.post(
                "/api/v1/intake/prom", content=json.dumps(body).encode(), headers=headers
            )
            assert sent.status_code == 200, sent.text
        page = web.get("/alerts")
        assert page.status_code == 200
        assert "Declare from this alert" in page.text
        hostile.assert_inert(page.text)
        groups = web.client.get(
            "/api/v1/alerts", headers={"Authorization": "Bearer none"}
        )  # the API needs a token; the page is the viewer's
        assert groups.status_code == 401
        ids = [
            line.split("<code>")[1].split("</code>")[0]
            for line in page.text.split("\n")
            if "<code>" in line
        ]
        declared = web.post(f"/alerts/{ids[0]}/declare", data={"severity": "SEV2"})
        assert declared.status_code == 303
        incident = declared.headers["location"].rsplit("/", 1)[1]
        bad = web.post(f"/alerts/{ids[1]}/attach", data={"incident": "INC-nope"})
        assert bad.status_code == 422
        assert "malformed incident id" in bad.text
        attached = web.post(f"/alerts/{ids[1]}/attach", data={"incident": incident})
        assert attached.status_code == 303
        again = web.post(f"/alerts/{ids[0]}/declare", data={"severity": "SEV2"})
        assert again.status_code == 422
        assert "linked to" in again.text
        after = web.get("/alerts").text
        assert after.count(f'href="/incidents/{incident}"') == 2
        no_csrf = web.client.post(f"/alerts/{ids[0]}/declare", data={"severity": "SEV2"})
        assert no_csrf.status_code in (400, 403)
    assert counts(store.settings)["incidents"] == 1
