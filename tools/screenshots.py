"""Developer tool: screenshot every workbench page in headless Debian Chromium.

Usage: python tools/screenshots.py [--project P] [--out screenshots/]
Starts `streamlit run workbench.py` on a free port, visits each page, waits for the script
to finish, and saves one PNG per page. Needs Debian's chromium (/usr/bin/chromium).
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["", "documents", "code", "codebook", "cities", "models", "joint", "cases", "report"]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_idle(page, timeout=120_000) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    page.wait_for_timeout(800)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", default=None)
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--pages", nargs="*", default=PAGES)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.project:
        env["TANDEM_PROJECT"] = args.project
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "workbench.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name in args.pages:
                page.goto(f"http://127.0.0.1:{port}/{name}")
                wait_idle(page)
                path = out / f"{name or 'project'}.png"
                page.screenshot(path=str(path), full_page=True)
                print(path)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
