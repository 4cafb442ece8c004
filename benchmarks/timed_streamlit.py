"""`streamlit run`, with the duration of every script run written to a file.

    python benchmarks/timed_streamlit.py TIMINGS.jsonl [--profile OUT.pstats] run app.py [options]

Used by returning_user.py to time the apps it serves without adding code to them.
It patches Streamlit's script runner (streamlit/runtime/scriptrunner/script_runner.py)
in this process, then hands over to Streamlit's own command line. One JSON line per
script run, written when the run has finished; every duration is in milliseconds on
the server's clock (time.perf_counter), `started` is the wall clock (time.time):

  started     when the run began (ScriptRunner._run_script, or the end of the previous
              run when Streamlit reruns in the same call)
  total       the whole run: from `started` to the end of Streamlit's clean-up after it
  prep        Streamlit's preparation before the script's first line
  exec        the script itself (main.py, or the one-file app), widget callbacks included
  page        inside st.Page.run(): the page's own file (0 when there is none)
  to_content  from `started` to the end of the page (to the end of the script without one):
              the page's content has been handed to the browser queue by then
  finish      Streamlit's clean-up after the script: session-state upkeep, events,
              media files and the garbage collection (runner.postScriptGC)
  gc          the gc.collect(2) part of `finish`

With --profile, every script run that starts while the file OUT.pstats.measuring exists
is also profiled (cProfile, script thread only; returning_user.py creates that file for
its measured rounds) and the statistics of all of them are written to OUT.pstats after
each run. Profiling slows
every Python call down: do not compare timings taken with it.
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


def _now() -> float:
    return time.perf_counter()


def _add(name: str, value: float) -> None:
    run = getattr(_local, "run", None)
    if run is not None:
        run[name] = run.get(name, 0.0) + value


def install(timings_path: str, profile_path: str | None = None) -> None:
    """Patch the script runner of this process so every run is timed (and maybe profiled)."""
    from streamlit.navigation.page import Page
    from streamlit.runtime.scriptrunner import script_runner

    out = open(timings_path, "a", encoding="utf-8", buffering=1)  # open for the life of the process
    atexit.register(out.close)
    profiled: list = []  # [pstats.Stats of every run so far]

    def begin_run(start_wall: float, start: float) -> None:
        _local.run = {"started": start_wall, "_t0": start}
        if profile_path and os.path.exists(profile_path + ".measuring"):
            import cProfile

            _local.profiler = cProfile.Profile()
            _local.profiler.enable()

    def end_run() -> None:
        run = _local.run
        end = _now()
        profiler = getattr(_local, "profiler", None)
        if profiler is not None:
            profiler.disable()
            _local.profiler = None
            save_profile(profiler)
        record = {
            "started": run["started"],
            "total": (end - run["_t0"]) * 1000,
            "prep": (run.get("_exec_start", end) - run["_t0"]) * 1000,
            "exec": run.get("exec", 0.0) * 1000,
            "page": run.get("page", 0.0) * 1000,
            "to_content": (run.get("_content", run.get("_exec_end", end)) - run["_t0"]) * 1000,
            "finish": run.get("finish", 0.0) * 1000,
            "gc": run.get("gc", 0.0) * 1000,
        }
        with _write_lock:
            out.write(json.dumps(record) + "\n")
        # The next run of the same call (a rerun) starts now.
        begin_run(time.time(), _now())

    def save_profile(profiler) -> None:
        # Written after every run: the server is stopped by a signal, without atexit.
        import pstats

        with _write_lock:
            if profiled:
                profiled[0].add(profiler)
            else:
                profiled.append(pstats.Stats(profiler))
            profiled[0].dump_stats(profile_path)

    original_run_script = script_runner.ScriptRunner._run_script

    def _run_script(self, rerun_data):
        begin_run(time.time(), _now())
        try:
            return original_run_script(self, rerun_data)
        finally:
            profiler = getattr(_local, "profiler", None)
            if profiler is not None:  # the run that end_run opened for a rerun that never came
                profiler.disable()
            _local.run = None
            _local.profiler = None

    original_exec = script_runner.exec_func_with_error_handling

    def exec_func_with_error_handling(func, ctx):
        run = getattr(_local, "run", None)
        started = _now()
        if run is not None:
            run["_exec_start"] = started
        try:
            return original_exec(func, ctx)
        finally:
            ended = _now()
            _add("exec", ended - started)
            if run is not None:
                run["_exec_end"] = ended

    original_finished = script_runner.ScriptRunner._on_script_finished

    def _on_script_finished(self, *args, **kwargs):
        started = _now()
        try:
            return original_finished(self, *args, **kwargs)
        finally:
            _add("finish", _now() - started)
            if getattr(_local, "run", None) is not None:
                end_run()

    original_page_run = Page.run

    def page_run(self):
        started = _now()
        try:
            return original_page_run(self)
        finally:
            ended = _now()
            _add("page", ended - started)
            run = getattr(_local, "run", None)
            if run is not None:
                run["_content"] = ended

    real_gc = script_runner.gc

    def collect(*args, **kwargs):
        started = _now()
        try:
            return real_gc.collect(*args, **kwargs)
        finally:
            _add("gc", _now() - started)

    script_runner.gc = types.SimpleNamespace(collect=collect)
    script_runner.exec_func_with_error_handling = exec_func_with_error_handling
    script_runner.ScriptRunner._run_script = _run_script
    script_runner.ScriptRunner._on_script_finished = _on_script_finished
    Page.run = page_run


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
