"""No lost updates: 8 processes x 50 read-modify-write operations on every backend present.

Workers are separate processes (the `spawn` start method, as on macOS and Windows)
that each open their own store on the same location and start together at a barrier.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from auth.store import DuplicateUser, NewUser
from tests.auth.store.backends import StoreSpec

pytestmark = pytest.mark.stress

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WORKERS = 8
ROUNDS = 50
TIMEOUT = 180  # seconds for all workers together; 2 shared CPUs are slow


def _work(spec: StoreSpec, job: str, worker: int, barrier, results) -> None:
    store = spec.open()
    user = store.find_user("target")
    barrier.wait(TIMEOUT)
    out: list[object] = []
    for round_ in range(ROUNDS):
        if job == "hit_counter":
            out.append(store.hit_counter("reset:alice", now=NOW, window=timedelta(hours=1)))
        elif job == "login_failures":
            store.record_login_failure(
                user.id, now=NOW, max_attempts=10**9, lockout_until=NOW + timedelta(minutes=1)
            )
        elif job == "create_users":
            name = f"user{worker}x{round_}"
            store.create_user(
                NewUser(username=name, email=f"{name}@example.com", password_hash="x", roles=()),
                now=NOW,
            )
        elif job == "register_same_name":
            try:
                store.create_user(
                    NewUser(username="Same", email="same@example.com", password_hash="x", roles=()),
                    now=NOW,
                )
                out.append("created")
            except DuplicateUser:
                out.append("duplicate")
            break
    results.put((worker, out))


def _run(spec: StoreSpec, job: str, workers: int = WORKERS) -> list:
    """Run `job` in `workers` processes at once; every worker's results, all workers exited 0."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    processes = [
        ctx.Process(target=_work, args=(spec, job, n, barrier, results)) for n in range(workers)
    ]
    for process in processes:
        process.start()
    outputs = []
    try:
        for _ in processes:
            outputs.extend(results.get(timeout=TIMEOUT)[1])
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0] * workers
    return outputs


@pytest.fixture
def target(store):
    return store.create_user(
        NewUser(username="target", email="target@example.com", password_hash="x", roles=()), now=NOW
    )


def test_concurrent_hit_counter_returns_each_count_once(store_spec, store, target):
    counts = _run(store_spec, "hit_counter")
    assert sorted(counts) == list(range(1, WORKERS * ROUNDS + 1))
    assert store.hit_counter("reset:alice", now=NOW, window=timedelta(hours=1)) == 401


def test_concurrent_login_failures_are_all_counted(store_spec, store, target):
    _run(store_spec, "login_failures")
    assert store.get_user(target.id).failed_logins == WORKERS * ROUNDS


def test_concurrent_user_creations_are_all_kept(store_spec, store, target):
    _run(store_spec, "create_users")
    assert store.count_users() == WORKERS * ROUNDS + 1  # and the target
    assert store.find_user("user7x49@example.com") is not None


def test_two_concurrent_registrations_of_one_name_create_one_user(store_spec, store, target):
    outcomes = _run(store_spec, "register_same_name", workers=2)
    assert sorted(outcomes) == ["created", "duplicate"]
    assert store.count_users() == 2
    assert store.find_user("SAME").email == "same@example.com"
