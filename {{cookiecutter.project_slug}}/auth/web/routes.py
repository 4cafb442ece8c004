"""HTTP routes mounted next to Streamlit (see streamlit_app.py).

Custom routes get no XSRF protection from Streamlit, so the one route that
changes state accepts only a single-use ticket and refuses cross-site requests.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from auth.domain import audit
from auth.domain.sessions import start_session
from auth.texts import T
from auth.web import cookies
from auth.web.services import get_services

SESSION_PATH = "/api/auth/session"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def redeem_ticket(request: Request) -> Response:
    """GET /api/auth/session?ticket=...: set the session cookie and go home.

    A plain `def`: Starlette runs it in its thread pool, so the store's
    blocking I/O does not stall the event loop that serves every websocket.
    """
    # A link on another site must not sign a visitor in to someone else's account.
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return PlainTextResponse(T.route_cross_site_refused, status_code=403, headers=NO_STORE)
    services = get_services()
    started = start_session(services, request.query_params.get("ticket", ""))
    home = cookies.base_path()
    if started is None:
        audit.record(
            services,
            audit.SIGN_IN,
            audit.FAILURE,
            method="ticket",
            ip=request.client.host if request.client else "",
            detail="unknown, used or expired ticket",
        )
        return RedirectResponse(home, status_code=303, headers=NO_STORE)
    token, redeemed, user = started
    response = RedirectResponse(home, status_code=303, headers=NO_STORE)
    response.set_cookie(
        cookies.USER_COOKIE_NAME,
        cookies.encode(
            origin=redeemed.origin,
            session_token=token,
            # An OpenID Connect guest's ticket has the provider as its method.
            provider=redeemed.method if redeemed.method == user.auth_source else "",
        ),
        max_age=min(
            int(services.settings.session_lifetime.total_seconds()),
            cookies.AUTH_COOKIE_MAX_AGE_SECONDS,
        ),
        path=home.rstrip("/") or "/",
        httponly=True,
        samesite="lax",
        secure=redeemed.origin.startswith("https://"),
    )
    return response


def auth_routes() -> list[Route]:
    return [Route(SESSION_PATH, redeem_ticket, methods=["GET"])]
