"""Admin: users. Search, filter, sort and page in the store; select a user to act on them."""

import contextlib
from typing import Any

import streamlit as st

from auth.domain import admin
from auth.web import keys
from auth.web.client import current_client
from auth.web.guard import require_role
from auth.web.services import get_services

identity = require_role("admin")
services = get_services()
ip = current_client().ip
ANY = "any"
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


st.title("Users")
if FLASH_KEY in st.session_state:
    kind, text = st.session_state.pop(FLASH_KEY)
    getattr(st, kind)(text)

# --- the table ------------------------------------------------------------------------
search = st.text_input(
    "Search", max_chars=admin.MAX_SEARCH_CHARS, placeholder="username, email or name"
)
c1, c2, c3, c4, c5 = st.columns(5)
role = c1.selectbox("Role", (ANY, *services.settings.roles))
status = c2.selectbox("Status", (ANY, *admin.STATUSES))
sort = c3.selectbox("Sort by", admin.SORT_KEYS)
descending = c4.toggle("Descending")
page_size = c5.selectbox("Per page", admin.PAGE_SIZES, index=1)
flt = admin.UserFilter(
    search=search,
    role=None if role == ANY else role,
    status=None if status == ANY else status,
    sort=sort,
    descending=descending,
)
page_no = st.session_state.get(PAGE_KEY, 1)
found = admin.list_users(services, identity, flt, page=page_no, page_size=page_size)
st.caption(
    f"{found.total} user(s); page {found.page} of {found.pages}. Select a row to see and act."
)
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
    st.number_input("Page", min_value=1, max_value=found.pages, step=1, key=PAGE_KEY)

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
        st.write(
            f"**Status:** {record['status']}"
            + (" (must change password)" if user.must_change_password else "")
            + f"  \n**Signs in with:** {user.auth_source}"
            + f"  \n**Live sessions:** {details.live_sessions}"
            + f"  \n**Created:** {record['created_at'][:16]} UTC"
            + f"  \n**Last sign-in:** {(record['last_login_at'] or 'never')[:16]}"
        )
        with st.form(f"edit_{key}"):
            first = st.text_input("First name", user.first_name, max_chars=100)
            last = st.text_input("Last name", user.last_name, max_chars=100)
            email = st.text_input("Email", user.email, max_chars=254)
            roles = st.multiselect("Roles", services.settings.roles, default=list(user.roles))
            if st.form_submit_button("Save changes"):
                done, _ = attempt(
                    admin.update_user,
                    user.username,
                    email=email,
                    first_name=first,
                    last_name=last,
                    roles=roles,
                )
                if done:
                    flash("success", f"Saved {user.username}.")

        b1, b2, b3, b4 = st.columns(4)
        # Buttons render first; the action runs only on the run of the click.
        if user.disabled:
            if (
                b1.button("Enable", key=keys.key("users", "enable", key))
                and attempt(admin.set_disabled, user.username, False)[0]
            ):
                flash("success", f"Enabled {user.username}.")
        elif (
            not details.is_self
            and b1.button("Disable", key=keys.key("users", "disable", key))
            and attempt(admin.set_disabled, user.username, True)[0]
        ):
            flash("success", f"Disabled {user.username}; their sessions have ended.")
        if (
            user.is_locked(services.now())
            and b2.button("Unlock", key=keys.key("users", "unlock", key))
            and attempt(admin.unlock, user.username)[0]
        ):
            flash("success", f"Unlocked {user.username}.")
        if b3.button("Sign out everywhere", key=keys.key("users", "revoke", key)):
            done, count = attempt(admin.sign_out_everywhere, user.username)
            if done:
                flash("success", f"Ended {count} session(s) of {user.username}.")
        if not user.is_guest and b4.button(
            "Send password reset link", key=keys.key("users", "reset", key)
        ):
            done, delivery = attempt(admin.send_password_reset, user.username)
            if done and delivery.emailed:
                flash("success", f"A reset link was emailed to {user.email}.")
            elif done:
                flash(
                    "warning",
                    "Email is not configured. Give this one-time link to "
                    f"{user.username} in person; it is shown only now:\n\n`{delivery.link}`",
                )

        if not details.is_self:
            with st.expander("Delete this user"):
                confirm = st.text_input(
                    f"Type {user.username} to confirm",
                    key=keys.key("users", "confirm", key),
                    max_chars=64,
                )
                if (
                    st.button(
                        "Delete permanently", key=keys.key("users", "delete", key), type="primary"
                    )
                    and attempt(admin.delete_user, user.username, confirm)[0]
                ):
                    forget_selection()
                    flash("success", f"Deleted {user.username}.")

# --- create ---------------------------------------------------------------------------
with st.expander("Create a user"), st.form("create_user", clear_on_submit=True):
    username = st.text_input("Username", max_chars=32)
    new_email = st.text_input("Email", max_chars=254)
    new_first = st.text_input("First name", max_chars=100)
    new_last = st.text_input("Last name", max_chars=100)
    new_roles = st.multiselect("Roles", services.settings.roles)
    if st.form_submit_button("Create"):
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
                f"Created {created.user.username}. Their one-time password, shown only "
                f"now (they choose a new one at first sign-in):\n\n"
                f"`{created.one_time_password}`",
            )
        elif created is not None and created.emailed:
            flash("success", f"Created {created.user.username}; a link was emailed to them.")
        elif created is not None:
            flash(
                "warning",
                f"Created {created.user.username}; the email failed. Give them this "
                f"one-time link, shown only now:\n\n`{created.link}`",
            )

# --- import and export ------------------------------------------------------------------
with st.expander("Import users from CSV"):
    st.markdown(
        "Columns: `username,email,first_name,last_name,roles` (only username and email "
        "are required; separate roles with `;`). Imported users have no password: send "
        "them a reset link. Check the file first; nothing is created until you confirm."
    )
    # The browser refuses bigger files before they reach the server.
    upload = st.file_uploader(
        "CSV file", type=["csv"], max_upload_size=max(1, admin.MAX_IMPORT_BYTES // 1_000_000)
    )
    pasted = st.text_area("… or paste the CSV here", key=IMPORT_TEXT_KEY, height=120)
    text = upload.getvalue().decode("utf-8", "replace") if upload is not None else pasted
    if st.button("Check (dry run)", key=keys.key("users", "import_check")):
        report = admin.import_users_csv(services, identity, text, ip=ip)
        st.session_state[CHECKED_KEY] = text
        if report.error:
            st.error(report.error)
        else:
            st.info(f"{report.created} to create, {report.skipped} to skip.")
            st.dataframe(
                [r.__dict__ for r in report.rows],
                hide_index=True,
                key=keys.key("users", "import_dry"),
            )
    checked = st.session_state.get(CHECKED_KEY) == text and bool(text)
    if st.button("Create these users", key=keys.key("users", "import_apply"), disabled=not checked):
        bar = st.progress(0.0, text="Creating users…")
        report = admin.import_users_csv(
            services, identity, text, apply=True, progress=bar.progress, ip=ip
        )
        st.session_state.pop(CHECKED_KEY, None)
        forget_selection()
        if report.error:
            st.error(report.error)
        else:
            st.success(f"Created {report.created}, skipped {report.skipped}.")
            st.dataframe(
                [r.__dict__ for r in report.rows],
                hide_index=True,
                key=keys.key("users", "import_done"),
            )

with st.expander("Export users as CSV"):
    st.caption("The users matching the search and filters above; no passwords or hashes.")
    if st.button("Prepare the export", key=keys.key("users", "export_users")):
        st.download_button(
            "Download users.csv",
            admin.export_users_csv(services, identity, flt, ip=ip),
            file_name="users.csv",
            mime="text/csv",
        )
