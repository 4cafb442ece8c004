"""auth/web/guard.py: one check against the store per script run, none carried to the next."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_pages.support import is_empty, main_module_kept, page, titles


@pytest.fixture(autouse=True)
def _keep_main_module():
    with main_module_kept():
        yield


@pytest.fixture
def bob(make_user):
    return make_user("bob")


def _guarded_script() -> None:
    """main.py in miniature: verify once, let the page ask again, end the run as told.

    With how == "page only" it is a run without main.py (a fragment rerun, a page
    run on its own): the page asks the guard directly.
    """
    import streamlit as st

    from auth.web.guard import current_identity, verified_run

    how = st.session_state.get("how", "normal")
    st.session_state.how = "page only"  # the next run, in this thread or another
    if how == "page only":
        identity = current_identity()
        st.write(f"page only: {identity.user.username if identity else None}")
        return
    with verified_run() as identity:
        st.write(f"the page sees the same identity: {current_identity() is identity}")
        if how == "stop":
            st.stop()
        if how == "rerun":
            st.rerun()  # the rerun, in the same script thread, is a "page only" run
        if how == "error":
            raise RuntimeError("the page failed")


def _guarded(token: str, how: str) -> AppTest:
    at = AppTest.from_function(_guarded_script, default_timeout=30)
    at.user = {"is_logged_in": True, "sid": token}
    at.session_state.how = how
    return at


@pytest.mark.parametrize("how", ["normal", "stop", "error"])
def test_verified_run_checks_once_and_forgets_however_the_run_ends(
    services, bob, sign_in, store_checks, how
):
    token = sign_in(bob)
    at = _guarded(token, how).run()
    assert store_checks == [token]
    assert [m.value for m in at.markdown] == ["the page sees the same identity: True"]
    assert bool(at.exception) == (how == "error")
    at.run()  # no main.py this time: nothing is left over, the page checks itself
    assert store_checks == [token, token]
    assert [m.value for m in at.markdown] == ["page only: bob"]


def test_the_run_after_a_rerun_checks_again_in_the_same_thread(
    services, bob, sign_in, store_checks
):
    token = sign_in(bob)
    at = _guarded(token, "rerun").run()
    assert store_checks == [token, token]
    assert [m.value for m in at.markdown] == ["page only: bob"]


def test_a_session_revoked_between_runs_is_refused_without_main_py(
    services, bob, sign_in, store_checks
):
    token = sign_in(bob)
    at = _guarded(token, "normal").run()
    services.store.revoke_user_sessions(bob.id, now=services.now())
    at.run()
    assert at.user["is_logged_in"] is False
    assert not at.markdown
    assert store_checks == [token, token]


def test_a_page_run_on_its_own_checks_the_session_itself(services, bob, sign_in, store_checks):
    token = sign_in(bob)
    at = page("home", token).run()
    assert titles(at) == ["Welcome, bob"]
    assert store_checks == [token]
    at.run()
    assert store_checks == [token, token]


def test_a_page_run_on_its_own_signs_a_stale_session_out(services, bob, sign_in, store_checks):
    token = sign_in(bob)
    services.store.revoke_user_sessions(bob.id, now=services.now())
    at = page("home", token).run()
    assert at.user["is_logged_in"] is False
    assert is_empty(at)
    assert store_checks == [token]
