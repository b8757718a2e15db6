"""The web UI against the limits underneath it, measured in one run on one real server.

A Uvicorn process serves a fresh SQLite store (WAL, synchronous=FULL) holding an incident
with 5,000 timeline events. Three figures, each beside a raw limit measured in the same run:

1. Server render of the incident room (`GET /incidents/{id}`, signed in): p50/p99 over
   sequential requests, beside a no-op page route on the same server (the same session check,
   a constant HTML body): what HTTP, Uvicorn, FastAPI and the session cost by themselves.
   Target: room p99 <= 100 ms.
2. Time until the room is usable in Debian's Chromium (Playwright): navigation start until
   the page has loaded (styles and the deferred script run) and the composer takes input;
   beside the same for the no-op page. Target: <= 1 s.
3. Live update: 50 open rooms (10 browser contexts of 5 pages: ten people, each under the
   browser's six-connections-per-host limit) follow the timeline over Server-Sent Events; an
   entry is written through the API (`POST /api/v1/incidents/{id}/entries`, a bearer token)
   and each page records when the entry appears in its DOM. Latency from the write's answer
   to the entry showing, p50/p95 over every page and write, beside the same with 1 open page.
   Target: p95 <= 500 ms with 50 pages.

A report: it exits 0 even when BELOW target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from fireline.web.session import Viewer

HERE = Path(__file__).resolve().parent
NOOP = "/bench/noop"
EVENTS = 5_000
PAGES = 50
PER_CONTEXT = 5
TARGET_RENDER_P99_MS = 100.0
TARGET_USABLE_MS = 1_000.0
TARGET_LIVE_P95_MS = 500.0
CHROMIUM = os.environ.get("FIRELINE_CHROMIUM", "/usr/bin/chromium")


def bench_app() -> FastAPI:
    """The production app plus a no-op page that checks the session like every page does."""
    from fireline.api.app import from_environment

    app = from_environment()

    @app.get(NOOP, include_in_schema=False)
    def noop(request: Request, principal: Viewer) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><title>no-op</title></head>'
            '<body><main><h1>no-op</h1><textarea id="f-text"></textarea></main></body></html>'
        )

    return app


@dataclass(frozen=True)
class Store:
    incident: str
    session: str  # the web session token (cookie value)
    token: str  # an API token for the writes


def prepare(home: Path) -> Store:
    """A store with alice (admin, commander) and one incident of EVENTS timeline events."""
    from datetime import timedelta

    from fireline import accounts, service
    from fireline.commands import AddUser, Declare, LogEntry
    from fireline.config import load_settings
    from fireline.domain import ActorId, IncidentId
    from fireline.schema import initialise

    settings = load_settings({"FIRELINE_HOME": str(home)}, cwd=home)
    engine, _created = initialise(settings)
    engine.dispose()
    ctx = service.open_context(settings)
    alice = service.Identity(ActorId("alice"))
    try:
        service.execute(AddUser(name="alice", roles=("admin", "commander")), alice, ctx=ctx)
        declared = service.execute(
            Declare(title="Catalog API 5xx spike", severity="SEV1", ic="alice"), alice, ctx=ctx
        )
        incident = IncidentId(declared[0].incident_id)
        kinds = ("fact", "hypothesis", "decision", "mitigation")
        count = len(declared)
        while count < EVENTS:
            batch = []
            for n in range(min(250, EVENTS - count)):
                kind = kinds[(count + n) % len(kinds)]
                text = f"entry {count + n}: 5xx rate {(count + n) % 40}% on api-{n % 7}"
                why = "correlates with onset" if kind == "decision" else None
                batch.append((LogEntry(incident_id=incident, kind=kind, text=text, why=why), alice))
            outcomes = service.execute_batch(batch, ctx=ctx)
            count += len(outcomes)
        session = accounts.issue_token(
            ctx,
            alice,
            user="alice",
            name="web-session",
            scope="write",
            expires_in=timedelta(hours=4),
        )
        token = accounts.issue_token(
            ctx, alice, user="alice", name="bench", scope="write", expires_in=timedelta(hours=4)
        )
        return Store(incident, session.text, token.text)
    finally:
        ctx.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def render_times(url: str, session: str, paths: list[str], rounds: int) -> dict[str, list[float]]:
    """Sequential GETs of each path, interleaved in blocks of 10: ms per answer."""
    from fireline.api.cookies import SESSION_COOKIE

    times: dict[str, list[float]] = {p: [] for p in paths}
    with httpx.Client(base_url=url, cookies={SESSION_COOKIE: session}, timeout=30) as http:
        for path in paths:
            for _ in range(5):  # warm-up, untimed
                http.get(path).raise_for_status()
        for _ in range(rounds // 10):
            for path in paths:
                for _ in range(10):
                    start = time.perf_counter()
                    answer = http.get(path)
                    times[path].append((time.perf_counter() - start) * 1000)
                    if answer.status_code != 200:
                        raise SystemExit(f"{path} answered {answer.status_code}")
    return times


_OBSERVE = """() => {
  window.__seen = {};
  const record = (text) => {
    for (const found of text.matchAll(/live-bench-(\\d+)/g)) {
      if (!(found[1] in window.__seen)) {
        window.__seen[found[1]] = performance.timeOrigin + performance.now();
      }
    }
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) record(node.textContent || '');
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


def usable_times(browser: Any, url: str, session: str, path: str, rounds: int) -> list[float]:
    """ms from navigation start until loaded with the composer ready, `rounds` fresh loads."""
    context = _context(browser, url, session)
    page = context.new_page()
    page.goto(url + path)  # warm-up
    found = []
    for _ in range(rounds):
        page.goto("about:blank")
        start = time.perf_counter()
        page.goto(url + path, wait_until="load")
        page.wait_for_selector("#f-text", state="visible")
        found.append((time.perf_counter() - start) * 1000)
    context.close()
    return found


def _context(browser: Any, url: str, session: str) -> Any:
    from fireline.api.cookies import SESSION_COOKIE

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": SESSION_COOKIE, "value": session, "url": url}])
    return context


def live_latencies(
    browser: Any, url: str, store: Store, pages: int, writes: int, first: int
) -> tuple[list[float], int]:
    """Open `pages` rooms, write `writes` entries through the API one at a time, and return
    every (page, write) latency in ms from the write's answer to the entry in that page's DOM,
    and how many never showed."""
    contexts = []
    opened = []
    for n in range(pages):
        if n % PER_CONTEXT == 0:
            contexts.append(_context(browser, url, store.session))
        page = contexts[-1].new_page()
        page.goto(f"{url}/incidents/{store.incident}")
        page.wait_for_function("() => document.querySelector('[data-live=\"1\"]') !== null")
        page.evaluate(_OBSERVE)
        opened.append(page)
    answered: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {store.token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for n in range(first, first + writes):
            marker = f"live-bench-{n}"
            answer = http.post(
                f"/api/v1/incidents/{store.incident}/entries",
                json={"kind": "fact", "text": f"{marker} 5xx falling"},
            )
            answered[str(n)] = time.time() * 1000
            if answer.status_code != 201:
                raise SystemExit(f"the write answered {answer.status_code}: {answer.text}")
            time.sleep(0.6)
    time.sleep(2.0)
    latencies: list[float] = []
    missed = 0
    for page in opened:
        seen = page.evaluate("() => window.__seen")
        for key, at in answered.items():
            if key in seen:
                latencies.append(max(0.0, seen[key] - at))
            else:
                missed += 1
    for context in contexts:
        context.close()
    return latencies, missed


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the benchmark server did not start")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def verdict(ok: bool) -> str:
    return "ok" if ok else "BELOW"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="render requests per route")
    parser.add_argument("--loads", type=int, default=15, help="Chromium loads per page")
    parser.add_argument("--writes", type=int, default=15, help="live writes per run")
    parser.add_argument("--render-only", action="store_true", help="skip the browser figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fireline-bench-web-") as tmp:
        home = Path(tmp) / "data"
        home.mkdir()
        began = time.perf_counter()
        store = prepare(home)
        print(f"store: 1 incident, {EVENTS:,} events ({time.perf_counter() - began:.0f} s)")
        if os.environ.get("FIRELINE_BENCH_KEEP"):  # a copy of the store to look into
            import shutil

            shutil.copytree(home, os.environ["FIRELINE_BENCH_KEEP"], dirs_exist_ok=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "FIRELINE_HOME": str(home)}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "web:bench_app", "--factory", "--app-dir", str(HERE)]
            + ["--port", str(port), "--log-level", "warning", "--no-access-log"],
            env=env,
            cwd=tmp,
        )
        try:
            wait_until_up(url)
            room = f"/incidents/{store.incident}"
            times = render_times(url, store.session, [room, NOOP], args.rounds)
            r50, r99 = statistics.median(times[room]), percentile(times[room], 0.99)
            n50, n99 = statistics.median(times[NOOP]), percentile(times[NOOP], 0.99)
            print(
                f"server render, room of {EVENTS:,} events: p50 {r50:.1f} ms, p99 {r99:.1f} ms; "
                f"no-op page p50 {n50:.1f} ms, p99 {n99:.1f} ms; p99 ratio {r99 / n99:.1f}x  "
                f"target p99 <= {TARGET_RENDER_P99_MS:.0f} ms: "
                + verdict(r99 <= TARGET_RENDER_P99_MS),
                flush=True,
            )
            if args.render_only:
                return
            from playwright.sync_api import sync_playwright

            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
                )
                usable = usable_times(browser, url, store.session, room, args.loads)
                bare = usable_times(browser, url, store.session, NOOP, args.loads)
                u50, u95 = statistics.median(usable), percentile(usable, 0.95)
                b50 = statistics.median(bare)
                print(
                    f"time to usable in Chromium, room: p50 {u50:.0f} ms, p95 {u95:.0f} ms; "
                    f"no-op page p50 {b50:.0f} ms; p50 ratio {u50 / b50:.1f}x  "
                    f"target <= {TARGET_USABLE_MS:.0f} ms: " + verdict(u95 <= TARGET_USABLE_MS),
                    flush=True,
                )
                one, missed_one = live_latencies(browser, url, store, 1, args.writes, 0)
                many, missed = live_latencies(browser, url, store, PAGES, args.writes, 1000)
                browser.close()
            o95 = percentile(one, 0.95) if one else float("nan")
            m50 = statistics.median(many) if many else float("nan")
            m95 = percentile(many, 0.95) if many else float("nan")
            print(
                f"live update, write answered to entry shown, {PAGES} pages: p50 {m50:.0f} ms, "
                f"p95 {m95:.0f} ms ({len(many)} samples, {missed} never shown); 1 page p95 "
                f"{o95:.0f} ms ({missed_one} never shown); p95 ratio {m95 / o95:.1f}x  "
                f"target p95 <= {TARGET_LIVE_P95_MS:.0f} ms: "
                + verdict(m95 <= TARGET_LIVE_P95_MS and not missed),
                flush=True,
            )
        finally:
            server.terminate()
            server.wait(60)


if __name__ == "__main__":
    main()
