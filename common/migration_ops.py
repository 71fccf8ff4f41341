"""Migration operations that run only on PostgreSQL (the app also runs on SQLite).

`PostgresOnlySQL` is `RunSQL` that does nothing on another database, so PostgreSQL-only
indexes (trigram GIN), functions and triggers can live in ordinary, reversible migrations.
`VendorSQL` runs the SQL given for the connection's vendor (e.g. a view defined differently).
"""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class VendorSQL(migrations.RunSQL):
    """`sql` and `reverse_sql` are dicts: vendor -> SQL (a vendor not named runs nothing)."""

    def __init__(self, sql: dict[str, str], reverse_sql: dict[str, str], **kwargs):
        self.by_vendor, self.reverse_by_vendor = sql, reverse_sql
        super().__init__(sql=list(sql.values()), reverse_sql=list(reverse_sql.values()), **kwargs)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        kwargs["sql"], kwargs["reverse_sql"] = self.by_vendor, self.reverse_by_vendor
        return name, args, kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        sql = self.by_vendor.get(schema_editor.connection.vendor)
        if sql:
            self._run_sql(schema_editor, sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        sql = self.reverse_by_vendor.get(schema_editor.connection.vendor)
        if sql:
            self._run_sql(schema_editor, sql)
