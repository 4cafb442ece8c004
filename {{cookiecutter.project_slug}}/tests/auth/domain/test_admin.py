"""The admin console's actions: only a current admin may call them; each is checked and audited."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta

import pytest

from auth.domain import admin as console
from auth.domain import audit, passwords
from auth.domain.admin import AdminError, NotAllowed, UserFilter
from auth.domain.sessions import verify_session
from auth.store import AuditQuery, NewUser, UserChanges
from tests.conftest import PASSWORD


@pytest.fixture
def boss(services, make_user, sign_in):
    """A signed-in admin: (identity, token)."""
    user = make_user("boss", roles=("admin",))
    token = sign_in(user)
    return verify_session(services, token)


def identity_of(services, sign_in, user):
    return verify_session(services, sign_in(user))


def events(services, event: str) -> list:
    return services.store.list_audit(AuditQuery(event=event))


# --- the guard ------------------------------------------------------------------------

CALLS = {
    "list_users": lambda s, i: console.list_users(s, i),
    "user_details": lambda s, i: console.user_details(s, i, "victim"),
    "update_user": lambda s, i: console.update_user(
        s, i, "victim", email="x@example.com", first_name="", last_name="", roles=("admin",)
    ),
    "disable": lambda s, i: console.set_disabled(s, i, "victim", True),
    "enable": lambda s, i: console.set_disabled(s, i, "victim", False),
    "unlock": lambda s, i: console.unlock(s, i, "victim"),
    "sign_out_everywhere": lambda s, i: console.sign_out_everywhere(s, i, "victim"),
    "send_password_reset": lambda s, i: console.send_password_reset(s, i, "victim"),
    "delete": lambda s, i: console.delete_user(s, i, "victim", "victim"),
    "create": lambda s, i: console.create_user(
        s, i, username="newbie", email="newbie@example.com", roles=("admin",)
    ),
    "import": lambda s, i: console.import_users_csv(
        s, i, "username,email,roles\nevil,evil@example.com,admin\n", apply=True
    ),
    "export_users": lambda s, i: console.export_users_csv(s, i),
    "add_invitations": lambda s, i: console.add_invitations(s, i, "friend@example.com"),
    "list_invitations": lambda s, i: console.list_invitations(s, i),
    "remove_invitation": lambda s, i: console.remove_invitation(s, i, "invited@example.com"),
    "list_audit": lambda s, i: console.list_audit(s, i),
    "audit_charts": lambda s, i: console.audit_charts(s, i),
    "export_audit": lambda s, i: console.export_audit_csv(s, i),
}


@pytest.fixture
def caller(services, make_user, sign_in, clock):
    """An identity of each kind that must be refused."""
    from auth.domain import users

    def make(kind: str):
        if kind == "anonymous":
            return None
        if kind == "guest":
            guest = services.store.create_user(
                NewUser(
                    username="guest1",
                    email="g@example.com",
                    password_hash=None,
                    roles=("viewer",),
                    identity=("google", "sub-1"),
                ),
                now=clock(),
            )
            return identity_of(services, sign_in, guest)
        if kind == "viewer":
            return identity_of(services, sign_in, make_user("plain", roles=("viewer", "editor")))
        if kind == "must-change":
            user, _ = users.create_user(
                services, username="fresh", email="fresh@example.com", roles=("admin",)
            )
            return identity_of(services, sign_in, user)
        if kind == "demoted":
            former = make_user("former", roles=("admin",))
            identity = identity_of(services, sign_in, former)
            services.store.update_user(former.id, UserChanges(roles=("viewer",)))
            return identity  # a stale identity from earlier in the run
        if kind == "forged":
            # Not an Identity at all: something that merely claims the admin role.
            return type("Fake", (), {"roles": ("admin",), "user": None})()
        raise AssertionError(kind)

    return make


@pytest.mark.parametrize(
    "kind", ["anonymous", "viewer", "guest", "must-change", "demoted", "forged"]
)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_only_a_current_admin_may_call_any_admin_function(
    services, make_user, caller, kind, call, admin
):
    victim = make_user("victim")
    services.store.add_invitations(["invited@example.com"], now=services.now())
    identity = caller(kind)
    before_users = services.store.count_users()
    with pytest.raises(NotAllowed):
        CALLS[call](services, identity)
    assert services.store.count_users() == before_users
    assert services.store.get_user(victim.id) == victim
    assert services.store.get_invitation("invited@example.com") is not None
    assert services.store.get_invitation("friend@example.com") is None
    assert events(services, audit.ADMIN_DENIED)


# --- users ----------------------------------------------------------------------------


def test_list_users_pages_filters_and_sorts_in_the_store(services, boss, make_user, clock):
    for n in range(30):
        services.store.create_user(
            NewUser(
                username=f"user{n:02d}",
                email=f"user{n:02d}@example.com",
                password_hash=None,
                roles=("editor",) if n % 3 == 0 else ("viewer",),
                first_name="Zed" if n == 7 else "",
            ),
            now=clock(),
        )
    page = console.list_users(services, boss, page=2, page_size=25)
    assert (page.total, page.page, page.pages) == (31, 2, 2)
    assert [r["username"] for r in page.rows] == [f"user{n:02d}" for n in range(24, 30)]
    assert not {"password_hash", "id", "failed_logins"} & set(page.rows[0])
    found = console.list_users(services, boss, UserFilter(search="zED"))
    assert [r["username"] for r in found.rows] == ["user07"]
    editors = console.list_users(services, boss, UserFilter(role="editor", descending=True))
    assert editors.total == 10 and editors.rows[0]["username"] == "user27"
    beyond = console.list_users(services, boss, page=99)
    assert beyond.page == 1  # clamped: 31 users fit one page of 50


def test_status_filter_finds_locked_and_disabled_users(services, boss, make_user, clock):
    from auth.domain.login import authenticate

    make_user("locky")
    make_user("gone")
    console.set_disabled(services, boss, "gone", True)
    for _ in range(services.settings.max_failed_attempts):
        authenticate(services, "locky", "wrong wrong wrong")
    locked = console.list_users(services, boss, UserFilter(status="locked"))
    disabled = console.list_users(services, boss, UserFilter(status="disabled"))
    assert [r["username"] for r in locked.rows] == ["locky"]
    assert [r["username"] for r in disabled.rows] == ["gone"]
    assert [e.target for e in events(services, audit.LOCKOUT)] == ["locky"]
    assert console.audit_charts(services, boss).locked_now == 1
    console.unlock(services, boss, "locky")
    assert console.list_users(services, boss, UserFilter(status="locked")).total == 0
    assert authenticate(services, "locky", PASSWORD) is not None


def test_edit_name_email_and_roles_ends_the_users_sessions_on_role_change(
    services, boss, make_user, sign_in
):
    bob = make_user("bob")
    token = sign_in(bob)
    updated = console.update_user(
        services,
        boss,
        "bob",
        email="b@example.org",
        first_name="Bob",
        last_name="B",
        roles=("editor",),
    )
    assert (updated.email, updated.first_name, updated.roles) == (
        "b@example.org",
        "Bob",
        ("editor",),
    )
    assert verify_session(services, token) is None
    assert [e.actor for e in events(services, audit.ROLES_CHANGED)] == ["boss"]
    assert events(services, audit.USER_UPDATED)[0].detail == "changed=email,first_name,last_name"


@pytest.mark.parametrize(
    ("email", "roles", "message"),
    [
        ("not-an-email", ("viewer",), "email"),
        ("bob@example.com", ("wizard",), "wizard"),
        ("boss@example.com", ("viewer",), "already has that email"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(services, boss, make_user, email, roles, message):
    bob = make_user("bob")
    with pytest.raises(AdminError, match=message):
        console.update_user(
            services, boss, "bob", email=email, first_name="New", last_name="", roles=roles
        )
    assert services.store.get_user(bob.id) == bob


def test_an_admin_cannot_demote_disable_or_delete_themselves(services, boss, make_user):
    make_user("other", roles=("admin",))  # not the last admin: the self rule alone refuses
    me = services.store.get_user(boss.user.id)
    with pytest.raises(AdminError, match="own account"):
        console.update_user(
            services, boss, "boss", email=me.email, first_name="", last_name="", roles=("viewer",)
        )
    with pytest.raises(AdminError, match="own account"):
        console.set_disabled(services, boss, "boss", True)
    with pytest.raises(AdminError, match="own account"):
        console.delete_user(services, boss, "boss", "boss")
    assert services.store.get_user(me.id) == me
    refused = services.store.list_audit(AuditQuery(outcome=audit.FAILURE, actor="boss"))
    assert len(refused) == 3


def test_the_only_admin_keeps_their_role_and_account(services, boss):
    me = services.store.get_user(boss.user.id)
    assert services.store.count_active_admins() == 1
    with pytest.raises(AdminError):
        console.set_disabled(services, boss, "boss", True)
    with pytest.raises(AdminError):
        console.update_user(
            services, boss, "boss", email=me.email, first_name="", last_name="", roles=()
        )
    assert services.store.get_user(me.id) == me


def test_last_admin_message_when_the_store_refuses(services, boss, make_user, monkeypatch):
    from auth.store import LastAdminError

    make_user("bob")

    def refuse(*args, **kwargs):
        raise LastAdminError()

    monkeypatch.setattr(services.store, "delete_user", refuse)
    with pytest.raises(AdminError, match="last active admin"):
        console.delete_user(services, boss, "bob", "bob")


def test_disable_ends_sessions_and_enable_restores_sign_in(services, boss, make_user, sign_in):
    bob = make_user("bob")
    token = sign_in(bob)
    console.set_disabled(services, boss, "bob", True)
    assert verify_session(services, token) is None
    console.set_disabled(services, boss, "bob", False)
    assert not services.store.get_user(bob.id).disabled
    assert [e.event for e in services.store.list_audit(AuditQuery(target="bob", actor="boss"))] == [
        audit.USER_ENABLED,
        audit.USER_DISABLED,
    ]


def test_sign_out_everywhere_keeps_the_acting_admins_own_session(
    services, boss, make_user, sign_in
):
    bob = make_user("bob")
    tokens = [sign_in(bob), sign_in(bob)]
    assert console.sign_out_everywhere(services, boss, "bob") == 2
    assert all(verify_session(services, t) is None for t in tokens)
    console.sign_out_everywhere(services, boss, "boss")
    assert verify_session(services, None) is None
    assert services.store.get_session(boss.session.id).revoked_at is None


def test_delete_needs_the_username_typed_exactly(services, boss, make_user):
    bob = make_user("bob")
    for wrong in ("", "Bob", "bo", "alice"):
        with pytest.raises(AdminError, match="Type bob exactly"):
            console.delete_user(services, boss, "bob", wrong)
    assert services.store.get_user(bob.id) is not None
    console.delete_user(services, boss, "bob", " bob ")
    assert services.store.get_user(bob.id) is None
    assert events(services, audit.USER_DELETED)[0].actor == "boss"


def test_unknown_target_gets_a_clear_message(services, boss):
    with pytest.raises(AdminError, match="no user named 'ghost'"):
        console.set_disabled(services, boss, "ghost", True)


def test_create_without_email_shows_a_one_time_password_that_must_be_changed(services, boss):
    created = console.create_user(
        services, boss, username="carol", email="carol@example.com", roles=("viewer",)
    )
    assert created.one_time_password and not created.link and not created.emailed
    user = created.user
    assert user.must_change_password
    assert passwords.verify_password(
        created.one_time_password, user.password_hash, services.settings.pepper
    )
    assert events(services, audit.USER_CREATED)[0].actor == "boss"


def test_create_with_email_sends_a_reset_link_and_no_password(services, boss, mail):
    created = console.create_user(
        services, boss, username="carol", email="carol@example.com", roles=("viewer",)
    )
    assert created.emailed and created.one_time_password is None and created.link is None
    assert created.user.password_hash is None
    message = mail.last("carol@example.com")
    assert "reset_password?token=" in message.get_content()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "a"}, "username"),
        ({"email": "nope"}, "email"),
        ({"roles": ("root",)}, "root"),
        ({"username": "boss"}, "already taken"),
    ],
)
def test_create_refuses_bad_input(services, boss, fields, message):
    values = {"username": "carol", "email": "carol@example.com", "roles": ("viewer",)} | fields
    before = services.store.count_users()
    with pytest.raises(AdminError, match=message):
        console.create_user(services, boss, **values)
    assert services.store.count_users() == before


def test_reset_link_is_handed_over_once_without_email_and_never_a_password(
    services, boss, make_user
):
    bob = make_user("bob")
    delivery = console.send_password_reset(services, boss, "bob")
    assert not delivery.emailed and delivery.link and "token=" in delivery.link
    assert services.store.get_user(bob.id).password_hash == bob.password_hash
    [event] = events(services, audit.PASSWORD_RESET_REQUEST)
    assert (event.actor, event.target) == ("boss", "bob")
    assert "token" not in event.detail


def test_reset_link_is_emailed_when_email_is_configured(services, boss, make_user, mail):
    make_user("bob")
    delivery = console.send_password_reset(services, boss, "bob")
    assert delivery.emailed and delivery.link is None
    assert mail.last("bob@example.com")


def test_no_reset_link_for_a_guest_or_a_disabled_user(services, boss, make_user, clock):
    services.store.create_user(
        NewUser(
            username="guesty",
            email="",
            password_hash=None,
            roles=("viewer",),
            identity=("google", "sub"),
        ),
        now=clock(),
    )
    make_user("bob")
    console.set_disabled(services, boss, "bob", True)
    with pytest.raises(AdminError, match="guest"):
        console.send_password_reset(services, boss, "guesty")
    with pytest.raises(AdminError, match="Enable"):
        console.send_password_reset(services, boss, "bob")


# --- CSV ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralized(value):
    assert console.neutralize(value) == "'" + value


def test_plain_cells_stay_as_they_are():
    assert console.neutralize("alice") == "alice"
    assert console.neutralize(None) == ""
    assert console.neutralize("a=b") == "a=b"


def test_user_export_has_no_secrets_and_neutralizes_formulas(services, boss, make_user):
    make_user("mallory", first_name='=HYPERLINK("http://evil")', last_name="@x")
    text = console.export_users_csv(services, boss)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["username"] for r in rows] == ["boss", "mallory"]
    assert list(rows[0]) == list(console.EXPORT_COLUMNS)
    mallory = rows[1]
    assert mallory["first_name"] == '\'=HYPERLINK("http://evil")'
    assert mallory["last_name"] == "'@x"
    for user in services.store.list_users():
        assert user.password_hash not in text
    assert "$2b$" not in text and "bcrypt" not in text
    assert events(services, audit.USERS_EXPORTED)[0].detail == "rows=2"


GOOD_CSV = (
    "username,email,first_name,last_name,roles\n"
    "ann,ann@example.com,Ann,A,editor;viewer\n"
    "ben,ben@example.com,,,\n"
)


def test_import_dry_run_reports_and_creates_nothing(services, boss):
    report = console.import_users_csv(services, boss, GOOD_CSV)
    assert [(r.line, r.username, r.outcome) for r in report.rows] == [
        (2, "ann", "create"),
        (3, "ben", "create"),
    ]
    assert services.store.find_user("ann") is None


def test_import_apply_creates_users_without_a_password_and_reports_progress(services, boss):
    seen: list[float] = []
    report = console.import_users_csv(services, boss, GOOD_CSV, apply=True, progress=seen.append)
    assert [r.outcome for r in report.rows] == ["created", "created"]
    assert seen == [0.5, 1.0]
    ann = services.store.find_user("ann")
    assert ann.roles == ("editor", "viewer") and ann.first_name == "Ann"
    assert ann.password_hash is None and not ann.must_change_password
    assert services.store.find_user("ben").roles == ()
    assert events(services, audit.USERS_IMPORTED)[0].detail == "created=2 skipped=0"
    created = [e for e in events(services, audit.USER_CREATED) if e.method == "import"]
    assert {(e.actor, e.target) for e in created} == {("boss", "ann"), ("boss", "ben")}


def test_import_skips_bad_and_hostile_rows_with_a_reason_each(services, boss, make_user):
    make_user("taken")
    text = (
        "username,email,first_name,last_name,roles\n"
        "ok1,ok1@example.com,,,viewer\n"
        "taken,new@example.com,,,\n"  # existing username
        "fresh,taken@example.com,,,\n"  # existing email
        "ok1,other@example.com,,,\n"  # repeats a row
        "x,x@example.com,,,\n"  # username too short
        "bad,not-an-email,,,\n"
        "=cmd|' /C calc'!A0,evil@example.com,,,\n"  # formula in the username
        "evil2,evil2@example.com,=1+1\x00,,\n"  # control character in a name
        "evil3,evil3@example.com,,,root\n"  # unknown role
        "evil4,evil4@example.com,,,viewer,extra\n"  # more cells than columns
        'ok2,ok2@example.com,Ö\'Brien,"Smith, Jr",admin\n'
    )
    report = console.import_users_csv(services, boss, text, apply=True)
    outcome = {r.line: (r.outcome, r.reason) for r in report.rows}
    assert outcome[2] == ("created", "")
    assert outcome[12] == ("created", "")
    assert "already exists" in outcome[3][1] and "already exists" in outcome[4][1]
    assert "repeats" in outcome[5][1]
    assert "username" in outcome[6][1].lower()
    assert "email" in outcome[7][1].lower()
    assert "username" in outcome[8][1].lower()
    assert outcome[9][0] == "skipped"
    assert "root" in outcome[10][1]
    assert "more cells" in outcome[11][1]
    assert (report.created, report.skipped) == (2, 9)
    assert services.store.count_users() == 4  # boss, taken, ok1, ok2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "first line must name"),
        ("name,mail\nann,ann@example.com\n", "missing: username, email"),
        ("username,email,password\nann,a@example.com,x\n", "Unknown column"),
        ("username,email\n" + "u,u@example.com\n" * 10_001, "More than 10000 rows"),
        ("username,email\n" + "x" * 2_000_001, "larger than"),
        ('username,email\n"ann,\x00\n', None),
    ],
)
def test_import_refuses_a_bad_file_whole(services, boss, text, message):
    report = console.import_users_csv(services, boss, text, apply=True)
    if message is None:
        assert report.error or all(r.outcome == "skipped" for r in report.rows)
    else:
        assert message in report.error and not report.rows
    assert services.store.count_users() == 1


def test_import_accepts_excel_bom_and_crlf(services, boss):
    text = "\ufeffusername,email\r\nann,ann@example.com\r\n"
    report = console.import_users_csv(services, boss, text, apply=True)
    assert [r.outcome for r in report.rows] == ["created"]


# --- invitations ----------------------------------------------------------------------


def test_add_many_invitations_with_expiry_list_and_remove(services, boss, clock):
    result = console.add_invitations(
        services,
        boss,
        "A@example.com, b@example.com\nc@example.com a@example.com",
        expires_on=date(2030, 1, 31),
    )
    assert result.added == ["a@example.com", "b@example.com", "c@example.com"]
    again = console.add_invitations(services, boss, "a@example.com d@example.com")
    assert again.added == ["d@example.com"] and again.renewed == ["a@example.com"]
    rows = {r["email"]: r for r in console.list_invitations(services, boss)}
    assert rows["b@example.com"]["expires_at"].date() == date(2030, 2, 1)
    assert rows["b@example.com"]["status"] == "open"
    assert rows["b@example.com"]["invited_by"] == "boss"
    clock.advance(days=40)
    assert {r["email"]: r["status"] for r in console.list_invitations(services, boss)}[
        "b@example.com"
    ] == "expired"
    console.remove_invitation(services, boss, "b@example.com")
    assert services.store.get_invitation("b@example.com") is None
    with pytest.raises(AdminError, match="no invitation"):
        console.remove_invitation(services, boss, "b@example.com")
    assert [e.target for e in events(services, audit.INVITATION_REMOVED)] == ["b@example.com"]


def test_used_invitations_show_who_used_them(services, boss, clock):
    console.add_invitations(services, boss, "new@example.com")
    services.store.create_user(
        NewUser(
            username="newbie",
            email="new@example.com",
            password_hash=None,
            roles=(),
            invitation="new@example.com",
        ),
        now=clock(),
    )
    [row] = console.list_invitations(services, boss)
    assert (row["status"], row["used_by"]) == ("used", "newbie")
    assert row["used_at"] == clock()


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "at least one"), ("ok@example.com nope", "Not an email"), ("a@b.co " * 1, None)],
)
def test_bad_invitation_input_adds_nothing(services, boss, text, message):
    if message is None:
        console.add_invitations(services, boss, text)
        return
    with pytest.raises(AdminError, match=message):
        console.add_invitations(services, boss, text)
    assert services.store.list_invitations() == []


def test_invitation_expiry_in_the_past_is_refused(services, boss, clock):
    with pytest.raises(AdminError, match="past"):
        console.add_invitations(services, boss, "a@example.com", expires_on=date(2029, 12, 31))


def test_too_many_invitations_at_once_are_refused(services, boss):
    text = " ".join(f"u{n}@example.com" for n in range(console.MAX_INVITATIONS_AT_ONCE + 1))
    with pytest.raises(AdminError, match="At most"):
        console.add_invitations(services, boss, text)


# --- audit ----------------------------------------------------------------------------


def test_audit_filters_pages_and_counts_per_day(services, boss, make_user, clock):
    from auth.domain.login import authenticate

    make_user("bob")
    authenticate(services, "bob", PASSWORD)
    authenticate(services, "bob", "wrong wrong wrong")
    clock.advance(days=1)
    authenticate(services, "bob", PASSWORD)
    flt = console.AuditFilter(event=audit.SIGN_IN)
    page = console.list_audit(services, boss, flt)
    assert [(r["outcome"], r["target"]) for r in page.rows] == [
        ("success", "bob"),
        ("failure", "bob"),
        ("success", "bob"),
    ]
    only_failures = console.list_audit(services, boss, replace(flt, outcome=audit.FAILURE))
    assert only_failures.total == 1 and only_failures.rows[0]["detail"] == "wrong password"
    today = clock().date()
    just_today = console.list_audit(services, boss, replace(flt, since=today, until=today))
    assert just_today.total == 1
    by_actor = console.list_audit(services, boss, console.AuditFilter(actor="BOB"))
    assert by_actor.total == 2
    charts = console.audit_charts(services, boss)
    assert charts.sign_ins == {
        today - timedelta(days=1): {"password success": 1, "password failure": 1},
        today: {"password success": 1},
    }


def test_active_users_per_day_count_each_user_once_per_day(
    services, boss, make_user, sign_in, clock
):
    bob = make_user("bob")
    token = sign_in(bob)
    sign_in(bob)
    clock.advance(minutes=5)
    verify_session(services, token)  # same day: nothing more
    clock.advance(hours=20)  # the next UTC day, within the idle timeout
    verify_session(services, token)
    verify_session(services, token)
    clock.advance(minutes=2)
    verify_session(services, token)
    charts = console.audit_charts(services, boss)
    first, second = sorted(charts.active_users)
    assert charts.active_users[first] == 2  # boss and bob signed in that day
    assert charts.active_users[second] == 1  # bob came back the next day
    bob_days = services.store.list_audit(AuditQuery(event=audit.SESSION_ACTIVE, target="bob"))
    assert len(bob_days) == 3  # two sessions started on day one, one used on day two


def test_audit_export_neutralizes_formulas(services, boss):
    audit.record(services, audit.SIGN_IN, audit.FAILURE, target="=HYPERLINK(1)", detail="-x")
    text = console.export_audit_csv(services, boss)
    rows = list(csv.DictReader(io.StringIO(text)))
    hostile = [r for r in rows if r["target"].startswith("'=")]
    assert hostile and hostile[0]["detail"] == "'-x"
    assert list(rows[0]) == list(console.AUDIT_COLUMNS)


def test_saving_unchanged_details_records_nothing_and_a_new_email_kills_old_links(
    services, boss, make_user
):
    from auth.domain import recovery, tokens

    bob = make_user("bob", first_name="Bob")
    console.update_user(
        services, boss, "bob", email=bob.email, first_name="Bob", last_name="", roles=bob.roles
    )
    assert events(services, audit.USER_UPDATED) == []
    assert events(services, audit.ROLES_CHANGED) == []
    link = recovery.start_password_reset(services, bob).link
    secret = link.split("token=", 1)[1]
    console.update_user(
        services,
        boss,
        "bob",
        email="new@example.com",
        first_name="Bob",
        last_name="",
        roles=bob.roles,
    )
    assert events(services, audit.USER_UPDATED)[0].detail == "changed=email"
    assert tokens.redeem(services, secret, tokens.RESET_PASSWORD) is None
