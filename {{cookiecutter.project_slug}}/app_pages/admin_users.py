"""Admin: users. Search, filter, sort and page in the store; select a user to act on them."""

import contextlib
from typing import Any

import streamlit as st

from auth.domain import admin
from auth.texts import T
from auth.web import keys
from auth.web.client import current_client
from auth.web.guard import require_role
from auth.web.services import get_services

identity = require_role("admin")
services = get_services()
ip = current_client().ip
ANY = T.any_value
TABLE_KEY = keys.key("users", "table")
GENERATION_KEY = keys.key("users", "table_generation")
FLASH_KEY = keys.flash("users")
PAGE_KEY = keys.key("users", "page")
SHOWN_KEY = keys.key("users", "shown")
CHECKED_KEY = keys.key("users", "import_checked")
IMPORT_TEXT_KEY = keys.key("users", "import_text")
COLUMNS = ("username", "email", "first_name", "last_name", "roles", "status", "last_login_at")


def flash(kind: str, text: str) -> None:
    """Show `text` once, after the rerun that brings every widget up to date."""
    st.session_state[FLASH_KEY] = (kind, text)
    st.rerun()


def forget_selection() -> None:
    """Rows are about to shift (a user deleted or added): select nothing rather than a neighbour."""
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1


def attempt(action, *args, **kwargs) -> tuple[bool, Any]:
    """Run an admin action: (done, result); a refusal is shown as an error message."""
    try:
        return True, action(services, identity, *args, ip=ip, **kwargs)
    except admin.AdminError as exc:
        st.error(str(exc))
        return False, None


st.title(T.admin_users_title)
if FLASH_KEY in st.session_state:
    kind, text = st.session_state.pop(FLASH_KEY)
    getattr(st, kind)(text)

# --- the table ------------------------------------------------------------------------
search = st.text_input(
    T.admin_search, max_chars=admin.MAX_SEARCH_CHARS, placeholder=T.admin_search_placeholder
)
c1, c2, c3, c4, c5 = st.columns(5)
role = c1.selectbox(T.admin_role, (ANY, *services.settings.roles))
status = c2.selectbox(T.admin_status, (ANY, *admin.STATUSES))
sort = c3.selectbox(T.admin_sort_by, admin.SORT_KEYS)
descending = c4.toggle(T.admin_descending)
page_size = c5.selectbox(T.admin_per_page, admin.PAGE_SIZES, index=1)
flt = admin.UserFilter(
    search=search,
    role=None if role == ANY else role,
    status=None if status == ANY else status,
    sort=sort,
    descending=descending,
)
page_no = st.session_state.get(PAGE_KEY, 1)
found = admin.list_users(services, identity, flt, page=page_no, page_size=page_size)
st.caption(T.admin_users_found.format(total=found.total, page=found.page, pages=found.pages))
# A selection is a row number: when the rows change (search, filter, sort, page),
# a fresh table key drops it, so the same number cannot open a different user.
shown = (flt, found.page, page_size)
if st.session_state.get(SHOWN_KEY) != shown:
    st.session_state[SHOWN_KEY] = shown
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, -1) + 1
event = st.dataframe(
    found.rows,
    column_order=COLUMNS,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key=f"{TABLE_KEY}_{st.session_state[GENERATION_KEY]}",
)
if found.pages > 1:
    st.session_state[PAGE_KEY] = found.page  # clamped when the filter shrank the list
    st.number_input(T.page_number, min_value=1, max_value=found.pages, step=1, key=PAGE_KEY)

selected_rows = event.selection.rows if event else []
selected = (
    found.rows[selected_rows[0]]["username"]
    if selected_rows and selected_rows[0] < len(found.rows)
    else None
)

# --- the selected user ------------------------------------------------------------------
details = None
if selected:
    with contextlib.suppress(admin.AdminError):  # deleted meanwhile
        details = admin.user_details(services, identity, selected)
if details:
    user, record = details.user, details.record
    key = f"u{user.id}"
    with st.container(border=True):
        st.subheader(user.username)
        last_login = record["last_login_at"]
        st.write(
            T.admin_user_details.format(
                status=record["status"],
                must_change=T.admin_must_change if user.must_change_password else "",
                auth_source=user.auth_source,
                sessions=details.live_sessions,
                created=record["created_at"][:16],
                last_sign_in=last_login[:16] if last_login else T.admin_never,
            )
        )
        with st.form(f"edit_{key}"):
            first = st.text_input(T.first_name, user.first_name, max_chars=100)
            last = st.text_input(T.last_name, user.last_name, max_chars=100)
            email = st.text_input(T.email, user.email, max_chars=254)
            roles = st.multiselect(T.roles, services.settings.roles, default=list(user.roles))
            if st.form_submit_button(T.admin_save_changes):
                done, _ = attempt(
                    admin.update_user,
                    user.username,
                    email=email,
                    first_name=first,
                    last_name=last,
                    roles=roles,
                )
                if done:
                    flash("success", T.admin_saved.format(username=user.username))

        b1, b2, b3, b4 = st.columns(4)
        # Buttons render first; the action runs only on the run of the click.
        if user.disabled:
            if (
                b1.button(T.admin_enable, key=keys.key("users", "enable", key))
                and attempt(admin.set_disabled, user.username, False)[0]
            ):
                flash("success", T.admin_enabled.format(username=user.username))
        elif (
            not details.is_self
            and b1.button(T.admin_disable, key=keys.key("users", "disable", key))
            and attempt(admin.set_disabled, user.username, True)[0]
        ):
            flash("success", T.admin_disabled.format(username=user.username))
        if (
            user.is_locked(services.now())
            and b2.button(T.admin_unlock, key=keys.key("users", "unlock", key))
            and attempt(admin.unlock, user.username)[0]
        ):
            flash("success", T.admin_unlocked.format(username=user.username))
        if b3.button(T.admin_sign_out_everywhere, key=keys.key("users", "revoke", key)):
            done, count = attempt(admin.sign_out_everywhere, user.username)
            if done:
                flash("success", T.admin_signed_out.format(count=count, username=user.username))
        if not user.is_guest and b4.button(T.admin_send_reset, key=keys.key("users", "reset", key)):
            done, delivery = attempt(admin.send_password_reset, user.username)
            if done and delivery.emailed:
                flash("success", T.admin_reset_emailed.format(email=user.email))
            elif done:
                flash(
                    "warning",
                    T.admin_reset_link.format(username=user.username, link=delivery.link),
                )

        if not details.is_self:
            with st.expander(T.admin_delete_user):
                confirm = st.text_input(
                    T.admin_delete_confirm.format(username=user.username),
                    key=keys.key("users", "confirm", key),
                    max_chars=64,
                )
                if (
                    st.button(
                        T.admin_delete_permanently,
                        key=keys.key("users", "delete", key),
                        type="primary",
                    )
                    and attempt(admin.delete_user, user.username, confirm)[0]
                ):
                    forget_selection()
                    flash("success", T.admin_deleted.format(username=user.username))

# --- create ---------------------------------------------------------------------------
with st.expander(T.admin_create_user), st.form("create_user", clear_on_submit=True):
    username = st.text_input(T.username, max_chars=32)
    new_email = st.text_input(T.email, max_chars=254)
    new_first = st.text_input(T.first_name, max_chars=100)
    new_last = st.text_input(T.last_name, max_chars=100)
    new_roles = st.multiselect(T.roles, services.settings.roles)
    if st.form_submit_button(T.admin_create):
        _, created = attempt(
            admin.create_user,
            username=username,
            email=new_email,
            first_name=new_first,
            last_name=new_last,
            roles=new_roles,
        )
        if created is not None:
            forget_selection()
        if created is not None and created.one_time_password:
            flash(
                "warning",
                T.admin_created_password.format(
                    username=created.user.username, password=created.one_time_password
                ),
            )
        elif created is not None and created.emailed:
            flash("success", T.admin_created_emailed.format(username=created.user.username))
        elif created is not None:
            flash(
                "warning",
                T.admin_created_link.format(username=created.user.username, link=created.link),
            )

# --- import and export ------------------------------------------------------------------
with st.expander(T.import_title):
    st.markdown(T.import_help)
    # The browser refuses bigger files before they reach the server.
    upload = st.file_uploader(
        T.import_file, type=["csv"], max_upload_size=max(1, admin.MAX_IMPORT_BYTES // 1_000_000)
    )
    pasted = st.text_area(T.import_paste, key=IMPORT_TEXT_KEY, height=120)
    text = upload.getvalue().decode("utf-8", "replace") if upload is not None else pasted
    if st.button(T.import_check, key=keys.key("users", "import_check")):
        report = admin.import_users_csv(services, identity, text, ip=ip)
        st.session_state[CHECKED_KEY] = text
        if report.error:
            st.error(report.error)
        else:
            st.info(T.import_checked.format(created=report.created, skipped=report.skipped))
            st.dataframe(
                [r.__dict__ for r in report.rows],
                hide_index=True,
                key=keys.key("users", "import_dry"),
            )
    checked = st.session_state.get(CHECKED_KEY) == text and bool(text)
    if st.button(T.import_apply, key=keys.key("users", "import_apply"), disabled=not checked):
        bar = st.progress(0.0, text=T.import_creating)
        report = admin.import_users_csv(
            services, identity, text, apply=True, progress=bar.progress, ip=ip
        )
        st.session_state.pop(CHECKED_KEY, None)
        forget_selection()
        if report.error:
            st.error(report.error)
        else:
            st.success(T.import_done.format(created=report.created, skipped=report.skipped))
            st.dataframe(
                [r.__dict__ for r in report.rows],
                hide_index=True,
                key=keys.key("users", "import_done"),
            )

with st.expander(T.export_title):
    st.caption(T.export_note)
    if st.button(T.export_prepare, key=keys.key("users", "export_users")):
        st.download_button(
            T.export_download,
            admin.export_users_csv(services, identity, flt, ip=ip),
            file_name="users.csv",
            mime="text/csv",
        )
