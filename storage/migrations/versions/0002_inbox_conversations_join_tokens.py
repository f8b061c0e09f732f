"""the inbox, conversations, live messages, join tokens; creators active from registration

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_inbox")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_waiting", ["bot_id", "state", "received_at"], unique=False)
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_updates_processed_at"))
    op.drop_table("processed_updates")

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=40), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.BigInteger(), nullable=True),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_conversations_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_conversations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_person_id"), ["person_id"], unique=False)
    # Questions half-answered under the old scheme are asked again from the start.
    op.drop_table("pending_inputs")

    op.create_table(
        "live_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("shown", sa.String(length=64), nullable=True),
        sa.Column("edited_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("touched", sa.Integer(), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_live_messages_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_live_messages_key")),
    )
    with op.batch_alter_table("live_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_messages_collective_id"), ["collective_id"], unique=False
        )

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("join_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_collectives_join_token"), ["join_token"])
    connection = op.get_bind()
    collectives = sa.table("collectives", sa.column("id"), sa.column("join_token"))
    for (collective_id,) in connection.execute(sa.select(collectives.c.id)).all():
        connection.execute(
            collectives.update()
            .where(collectives.c.id == collective_id)
            .values(join_token=secrets.token_urlsafe(12))
        )
    # Whoever registered a collective animates it from that moment.
    memberships = sa.table("memberships", sa.column("role"), sa.column("status"))
    connection.execute(
        memberships.update()
        .where(memberships.c.role == "animateur", memberships.c.status == "onboarding")
        .values(status="active")
    )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_collectives_join_token"), type_="unique")
        batch_op.drop_column("join_token")
    with op.batch_alter_table("live_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_messages_collective_id"))
    op.drop_table("live_messages")
    op.create_table(
        "pending_inputs",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_pending_inputs_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_pending_inputs_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_pending_inputs")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_person_id"))
    op.drop_table("conversations")
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_updates_processed_at"), ["processed_at"], unique=False
        )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_waiting")
    op.drop_table("inbox")
