"""Server time and SQL statements per request, for the bench's screens scenario only.

Installed as the outermost middleware only when `BENCH_SERVER_TIMING` is true (the bench
harness sets it; nothing else should). It adds `Server-Timing: app;dur=<ms>, db;dur=<ms>` (app:
from the first middleware in to the response out: every middleware, the view and the template;
db: the part of it spent waiting for SQL statements) and
`X-Bench-Queries: <n>`, every statement this request sent on the default connection (session
and user included). Neither header says anything about the data.
"""

import time

from django.db import connection


def server_timing_middleware(get_response):
    def middleware(request):
        statements, waited = 0, 0.0

        def count(execute, sql, params, many, context):
            nonlocal statements, waited
            statements += 1
            sent = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                waited += time.perf_counter() - sent

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = get_response(request)
        app = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"app;dur={app:.2f}, db;dur={waited * 1000:.2f}"
        response["X-Bench-Queries"] = str(statements)
        return response

    return middleware
