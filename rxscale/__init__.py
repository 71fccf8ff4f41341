"""The link with RxScale, both directions (issue 8).

Out: the External Pharmacy API client (`client.py`, `errors.py`), the rate limit that every
process shares through the database (`ratelimit.py`), and the loopback stand-in that plays
RxScale for tests and the demo (`standin/`). The inbox, outbox and sync move or
arrive here in later steps.
"""
