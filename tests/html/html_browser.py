"""Headless Chromium driven by selenium for the page tests, or a clean skip saying what is missing.

Install: `apt-get install -y chromium chromium-driver` (Debian) and `pip install selenium`
(`make test` tries both). The browser is started once per test session; every request it
makes is recorded from its DevTools performance log, so a test can prove the page asked the
network for nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(os.environ.get("BACKCALC_SCREENSHOTS", "/tmp/backcalc-html-screenshots"))


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    if not _binary():
        return "no Chromium here (apt-get install -y chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "no chromedriver here (apt-get install -y chromium-driver)"
    return None


def _binary() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


class Browser:
    def __init__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        options = Options()
        options.binary_location = _binary()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1200,1800", "--disable-extensions", "--no-first-run"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)

    def open(self, path: Path, dark: bool = False) -> None:
        scheme = "dark" if dark else "light"
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        self.driver.get_log("performance")  # forget what earlier pages asked for
        self.driver.get(path.resolve().as_uri())

    def requested(self) -> list[str]:
        """Every URL the browser asked for since the page was opened."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    b = Browser()
    yield b
    b.driver.quit()
