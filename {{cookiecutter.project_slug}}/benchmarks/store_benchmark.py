"""How fast is the user store with many users? Median and p95 per operation.

    python benchmarks/store_benchmark.py --users 100000    (--help: the options)

The store is filled in bulk, not by N create_user calls; then each operation
the app performs is timed through the store interface: find_user (sign-in),
verify_session (every script run, with a real session), create_user, and one
page of 50 users sorted by username and by name (admin console; first page and
a page in the middle). The store is temporary: removed at the end.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from auth.config import Settings  # noqa: E402
from auth.domain import passwords  # noqa: E402
from auth.domain.services import Services  # noqa: E402
from auth.domain.sessions import issue_ticket, start_session, verify_session  # noqa: E402
from auth.store import NewUser, Store, UserQuery  # noqa: E402

TARGET_MS = 5.0
CHUNK = 5_000
FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ber", "dan", "gor", "hel", "wen"]
NOW = datetime.now(UTC)


def _last_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).title()


def _rows(count: int, password_hash: str) -> Iterator[dict]:
    rng = random.Random(1)  # noqa: S311 - the same people on every run and backend
    for i in range(count):
        username = f"user{i:06d}"
        email = f"{username}@example.com"
        yield {
            "username": username,
            "username_key": username,
            "email": email,
            "email_key": email,
            "first_name": rng.choice(FIRST),
            "last_name": _last_name(rng),
            "password_hash": password_hash,
            "disabled": False,
            "must_change_password": False,
            "failed_logins": 0,
            "created_at": NOW,
            "email_verified": True,
            "auth_source": "local",
        }


def _chunks(rows: Iterator[dict]) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# [option: storage=sqlite,postgres]
def bulk_load_sql(store, count: int, password_hash: str) -> None:
    """Insert users and their role straight into the tables, in chunks."""
    from sqlalchemy import insert, select

    from auth.store.sql import user_roles, users

    with store.engine.connect().execution_options(write=True) as conn, conn.begin():
        for chunk in _chunks(_rows(count, password_hash)):
            conn.execute(insert(users), chunk)
        ids = conn.execute(select(users.c.id)).scalars().all()
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            conn.execute(insert(user_roles), [{"user_id": i, "role": "viewer"} for i in part])
    # [option: storage=postgres]
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")  # as autovacuum would soon after a real import
    # [end option: storage=postgres]


# [end option: storage=sqlite,postgres]
# [option: storage=yaml]
def bulk_load_yaml(path: Path, count: int, password_hash: str) -> None:
    """Write a streamlit-authenticator config.yaml with `count` users at once."""
    import yaml

    usernames = {}
    for row in _rows(count, password_hash):
        usernames[row["username"]] = {
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "password": row["password_hash"],
            "roles": ["viewer"],
            "failed_login_attempts": 0,
            "logged_in": False,
        }
    config = {
        "credentials": {"usernames": usernames},
        "cookie": {"expiry_days": 7, "key": "unused", "name": "unused"},
        "pre-authorized": {"emails": []},
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(config, Dumper=dumper, sort_keys=False), encoding="utf-8")


# [end option: storage=yaml]
@contextmanager
def open_backend(args: argparse.Namespace) -> Iterator[Store]:
    """A store of `args.backend` holding `args.users` users, removed afterwards."""
    backend, count = args.backend, args.users
    password_hash = passwords.hash_password("benchmark password", "p" * 48, rounds=4)
    with tempfile.TemporaryDirectory() as folder:
        # [option: storage=sqlite,postgres]
        if backend == "sqlite":
            from auth.store.sql import SQLStore, sqlite_engine

            store = SQLStore(sqlite_engine(Path(folder) / "users.db"))
            store.create_schema()
            bulk_load_sql(store, count, password_hash)
            yield store
            store.engine.dispose()
        # [end option: storage=sqlite,postgres]
        # [option: storage=yaml]
        if backend == "yaml":
            from auth.store.yaml_store import YAMLStore

            path = Path(folder) / "config.yaml"
            bulk_load_yaml(path, count, password_hash)
            in_yaml = YAMLStore(path)
            in_yaml.create_schema()
            yield in_yaml
        # [end option: storage=yaml]
        # [option: storage=postgres]
        if backend == "postgres":
            with _postgres_database(args.postgres_url) as url:
                from auth.store.postgres import postgres_store

                store = postgres_store(url)
                store.create_schema()
                bulk_load_sql(store, count, password_hash)
                yield store
                store.engine.dispose()
        # [end option: storage=postgres]


# [option: storage=postgres]
@contextmanager
def _postgres_database(server_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# [end option: storage=postgres]
def timed(operation: Callable[[int], object], samples: int) -> list[float]:
    """Milliseconds of `operation(i)` for i in range(samples), after a few warm-up calls."""
    for i in range(min(5, samples)):
        operation(i)
    times = []
    for i in range(samples):
        start = time.perf_counter()
        operation(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def run(args: argparse.Namespace) -> list[tuple[str, float, float]]:
    backend, count, samples = args.backend, args.users, args.samples
    rng = random.Random(2)  # noqa: S311 - reproducible samples, not secrets
    results = []
    started = time.perf_counter()
    with open_backend(args) as store:
        print(f"{backend}: {count} users loaded in {time.perf_counter() - started:.1f} s")
        settings = Settings(cookie_secret="c" * 48, pepper="p" * 48, bcrypt_rounds=4)
        services = Services(settings=settings, store=store, clock=lambda: NOW)
        names = [f"user{rng.randrange(count):06d}" for _ in range(samples + 5)]
        logins = [n if i % 2 else f"{n}@EXAMPLE.com" for i, n in enumerate(names)]

        def find(i: int) -> None:
            if store.find_user(logins[i]) is None:
                raise RuntimeError(f"{logins[i]} not found")

        tokens = []
        for name in names[: samples + 5]:
            user = store.find_user(name)
            ticket = issue_ticket(services, user, origin="http://localhost") if user else None
            signed_in = start_session(services, ticket) if ticket else None
            if signed_in is None:
                raise RuntimeError(f"{name} could not sign in")
            tokens.append(signed_in[0])

        def verify(i: int) -> None:
            if verify_session(services, tokens[i]) is None:
                raise RuntimeError("a fresh session did not verify")

        def create(i: int) -> None:
            name = f"new{i:06d}{secrets.token_hex(2)}"
            store.create_user(
                NewUser(
                    username=name,
                    email=f"{name}@example.com",
                    password_hash="x",  # noqa: S106 - never used to sign in
                    roles=("viewer",),
                    first_name="New",
                    last_name="Person",
                ),
                now=NOW,
            )

        def page(sort: str, offset: int) -> Callable[[int], object]:
            query = UserQuery(sort=sort)
            return lambda i: store.list_users(query, offset=offset, limit=50)

        middle = count // 2
        operations = [
            ("find_user (sign-in)", find),
            ("verify_session (every run)", verify),
            ("create_user", create),
            ("list 50 by username, page 1", page("username", 0)),
            ("list 50 by name, page 1", page("name", 0)),
            (f"list 50 by username, offset {middle}", page("username", middle)),
            (f"list 50 by name, offset {middle}", page("name", middle)),
        ]
        for label, operation in operations:
            times = timed(operation, samples)
            p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
            results.append((label, statistics.median(times), p95))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    backends = [
        "sqlite",  # [option: storage=sqlite,postgres]
        "postgres",  # [option: storage=postgres]
        "yaml",  # [option: storage=yaml]
    ]
    parser.add_argument("--backend", choices=backends, default=backends[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200, help="timed calls per operation")
    # [option: storage=postgres]
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a server whose user may create databases (a temporary one is made and dropped)",
    )
    # [end option: storage=postgres]
    args = parser.parse_args(argv)
    results = run(args)
    print(f"\n{'operation':40} {'median ms':>10} {'p95 ms':>10}")
    for label, median, p95 in results:
        flag = "" if median < TARGET_MS or args.backend == "yaml" else f"  (over {TARGET_MS} ms)"
        print(f"{label:40} {median:10.2f} {p95:10.2f}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
