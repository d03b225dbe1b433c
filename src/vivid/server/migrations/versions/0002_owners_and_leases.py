"""owners of uploads and jobs; which process runs a job and its heartbeat

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vivid.server.records import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as b:
        b.add_column(sa.Column("owner", sa.String(64), nullable=True))
        b.create_index("ix_uploads_owner", ["owner"])
    with op.batch_alter_table("jobs") as b:
        b.add_column(sa.Column("owner", sa.String(64), nullable=True))
        b.add_column(sa.Column("claimed_by", sa.String(80), nullable=True))
        b.add_column(sa.Column("heartbeat_at", UTCDateTime(), nullable=True))
        b.create_index("ix_jobs_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as b:
        b.drop_index("ix_jobs_owner")
        b.drop_column("heartbeat_at")
        b.drop_column("claimed_by")
        b.drop_column("owner")
    with op.batch_alter_table("uploads") as b:
        b.drop_index("ix_uploads_owner")
        b.drop_column("owner")
