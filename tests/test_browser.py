"""The one real-browser test: a claim's chain page in headless Chromium, from `provenance serve`.

Chromium is Debian's (`apt-get install -y chromium`, done by .ci/run), driven by Playwright from
PyPI: Playwright's own browser download does not work here. Never skipped: without Chromium this
test fails. The screenshot is kept in test-artifacts/ (gitignored) for people to look at.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path(os.environ.get("PROVENANCE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("PROVENANCE_TEST_ARTIFACTS", Path(__file__).parents[1] / "test-artifacts"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(provenance_db: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`provenance serve` in a subprocess on a free 127.0.0.1 port, on a copy of the demo database."""
    db = tmp_path / "provenance.db"
    source, target = sqlite3.connect(provenance_db), sqlite3.connect(db)
    source.backup(target)
    source.close()
    target.close()
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from provenance.cli import cli; cli(prog_name='provenance')",
         "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"provenance serve did not start: {(tmp_path / 'serve.log').read_text(errors='replace')}")
                time.sleep(0.1)
        yield base, db
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def chain_of(db: Path) -> tuple[int, list[dict]]:
    """The claim with the longest chain through a number change, and its hops earliest first."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        def best(claim_id):
            row = conn.execute("select origin_claim_id from claim_matches where claim_id = ? order by score desc, id limit 1", [claim_id]).fetchone()
            return row[0] if row else None

        def chain(claim_id):
            ids = [claim_id]
            while (origin := best(ids[-1])) is not None and origin not in ids:
                ids.append(origin)
            return ids[::-1]

        candidates = [r[0] for r in conn.execute("select claim_id from claim_matches where distortions like '%number_changed%'")]
        assert candidates, "no number_changed distortion in the demo database"
        claim = max(candidates, key=lambda c: (len(chain(c)), -c))
        hops = [
            dict(conn.execute("select a.site_name from claims c join articles a on a.id = c.article_id where c.id = ?", [i]).fetchone())
            for i in chain(claim)
        ]
        return claim, hops
    finally:
        conn.close()


def test_chain_page_in_chromium(served):
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium)"
    base, db = served
    claim_id, hops = chain_of(db)
    assert len(hops) >= 3
    problems: list[str] = []
    requests: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "chain-page.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on("request", lambda r: requests.append(r.url))
            response = page.goto(f"{base}/provenance/-/claim/{claim_id}", wait_until="networkidle")
            assert response is not None and response.status == 200

            cards = page.locator("li.pv-hop")
            assert cards.count() == len(hops)
            for index, hop in enumerate(hops):
                card = cards.nth(index)
                assert card.is_visible()
                assert card.locator(".pv-outlet").inner_text() == hop["site_name"]
            assert cards.first.locator(".pv-tag-earliest").is_visible()
            assert cards.last.locator(".pv-tag-this").is_visible()
            changed = page.locator("li.pv-this mark.pv-d-number_changed")
            assert changed.count() >= 1 and changed.first.is_visible()
            # The highlight is really painted: a coloured background, not just a class name.
            assert changed.first.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
            assert page.locator(".pv-glance").is_visible()

            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert all(url.startswith(base) for url in requests), [u for u in requests if not u.startswith(base)]
    assert shot.stat().st_size > 10_000
