"""The performance harness behind `make bench` (see __main__.py)."""
