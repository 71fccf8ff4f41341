"""INSERT … ON CONFLICT DO NOTHING … RETURNING: store the rows not stored yet and learn which
ones this statement stored, in one statement (PostgreSQL; SQLite 3.35 and later).

`bulk_create` cannot say that: with `ignore_conflicts` it returns no primary keys, and
`update_conflicts` rewrites (and on PostgreSQL locks) every row that was there already. Here a
row that another transaction is inserting at the same moment is waited for, then skipped: the
caller reads (and may lock) the skipped rows itself, knowing they are not its own.
"""

from collections.abc import Sequence

from django.db import router
from django.db.models import Model
from django.db.models.constants import OnConflict


def insert_missing(
    objs: Sequence[Model], *, key: str = "uid", returning: Sequence[str] = ()
) -> list[Model]:
    """Insert those of `objs` (unsaved, of one model) whose unique `key` is not stored yet.

    Returns the objects this statement inserted, with their primary key and the `returning`
    fields (names of columns without database converters: ids, foreign keys, text) as the
    database set them; a field may hold an expression that refers to no column of the row
    (a Subquery, say), and then reads back what it found. The others are left as they came.
    Field defaults and auto_now values are applied as `save()` would. No signals are sent.

    Built on `QuerySet._insert`, the method `save()` and `bulk_create()` insert with (Django
    5.2); tests/inventory/test_inserts.py pins its behaviour on both databases.
    """
    if not objs:
        return []
    model = type(objs[0])
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field]
    returned = [opts.get_field(key), opts.pk, *(opts.get_field(name) for name in returning)]
    using = router.db_for_write(model)
    rows = model._base_manager.using(using)._insert(
        objs,
        fields=fields,
        returning_fields=returned,
        using=using,
        on_conflict=OnConflict.IGNORE,
    )
    # One object: the backend fetches one row, None when the insert was skipped.
    by_key = {row[0]: row[1:] for row in rows if row is not None}
    inserted = []
    for obj in objs:
        values = by_key.get(getattr(obj, key))
        if values is None:
            continue
        for field, value in zip(returned[1:], values, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding, obj._state.db = False, using
        inserted.append(obj)
    return inserted
