"""Per-subject data keys in a PostgreSQL schema of their own (ADR 0023); apart from ``keys`` so
that only a PostgreSQL store loads psycopg."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from psycopg.sql import SQL, Composed, Identifier

from carepassport.adapters.personal.keys import (
    AesGcmPersonalData,
    Row,
    _dict_row,
    _stored_as_given,
)


class PostgresKeyTable:
    """``cp_data_keys`` in a schema of its own (``<store schema>_keys``) on the store's pool."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        self.schema = f"{datastore.schema}_keys"
        with datastore.transaction(commit=True) as curs:
            curs.execute(self._sql("CREATE SCHEMA IF NOT EXISTS {schema}"))
            curs.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {schema}.cp_data_keys (key_id text PRIMARY KEY, "
                    "subject text NOT NULL, generation int NOT NULL, key bytea, "
                    "UNIQUE (subject, generation))"
                )
            )

    def _sql(self, text: str) -> Composed:
        return SQL(text).format(schema=Identifier(self.schema))

    def latest(self, subject: str) -> Row | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                self._sql(
                    "SELECT key_id, subject, generation, key FROM {schema}.cp_data_keys "
                    "WHERE subject = %s ORDER BY generation DESC LIMIT 1"
                ),
                (subject,),
            )
            return _dict_row(curs.fetchone())

    def insert(self, row: Row) -> Row:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._sql(
                    "INSERT INTO {schema}.cp_data_keys VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING"
                ),
                row,
            )
            curs.execute(
                self._sql(
                    "SELECT key_id, subject, generation, key FROM {schema}.cp_data_keys "
                    "WHERE key_id = %s"
                ),
                (row[0],),
            )
            found = _dict_row(curs.fetchone())
        assert found is not None
        return found

    def insert_all(self, rows: list[Row]) -> set[str]:
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                self._sql(
                    "INSERT INTO {schema}.cp_data_keys VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING"
                ),
                rows,
            )
            curs.execute(
                self._sql("SELECT key_id, key FROM {schema}.cp_data_keys WHERE key_id = ANY(%s)"),
                ([r[0] for r in rows],),
            )
            stored = {found["key_id"]: found["key"] for found in curs.fetchall()}
        return _stored_as_given(rows, stored)

    def get(self, key_id: str) -> Row | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                self._sql(
                    "SELECT key_id, subject, generation, key FROM {schema}.cp_data_keys "
                    "WHERE key_id = %s"
                ),
                (key_id,),
            )
            return _dict_row(curs.fetchone())

    def get_all(self, key_ids: list[str]) -> list[Row]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                self._sql(
                    "SELECT key_id, subject, generation, key FROM {schema}.cp_data_keys "
                    "WHERE key_id = ANY(%s)"
                ),
                (key_ids,),
            )
            found = [_dict_row(row) for row in curs.fetchall()]
        return [r for r in found if r is not None]

    def erase(self, subjects: list[str]) -> int:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._sql(
                    "UPDATE {schema}.cp_data_keys SET key = NULL "
                    "WHERE subject = ANY(%s) AND key IS NOT NULL"
                ),
                (subjects,),
            )
            return int(curs.rowcount)

    def close(self) -> None:
        pass  # the store's pool is closed with the store


def postgres_personal_data(factory: InfrastructureFactory[Any]) -> AesGcmPersonalData:
    """The key store of the PostgreSQL store ``factory`` opened (a schema of its own)."""
    if not isinstance(factory, PostgresFactory):
        raise TypeError("a PostgreSQL key store needs a PostgreSQL store")
    return AesGcmPersonalData(PostgresKeyTable(factory.datastore))
