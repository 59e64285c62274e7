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
import sqlite_utils
from playwright.sync_api import sync_playwright

from provenance import publish, trace

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


BLOG_URL = "http://www.frontlineledger.example/posts/2025/03/06/kestria-is-all-in"


def chain_of(db: Path) -> tuple[int, list[trace.Hop]]:
    """The blog's "Kestria sent another 5,000 soldiers" and its chain as `provenance trace` gives it, earliest first."""
    database = sqlite_utils.Database(sqlite3.connect(f"file:{db}?mode=ro", uri=True), recursive_triggers=False)
    try:
        found = list(
            database.query(
                "select c.id from claims c join articles a on a.id = c.article_id and c.version = a.version where a.url = ? and c.text like ?",
                [BLOG_URL, "Kestria sent another 5,000 soldiers%"],
            )
        )
        assert len(found) == 1, found
        return found[0]["id"], trace.chain(database, found[0]["id"])
    finally:
        database.close()


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
                assert card.locator(".pv-outlet").inner_text() == hop.site_name
                assert " ".join(card.locator(".pv-text").inner_text().split()) == " ".join(hop.text.split())
            assert cards.first.locator(".pv-tag-earliest").is_visible()
            assert cards.last.locator(".pv-tag-this").is_visible()
            # The number that changed: painted in the blog's text, and spelt out "old → new" in the
            # step above it and in the box at the top.
            number = next(d for d in hops[-1].distortions if d["kind"] == "number_changed")
            old, new = publish.distortion_sides(number["detail"])
            changed = page.locator("li.pv-this mark.pv-d-number_changed")
            assert changed.count() >= 1 and changed.first.is_visible() and changed.first.inner_text() == new
            # The highlight is really painted: a coloured background, not just a class name.
            assert changed.first.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
            step = page.locator("li.pv-step").last
            assert step.is_visible() and f"{old} → {new}" in step.inner_text()
            glance = page.locator(".pv-glance")
            assert glance.is_visible()
            assert f"{old} → {new}" in glance.inner_text()
            assert hops[0].site_name in glance.inner_text()

            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert all(url.startswith(base) for url in requests), [u for u in requests if not u.startswith(base)]
    assert shot.stat().st_size > 10_000
