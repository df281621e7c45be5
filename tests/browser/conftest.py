"""A real service process and a real browser: Debian's Chromium driven by Playwright, on a phone-sized screen.

The service (`python -m gateway`, scripted model) runs on a copy of the seeded shop with
its own sessions database and pizzeria files. Playwright's own browser download cannot
work here, so Playwright drives the system Chromium (`apt-get install chromium`); the
tests are skipped, saying so, when it is not installed.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from benchmarks.service_process import start_service, stop_services
from tests.gateway.conftest import OPERATOR, SECRET, token
from tests.gateway.panel_client import PANEL_SECRET
from tools.settings import REPO_ROOT, TRIAL_MOMENT

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = REPO_ROOT / ".data" / "screenshots"
DOCS = REPO_ROOT / "docs"


@dataclass
class Served:
    base: str
    data_dir: Path
    sessions_url: str  # the service's own sessions database (a test may add what another helper's agent would)
    log: Path  # the service's output

    def _check(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            time.sleep(1)  # the service logs an error after it answered
        assert response.status_code == 200, f"{response.status_code} {response.text}\n{self.log.read_text()[-4000:]}"

    def chat(self, agent: str, customer: str, text: str) -> dict:
        response = httpx.post(f"{self.base}/v1/chat/{agent}", json={"text": text},
                              headers={"Authorization": f"Bearer {token(customer)}"}, timeout=60)
        self._check(response)
        return response.json()

    def messages(self, agent: str, customer: str) -> list[str]:
        response = httpx.get(f"{self.base}/v1/chat/{agent}/messages", headers={"Authorization": f"Bearer {token(customer)}"},
                             timeout=30)
        self._check(response)
        return [m["text"] for m in response.json()["messages"]]


@pytest.fixture(scope="module")
def served(template: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium); .ci/run installs it")
    root = tmp_path_factory.mktemp("browser")
    shutil.copyfile(template["db"], root / "shop.db")
    sessions_url = f"sqlite+aiosqlite:///{root / 'sessions.db'}"
    env = {
        **os.environ,
        "LLM_MODEL": "scripted",
        "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'shop.db'}",
        "CHROMA_PATH": str(template["chroma"]),
        "SESSION_DB_URL": sessions_url,
        "PIZZERIA_DATA_DIR": str(root / "pizzeria"),
        "PIZZERIA_NOW": TRIAL_MOMENT,
        "JWT_SECRET": SECRET,
        "OPERATOR_TOKEN": OPERATOR,
        "PANEL_SECRET": PANEL_SECRET,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CHROMA_URL", None)  # the data keys are this process's: the seeded shop was encrypted with them
    process, base = start_service(env, root / "service.log", ready="/healthz")
    try:
        yield Served(base, root / "pizzeria", sessions_url, root / "service.log")
    finally:
        stop_services([process])


@pytest.fixture(scope="module")
def browser_context(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh user-data dir
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="es-AR",
            timezone_id="America/Argentina/Buenos_Aires",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


def screenshot(page: object, name: str, *, readme: bool = False) -> None:
    """Save `.data/screenshots/<name>.png`; a README one also as `docs/<name>.png` with UPDATE_DOCS_SCREENSHOTS=1."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    if readme and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(SCREENSHOTS / f"{name}.png", DOCS / f"{name}.png")
