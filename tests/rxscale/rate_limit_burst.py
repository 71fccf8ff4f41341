"""One OS process of the cross-process rate-limit test (tests/rxscale/test_rate_limit.py).

`python -m tests.rxscale.rate_limit_burst CALLS UID`, with DJANGO_SETTINGS_MODULE,
DATABASE_URL and the RXSCALE_API_* settings in the environment. It builds the client from
settings, as the app does (shared limiter included), prints `ready`, waits for a line on stdin
so that every process starts at once, makes CALLS calls of `get_order(UID)`, and prints
`{"ok": …, "rate_limited": …}` as its last line.
"""

import json
import os
import sys

import django


def main() -> None:
    calls, uid = int(sys.argv[1]), sys.argv[2]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from django.db import connection

    from rxscale.client import RxScaleClient
    from rxscale.errors import RxScaleRateLimited

    connection.ensure_connection()  # connect before the start line, not inside the burst
    ok = rate_limited = 0
    with RxScaleClient() as client:
        print("ready", flush=True)
        sys.stdin.readline()
        for _ in range(calls):
            try:
                client.get_order(uid)
                ok += 1
            except RxScaleRateLimited:
                rate_limited += 1
    print(json.dumps({"ok": ok, "rate_limited": rate_limited}), flush=True)


if __name__ == "__main__":
    main()
