"""How long a returning, signed-in user waits for content, against a bare Streamlit page.

Bakes the default template into a temporary folder, serves it, signs the
bootstrap admin in once (one-time password, then a chosen password), and serves a
bare one-line Streamlit script next to it. Then, in one run and interleaved
order, it reloads each page N times in headless Chromium and measures

  load to content  time from page.reload() until the heading "Welcome, admin" is visible
  script runs      ForwardMsg.new_session messages on the page's websocket from the
                   reload until the content is visible plus a 1 s settle (one per
                   script run start)

Run from the repository root:  python benchmarks/returning_user.py [--reloads N] [--keep]
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.browser_support import (  # noqa: E402 - needs the repository root on sys.path
    UI_TIMEOUT_MS,
    StreamlitServer,
    bake_default,
    home_heading,
    launch_chromium,
    missing_browser_tools,
    set_first_password,
    sign_in,
)

HEADING = "Welcome, admin"
NEW_PASSWORD = "correct horse battery staple"  # noqa: S105 - a throwaway app
SETTLE_MS = 1000
TARGET_RATIO = 1.10
BARE_SCRIPT = f'''"""Baseline 1: a Streamlit page with a heading, nothing else."""

import streamlit as st

st.title({HEADING!r})
'''
# Baseline 2: the same multipage app, page and sidebar menu as the signed-in Home
# page (st.navigation, the page file, then the option menu), with no sign-in, no
# session check and no store: the ratio against it is the cost of auth alone.
SAME_PAGE_SCRIPT = '''"""Baseline 2: the Home page, navigation and sidebar menu without any auth."""

import streamlit as st
from streamlit_option_menu import option_menu

st.set_page_config(page_title="Team Portal")
pages = [
    st.Page("same_home.py", title="Home", url_path="home", default=True),
    st.Page("same_other.py", title="Account", url_path="account"),
]
current = st.navigation(pages, position="hidden")
current.run()
with st.sidebar:
    option_menu(
        "Team Portal",
        ["Home", "Account", "Users"],
        icons=["house", "person-circle", "people"],
        menu_icon="shield-lock",
        key="main_menu",
    )
    st.caption("Signed in as **admin**")
    st.button("Sign out", icon=":material/logout:", width="stretch")
'''
SAME_HOME_PAGE = f"""import streamlit as st

st.title({HEADING!r})
st.write("You are signed in. This page is yours to replace with the app itself.")
st.caption("Your roles: admin")
"""


@dataclass
class Target:
    """One app under measurement: its page (in its own browser context) and its figures."""

    name: str
    page: object
    seconds: list[float] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)
    generation: int = 0
    _new_sessions: dict[int, int] = field(default_factory=dict)

    def watch_websockets(self) -> None:
        from google.protobuf.message import DecodeError
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if "new_session" not in ForwardMsg.DESCRIPTOR.fields_by_name:
            raise RuntimeError("ForwardMsg has no new_session field in this Streamlit version")

        def on_websocket(ws) -> None:
            # Frames count toward the reload during which this websocket opened, so a
            # late frame from the previous page's socket cannot be counted twice.
            generation = self.generation

            def on_frame(payload) -> None:
                if not isinstance(payload, bytes | bytearray):
                    return
                try:
                    message = ForwardMsg.FromString(bytes(payload))
                except DecodeError:  # not a ForwardMsg: not ours to count
                    return
                if message.WhichOneof("type") == "new_session":
                    self._new_sessions[generation] = self._new_sessions.get(generation, 0) + 1

            ws.on("framereceived", on_frame)

        self.page.on("websocket", on_websocket)

    def measure_once(self, record: bool = True) -> None:
        self.generation += 1
        heading = self.page.get_by_role("heading", name=HEADING)
        started = time.perf_counter()
        self.page.reload(wait_until="commit")
        heading.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
        elapsed = time.perf_counter() - started
        self.page.wait_for_timeout(SETTLE_MS)  # lets events arrive, and any extra rerun start
        if record:
            self.seconds.append(elapsed)
            self.runs.append(self._new_sessions.get(self.generation, 0))


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def runs_summary(runs: list[int]) -> str:
    typical = statistics.mode(runs)
    low, high = min(runs), max(runs)
    return f"{typical}" if low == high else f"{typical} (range {low}-{high})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reloads", type=int, default=15, help="timed reloads per app (>= 9)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.reloads < 9:
        parser.error("--reloads must be at least 9")
    missing = missing_browser_tools()
    if missing is not None:
        print(f"This benchmark {missing}.", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="stauth-bench-"))
    servers: list[StreamlitServer] = []
    try:
        print(f"Baking the default template into {workdir} ...", flush=True)
        baked = bake_default(workdir / "baked")
        bare_dir = workdir / "bare"
        (bare_dir / ".streamlit").mkdir(parents=True)
        shutil.copy(baked.project_dir / ".streamlit" / "config.toml", bare_dir / ".streamlit")
        (bare_dir / "bare_app.py").write_text(BARE_SCRIPT, encoding="utf-8")
        (bare_dir / "same_page.py").write_text(SAME_PAGE_SCRIPT, encoding="utf-8")
        (bare_dir / "same_home.py").write_text(SAME_HOME_PAGE, encoding="utf-8")
        (bare_dir / "same_other.py").write_text("import streamlit as st\n", encoding="utf-8")

        ours = StreamlitServer(baked.project_dir)
        bare = StreamlitServer(bare_dir, script="bare_app.py")
        same = StreamlitServer(bare_dir, script="same_page.py")
        servers.extend([ours, bare, same])
        for server in servers:
            server.start()

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                ours_context = browser.new_context()
                bare_context = browser.new_context()
                same_context = browser.new_context()
                for context in (ours_context, bare_context, same_context):
                    context.set_default_timeout(UI_TIMEOUT_MS)

                print("Signing in once as the bootstrap admin ...", flush=True)
                ours_page = ours_context.new_page()
                sign_in(ours_page, ours.url, "admin", baked.one_time_password)
                set_first_password(ours_page, NEW_PASSWORD)
                home_heading(ours_page).wait_for(state="visible", timeout=UI_TIMEOUT_MS)

                bare_page = bare_context.new_page()
                bare_page.goto(bare.url)
                bare_page.get_by_role("heading", name=HEADING).wait_for(timeout=UI_TIMEOUT_MS)
                same_page = same_context.new_page()
                same_page.goto(same.url)
                same_page.get_by_role("heading", name=HEADING).wait_for(timeout=UI_TIMEOUT_MS)

                targets = [
                    Target("stauth (returning user)", ours_page),
                    Target("same page, no auth", same_page),
                    Target("bare heading only", bare_page),
                ]
                for target in targets:
                    target.watch_websockets()
                    target.measure_once(record=False)  # warm-up: caches, imports, first run

                print(f"Measuring {args.reloads} reloads each, interleaved ...", flush=True)
                for round_number in range(args.reloads):
                    # Rotate the order so no app always goes first or last.
                    shift = round_number % len(targets)
                    order = targets[shift:] + targets[:shift]
                    for target in order:
                        target.measure_once()
            finally:
                browser.close()

        report(targets, args.reloads)
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(targets: list[Target], reloads: int) -> None:
    ours, *baselines = targets
    print()
    print(f"Returning signed-in user, load to content ({reloads} reloads each, interleaved)")
    print(f"{'app':<26}{'median s':>10}{'p90 s':>10}{'min s':>10}   script runs per load")
    for target in targets:
        print(
            f"{target.name:<26}{statistics.median(target.seconds):>10.3f}"
            f"{p90(target.seconds):>10.3f}{min(target.seconds):>10.3f}   "
            f"{runs_summary(target.runs)}"
        )
    for baseline in baselines:
        ratio = statistics.median(ours.seconds) / statistics.median(baseline.seconds)
        verdict = "within" if ratio <= TARGET_RATIO else "NOT within"
        print(
            f"ratio of medians (stauth / {baseline.name}): {ratio:.2f}  "
            f"({verdict} {TARGET_RATIO - 1:.0%})"
        )
    print("target: the same page with no auth, within 10%; 1 script run per load")
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"machine load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    sys.exit(main())
