"""decisions and the charter: votes, electorate, roll, tallies, public ballots, proxies,
colleges; the charter's articles, versions, amendments and signatures

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "charters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("preamble", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_charters_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charters")),
        sa.UniqueConstraint("collective_id", name=op.f("uq_charters_collective_id")),
    )
    op.create_table(
        "colleges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_colleges_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_colleges")),
        sa.UniqueConstraint("collective_id", "position", name=op.f("uq_colleges_collective_id")),
    )
    op.create_table(
        "vote_settings",
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("proxies_per_holder", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_vote_settings_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collective_id", name=op.f("pk_vote_settings")),
    )
    op.create_table(
        "charter_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=3000), nullable=False),
        sa.Column("approved_vote_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_charter_articles_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charter_articles")),
        sa.UniqueConstraint("charter_id", "position", name=op.f("uq_charter_articles_charter_id")),
    )
    op.create_table(
        "charter_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.JSON(), nullable=False),
        sa.Column("adopted_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=True),
        sa.Column("change", sa.String(length=300), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("pin", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_charter_versions_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charter_versions")),
        sa.UniqueConstraint("charter_id", "number", name=op.f("uq_charter_versions_charter_id")),
    )
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("threshold", sa.String(length=20), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("live_results", sa.Boolean(), nullable=False),
        sa.Column("changeable", sa.Boolean(), nullable=False),
        sa.Column("include_observers", sa.Boolean(), nullable=False),
        sa.Column("use_colleges", sa.Boolean(), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_votes_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["people.id"],
            name=op.f("fk_votes_created_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_collective_id"), ["collective_id"], unique=False)

    op.create_table(
        "charter_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charter_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("wording", sa.String(length=3000), nullable=False),
        sa.Column("rationale", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("vote_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["charter_articles.id"],
            name=op.f("fk_charter_amendments_article_id_charter_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["people.id"],
            name=op.f("fk_charter_amendments_author_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_charter_amendments_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["people.id"],
            name=op.f("fk_charter_amendments_decided_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charter_amendments")),
    )
    with op.batch_alter_table("charter_amendments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_charter_amendments_charter_id"), ["charter_id"], unique=False
        )

    op.create_table(
        "charter_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("signed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_charter_signatures_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["charter_versions.id"],
            name=op.f("fk_charter_signatures_version_id_charter_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charter_signatures")),
        sa.UniqueConstraint(
            "version_id", "person_id", name=op.f("uq_charter_signatures_version_id")
        ),
    )
    with op.batch_alter_table("charter_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_charter_signatures_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "college_members",
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("college_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["college_id"],
            ["colleges.id"],
            name=op.f("fk_college_members_college_id_colleges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_college_members_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_college_members")),
    )
    with op.batch_alter_table("college_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_college_members_college_id"), ["college_id"], unique=False
        )

    op.create_table(
        "vote_colleges",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_colleges_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vote_id", "position", name=op.f("pk_vote_colleges")),
    )
    op.create_table(
        "vote_electors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("college", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_vote_electors_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_vote_electors_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_electors_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_electors")),
        sa.UniqueConstraint("vote_id", "person_id", name=op.f("uq_vote_electors_vote_id")),
    )
    with op.batch_alter_table("vote_electors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_electors_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_options_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_options")),
        sa.UniqueConstraint("vote_id", "position", name=op.f("uq_vote_options_vote_id")),
    )
    op.create_table(
        "vote_rounds",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("proposal", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["votes.id"], name=op.f("fk_vote_rounds_vote_id_votes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vote_id", "number", name=op.f("pk_vote_rounds")),
    )
    op.create_table(
        "vote_tallies",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("college", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("option", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_tallies_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "vote_id", "round", "college", "option", "choice", name=op.f("pk_vote_tallies")
        ),
    )
    op.create_table(
        "vote_ballots",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=True),
        sa.Column("grades", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("cast_by", sa.Integer(), nullable=True),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["elector_id"],
            ["vote_electors.id"],
            name=op.f("fk_vote_ballots_elector_id_vote_electors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_ballots_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vote_id", "round", "elector_id", name=op.f("pk_vote_ballots")),
    )
    op.create_table(
        "vote_proxies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["giver_id"],
            ["vote_electors.id"],
            name=op.f("fk_vote_proxies_giver_id_vote_electors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["vote_electors.id"],
            name=op.f("fk_vote_proxies_holder_id_vote_electors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_proxies_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_proxies")),
        sa.UniqueConstraint("vote_id", "giver_id", name=op.f("uq_vote_proxies_vote_id")),
    )
    with op.batch_alter_table("vote_proxies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_proxies_holder_id"), ["holder_id"], unique=False)

    op.create_table(
        "vote_roll",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("cast_by", sa.Integer(), nullable=True),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["elector_id"],
            ["vote_electors.id"],
            name=op.f("fk_vote_roll_elector_id_vote_electors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"], ["votes.id"], name=op.f("fk_vote_roll_vote_id_votes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vote_id", "round", "elector_id", name=op.f("pk_vote_roll")),
    )


def downgrade() -> None:
    op.drop_table("vote_roll")
    with op.batch_alter_table("vote_proxies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_proxies_holder_id"))

    op.drop_table("vote_proxies")
    op.drop_table("vote_ballots")
    op.drop_table("vote_tallies")
    op.drop_table("vote_rounds")
    op.drop_table("vote_options")
    with op.batch_alter_table("vote_electors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_electors_vote_id"))

    op.drop_table("vote_electors")
    op.drop_table("vote_colleges")
    with op.batch_alter_table("college_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_college_members_college_id"))

    op.drop_table("college_members")
    with op.batch_alter_table("charter_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charter_signatures_version_id"))

    op.drop_table("charter_signatures")
    with op.batch_alter_table("charter_amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charter_amendments_charter_id"))

    op.drop_table("charter_amendments")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_votes_collective_id"))

    op.drop_table("votes")
    op.drop_table("charter_versions")
    op.drop_table("charter_articles")
    op.drop_table("vote_settings")
    op.drop_table("colleges")
    op.drop_table("charters")
