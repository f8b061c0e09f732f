"""how conversations ended, for their buttons pressed later; conversation ids never reused

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite gave the id of the newest row deleted to the next one: with AUTOINCREMENT, a
        # button of an ended conversation never reaches a later one (PostgreSQL's sequence
        # never went back).
        with op.batch_alter_table(
            "conversations", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    op.create_table(
        "ended_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=True),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_ended_conversations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_conversations")),
    )
    with op.batch_alter_table("ended_conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ended_conversations_conversation_id"), ["conversation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ended_conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_conversations_conversation_id"))
    op.drop_table("ended_conversations")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "conversations", recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ):
            pass
