"""English: every text a person reads on the auth pages, and the emails the app sends.

Reword a text here and every page that shows it changes. Names say what a text is
for; `{braces}` are filled in by `str.format` and must stay as they are. To
translate, see auth/texts/__init__.py.
"""

from __future__ import annotations


class Texts:
    # --- words used on several pages ---------------------------------------------------
    sign_in: str = "Sign in"
    sign_out: str = "Sign out"
    signing_in: str = "Signing you in…"
    back_to_sign_in: str = "Back to sign in"
    username: str = "Username"
    username_or_email: str = "Username or email"
    email: str = "Email"
    email_address: str = "Email address"
    password: str = "Password"
    new_password: str = "New password"
    repeat_it: str = "Repeat it"
    name_field: str = "Name"
    first_name: str = "First name"
    last_name: str = "Last name"
    roles: str = "Roles"
    none: str = "none"
    any_value: str = "any"  # the filter choice that keeps every row
    page_number: str = "Page"
    no_smtp_note: str = (
        "This app cannot send email yet: the message was written to the server log, and an "
        "administrator must deliver it to you."
    )
    invalid_link: str = (
        "This link is not valid: it was already used, has expired, or was replaced by a "
        "newer one. Ask for a new link."
    )

    # --- menu and page titles (navigation.py, menu.py) -----------------------------------
    nav_forgot_password: str = "Forgot password"
    nav_forgot_username: str = "Forgot username"
    nav_reset_password: str = "Reset password"
    nav_confirm_email: str = "Confirm email"
    nav_admin_section: str = "Admin"
    menu_signed_in_as: str = "Signed in as **{username}**"

    # --- access to a page (auth/web/guard.py) and the sign-in route ----------------------
    guard_sign_in_first: str = "Please sign in."
    guard_not_allowed: str = "You do not have access to this page."
    route_cross_site_refused: str = "Cross-site sign-in refused."

    # --- the sign-in page (app_pages/login.py, auth/web/sign_in.py) ----------------------
    sign_in_title: str = "Sign in to {app}"
    # Unknown user, wrong password, disabled and locked all get this one message.
    sign_in_failed: str = (
        "Incorrect username or password. After several failed attempts, "
        "sign-in is paused for a few minutes."
    )
    # Added to sign_in_failed only after the right password.
    sign_in_unverified_hint: str = (
        "If you registered recently, confirm your email address first: open the link we sent you."
    )
    sign_in_too_many_users: str = "Too many people are signed in right now. Please try again later."
    sign_in_resend_confirmation: str = "Send the confirmation link again"
    sign_in_confirmation_resent: str = (
        "If your address still needs confirming, a new link is on its way."
    )

    # [option: guests=yes]
    # --- guest sign-in with an OpenID Connect provider (auth/web/oidc_ui.py) -------------
    oidc_sign_in_with: str = "Sign in with {provider}"
    oidc_generic_provider: str = "single sign-on"
    # Seen by whoever opens the page first after deployment: the admin.
    oidc_not_set_up: str = (
        "Sign-in with {provider} is not set up yet. Administrator: add "
        "`[auth]` redirect_uri and `[auth.{name}]` to the app's secrets (see README.md)."
    )
    oidc_back: str = "Back to sign-in"
    oidc_refused: str = (
        "This account may not sign in here. Ask an administrator if you think it should."
    )
    oidc_domain_refused: str = "Sign-in is limited to email addresses of approved domains."
    oidc_email_taken: str = (
        "An account with this email address already exists. Sign in the way you did before."
    )
    oidc_failed: str = "Sign-in with this provider did not work. Please try again."

    # [end option: guests=yes]
    # [option: captcha=image]
    # --- the captcha (auth/web/captcha_field.py) -----------------------------------------
    captcha_label: str = "Type the characters in the picture"
    captcha_caption: str = "Can't read it? Submit and you get a new one."
    captcha_needed: str = "Please also type the characters in the picture."
    captcha_failed: str = "The characters did not match the picture. Please try the new one."

    # [end option: captcha=image]
    # [option: registration=invite_only,open]
    # --- creating an account (app_pages/register.py) -------------------------------------
    register_title: str = "Create an account"
    register_closed: str = "Registration is closed. Ask an administrator for an account."
    register_invite_only_note: str = (
        "Registration is by invitation: use the email address your invitation went to."
    )
    register_domains: str = "Use an email address at {domains}."
    register_repeat_password: str = "Repeat the password"
    register_button: str = "Create account"
    register_enter_first_name: str = "Enter your first name."
    register_enter_last_name: str = "Enter your last name."
    register_not_possible: str = (
        "An account cannot be created with these details. If you were invited, use the "
        "email address the invitation was sent to. If you already have an account, sign "
        "in or reset your password."
    )
    register_ready: str = "Your account is ready. You can sign in now."
    register_check_email: str = (
        "Your account is created. We sent a link to {email}: "
        "open it to confirm your address, then sign in."
    )
    register_email_failed: str = (
        "Your account is created, but the confirmation email could not be sent. "
        "An administrator must send you the link; try signing in later."
    )
    register_have_account: str = "Already have an account? Sign in"

    # [end option: registration=invite_only,open]
    # --- forgot password (app_pages/forgot_password.py) ----------------------------------
    forgot_password_title: str = "Forgot your password?"
    forgot_password_intro: str = (
        "Enter your username or email address. We will email you a link to choose a new password."
    )
    forgot_password_button: str = "Send the link"
    # One answer for every request, whether or not an account matched.
    forgot_password_sent: str = (
        "If an account matches, we have sent a link to reset its password to the email "
        "address on file. The link works once and expires soon."
    )
    forgot_password_enter_login: str = "Enter your username or email."
    forgot_password_bad_login: str = "That is not a valid username or email."

    # --- forgot username (app_pages/forgot_username.py) ----------------------------------
    forgot_username_title: str = "Forgot your username?"
    forgot_username_intro: str = (
        "Enter the email address of your account and we will send you its username."
    )
    forgot_username_button: str = "Send my username"
    forgot_username_sent: str = (
        "If an account uses that email address, we have sent its username there."
    )
    forgot_username_enter_email: str = "Enter your email address."
    forgot_username_bad_email: str = "That is not a valid email address."

    # --- reset password with an emailed link (app_pages/reset_password.py) ---------------
    reset_title: str = "Choose a new password"
    reset_done: str = (
        "Your password was changed and every session of your account was signed out. "
        "Sign in with the new password."
    )
    reset_open_link: str = (
        "Open the link from your password reset email to choose a new password here."
    )
    reset_ask_link: str = "Ask for a reset link"
    reset_intro: str = (
        "Use at least {min_length} characters; a few unrelated words "
        "make a strong password that is easy to remember."
    )
    reset_button: str = "Save new password"
    reset_ask_new_link: str = "Ask for a new link"
    passwords_differ: str = "The two passwords do not match."

    # --- first sign-in with a one-time password (app_pages/set_password.py) --------------
    set_password_title: str = "Set your password"
    set_password_intro: str = (
        "Welcome, **{username}**. You signed in with a one-time password; "
        "choose your own to continue (at least {min_length} characters; "
        "a few unrelated words make a strong one)."
    )
    set_password_button: str = "Save password"
    set_password_mismatch: str = "The passwords do not match."

    # --- confirming an email address (app_pages/verify_email.py) -------------------------
    verify_title: str = "Confirm your email address"
    verify_open_link: str = "Open the link from your email to confirm your address here."
    verify_done: str = "Thank you: {email} is confirmed."

    # --- the account page (app_pages/account.py, auth/domain/account.py) -----------------
    account_title: str = "Account"
    account_summary: str = "**Username:** {username}  \n**Email:** {email}"
    account_roles: str = "**Roles:** {roles}"
    account_save_name: str = "Save name"
    account_name_saved: str = "Name saved."
    account_guest_header: str = "Email and password"
    account_guest_note: str = (
        "You sign in with **{provider}**: your email address and password are managed there."
    )
    account_change_email: str = "Change email"
    account_new_email: str = "New email address"
    account_email_link_sent: str = (
        "We sent a confirmation link to {email}. Your address changes when you open it."
    )
    account_email_no_smtp: str = (
        "This app cannot send email yet: an administrator has your confirmation "
        "link in the server log and must send it to you. Your address changes "
        "when you open it."
    )
    account_email_from_provider: str = "Your email address comes from your sign-in provider."
    account_same_email: str = "That is already your email address."
    account_too_many_emails: str = "Too many confirmation emails were sent. Try again in an hour."
    account_change_password: str = "Change password"
    account_current_password: str = "Current password"
    account_repeat_new_password: str = "Repeat new password"
    account_password_changed: str = "Password changed. Your other sessions have been signed out."
    account_wrong_password: str = "The password is not correct."
    account_current_password_wrong: str = "The current password is not correct."
    account_new_passwords_differ: str = "The new passwords do not match."
    account_same_password: str = "Choose a password different from the current one."
    account_locked: str = "Too many wrong passwords. Try again in a few minutes."
    account_sessions_header: str = "Sessions"
    account_session: str = "**{browser}**  \nSigned in {created}, last seen {last_seen}"
    account_session_from: str = (
        "**{browser}** from {ip}  \nSigned in {created}, last seen {last_seen}"
    )
    account_time_format: str = "%Y-%m-%d %H:%M UTC"  # strftime
    account_browser_on_system: str = "{browser} on {system}"
    account_browser_on: str = "Browser on {system}"
    account_unknown_browser: str = "Unknown browser"
    account_this_session: str = "This session"
    account_session_ended: str = "That session was signed out."
    account_sign_out_others: str = "Sign out all other sessions"
    account_others_signed_out: str = "Signed out {count} other session(s)."
    account_no_other_sessions: str = "No other sessions."
    account_delete_header: str = "Delete account"
    account_delete_note: str = (
        "This removes your account and signs you out everywhere. It cannot be undone."
    )
    account_delete_confirm: str = "Type your username to confirm"
    account_delete_button: str = "Delete my account"
    account_delete_mismatch: str = "Type your username, {username}, to confirm."
    account_last_admin: str = (
        "You are the last administrator, so your account cannot be deleted. "
        "Make someone else an administrator first."
    )

    # --- admin: users (app_pages/admin_users.py, auth/domain/admin.py) -------------------
    admin_users_title: str = "Users"
    admin_search: str = "Search"
    admin_search_placeholder: str = "username, email or name"
    admin_role: str = "Role"
    admin_status: str = "Status"
    admin_sort_by: str = "Sort by"
    admin_descending: str = "Descending"
    admin_per_page: str = "Per page"
    admin_users_found: str = "{total} user(s); page {page} of {pages}. Select a row to see and act."
    admin_user_details: str = (
        "**Status:** {status}{must_change}  \n**Signs in with:** {auth_source}"
        "  \n**Live sessions:** {sessions}  \n**Created:** {created} UTC"
        "  \n**Last sign-in:** {last_sign_in}"
    )
    admin_must_change: str = " (must change password)"
    admin_never: str = "never"
    admin_save_changes: str = "Save changes"
    admin_saved: str = "Saved {username}."
    admin_enable: str = "Enable"
    admin_enabled: str = "Enabled {username}."
    admin_disable: str = "Disable"
    admin_disabled: str = "Disabled {username}; their sessions have ended."
    admin_unlock: str = "Unlock"
    admin_unlocked: str = "Unlocked {username}."
    admin_sign_out_everywhere: str = "Sign out everywhere"
    admin_signed_out: str = "Ended {count} session(s) of {username}."
    admin_send_reset: str = "Send password reset link"
    admin_reset_emailed: str = "A reset link was emailed to {email}."
    admin_reset_link: str = (
        "Email is not configured. Give this one-time link to "
        "{username} in person; it is shown only now:\n\n`{link}`"
    )
    admin_delete_user: str = "Delete this user"
    admin_delete_confirm: str = "Type {username} to confirm"
    admin_delete_permanently: str = "Delete permanently"
    admin_deleted: str = "Deleted {username}."
    admin_create_user: str = "Create a user"
    admin_create: str = "Create"
    admin_created_password: str = (
        "Created {username}. Their one-time password, shown only "
        "now (they choose a new one at first sign-in):\n\n`{password}`"
    )
    admin_created_emailed: str = "Created {username}; a link was emailed to them."
    admin_created_link: str = (
        "Created {username}; the email failed. Give them this "
        "one-time link, shown only now:\n\n`{link}`"
    )
    admin_no_such_user: str = "There is no user named {username!r}."
    admin_last_admin: str = (
        "This is the last active admin: give another active user the admin role first."
    )
    admin_self_demote: str = "You cannot demote your own account here: ask another admin."
    admin_self_disable: str = "You cannot disable your own account here: ask another admin."
    admin_self_delete: str = "You cannot delete your own account here: ask another admin."
    admin_email_in_use: str = "Another user already has that email address."
    admin_username_taken: str = "That username is already taken."
    admin_email_taken: str = "That email is already taken."
    admin_guest_no_password: str = "A guest signs in with their provider: no password."
    admin_enable_first: str = "Enable the account first."
    admin_no_email: str = "This user has no email address."
    admin_delete_mismatch: str = "Type {username} exactly to confirm; nothing was deleted."

    # --- admin: import and export users as CSV -------------------------------------------
    import_title: str = "Import users from CSV"
    import_help: str = (
        "Columns: `username,email,first_name,last_name,roles` (only username and email "
        "are required; separate roles with `;`). Imported users have no password: send "
        "them a reset link. Check the file first; nothing is created until you confirm."
    )
    import_file: str = "CSV file"
    import_paste: str = "… or paste the CSV here"
    import_check: str = "Check (dry run)"
    import_checked: str = "{created} to create, {skipped} to skip."
    import_apply: str = "Create these users"
    import_creating: str = "Creating users…"
    import_done: str = "Created {created}, skipped {skipped}."
    import_too_large: str = "The file is larger than {megabytes} MB: split it."
    import_missing_columns: str = (
        "The first line must name the columns {columns}; missing: {missing}."
    )
    import_unknown_columns: str = "Unknown column(s): {columns}."
    import_too_many_rows: str = "More than {rows} rows: split the file."
    import_unreadable: str = "This is not a readable CSV file (line {line}: {error})."
    import_row_extra_cells: str = "more cells than columns"
    import_row_repeated: str = "repeats an earlier row's username or email"
    import_row_exists: str = "a user with this username or email already exists"
    export_title: str = "Export users as CSV"
    export_note: str = "The users matching the search and filters above; no passwords or hashes."
    export_prepare: str = "Prepare the export"
    export_download: str = "Download users.csv"

    # --- admin: invitations (app_pages/admin_invitations.py) -----------------------------
    invite_title: str = "Invitations"
    invite_note: str = (
        "Whoever registers with an invited address may do so once, before the invitation expires."
    )
    invite_emails: str = "Email addresses"
    invite_emails_placeholder: str = "one per line, or separated by commas"
    invite_expires: str = "Expires after (UTC, optional)"
    invite_button: str = "Invite"
    invite_added: str = "Invited {added} new address(es)."
    invite_added_renewed: str = (
        "Invited {added} new address(es); updated {renewed} already invited."
    )
    invite_remove_choice: str = "Remove an invitation"
    invite_remove: str = "Remove"
    invite_removed: str = "Removed the invitation for {email}."
    invite_none: str = "Enter at least one email address."
    invite_too_many: str = "At most {count} addresses at once."
    invite_not_emails: str = "Not an email address: {addresses}. Nothing was added."
    invite_past_expiry: str = "The expiry date is in the past."
    invite_not_found: str = "There is no invitation for {email!r}."

    # --- admin: the audit log (app_pages/admin_audit.py) ---------------------------------
    audit_title: str = "Audit log"
    audit_days: str = "Days (UTC)"
    audit_actor: str = "Actor (username)"
    audit_event: str = "Event"
    audit_outcome: str = "Outcome"
    audit_locked_now: str = "Accounts locked now"
    audit_failures: str = "Sign-in failures in range"
    audit_sign_ins_header: str = "Sign-ins per day, by method"
    audit_day_axis: str = "day (UTC)"
    audit_sign_ins_axis: str = "sign-ins"
    audit_no_sign_ins: str = "No sign-ins in this range."
    audit_active_header: str = "Active users per day"
    audit_active_series: str = "active users"
    audit_users_axis: str = "users"
    audit_no_active_users: str = "No active users in this range."
    audit_events_header: str = "Events"
    audit_events_found: str = "{total} event(s), newest first; page {page} of {pages}."
    audit_prepare_export: str = "Prepare CSV export of the filtered events"
    audit_download: str = "Download audit.csv"

    # --- input rules (auth/domain/validators.py) -----------------------------------------
    username_missing: str = "Enter a username."
    username_invalid: str = (
        "A username has 3 to 32 characters: letters, digits, '.', '_' or '-', "
        "starting with a letter or digit."
    )
    email_missing: str = "Enter an email address."
    email_invalid: str = "Enter a valid email address, like name@example.com."
    name_too_long: str = "{label} can have at most {max_chars} characters."
    name_not_allowed: str = "{label} contains characters that are not allowed."
    name_letters_only: str = (
        "{label} can only have letters, spaces, apostrophes, hyphens and periods."
    )
    role_unknown: str = "Unknown role: {unknown}. Available: {available}."
    password_too_short: str = "Use at least {min_length} characters (you have {length})."
    password_too_long: str = "Use at most {max_chars} characters."
    password_repeats: str = "This password is too common: it repeats one or two characters."
    password_personal: str = "This password is too close to your username, email or the app's name."
    # Followed by the password checker's own advice (in English).
    password_guessable: str = "This password is too common or too easy to guess."
    password_not_accepted: str = "Not accepted yet: {problem}"
    password_strength: str = "Strength: {strength}."
    strength_very_weak: str = "very weak"
    strength_weak: str = "weak"
    strength_fair: str = "fair"
    strength_strong: str = "strong"
    strength_very_strong: str = "very strong"

    # --- emails (auth/domain/recovery.py, auth/domain/account.py) ------------------------
    mail_reset_subject: str = "{app}: reset your password"
    mail_reset_body: str = (
        "Hello {name},\n\n"
        "Someone (hopefully you) asked to reset the password of your account "
        "'{username}' at {app}. Open this link to choose a "
        "new password; it works once and expires in {minutes} minutes:\n\n{link}\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )
    mail_password_changed_subject: str = "{app}: your password was changed"
    mail_password_changed_body: str = (
        "Hello {name},\n\nThe password of your account '{username}' at "
        "{app} was just reset, and every session was signed out.\n\n"
        "If this was not you, contact an administrator at once.\n"
    )
    mail_username_subject: str = "{app}: your username"
    mail_username_body: str = (
        "Hello {name},\n\nYour username at {app} is:\n\n"
        "    {username}\n\nYou can also sign in with this email address.\n"
    )
    mail_verify_subject: str = "{app}: confirm your email address"
    mail_verify_body: str = (
        "Hello {name},\n\nPlease confirm that this is the email address of "
        "your account '{username}' at {app} by opening this "
        "link (it works once and expires in {hours} hours):\n\n{link}\n\n"
        "If you did not create this account, ignore this email.\n"
    )
    mail_email_change_subject: str = "Confirm your new email address for {app}"
    mail_email_change_body: str = (
        "Hello {name},\n\n"
        "Someone (hopefully you) asked to use this address for the account "
        "{username} on {app}. To confirm, open this link within {hours} hours:\n\n"
        "{link}\n\n"
        "If you did not ask for this, ignore this message: nothing changes.\n"
    )
    mail_email_changed_subject: str = "Your email address for {app} was changed"
    mail_email_changed_body: str = (
        "Hello {name},\n\n"
        "The email address of the account {username} on {app} was changed "
        "to {email}.\n\n"
        "If you did not do this, contact an administrator at once.\n"
    )
