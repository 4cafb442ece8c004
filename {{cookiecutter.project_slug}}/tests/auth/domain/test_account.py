"""Self-service on one's own account: names, email change by emailed link, sessions, deletion."""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from auth.domain import account, audit, tokens
from auth.domain.login import authenticate
from auth.domain.sessions import issue_ticket, start_session, verify_session
from auth.domain.users import ValidationError
from auth.store import AuditQuery, NewUser, UserChanges
from auth.texts import T
from tests.conftest import PASSWORD

NEW = "bob.new@example.com"
LINK_RE = re.compile(r"(https?://\S+/verify_email\?token=\S+)")

# Names are free text: these are stored exactly as typed (SQL is parameterized,
# pages escape markdown), so they must round-trip.
ODD_BUT_FINE_NAMES = [
    "Zoë Łukasz-Ñúñez",
    "山田 太郎",
    "O'Brien",
    "Robert'); DROP TABLE users;--",
    "<script>alert(1)</script>",
    "[click](https://evil.example)",
    "Ada 🙂",
]
BAD_NAMES = [
    ("x" * 101, "First name can have at most 100 characters."),
    ("Ann\x00", "First name contains characters that are not allowed."),
    ("Ann\nBcc: x@example.com", "First name contains characters that are not allowed."),
    ("Ann\u202eevil", "First name contains characters that are not allowed."),
    ("Ann\x1b[31m", "First name contains characters that are not allowed."),
]


def to(mail, address: str) -> list:
    """The messages the loopback server received for `address`."""
    return [m for m in mail.messages if m["To"] == address]


@pytest.fixture
def bob(make_user):
    return make_user("bob", first_name="Bob", last_name="Stone")


@pytest.fixture
def token(bob, sign_in):
    """The cookie's token of Bob's browser."""
    return sign_in(bob)


@pytest.fixture
def identity(services, token):
    return verify_session(services, token)


def events(services, event: str) -> list[tuple[str, str, str]]:
    """(outcome, target, detail) of the audit events of one kind, oldest first."""
    found = services.store.list_audit(AuditQuery(event=event))
    return [(e.outcome, e.target, e.detail) for e in reversed(found)]


def link_in(message) -> str:
    match = LINK_RE.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def secret_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


# --- name ---------------------------------------------------------------------


def test_update_name_saves_both_names_without_surrounding_spaces(services, identity, bob):
    account.update_name(services, identity, "  Robert ", " Stein")
    stored = services.store.get_user(bob.id)
    assert (stored.first_name, stored.last_name) == ("Robert", "Stein")
    assert events(services, audit.USER_UPDATED) == [("success", "bob", "name")]


def test_names_may_be_cleared(services, identity, bob):
    account.update_name(services, identity, "", "   ")
    stored = services.store.get_user(bob.id)
    assert (stored.first_name, stored.last_name) == ("", "")
    assert stored.display_name == "bob"


@pytest.mark.parametrize("name", ODD_BUT_FINE_NAMES)
def test_unusual_names_are_stored_exactly_as_typed(services, identity, bob, name):
    account.update_name(services, identity, name, name)
    stored = services.store.get_user(bob.id)
    assert (stored.first_name, stored.last_name) == (name, name)
    assert services.store.count_users() == 1


@pytest.mark.parametrize(("name", "problem"), BAD_NAMES)
def test_bad_first_name_is_refused_and_nothing_is_stored(services, identity, bob, name, problem):
    with pytest.raises(ValidationError) as caught:
        account.update_name(services, identity, name, "Fine")
    assert caught.value.problems == [problem]
    stored = services.store.get_user(bob.id)
    assert (stored.first_name, stored.last_name) == ("Bob", "Stone")
    assert events(services, audit.USER_UPDATED) == [("failure", "bob", "name refused")]


def test_both_bad_names_are_reported_together(services, identity):
    with pytest.raises(ValidationError) as caught:
        account.update_name(services, identity, "x" * 101, "a\tb")
    assert caught.value.problems == [
        "First name can have at most 100 characters.",
        "Last name contains characters that are not allowed.",
    ]


def test_markdown_literal_disarms_links_and_emphasis():
    assert account.markdown_literal("[a](http://x) *b* <i>") == r"\[a\]\(http\://x\) \*b\* \<i\>"


# --- email --------------------------------------------------------------------


def test_email_change_takes_effect_when_the_emailed_link_is_opened(services, mail, identity, bob):
    assert account.request_email_change(services, identity, NEW, PASSWORD) is True
    assert services.store.get_user(bob.id).email == "bob@example.com"  # not yet
    [confirmation] = mail.wait_for(1)
    assert confirmation["To"] == NEW
    assert confirmation["From"] == "app@example.com"
    link = link_in(confirmation)
    assert link.startswith(services.settings.base_url + "/verify_email?token=")

    updated = account.confirm_email_change(services, secret_of(link))
    assert updated.email == NEW and updated.email_verified
    assert services.store.get_user(bob.id).email == NEW
    [notice] = to(mail, "bob@example.com")
    assert NEW in notice.get_content()
    assert "token" not in notice.get_content()
    assert authenticate(services, NEW, PASSWORD).id == bob.id
    assert events(services, audit.EMAIL_CHANGE) == [
        ("success", "bob", "confirmation sent"),
        ("success", "bob", "confirmed"),
    ]


def test_confirmation_link_works_once(services, mail, identity, bob):
    account.request_email_change(services, identity, NEW, PASSWORD)
    secret = secret_of(link_in(mail.wait_for(1)[0]))
    assert account.confirm_email_change(services, secret) is not None
    services.store.update_user(bob.id, UserChanges(email="bob@example.com"), keep_an_admin=False)
    assert account.confirm_email_change(services, secret) is None
    assert services.store.get_user(bob.id).email == "bob@example.com"


def test_confirmation_link_fails_after_it_expires(services, mail, identity, bob, clock):
    account.request_email_change(services, identity, NEW, PASSWORD)
    secret = secret_of(link_in(mail.wait_for(1)[0]))
    clock.advance(hours=24, seconds=1)
    assert account.confirm_email_change(services, secret) is None
    assert services.store.get_user(bob.id).email == "bob@example.com"
    assert len(mail.messages) == 1  # no notification either


def test_only_the_newest_confirmation_link_works(services, mail, identity, bob):
    account.request_email_change(services, identity, "typo@exmaple.com", PASSWORD)
    account.request_email_change(services, identity, NEW, PASSWORD)
    mail.wait_for(2)
    first, second = (secret_of(link_in(to(mail, a)[0])) for a in ("typo@exmaple.com", NEW))
    assert account.confirm_email_change(services, first) is None
    assert account.confirm_email_change(services, second).email == NEW


@pytest.mark.parametrize(
    "secret",
    ["", "x", "x" * 129, "' OR 1=1 --", "<script>", "é" * 43],
    ids=["empty", "short", "over-long", "sql", "html", "unicode"],
)
def test_made_up_confirmation_links_change_nothing(services, identity, bob, secret):
    assert account.confirm_email_change(services, secret) is None
    assert services.store.get_user(bob.id).email == "bob@example.com"


def test_a_link_for_another_purpose_does_not_change_the_email(services, bob):
    secret = tokens.issue_token(
        services, bob, "reset_password", email=NEW, lifetime=account.EMAIL_LINK_LIFETIME
    )
    assert account.confirm_email_change(services, secret) is None
    assert services.store.get_user(bob.id).email == "bob@example.com"


def test_wrong_password_is_refused_counted_and_sends_nothing(services, mail, identity, bob):
    with pytest.raises(ValidationError) as caught:
        account.request_email_change(services, identity, NEW, "not my password")
    assert caught.value.problems == [T.account_wrong_password]
    assert services.store.get_user(bob.id).failed_logins == 1
    assert mail.messages == []
    assert events(services, audit.EMAIL_CHANGE) == [("failure", "bob", "wrong password")]


def test_wrong_passwords_lock_the_account_like_sign_in(services, mail, identity, bob):
    for _ in range(services.settings.max_failed_attempts):
        with pytest.raises(ValidationError):
            account.request_email_change(services, identity, NEW, "guess")
    with pytest.raises(ValidationError) as caught:
        account.request_email_change(services, identity, NEW, PASSWORD)
    assert caught.value.problems == [T.account_locked]
    assert mail.messages == []
    assert authenticate(services, "bob", PASSWORD) is None  # sign-in is locked too
    assert ("failure", "bob", "account page") in events(services, audit.LOCKOUT)


@pytest.mark.parametrize(
    ("new_email", "problem"),
    [
        ("", "Enter an email address."),
        ("   ", "Enter an email address."),
        ("a" * 250 + "@example.com", "Enter a valid email address, like name@example.com."),
        (
            "bob@example.com\r\nBcc: x@example.com",
            "Enter a valid email address, like name@example.com.",
        ),
        ("bob\x00@example.com", "Enter a valid email address, like name@example.com."),
        ("<script>alert(1)</script>", "Enter a valid email address, like name@example.com."),
        ("x' OR '1'='1", "Enter a valid email address, like name@example.com."),
        ("bob@example.com", "That is already your email address."),
        ("BOB@Example.com", "That is already your email address."),
    ],
    ids=[
        "empty",
        "spaces",
        "over-long",
        "header-injection",
        "nul",
        "html",
        "sql",
        "same",
        "same-case",
    ],
)
def test_bad_new_email_is_refused_and_nothing_is_sent(
    services, mail, identity, bob, new_email, problem
):
    with pytest.raises(ValidationError) as caught:
        account.request_email_change(services, identity, new_email, PASSWORD)
    assert caught.value.problems == [problem]
    assert mail.messages == []
    assert services.store.get_user(bob.id).failed_logins == 0
    assert services.store.get_user(bob.id).email == "bob@example.com"


def test_a_taken_address_gets_the_same_answer_and_no_mail(services, mail, identity, bob, make_user):
    carol = make_user("carol", email="carol@example.com")
    assert account.request_email_change(services, identity, "Carol@example.com", PASSWORD) is True
    assert mail.messages == []
    assert services.store.get_user(bob.id).email == "bob@example.com"
    assert services.store.get_user(carol.id).email == "carol@example.com"
    assert events(services, audit.EMAIL_CHANGE) == [("failure", "bob", "address taken")]


def test_an_address_taken_before_the_link_is_opened_is_not_stolen(
    services, mail, identity, bob, make_user
):
    account.request_email_change(services, identity, NEW, PASSWORD)
    carol = make_user("carol", email=NEW)
    assert account.confirm_email_change(services, secret_of(link_in(mail.wait_for(1)[0]))) is None
    assert services.store.get_user(bob.id).email == "bob@example.com"
    assert services.store.get_user(carol.id).email == NEW


def test_confirmation_emails_are_rate_limited_per_account(services, mail, identity, bob, clock):
    limit = services.settings.emails_per_account_per_hour
    for n in range(limit):
        account.request_email_change(services, identity, f"new{n}@example.com", PASSWORD)
    with pytest.raises(ValidationError) as caught:
        account.request_email_change(services, identity, NEW, PASSWORD)
    assert caught.value.problems == [T.account_too_many_emails]
    assert len(mail.wait_for(limit)) == limit
    clock.advance(hours=1)
    account.request_email_change(services, identity, NEW, PASSWORD)
    assert len(mail.wait_for(limit + 1)) == limit + 1


def test_confirmation_emails_are_rate_limited_per_address(
    services, mail, make_user, sign_in, clock
):
    limit = services.settings.emails_per_address_per_hour
    for n in range(limit):
        who = verify_session(services, sign_in(make_user(f"user{n}")))
        account.request_email_change(services, who, NEW, PASSWORD)
    who = verify_session(services, sign_in(make_user("late")))
    with pytest.raises(ValidationError) as caught:
        account.request_email_change(services, who, NEW, PASSWORD)
    assert caught.value.problems == [T.account_too_many_emails]
    mail.wait_for(limit)
    assert len(to(mail, NEW)) == limit


def test_without_smtp_the_link_goes_to_the_server_log_and_still_works(
    services, identity, bob, caplog
):
    assert services.settings.smtp is None
    with caplog.at_level(logging.WARNING, logger="auth"):
        assert account.request_email_change(services, identity, NEW, PASSWORD) is False
        deadline = time.monotonic() + 10  # the mail is "sent" from a background thread
        while not LINK_RE.search(caplog.text) and time.monotonic() < deadline:
            time.sleep(0.02)
    link = LINK_RE.search(caplog.text).group(1)
    assert account.confirm_email_change(services, secret_of(link)).email == NEW


def test_guests_cannot_change_their_email(services, sign_in):
    guest = services.store.create_user(
        NewUser(
            username="gus",
            email="gus@example.com",
            password_hash=None,
            roles=("viewer",),
            identity=("google", "sub-1"),
        ),
        now=services.now(),
    )
    identity = verify_session(services, sign_in(guest))
    with pytest.raises(ValidationError) as caught:
        account.request_email_change(services, identity, NEW, "")
    assert caught.value.problems == ["Your email address comes from your sign-in provider."]


# --- password -----------------------------------------------------------------


def test_password_changes_are_audited(services, identity):
    with pytest.raises(ValidationError):
        account.change_password(services, identity, "wrong", "a new long passphrase", "x")
    account.change_password(
        services, identity, PASSWORD, "granite mosaic willow 77", "granite mosaic willow 77"
    )
    assert events(services, audit.PASSWORD_CHANGE) == [
        ("failure", "bob", "The new passwords do not match."),
        ("success", "bob", ""),
    ]


# --- sessions -----------------------------------------------------------------

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/131.0.0.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (FIREFOX_LINUX, "Firefox on Linux"),
        (CHROME_WINDOWS, "Chrome on Windows"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (SAFARI_MAC, "Safari on macOS"),
        (CHROME_ANDROID, "Chrome on Android"),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
        ("<script>alert(1)</script> Linux", "Browser on Linux"),
    ],
)
def test_browser_summary(user_agent, summary):
    assert account.browser_summary(user_agent) == summary


def test_session_rows_list_live_sessions_this_one_first(services, bob, make_user, sign_in, clock):
    def sign_in_from(user_agent: str, ip: str) -> str:
        ticket = issue_ticket(
            services, bob, origin="http://localhost:8501", user_agent=user_agent, ip=ip
        )
        return start_session(services, ticket)[0]

    sign_in(bob)
    clock.advance(hours=25)  # the first is idle for too long now
    phone = sign_in_from(SAFARI_IPHONE, "203.0.113.7")
    clock.advance(minutes=5)
    laptop = sign_in_from(FIREFOX_LINUX, "")
    sign_in(make_user("carol"))
    clock.advance(minutes=5)
    identity = verify_session(services, phone)
    rows = account.session_rows(services, identity)
    assert [(r.browser, r.ip, r.current) for r in rows] == [
        ("Safari on iOS", "203.0.113.7", True),
        ("Firefox on Linux", "", False),
    ]
    assert rows[1].id == verify_session(services, laptop).session.id
    assert rows[0].created_at == clock.now - timedelta(minutes=10)


def test_end_session_signs_out_one_of_your_own(services, bob, token, identity, sign_in):
    other, third = sign_in(bob), sign_in(bob)
    other_id = verify_session(services, other).session.id
    assert account.end_session(services, identity, other_id) is True
    assert verify_session(services, other) is None
    assert verify_session(services, third) is not None
    assert verify_session(services, token) is not None
    assert events(services, audit.SESSIONS_REVOKED) == [("success", "bob", "one session")]


def test_end_session_leaves_other_peoples_sessions_alone(services, identity, make_user, sign_in):
    carol_token = sign_in(make_user("carol"))
    carol_session = verify_session(services, carol_token).session.id
    assert account.end_session(services, identity, carol_session) is False
    assert account.end_session(services, identity, "not-a-session") is False
    assert verify_session(services, carol_token) is not None
    assert events(services, audit.SESSIONS_REVOKED) == []


def test_end_other_sessions_keeps_this_one(services, bob, identity, make_user, sign_in):
    tokens_ = [sign_in(bob), sign_in(bob)]
    carol_token = sign_in(make_user("carol"))
    assert account.end_other_sessions(services, identity) == 2
    assert all(verify_session(services, t) is None for t in tokens_)
    assert verify_session(services, carol_token) is not None
    assert [r.current for r in account.session_rows(services, identity)] == [True]
    assert events(services, audit.SESSIONS_REVOKED) == [("success", "bob", "2 other sessions")]


# --- deletion -----------------------------------------------------------------


def test_delete_account_removes_the_user_sessions_and_links(services, mail, bob, identity, sign_in):
    other = sign_in(bob)
    account.request_email_change(services, identity, NEW, PASSWORD)
    secret = secret_of(link_in(mail.wait_for(1)[0]))
    account.delete_account(services, identity, confirmation="bob", password=PASSWORD)
    assert services.store.get_user(bob.id) is None
    assert verify_session(services, other) is None
    assert account.confirm_email_change(services, secret) is None
    assert authenticate(services, "bob", PASSWORD) is None
    assert events(services, audit.USER_DELETED) == [("success", "bob", "own account")]


@pytest.mark.parametrize(
    ("confirmation", "password", "problem"),
    [
        ("", PASSWORD, "Type your username, bob, to confirm."),
        ("BOB", PASSWORD, "Type your username, bob, to confirm."),
        ("bob ", PASSWORD, "Type your username, bob, to confirm."),
        ("bob", "", T.account_wrong_password),
        ("bob", "wrong", T.account_wrong_password),
    ],
)
def test_delete_needs_the_username_and_password(
    services, bob, token, identity, confirmation, password, problem
):
    with pytest.raises(ValidationError) as caught:
        account.delete_account(services, identity, confirmation=confirmation, password=password)
    assert caught.value.problems == [problem]
    assert services.store.get_user(bob.id) is not None
    assert verify_session(services, token) is not None
    assert [e[0] for e in events(services, audit.USER_DELETED)] == ["failure"]


def test_the_last_admin_cannot_delete_their_account(services, admin, make_user, sign_in):
    identity = verify_session(services, sign_in(admin))
    with pytest.raises(ValidationError) as caught:
        account.delete_account(services, identity, confirmation="root", password=PASSWORD)
    assert caught.value.problems == [T.account_last_admin]
    assert services.store.get_user(admin.id) is not None
    assert verify_session(services, sign_in(admin)) is not None
    make_user("second", roles=("admin",))
    account.delete_account(services, identity, confirmation="root", password=PASSWORD)
    assert services.store.get_user(admin.id) is None


def test_a_guest_deletes_their_account_by_typing_the_username(services, sign_in):
    guest = services.store.create_user(
        NewUser(
            username="gus",
            email="",
            password_hash=None,
            roles=("viewer",),
            identity=("google", "sub-1"),
        ),
        now=services.now(),
    )
    token = sign_in(guest)
    identity = verify_session(services, token)
    with pytest.raises(ValidationError):
        account.delete_account(services, identity, confirmation="guss")
    account.delete_account(services, identity, confirmation="gus")
    assert services.store.get_user(guest.id) is None
    assert services.store.find_user_by_identity("google", "sub-1") is None
    assert verify_session(services, token) is None


def test_the_confirmation_page_applies_the_change_and_logs_no_failed_verification(
    services, mail, identity, bob
):
    from auth.domain import recovery

    account.request_email_change(services, identity, NEW, PASSWORD)
    secret = secret_of(link_in(mail.wait_for(1)[0]))
    assert recovery.verify_link(services, secret, ip="203.0.113.7").email == NEW
    assert events(services, audit.EMAIL_VERIFICATION) == []
    confirmed = services.store.list_audit(AuditQuery(event=audit.EMAIL_CHANGE))[0]  # newest
    assert (confirmed.detail, confirmed.ip) == ("confirmed", "203.0.113.7")
