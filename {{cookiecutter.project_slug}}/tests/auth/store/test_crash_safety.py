"""A writer killed with SIGKILL at a random moment leaves a store that loads and holds every
change it had reported as committed (YAML and SQLite, the backends that keep local files).

The writer is this module run as a program: it loops over five kinds of change
(create a user, count a failed sign-in, add a session, hit a counter, add an
audit event) and prints the number of each change once the store has returned.
The test kills it at a random point, 20 times in a row on the same store, and
checks after each kill that a fresh store object loads and holds all of them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auth.store import AuditEvent, AuditQuery, NewUser, Session
from tests.auth.store.backends import BACKENDS, StoreSpec, new_spec

pytestmark = pytest.mark.stress

PROJECT_DIR = Path(__file__).resolve().parents[3]
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
KILLS = 20
KINDS = ("user", "failure", "session", "counter", "audit")
WINDOW = timedelta(days=3650)
ANCHOR = "anchor"


def change(store, index: int, anchor_id: int) -> None:
    """The change number `index` (its kind is index % 5)."""
    kind = KINDS[index % len(KINDS)]
    if kind == "user":
        name = f"u{index}"
        store.create_user(
            NewUser(username=name, email=f"{name}@example.com", password_hash="h", roles=()),
            now=NOW,
        )
    elif kind == "failure":
        store.record_login_failure(
            anchor_id, now=NOW, max_attempts=10**9, lockout_until=NOW + timedelta(minutes=1)
        )
    elif kind == "session":
        store.add_session(
            Session(f"s{index}", anchor_id, "password", NOW, NOW, NOW + timedelta(days=1))
        )
    elif kind == "counter":
        store.hit_counter("crash", now=NOW, window=WINDOW)
    else:
        event = AuditEvent(at=NOW, event="crash_test", outcome="success", detail=str(index))
        store.add_audit(event)


def writer(backend: str, location: str, start: int) -> None:  # pragma: no cover - a child
    store = StoreSpec(backend, location).open()
    anchor_id = store.find_user(ANCHOR).id
    index = start
    while True:
        change(store, index, anchor_id)
        os.write(1, f"{index}\n".encode())  # unbuffered: reported only after it returned
        index += 1


def run_until_killed(spec: StoreSpec, start: int, rng: random.Random) -> list[int]:
    """Start a writer, kill it at a random moment after its first change; what it reported."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.auth.store.test_crash_safety", spec.backend, spec.location]
        + [str(start)],
        cwd=PROJECT_DIR,
        bufsize=0,  # unbuffered: readline() must not swallow lines that communicate() then misses
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first = child.stdout.readline()  # it is writing now
        assert first, child.stderr.read().decode()
        time.sleep(rng.uniform(0.0, 0.3))
    finally:
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    output = first + rest
    complete = output[: output.rfind(b"\n") + 1] if b"\n" in output else b""
    return [int(line) for line in complete.split()]


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b in ("sqlite", "yaml")])
def test_a_killed_writer_never_loses_a_committed_change(tmp_path, backend):
    spec = new_spec(backend, tmp_path)
    store = spec.open()
    store.create_schema()
    anchor = store.create_user(
        NewUser(username=ANCHOR, email="anchor@example.com", password_hash="h", roles=()), now=NOW
    )
    rng = random.Random(os.environ.get("CRASH_SEED", "stauth"))
    reported: list[int] = []
    start = 0
    for kill in range(1, KILLS + 1):
        done = run_until_killed(spec, start, rng)
        assert done and done[0] == start
        reported += done
        # The change after the last reported one may or may not have been committed.
        start = done[-1] + 2

        fresh = spec.open()
        fresh.create_schema()  # loads every file, or raises
        by_kind = {kind: [i for i in reported if KINDS[i % len(KINDS)] == kind] for kind in KINDS}
        for index in by_kind["user"]:
            assert fresh.find_user(f"u{index}") is not None, (kill, index)
        for index in by_kind["session"]:
            assert fresh.get_session(f"s{index}") is not None, (kill, index)
        failures = fresh.get_user(anchor.id).failed_logins
        assert len(by_kind["failure"]) <= failures <= len(by_kind["failure"]) + kill
        logged = {e.detail for e in fresh.list_audit(AuditQuery(event="crash_test"), limit=10**6)}
        assert {str(i) for i in by_kind["audit"]} <= logged
    hits = spec.open().hit_counter("crash", now=NOW, window=WINDOW) - 1
    assert len(by_kind["counter"]) <= hits <= len(by_kind["counter"]) + KILLS
    assert len(reported) >= KILLS  # each writer got at least one change through


if __name__ == "__main__":  # pragma: no cover - the writer process
    writer(sys.argv[1], sys.argv[2], int(sys.argv[3]))
