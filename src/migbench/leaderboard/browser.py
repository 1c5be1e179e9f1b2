"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by selenium.

Used by the browser tests and by the main job's screenshot of the leaderboard.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

#: Where Debian's packages put the browser and its driver.
CHROMIUM = "chromium"
DRIVER = "chromedriver"
WINDOW = (1280, 1000)


def available() -> bool:
    """Whether the browser and its driver are installed."""
    return shutil.which(CHROMIUM) is not None and shutil.which(DRIVER) is not None


def chromium() -> Any:
    """Start headless Chromium and return its selenium driver; browser logs are kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(CHROMIUM) or CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--allow-file-access-from-files",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(shutil.which(DRIVER) or DRIVER))


def screenshot(page: Path, out: Path) -> Path:
    """Open ``page`` from disk and save a PNG screenshot of its first screen to ``out``."""
    from migbench.fileio import write_atomic

    driver = chromium()
    try:
        driver.get(page.resolve().as_uri())
        png = driver.get_screenshot_as_png()
    finally:
        driver.quit()
    write_atomic(out, png)
    return out
