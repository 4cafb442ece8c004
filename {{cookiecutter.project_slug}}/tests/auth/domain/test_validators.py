import pytest

from auth.domain.validators import (
    email_problems,
    name_problems,
    password_problems,
    password_strength,
    role_problems,
    strength_hint,
    username_problems,
)
from auth.texts import T


@pytest.mark.parametrize("name", ["bob", "Alice.Smith", "x_y-z", "a" * 32, "007"])
def test_good_usernames(name):
    assert username_problems(name) == []


@pytest.mark.parametrize(
    "name",
    [
        "",
        "ab",
        "a" * 33,
        "_bob",
        "bob smith",
        "bob@x.io",
        "bob\n",
        "'; DROP TABLE users;--",
        "<script>",
        "bøb",
        "bob\u200b",
    ],
)
def test_bad_usernames_get_one_clear_sentence(name):
    problems = username_problems(name)
    assert len(problems) == 1 and problems[0].endswith(".")


@pytest.mark.parametrize("email", ["a@b.co", "first.last+tag@sub.example.org", "ünï@exämple.de"])
def test_good_emails(email):
    assert email_problems(email) == []


@pytest.mark.parametrize(
    "email", ["", "plain", "a@b", "a@@b.co", "a b@c.io", "a@b.co\n", "x" * 250 + "@b.co", "@b.co"]
)
def test_bad_emails(email):
    assert email_problems(email)


def test_names_are_capped_and_free_of_control_characters():
    assert name_problems("Zoë O'Brien-Smith") == []
    assert name_problems("x" * 101)
    assert name_problems("bad\x07bell")


def test_roles_must_be_configured():
    assert role_problems(["admin", "viewer"], ("admin", "viewer")) == []
    assert "Unknown role: root" in role_problems(["root"], ("admin", "viewer"))[0]


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "the quick brown fox jumps over the lazy dog; " * 2 + "pack my box with five dozen jugs",
        "éàüöçñ ßøåĳœ ŧħ",
        "🙂🐍🌍🎲🦀🍋🚲🧭🪁🎻🌵🐙",
        "Tr0ub4dor&3xx",
    ],
)
def test_long_unusual_passwords_are_accepted_without_composition_rules(password):
    assert password_problems(password) == []


def test_length_is_counted_in_code_points_with_a_documented_cap():
    assert "at least 12" in password_problems("🙂" * 11)[0]
    assert "at most 1024" in password_problems("a b" * 400)[0]
    assert password_problems("ab" * 6, min_length=16)


@pytest.mark.parametrize("password", ["password1234", "aaaaaaaaaaaaaaaa", "abababababab"])
def test_common_and_trivial_passwords_are_refused_with_a_reason(password):
    assert "too common" in password_problems(password)[0]


def test_passwords_close_to_the_username_email_or_app_name_are_refused():
    context = ("alice", "alice.liddell@example.com", "Team Portal")
    for password in ("alice-wonderland", "ALICE.LIDDELL2024", "my team portal!!"):
        assert "too close" in password_problems(password, context=context)[0]
    assert password_problems("wonderful garden path", context=context) == []


@pytest.mark.parametrize(
    "password", ["iloveyou1234", "123456789012", "Password2024!", "qwertyuiop123"]
)
def test_zxcvbn_refuses_guessable_passwords_and_says_why(password):
    problem = password_problems(password)[0]
    assert problem.startswith("This password is too common or too easy to guess.")
    assert "common" in problem.casefold() or "repeat" in problem.casefold()


def test_context_words_include_names_and_the_parts_of_the_email():
    # "zorblatt" is in no word list; zxcvbn knows it from the context.
    context: tuple[str, ...] = ("q.zorblatt@example.com",)
    assert password_problems("Zorblatt1999!", context=context) == [T.password_personal]
    assert password_problems("Zorblatt1999!") == []
    context = ("al", "al@example.com", "Quentin", "Zorblatt", "Team Portal")
    assert password_problems("quentin zorblatt", context=context) == [T.password_personal]


def test_a_long_password_that_repeats_a_short_one_is_refused():
    assert password_problems("xyz" * 42 + "ab")


def test_passwords_of_128_characters_and_up_to_the_cap_are_accepted():
    words = "harbor lantern quiet spruce meadow copper thistle rain ember fog violet "
    assert password_problems((words * 2)[:128]) == []
    assert password_problems((words * 15)[:1024]) == []


def test_strength_hint_follows_the_policy():
    assert strength_hint("") == ""
    assert strength_hint("short").startswith("Not accepted yet: Use at least 12")
    assert strength_hint("password1234").startswith("Not accepted yet: This password is too")
    assert strength_hint("plum orbit kettle 42") == "Strength: very strong."
    assert password_strength("plum orbit kettle 42").score == 4


def test_scoring_is_safe_from_many_threads_with_different_context():
    from concurrent.futures import ThreadPoolExecutor

    # Only zxcvbn (not the substring rule) ties this password to this email.
    password, context = "zorblatt2024", ("q.zorblatt@example.com",)
    assert password_problems(password, context=context) and not password_problems(password)

    def refused(n: int) -> bool:
        return bool(password_problems(password, context=context if n % 2 else ()))

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(refused, range(200))) == [bool(n % 2) for n in range(200)]
