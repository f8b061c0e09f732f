"""greeting newcomers of the Telegram group: a switch per collective, who was greeted

Revision ID: 0007
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("greet_newcomers", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "greetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("arrived_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("greeted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_greetings_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_greetings")),
        sa.UniqueConstraint(
            "collective_id", "telegram_id", name=op.f("uq_greetings_collective_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("greetings")
    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.drop_column("greet_newcomers")
