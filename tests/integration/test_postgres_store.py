"""What is particular to a PostgreSQL store: its schema and tables, and how it is refused."""

from __future__ import annotations

from contextlib import closing
from uuid import UUID

import psycopg
from click.testing import CliRunner

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.mail.notification import Notification
from carepassport.entrypoints.cli import cli
from tests.stores import drop_schema, new_schema_name

TABLES = {
    "carepassport_events",
    "carepassport_snapshots",
    "carepassport_tracking",
    "cp_views_schema",
    "cp_deadlines",
    "cp_outbox",
    "cp_held_results",
    "cp_report_employees",
    "cp_report_facts",
    "cp_report_owners",
    "cp_staged_results",
    "cp_audit_leaves",
    "cp_audit_head",
    "cp_portal_sessions",
}


def schema_of(url: str) -> str:
    return url.split("?schema=", 1)[1]


def catalog(url: str, schema: str, query: str) -> list[tuple[object, ...]]:
    with closing(psycopg.connect(url.split("?", 1)[0])) as c:
        return c.execute(query.encode(), (schema,)).fetchall()


class TestFirstUse:
    def test_first_use_creates_the_schema_and_the_tables_the_readme_names(
        self, postgres_url: str, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        bootstrap(postgres_url, clock=clock, mailer=mailer).close()

        tables = catalog(
            postgres_url,
            schema_of(postgres_url),
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        )

        assert {name for (name,) in tables} == TABLES

    def test_the_deadline_index_covers_only_unsettled_items_in_due_order(
        self, postgres_url: str, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        bootstrap(postgres_url, clock=clock, mailer=mailer).close()

        (definition,) = catalog(
            postgres_url,
            schema_of(postgres_url),
            "SELECT indexdef FROM pg_indexes "
            "WHERE schemaname = %s AND indexname = 'cp_deadlines_due'",
        )[0]

        assert "(due_at, priority, sequence) WHERE (NOT settled)" in str(definition)

    def test_two_schemas_in_one_database_are_two_separate_stores(
        self, postgres_server: str, postgres_url: str, clock: SettableClock
    ) -> None:
        first = bootstrap(postgres_url, clock=clock, mailer=InMemoryMailer())
        first.reference.add_micro_credential("IPAC", "IPAC")
        other = f"{postgres_server}?schema={new_schema_name()}"
        second = bootstrap(other, clock=clock, mailer=InMemoryMailer())
        try:
            assert [m.code for m in first.reference.list_micro_credentials()] == ["IPAC"]
            assert second.reference.list_micro_credentials() == []
        finally:
            first.close()
            second.close()
            drop_schema(postgres_server, schema_of(other))


class TestRefusals:
    def test_a_read_on_a_schema_that_holds_no_store_is_refused_and_creates_nothing(
        self, postgres_server: str
    ) -> None:
        schema = new_schema_name()

        result = CliRunner().invoke(
            cli, ["--store", f"{postgres_server}?schema={schema}", "catalog", "list"]
        )

        assert result.exit_code == 1
        assert "no store" in result.stderr
        assert (
            catalog(postgres_server, schema, "SELECT 1 FROM pg_namespace WHERE nspname = %s") == []
        )

    def test_an_unreachable_server_is_refused_with_a_reason_not_a_traceback(self) -> None:
        result = CliRunner().invoke(
            cli,
            [
                "--store",
                "postgresql://postgres@127.0.0.1:1/care",
                "catalog",
                "add",
                "X",
                "--title",
                "X",
            ],
        )

        assert result.exit_code == 1
        assert result.stderr.startswith("error: cannot reach postgresql://postgres@127.0.0.1:1")
        assert "Traceback" not in result.stderr

    def test_a_malformed_store_url_is_refused_with_the_reason(self) -> None:
        result = CliRunner().invoke(
            cli,
            ["--store", "postgresql://postgres@127.0.0.1/care?schema=Bad-Name", "catalog", "list"],
        )

        assert result.exit_code == 1
        assert "lowercase letters" in result.stderr


class TestLargeSaves:
    def test_a_save_of_thousands_of_events_applies_its_views_in_the_same_transaction(
        self, postgres_url: str, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        """A nightly sync's batch: thousands of view rows written by executemany() inside the
        insert's pipeline, then the views' tracking row (it once failed with "the last
        operation didn't produce records")."""
        services = bootstrap(postgres_url, clock=clock, mailer=mailer)
        services.outbox.deliver_in_background(lambda: None)
        try:
            for batch in range(3):  # the failure depended on timing: three large saves
                services.app.record(
                    *(
                        Notification.queue(
                            kind="test",
                            recipient="someone@example.org",
                            subject="Subject",
                            body="Body",
                            about_id=UUID(int=batch * 3000 + n + 1),
                            cause_version=1,
                            queued_at=clock.now(),
                        )
                        for n in range(3000)
                    )
                )

            assert services.app.views.position() == services.app.recorder.max_notification_id()
            assert len(services.app.views.outbox()) == 9000
        finally:
            services.close()
