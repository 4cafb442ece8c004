"""Pins Streamlit's internal cookie format: if an upgrade changes it, this fails first."""

import json

from streamlit.web.server.starlette import starlette_websocket

from auth.web import cookies


def test_streamlit_reads_our_cookie_as_a_signed_in_user():
    value = cookies.encode(origin="http://localhost:8501", session_token="tok")
    raw = starlette_websocket._get_signed_cookie_with_chunks(
        {cookies.USER_COOKIE_NAME: value}, cookies.USER_COOKIE_NAME
    )
    user = starlette_websocket._parse_decoded_user_cookie(raw, "http://localhost:8501")
    assert user == {"is_logged_in": True, "sid": "tok"}


def test_a_cookie_for_another_origin_is_refused_by_streamlit():
    value = cookies.encode(origin="http://localhost:8501", session_token="tok")
    raw = starlette_websocket._get_signed_cookie_with_chunks(
        {cookies.USER_COOKIE_NAME: value}, cookies.USER_COOKIE_NAME
    )
    try:
        user = starlette_websocket._parse_decoded_user_cookie(raw, "http://evil.example")
    except Exception:
        user = None
    assert not user or not user.get("is_logged_in")


def test_cookie_is_named_as_streamlit_names_it_and_round_trips():
    assert cookies.USER_COOKIE_NAME == "_streamlit_user"
    value = cookies.encode(origin="https://app.example", session_token="tok")
    assert cookies.decode(value) == {
        "origin": "https://app.example",
        "is_logged_in": True,
        "sid": "tok",
    }
    assert len(value) < 4096


def test_a_forged_cookie_does_not_decode():
    forged = json.dumps({"origin": "http://x", "is_logged_in": True, "sid": "tok"})
    assert cookies.decode(forged) is None
    value = cookies.encode(origin="http://x", session_token="tok")
    assert cookies.decode(value[:-2] + "AA") is None


def test_an_oidc_session_cookie_keeps_the_provider_for_streamlits_logout():
    """st.logout() reads `provider` from this cookie to reach the provider's end-session page."""
    value = cookies.encode(origin="http://localhost:8501", session_token="tok", provider="google")
    raw = starlette_websocket._get_signed_cookie_with_chunks(
        {cookies.USER_COOKIE_NAME: value}, cookies.USER_COOKIE_NAME
    )
    user = starlette_websocket._parse_decoded_user_cookie(raw, "http://localhost:8501")
    assert user == {"is_logged_in": True, "sid": "tok", "provider": "google"}
    assert json.loads(raw)["provider"] == "google"
