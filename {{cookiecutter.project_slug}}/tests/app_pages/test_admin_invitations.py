"""The invitations page: add many with an expiry, see who used which, remove."""

from __future__ import annotations

from datetime import date

from auth.store import NewUser
from tests.app_pages.support import errors, page, titles


def test_admin_adds_many_invitations_with_an_expiry(services, visitor):
    at = page("admin_invitations", visitor("admin").token).run()
    assert titles(at) == ["Invitations"]
    at.text_area[0].input("a@example.com\nB@example.com, c@example.com")
    at.date_input[0].set_value(date(2030, 3, 1))
    at.button[0].click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Invited 3 new address(es)."]
    table = at.dataframe[0].value
    assert list(table["email"]) == ["a@example.com", "b@example.com", "c@example.com"]
    assert set(table["status"]) == {"open"}
    assert services.store.get_invitation("b@example.com").expires_at.date() == date(2030, 3, 2)


def test_bad_addresses_add_nothing_and_say_which(services, visitor):
    at = page("admin_invitations", visitor("admin").token).run()
    at.text_area[0].input("ok@example.com =cmd@")
    at.button[0].click().run()
    assert any("Not an email address: =cmd@" in e for e in errors(at))
    assert services.store.list_invitations() == []


def test_used_invitation_shows_who_used_it_and_one_can_be_removed(services, visitor, clock):
    who = visitor("admin")
    services.store.add_invitations(["new@example.com", "old@example.com"], now=clock())
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
    at = page("admin_invitations", who.token).run()
    table = at.dataframe[0].value
    used = dict(zip(table["email"], table["used_by"], strict=True))
    assert used["new@example.com"] == "newbie"
    at.selectbox[0].select("old@example.com")
    [remove] = [b for b in at.button if b.label == "Remove"]
    remove.click().run()
    assert services.store.get_invitation("old@example.com") is None
    assert list(at.dataframe[0].value["email"]) == ["new@example.com"]
