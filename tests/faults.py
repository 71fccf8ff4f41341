"""Real database faults for tests: a trigger that makes every insert (or update) of a table fail.

Nothing of ours is mocked: the handler runs for real and the database refuses its write, as
a full disk, a lost connection or a deadlock would. `transient=True` raises the error code of
a deadlock (PostgreSQL only), which the queue retries; otherwise a plain error, which fails
the delivery for good.
"""

from contextlib import contextmanager

from django.db import connection

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION test_injected_fault() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'injected fault' USING ERRCODE = '{code}';
END $$ LANGUAGE plpgsql
"""


def fault_on_insert_start(
    table: str, *, transient: bool = False, event: str = "INSERT", code: str = ""
) -> None:
    """`code` (PostgreSQL only): the SQLSTATE to raise, e.g. 57P01 (admin_shutdown: the
    server going down, an OperationalError) for a database outage."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # deadlock_detected / raise_exception
            code = code or ("40P01" if transient else "P0001")
            cursor.execute(_PG_FUNCTION.format(code=code))
            cursor.execute(
                f"CREATE TRIGGER test_injected_fault BEFORE {event} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION test_injected_fault()"
            )
        else:
            assert not transient and not code, "transient faults need PostgreSQL"
            cursor.execute(
                f"CREATE TRIGGER test_injected_fault BEFORE {event} ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )


def fault_on_insert_stop(table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS test_injected_fault ON {table}")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS test_injected_fault")


@contextmanager
def fault_on_insert(table: str, *, transient: bool = False, event: str = "INSERT", code: str = ""):
    fault_on_insert_start(table, transient=transient, event=event, code=code)
    try:
        yield
    finally:
        fault_on_insert_stop(table)
