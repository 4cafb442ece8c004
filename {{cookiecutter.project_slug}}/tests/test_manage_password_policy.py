"""manage.py applies the whole password policy (zxcvbn included), like the pages."""

from __future__ import annotations

import pytest

from tests.test_manage import alice, cli  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("iloveyou1234", "too common"),
        ("Password2024!", "too common"),
        ("Zorblatt1999!", "too close"),
    ],
)
def test_create_user_refuses_guessable_passwords(cli, password, fragment):  # noqa: F811
    before = cli.users()
    result = cli.run(
        "create-user",
        "quinn",
        "--email",
        "q.zorblatt@example.com",
        "--password-stdin",
        stdin=password,
    )
    result.assert_error(2, fragment)
    assert cli.users() == before


def test_set_password_refuses_a_common_password(cli, alice):  # noqa: F811
    old_hash = cli.stored("alice").password_hash
    result = cli.run("set-password", "alice", "--password-stdin", stdin="iloveyou1234\n")
    result.assert_error(2, "too common")
    assert cli.stored("alice").password_hash == old_hash
