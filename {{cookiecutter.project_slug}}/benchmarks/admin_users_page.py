"""How fast the admin Users page answers with 100,000 users, in a real browser.

Copies this project into a temporary folder with fresh secrets and its own SQLite
store, adds one admin and N users (default 100,000), serves it with
`streamlit run`, signs the admin in with headless Chromium, then measures:

  open     time from page.goto(".../admin_users") until the table and its
           "N user(s)" caption are on screen
  search   time from pressing Enter in Search until the caption shows the count
           of matching users (a substring search over username, email and name)
  store    the same queries timed in-process (count + one page), no browser

A benchmark, not a test: it prints medians and exits 0. Needs Chromium
(Debian: `apt-get install chromium`, or set CHROMIUM) and `pip install playwright`.

    python benchmarks/admin_users_page.py [--users 100000] [--runs 5] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
ADMIN_PASSWORD = "benchmark plum orbit kettle"  # noqa: S105 - a throwaway app
UI_TIMEOUT_MS = 60_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SEARCHES = ("user04242", "example.org", "Lovelace")


def copy_project(target: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".venv", "venv", "data", "__pycache__", ".pytest_cache", ".ruff_cache", "secrets.toml"
    )
    shutil.copytree(PROJECT_DIR, target, ignore=ignore)
    # Whatever backend the project uses, the copy measures a local SQLite file.
    settings_file = target / "settings.toml"
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text(
        re.sub(r"(?m)^backend = .*$", 'backend = "sqlite"', text), encoding="utf-8"
    )
    streamlit_dir = target / ".streamlit"
    streamlit_dir.mkdir(exist_ok=True)
    (streamlit_dir / "secrets.toml").write_text(
        f'[auth]\ncookie_secret = "{secrets.token_urlsafe(48)}"\n\n'
        f'[passwords]\npepper = "{secrets.token_urlsafe(48)}"\n',
        encoding="utf-8",
    )
    return target


def seed(project: Path, count: int) -> None:
    """One admin through auth.domain.users, then `count` users in bulk.

    The bulk rows go straight into the SQL backend's tables in one transaction
    (one create_user call per user would take minutes; this is setup, not app code).
    """
    sys.path.insert(0, str(project))
    from sqlalchemy import insert

    from auth.config import load_settings
    from auth.domain import users
    from auth.domain.services import Services
    from auth.store import open_store
    from auth.store.sql import SQLStore, user_roles
    from auth.store.sql import users as users_table

    secrets_data = tomllib.loads((project / ".streamlit" / "secrets.toml").read_text())
    settings = load_settings(secrets_data, project / "settings.toml")
    store = open_store(settings)
    if not isinstance(store, SQLStore):
        raise SystemExit("this benchmark needs a project with storage=sqlite")
    services = Services(settings=settings, store=store)
    users.create_user(
        services,
        username="admin",
        email="admin@example.com",
        roles=("admin",),
        password=ADMIN_PASSWORD,
    )
    now = datetime.now(UTC)
    surnames = ("Lovelace", "Hopper", "Turing", "Liskov", "Knuth", "Hamilton", "Ritchie")
    rows = [
        {
            "id": n + 2,
            "username": f"user{n:05d}",
            "username_key": f"user{n:05d}",
            "email": f"user{n:05d}@example.{'org' if n % 10 == 0 else 'com'}",
            "email_key": f"user{n:05d}@example.{'org' if n % 10 == 0 else 'com'}",
            "first_name": f"First{n % 997}",
            "last_name": surnames[n % len(surnames)],
            "password_hash": None,
            "disabled": n % 50 == 0,
            "must_change_password": False,
            "failed_logins": 0,
            "created_at": now,
            "email_verified": True,
            "auth_source": "local",
        }
        for n in range(count)
    ]
    roles = [{"user_id": r["id"], "role": "viewer"} for r in rows]
    with store.engine.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(insert(users_table), rows[start : start + 10_000])
            conn.execute(insert(user_roles), roles[start : start + 10_000])
    store_timings(services)
    store.engine.dispose()


def store_timings(services) -> None:
    from auth.store import UserQuery

    store, now = services.store, services.now()
    for label, query in [("all", UserQuery()), *[(s, UserQuery(search=s)) for s in SEARCHES]]:
        query = UserQuery(search=query.search, now=now)
        start = time.perf_counter()
        total = store.count_users(query)
        store.list_users(query, offset=0, limit=50)
        ms = (time.perf_counter() - start) * 1000
        print(f"store  {label:>12}: count + first page of {total:>6} users in {ms:7.1f} ms")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(project: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
        + ["--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("streamlit did not start within 60 s")


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", "chromium"):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise SystemExit("no Chromium: apt-get install chromium, or set CHROMIUM to its path")


def measure(url: str, users_total: int, runs: int) -> None:
    # Not a requirement of the app: installed for this benchmark only.
    from playwright.sync_api import (  # type: ignore[import-not-found, unused-ignore]
        expect,
        sync_playwright,
    )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(url)
        page.get_by_role("textbox", name="Username or email").fill("admin")
        page.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Welcome, admin").wait_for()

        caption = f"{users_total + 1} user(s);"
        opened = []
        for _ in range(runs):
            start = time.perf_counter()
            page.goto(f"{url}admin_users")
            page.get_by_test_id("stDataFrame").first.wait_for()
            expect(page.get_by_text(caption)).to_be_visible(timeout=UI_TIMEOUT_MS)
            opened.append(time.perf_counter() - start)
        print(
            f"browser open  : median {statistics.median(opened):.2f} s  (runs: "
            + ", ".join(f"{t:.2f}" for t in opened)
            + ")"
        )

        for text in SEARCHES:
            times = []
            for _ in range(runs):
                search = page.get_by_role("textbox", name="Search")
                search.fill("")
                search.press("Enter")
                expect(page.get_by_text(caption)).to_be_visible(timeout=UI_TIMEOUT_MS)
                search.fill(text)
                start = time.perf_counter()
                search.press("Enter")
                expect(page.get_by_text(caption)).to_have_count(0, timeout=UI_TIMEOUT_MS)
                page.get_by_text("user(s); page 1 of").wait_for()
                times.append(time.perf_counter() - start)
            shown = page.get_by_text("user(s); page 1 of").inner_text().split(" ")[0]
            print(
                f"browser search {text!r:>14}: median {statistics.median(times):.2f} s "
                f"({shown} matches)"
            )
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    try:
        project = copy_project(workdir / "app")
        start = time.perf_counter()
        seed(project, args.users)
        print(f"seeded {args.users} users in {time.perf_counter() - start:.1f} s")
        port = free_port()
        server = serve(project, port)
        try:
            measure(f"http://127.0.0.1:{port}/", args.users, args.runs)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
