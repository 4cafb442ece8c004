"""`streamlit run`, with the duration of every script run written to a file.

    python benchmarks/timed_streamlit.py TIMINGS.jsonl [--profile OUT.pstats] run app.py [options]

Used by returning_user.py to time the apps it serves without adding code to them.
It patches Streamlit's script runner (streamlit/runtime/scriptrunner/script_runner.py)
in this process, then hands over to Streamlit's own command line. One JSON line per
script run, written when the run has finished. Durations are in milliseconds of
elapsed time (time.perf_counter); the same parts in CPU time of the script thread
(time.thread_time: not counting the time it waited for a CPU or for the GIL) are under
"cpu". `started` is the wall clock (time.time) when the run began:

  total        the whole run: ScriptRunner._run_script (or the end of the previous run,
               for a rerun within the same call) to the end of Streamlit's clean-up
  prep         Streamlit's preparation before the script's first line
  exec         the script itself (main.py, or a one-file app), widget callbacks included
  before_page  the script up to st.Page.run() (main.py: session check, navigation)
  page         inside st.Page.run(): the page's own file; without st.Page, the whole script
  after_page   the script after the page (main.py: the sidebar)
  finish       Streamlit's clean-up after the script: session-state upkeep, events, media
               files and the garbage collection it runs after every run (runner.postScriptGC)
  gc           the gc.collect(2) part of `finish`
  to_content   from the start to the end of the page (of the script without st.Page): the
               page's content has been handed to the browser queue by then

With --profile, every script run that starts while the file OUT.pstats.measuring exists
is also profiled (cProfile, script thread only; returning_user.py creates that file for
its measured rounds) and the statistics of all of them are written to OUT.pstats after
each run. Profiling slows every Python call down: do not compare timings taken with it.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
import types

_local = threading.local()
_write_lock = threading.Lock()


def _mark(name: str) -> None:
    """Note the time on both clocks at a point of the script run under way, if any."""
    run = getattr(_local, "run", None)
    if run is not None:
        run[name] = (time.perf_counter(), time.thread_time())


def _parts(run: dict, clock: int) -> dict[str, float]:
    """The run's parts in ms on one clock (0: wall, 1: this thread's CPU time)."""

    def span(first: str, last: str) -> float:
        return (
            (run[last][clock] - run[first][clock]) * 1000 if first in run and last in run else 0.0
        )

    with_page = "page_start" in run and "page_end" in run
    return {
        "total": span("start", "end"),
        "prep": span("start", "exec_start"),
        "before_page": span("exec_start", "page_start") if with_page else 0.0,
        "page": span("page_start", "page_end") if with_page else span("exec_start", "exec_end"),
        "after_page": span("page_end", "exec_end") if with_page else 0.0,
        "exec": span("exec_start", "exec_end"),
        "finish": span("exec_end", "end"),
        "gc": span("gc_start", "gc_end"),
        "to_content": span("start", "page_end" if with_page else "exec_end"),
    }


def install(timings_path: str, profile_path: str | None = None) -> None:
    """Patch the script runner of this process so every run is timed (and maybe profiled)."""
    from streamlit.navigation.page import Page
    from streamlit.runtime.scriptrunner import script_runner

    out = open(timings_path, "a", encoding="utf-8", buffering=1)  # open for the life of the process
    atexit.register(out.close)
    profiled: list = []  # [pstats.Stats of every run so far]

    def begin_run() -> None:
        _local.run = {"started": time.time()}
        _mark("start")
        if profile_path and os.path.exists(profile_path + ".measuring"):
            import cProfile

            _local.profiler = cProfile.Profile()
            _local.profiler.enable()

    def end_run() -> None:
        _mark("end")
        run = _local.run
        profiler = getattr(_local, "profiler", None)
        if profiler is not None:
            profiler.disable()
            _local.profiler = None
            save_profile(profiler)
        record = {
            "started": run["started"],
            **_parts(run, 0),
            "cpu": _parts(run, 1),
        }
        with _write_lock:
            out.write(json.dumps(record) + "\n")
        begin_run()  # a rerun within the same call starts now

    def save_profile(profiler) -> None:
        # Written after every run: the server is stopped by a signal, without atexit.
        import pstats

        with _write_lock:
            if profiled:
                profiled[0].add(profiler)
            else:
                profiled.append(pstats.Stats(profiler))
            profiled[0].dump_stats(profile_path)

    def around(name: str, function):
        """`function`, noting `name`_start and `name`_end around every call."""

        def timed(*args, **kwargs):
            _mark(f"{name}_start")
            try:
                return function(*args, **kwargs)
            finally:
                _mark(f"{name}_end")

        return timed

    original_run_script = script_runner.ScriptRunner._run_script

    def _run_script(self, rerun_data):
        begin_run()
        try:
            return original_run_script(self, rerun_data)
        finally:
            profiler = getattr(_local, "profiler", None)
            if profiler is not None:  # opened by end_run for a rerun that never came
                profiler.disable()
            _local.run = None
            _local.profiler = None

    original_finished = script_runner.ScriptRunner._on_script_finished

    def _on_script_finished(self, *args, **kwargs):
        try:
            return original_finished(self, *args, **kwargs)
        finally:
            if getattr(_local, "run", None) is not None:
                end_run()

    real_gc = script_runner.gc
    script_runner.gc = types.SimpleNamespace(collect=around("gc", real_gc.collect))
    script_runner.exec_func_with_error_handling = around(
        "exec", script_runner.exec_func_with_error_handling
    )
    script_runner.ScriptRunner._run_script = _run_script
    script_runner.ScriptRunner._on_script_finished = _on_script_finished
    Page.run = around("page", Page.run)


def main() -> None:
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    timings_path = args.pop(0)
    profile_path = None
    if args[:1] == ["--profile"]:
        profile_path = os.path.abspath(args[1])
        args = args[2:]
    install(os.path.abspath(timings_path), profile_path)
    # Streamlit's command line, as `python -m streamlit ...` would run it.
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *args]
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
