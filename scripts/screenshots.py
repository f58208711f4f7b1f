"""Screenshots of the main pages, for docs/screenshots/ (``make screenshots``).

Drives Debian's Chromium with Playwright against a running Candor with the demo data.
Usage: python scripts/screenshots.py [BASE_URL] [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

        def shot(name: str, path: str, *, full: bool = True) -> None:
            page.goto(base + path)
            page.screenshot(path=str(out / f"{name}.png"), full_page=full)

        shot("login", "/accounts/login/", full=False)
        page.fill("input[name=username]", "reviewer")
        page.fill("input[name=password]", "candor-demo")
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        shot("dashboard", "/")
        page.goto(base + "/campaigns/")
        page.click("table a >> nth=0")
        campaign = page.url.removeprefix(base)
        page.screenshot(path=str(out / "campaign.png"), full_page=True)
        shot("calendar", campaign + "calendar/?audience=moldova")
        shot("reports", "/reports/")
        shot("import", "/evidence/import/", full=False)
        shot("coverage", "/coverage/")
        shot("evidence", "/evidence/?q=Pact")
        shot("activities", "/activities/?sort=-scheduled")
        shot("approvals", "/approvals/")
        page.goto(base + "/")
        page.click("section:first-of-type table a >> nth=0")
        page.screenshot(path=str(out / "approval.png"), full_page=True)
        browser.close()
    if problems:
        print("Console errors:", *problems, sep="\n  ")
        sys.exit(1)
    print(f"Screenshots written to {out}/")


if __name__ == "__main__":
    main()
