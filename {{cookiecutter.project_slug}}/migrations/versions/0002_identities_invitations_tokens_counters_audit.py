"""Guest identities, invitations, emailed tokens, flood counters, the audit log; users gain
email_verified and auth_source, an empty email (NULL key), and an index for sorting by name.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _user_id(**kw: Any) -> sa.Column[int]:
    return sa.Column(
        "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, **kw
    )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_key", existing_type=sa.String(254), nullable=True)
        # Existing users signed up with a password and a known email.
        batch.add_column(
            sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("auth_source", sa.String(32), nullable=False, server_default="local")
        )
    op.create_index("ix_users_name", "users", ["last_name", "first_name"])
    op.create_table(
        "identities",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        _user_id(),
    )
    op.create_index("ix_identities_user_id", "identities", ["user_id"])
    op.create_table(
        "invitations",
        sa.Column("email_key", sa.String(254), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("invited_by", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime()),
        sa.Column("used_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        _user_id(),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "counters",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("window_start", sa.DateTime(), primary_key=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_counters_expires_at", "counters", ["expires_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("target", sa.String(254), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_event", "audit_log", ["event"])


def downgrade() -> None:
    for table in ("audit_log", "counters", "tokens", "invitations", "identities"):
        op.drop_table(table)
    op.drop_index("ix_users_name", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("auth_source")
        batch.drop_column("email_verified")
        batch.alter_column("email_key", existing_type=sa.String(254), nullable=False)
