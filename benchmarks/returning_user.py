"""What sign-in costs a returning user: the default bake against the same app without auth.

Bakes the default template, signs the bootstrap admin in once (one-time password, then
a chosen password) and serves, side by side:

  stauth         the default bake, reloaded by that returning, signed-in admin
  same app       the bake's main.py, navigation and sidebar menu for an admin, with no
                 auth (no session check, no store), same Home page content
  one-line page  st.title("Welcome, admin") and nothing else

Then it reloads each page many times in headless Chromium, in rounds that cycle through
every order of the three, discards the warm-up rounds and reports, per app,

  browser  from the start of the reload until the heading "Welcome, admin" is painted,
           on the page's own clock (Element Timing); also until it is in the page, and
           until Playwright sees it
  server   every script run, timed inside each server (benchmarks/timed_streamlit.py),
           elapsed and CPU: total, time to the end of the page, where the time goes;
           and the server process's CPU time per reload

with the ratios of the bake to each baseline (trimmed means over the rounds) and a
paired bootstrap 95 % interval for each ratio.

Run from the repository root:  python benchmarks/returning_user.py [--reloads N] [--keep]
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
TIMED_STREAMLIT = Path(__file__).resolve().parent / "timed_streamlit.py"
TARGET_RATIO = 1.05  # against the same app without auth
TRIM = 0.1  # trimmed means drop this share of the samples at each end
BOOTSTRAP_RESAMPLES = 4000
SETTLE_MS = 800  # after the heading: the menu's iframe, any extra run, the server's clean-up

# Records, on the page's own clock (performance.now() counts from the start of the
# navigation, i.e. the reload), when the heading is first in the page ("dom") and when
# it is first painted ("paint", Element Timing: the attribute is set on the heading as
# it is inserted, before the browser paints it).
CONTENT_MARK_JS = """
(() => {
  const wanted = __WANTED__;
  const marks = (window.__benchContent = {});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.identifier === "bench-content" && marks.paint === undefined) {
        marks.paint = entry.renderTime || entry.loadTime;
      }
    }
  }).observe({type: "element", buffered: true});
  const observer = new MutationObserver(() => {
    for (const h of document.getElementsByTagName("h1")) {
      if (!h.textContent.includes(wanted)) continue;
      marks.dom = performance.now();
      for (const node of [h, ...h.querySelectorAll("*")]) {
        node.setAttribute("elementtiming", "bench-content");
      }
      observer.disconnect();
      return;
    }
  });
  observer.observe(document, {childList: true, subtree: true, characterData: true});
})();
""".replace("__WANTED__", json.dumps(HEADING))

ONE_LINE_SCRIPT = f"""import streamlit as st

st.title({HEADING!r})
"""
# The bake's main.py and menu.py as they run for a signed-in admin, minus every call
# into auth/: the pages an admin gets from navigation.visible_pages() (read from the
# bake), the same st.navigation, the same Home page content, the same option menu,
# caption and sign-out button, the same gc.freeze() after the start, and the bake's
# .streamlit/config.toml. The ratio against it is the cost of auth alone.
SAME_APP_SCRIPT = '''"""The bake's main.py and sidebar menu for a signed-in admin, without auth."""

import streamlit as st
from streamlit_option_menu import option_menu

{freeze}
APP_NAME = {app_name!r}
# (path, title, icon, url_path, in_menu), as the bake's navigation.py lists them for an admin
PAGES = {pages!r}
_MENU_KEY = "auth.menu"
_TARGET_KEY = "_menu_target"


def _remember_choice(key):
    st.session_state[_TARGET_KEY] = st.session_state[key]


st.set_page_config(page_title=APP_NAME)
st_pages = {{
    path: st.Page(path, title=title, url_path=url_path, default=index == 0)
    for index, (path, title, _icon, url_path, _in_menu) in enumerate(PAGES)
}}
current = st.navigation(list(st_pages.values()), position="hidden")


def _current_index(pages):
    return next((i for i, p in enumerate(pages) if st_pages[p[0]] is current), 0)


target = st.session_state.pop(_TARGET_KEY, None)
titles = [p[1] for p in PAGES]
if target in titles and titles.index(target) != _current_index(PAGES):
    st.switch_page(st_pages[PAGES[titles.index(target)][0]])
current.run()
menu = [p for p in PAGES if p[4]]
with st.sidebar:
    option_menu(
        APP_NAME,
        [p[1] for p in menu],
        icons=[p[2] for p in menu],
        menu_icon="shield-lock",
        default_index=_current_index(menu),
        key=_MENU_KEY,
        on_change=_remember_choice,
    )
    st.caption("Signed in as **admin**")
    st.button("Sign out", key="auth.sign_out", icon=":material/logout:", width="stretch")
'''
# app_pages/home.py of the bake, without require_role(): what the admin sees.
SAME_HOME_PAGE = f"""import streamlit as st

st.title({HEADING!r})
st.write("You are signed in. This page is yours to replace with the app itself.")
st.caption("Your roles: admin")
"""
# Where the bake calls gc.freeze() once it has started (auth/web/services.py), the same
# app does it at its first run, so that the ratio is the cost of auth, not of that setting.
SAME_APP_FREEZE = """import same_app_start  # noqa: F401 - gc.freeze() once, as the bake does
"""
SAME_APP_START = """import gc

gc.collect()
gc.freeze()
"""
# Run in the baked project: the admin's pages and the app's name, as JSON.
READ_NAVIGATION = """
import json, tomllib, types
import navigation
user = types.SimpleNamespace(must_change_password=False)
admin = types.SimpleNamespace(user=user, roles=("admin",))
pages = [(p.path, p.title, p.icon, p.url_path, p.in_menu) for p in navigation.visible_pages(admin)]
with open("settings.toml", "rb") as f:
    name = tomllib.load(f).get("app", {}).get("name", "Streamlit app")
print(json.dumps({"pages": pages, "app_name": name}))
"""


# --- statistics ---------------------------------------------------------------------


def trimmed_mean(values: list[float], trim: float = TRIM) -> float:
    ordered = sorted(values)
    cut = int(len(ordered) * trim)
    kept = ordered[cut : len(ordered) - cut] or ordered
    return sum(kept) / len(kept)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.95: the 95th)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ratio_interval(ours: list[float], base: list[float], seed: int = 1) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of trimmed_mean(ours) / trimmed_mean(base).

    The two lists are paired by round (same index, measured one after the other), so
    rounds are resampled as pairs: a slow stretch of the machine stays in both.
    """
    rng = random.Random(seed)  # noqa: S311 - resampling, not secrets
    n = len(ours)
    ratios = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        picks = [rng.randrange(n) for _ in range(n)]
        resampled = trimmed_mean([ours[i] for i in picks]) / trimmed_mean([base[i] for i in picks])
        ratios.append(resampled)
    ratios.sort()
    return ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def verdict(low: float, high: float, target: float = TARGET_RATIO) -> str:
    if high <= target:
        return f"meets the {target:.2f}x target"
    if low > target:
        return f"misses the {target:.2f}x target"
    return f"cannot tell against {target:.2f}x at this noise: rerun with more reloads"


# --- the apps -----------------------------------------------------------------------


@dataclass
class Sample:
    paint_ms: float  # navigation start -> heading painted, on the page's clock
    dom_ms: float  # navigation start -> heading in the DOM
    wall_ms: float  # page.reload() -> Playwright sees the heading visible
    window: tuple[float, float]  # wall clock, from the reload to the end of the settle
    cpu_ms: float  # the server process's CPU time (all threads) in that window
    runs: list[dict] = field(default_factory=list)  # the server's script runs in the window

    @property
    def server_ms(self) -> float:
        return sum(run["total"] for run in self.runs)


@dataclass
class App:
    name: str
    server: StreamlitServer
    timings: Path
    page: object = None
    samples: dict[int, Sample] = field(default_factory=dict)  # by round
    before_reload: Callable[[], None] | None = None

    def measure(self, round_number: int) -> None:
        heading = self.page.get_by_role("heading", name=HEADING)
        if self.before_reload is not None:
            self.before_reload()
        cpu_before = process_cpu_ms(self.server)
        window_start = time.time()
        started = time.perf_counter()
        self.page.reload(wait_until="commit")
        heading.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
        wall_ms = (time.perf_counter() - started) * 1000
        self.page.wait_for_timeout(SETTLE_MS)
        marks = self.page.evaluate("window.__benchContent")
        if not marks or "paint" not in marks:
            raise RuntimeError(f"{self.name}: the page recorded no paint of its heading: {marks}")
        window = (window_start, time.time())
        cpu_ms = process_cpu_ms(self.server) - cpu_before
        self.samples[round_number] = Sample(marks["paint"], marks["dom"], wall_ms, window, cpu_ms)

    def collect_server_runs(self) -> None:
        """Give each sample the script runs that started during its reload."""
        runs = [json.loads(line) for line in self.timings.read_text().splitlines() if line]
        for sample in self.samples.values():
            low, high = sample.window
            sample.runs = [run for run in runs if low <= run["started"] <= high]


def process_cpu_ms(server: StreamlitServer) -> float:
    """CPU time (user + system, every thread) the server process has used so far, in ms.

    From /proc (Linux), in clock ticks (usually 10 ms): a mean over many reloads is
    precise, a single reload is not. NaN where /proc is missing.
    """
    try:
        with open(f"/proc/{server.process.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, AttributeError):
        return math.nan
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def timed_server(
    cwd: Path,
    script: str,
    timings: Path,
    options: list[str],
    profile: Path | None = None,
) -> StreamlitServer:
    launcher = [str(TIMED_STREAMLIT), str(timings)]
    if profile is not None:
        launcher += ["--profile", str(profile)]
    return StreamlitServer(cwd, script=script, launcher=launcher, extra_args=options)


def write_baselines(baked_dir: Path, folder: Path) -> bool:
    """The same app without auth and the one-line page, in `folder`, with the bake's config.

    Returns whether the bake calls gc.freeze() (and so does the same app).
    """
    found = subprocess.run(  # noqa: S603 - this interpreter, our own snippet
        [sys.executable, "-c", READ_NAVIGATION],
        cwd=baked_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    navigation = json.loads(found.stdout)
    (folder / ".streamlit").mkdir(parents=True)
    shutil.copy(baked_dir / ".streamlit" / "config.toml", folder / ".streamlit")
    (folder / "one_line.py").write_text(ONE_LINE_SCRIPT, encoding="utf-8")
    pages = [tuple(p) for p in navigation["pages"]]
    sources = (p for p in baked_dir.rglob("*.py") if "tests" not in p.relative_to(baked_dir).parts)
    freezes = any("gc.freeze()" in p.read_text(encoding="utf-8") for p in sources)
    script = SAME_APP_SCRIPT.format(
        app_name=navigation["app_name"], pages=pages, freeze=SAME_APP_FREEZE if freezes else ""
    )
    (folder / "same_app_start.py").write_text(SAME_APP_START, encoding="utf-8")
    (folder / "same_app.py").write_text(script, encoding="utf-8")
    for path, *_ in pages:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("import streamlit as st\n", encoding="utf-8")
    if not any(p[0] == "app_pages/home.py" for p in pages) or pages[0][0] != "app_pages/home.py":
        raise RuntimeError(f"expected the admin's first page to be app_pages/home.py: {pages}")
    (folder / "app_pages" / "home.py").write_text(SAME_HOME_PAGE, encoding="utf-8")
    return freezes


def away_since_yesterday(database: Path) -> Callable[[], None]:
    """Make the bake's live sessions look last used at the end of the previous UTC day.

    Within the 24-hour idle timeout, but on another day: the next script run's session
    check writes last_seen_at and records the day's first activity, as it does for
    someone who signed in yesterday. Writes the SQLite file directly, in the format
    SQLAlchemy gives DateTime columns there (naive UTC text).
    """
    import sqlite3

    if not database.is_file():
        raise RuntimeError(f"--yesterday needs the default SQLite store, not found at {database}")

    def age() -> None:
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        yesterday = (today - timedelta(microseconds=1)).replace(tzinfo=None)
        with sqlite3.connect(database, timeout=10) as connection:
            changed = connection.execute(
                "UPDATE sessions SET last_seen_at = ? WHERE revoked_at IS NULL",
                (yesterday.isoformat(sep=" "),),
            ).rowcount
        connection.close()
        if changed < 1:
            raise RuntimeError("--yesterday: no live session in the bake's store")

    return age


def measuring(profile: Path) -> Path:
    """The file that tells timed_streamlit.py to profile (see there)."""
    return profile.with_name(profile.name + ".measuring")


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


# --- main ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reloads", type=int, default=60, help="measured reloads per app (>= 12)")
    parser.add_argument("--warmup", type=int, default=3, help="rounds measured, then discarded")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="also profile the bake's script runs (cProfile) into FILE.pstats and print the "
        "top entries; the bake's timings are then inflated, its ratios meaningless",
    )
    parser.add_argument(
        "--yesterday",
        action="store_true",
        help="before each reload of the bake, make its session look last used yesterday "
        "(a first visit of the day: the session check writes); default: a user reloading",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Streamlit config option for all three servers, e.g. runner.postScriptGC=false "
        "(repeatable)",
    )
    args = parser.parse_args(argv)
    if args.reloads < 12:
        parser.error("--reloads must be at least 12")
    options: list[str] = []
    for option in args.option:
        name, sep, value = option.partition("=")
        if not sep or not name:
            parser.error(f"--option takes NAME=VALUE, not {option!r}")
        options += [f"--{name}", value]
    missing = missing_browser_tools()
    if missing is not None:
        print(f"This benchmark {missing}.", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="stauth-bench-"))
    apps: list[App] = []
    profile = Path(args.profile).resolve() if args.profile else None
    if profile is not None:
        measuring(profile).unlink(missing_ok=True)
        profile.unlink(missing_ok=True)
    try:
        print(f"Baking the default template into {workdir} ...", flush=True)
        baked = bake_default(workdir / "baked")
        baselines = workdir / "baselines"
        freezes = write_baselines(baked.project_dir, baselines)
        apps = [
            App(
                "stauth (default bake)",
                timed_server(
                    baked.project_dir, "streamlit_app.py", workdir / "ours.jsonl", options, profile
                ),
                workdir / "ours.jsonl",
            ),
            App(
                "same app, no auth",
                timed_server(baselines, "same_app.py", workdir / "same.jsonl", options),
                workdir / "same.jsonl",
            ),
            App(
                "one-line page",
                timed_server(baselines, "one_line.py", workdir / "one_line.jsonl", options),
                workdir / "one_line.jsonl",
            ),
        ]
        for app in apps:
            app.server.start()

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                for app in apps:
                    context = browser.new_context()
                    context.set_default_timeout(UI_TIMEOUT_MS)
                    context.add_init_script(CONTENT_MARK_JS)
                    app.page = context.new_page()

                print("Signing in once as the bootstrap admin ...", flush=True)
                ours = apps[0]
                sign_in(ours.page, ours.server.url, "admin", baked.one_time_password)
                set_first_password(ours.page, NEW_PASSWORD)
                home_heading(ours.page).wait_for(state="visible", timeout=UI_TIMEOUT_MS)
                if args.yesterday:
                    ours.before_reload = away_since_yesterday(
                        baked.project_dir / "data" / "users.db"
                    )
                for app in apps:  # every app reloads its root URL, where Home is the default
                    app.page.goto(app.server.url)
                    app.page.get_by_role("heading", name=HEADING).wait_for(timeout=UI_TIMEOUT_MS)

                orders = list(itertools.permutations(apps))
                rounds = args.warmup + args.reloads
                load_before = load_average()
                print(
                    f"Measuring {args.reloads} reloads per app after {args.warmup} warm-up "
                    f"rounds, order cycling through all {len(orders)} permutations ...",
                    flush=True,
                )
                for round_number in range(rounds):
                    if profile is not None and round_number == args.warmup:
                        measuring(profile).touch()  # from now on the bake's runs are profiled
                    for app in orders[round_number % len(orders)]:
                        app.measure(round_number)
                load_after = load_average()
            finally:
                browser.close()
    finally:
        for app in apps:
            app.server.stop()
        if profile is not None:
            measuring(profile).unlink(missing_ok=True)

    try:
        for app in apps:
            for round_number in range(args.warmup):
                app.samples.pop(round_number, None)
            app.collect_server_runs()
        if args.yesterday:
            print("\n--yesterday: every reload of the bake is its session's first of the day")
        report(apps, args.reloads, args.warmup, load_before, load_after, freezes)
        if profile is not None:
            print_profile(profile, apps[0])
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


# --- the report ---------------------------------------------------------------------


def report(
    apps: list[App], reloads: int, warmup: int, load_before: str, load_after: str, freezes: bool
) -> None:
    rounds = sorted(apps[0].samples)
    print()
    print(
        f"Returning signed-in admin, reload to content: {reloads} reloads per app "
        f"({warmup} warm-up rounds discarded), order rotated every round"
    )
    print(
        f"machine load average (1, 5, 15 min): {load_before} before, {load_after} after, "
        f"on {os.cpu_count()} CPUs"
    )
    if options := " ".join(apps[0].server.extra_args):
        print(f"Streamlit options for all three: {options}")
    print(
        "gc.freeze() once started: "
        + (
            "in the bake, and so in the same app"
            if freezes
            else "neither the bake nor the same app"
        )
    )
    print()
    print("Browser, ms from the start of the reload: paint = the heading painted (median,")
    print("trimmed mean, p90); dom = in the page; wall = seen by Playwright (medians).")
    print("Server, ms: a script run's elapsed time (median, p95) and its CPU time (median);")
    print("content = elapsed from its start to the end of the page; cpu/load = the server")
    print("process's CPU time per reload, every thread (mean).")
    header = (
        f"{'app':<24}{'paint':>7}{'trim':>6}{'p90':>6}{'dom':>6}{'wall':>6}"
        f"  |{'run':>7}{'p95':>7}{'cpu':>6}{'content':>8}{'cpu/load':>9}{'runs/load':>10}"
    )
    print(header)
    print("-" * len(header))
    for app in apps:
        samples = [app.samples[r] for r in rounds]
        paint = [s.paint_ms for s in samples]
        runs = [run for s in samples for run in s.runs]
        totals = [run["total"] for run in runs] or [math.nan]
        cpu = [run["cpu"]["total"] for run in runs] or [math.nan]
        content = [run["to_content"] for run in runs] or [math.nan]
        counts = [len(s.runs) for s in samples]
        count_text = f"{statistics.mode(counts)}"
        if min(counts) != max(counts):
            count_text += f" ({min(counts)}-{max(counts)})"
        print(
            f"{app.name:<24}{statistics.median(paint):>7.0f}{trimmed_mean(paint):>6.0f}"
            f"{percentile(paint, 0.9):>6.0f}{statistics.median(s.dom_ms for s in samples):>6.0f}"
            f"{statistics.median(s.wall_ms for s in samples):>6.0f}"
            f"  |{statistics.median(totals):>7.1f}{percentile(totals, 0.95):>7.1f}"
            f"{statistics.median(cpu):>6.1f}{statistics.median(content):>8.1f}"
            f"{statistics.fmean(s.cpu_ms for s in samples):>9.0f}{count_text:>10}"
        )

    print()
    print("Where a script run's time goes on the server: median ms over the measured runs,")
    print("elapsed and CPU. prep: Streamlit before the script; before page: main.py up to")
    print("st.Page.run (session check, navigation); page: the page file; after page: the")
    print("sidebar; finish: Streamlit's clean-up, of which gc: the gc.collect(2) it runs after")
    print("every run. The one-line page counts wholly as page.")
    parts = ("prep", "before_page", "page", "after_page", "exec", "finish", "gc", "total")
    print(f"{'app':<24}{'':<8}" + "".join(f"{p.replace('_', ' '):>12}" for p in parts))
    for app in apps:
        runs = [run for r in rounds for run in app.samples[r].runs]
        for clock in ("elapsed", "cpu"):
            cells = []
            for part in parts:
                values = [(run["cpu"] if clock == "cpu" else run)[part] for run in runs]
                cells.append(f"{statistics.median(values):>12.1f}" if values else f"{'-':>12}")
            name = app.name if clock == "elapsed" else ""
            print(f"{name:<24}{clock:<8}" + "".join(cells))

    print()
    print(f"Ratios, stauth / baseline, of trimmed means ({TRIM:.0%} cut at each end) over the")
    print("rounds, [95 % paired bootstrap interval]; the ratio of medians beside it.")
    ours, same = apps[0], apps[1]
    measures = (
        ("browser, paint", lambda s: s.paint_ms),
        ("server, run elapsed", lambda s: s.server_ms),
        ("server, run CPU", lambda s: sum(run["cpu"]["total"] for run in s.runs)),
    )
    for base in apps[1:]:
        print(f"  vs {base.name}:")
        for label, value in measures:
            mine = [value(ours.samples[r]) for r in rounds]
            theirs = [value(base.samples[r]) for r in rounds]
            if not all(theirs):
                continue
            low, high = ratio_interval(mine, theirs)
            point = trimmed_mean(mine) / trimmed_mean(theirs)
            medians = statistics.median(mine) / statistics.median(theirs)
            line = f"    {label:<21}{point:5.2f}x [{low:.2f}, {high:.2f}]   median {medians:.2f}x"
            if base is same and label.startswith("browser"):
                line += f"   {verdict(low, high)}"
            print(line)
    difference = [ours.samples[r].paint_ms - same.samples[r].paint_ms for r in rounds]
    print(
        f"  auth's cost to paint (trimmed mean of the paired differences with the same app): "
        f"{trimmed_mean(difference):+.0f} ms"
    )


def print_profile(profile: Path, ours: App) -> None:
    import pstats

    if not profile.exists():
        print(f"no profile was written to {profile}")
        return
    runs = sum(len(s.runs) for s in ours.samples.values())
    print()
    print(
        f"Profile of the bake's {runs} measured script runs, written to {profile}; "
        "top 40 by cumulative time (divide by the runs for a run's share):"
    )
    pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    sys.exit(main())
