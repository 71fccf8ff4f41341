"""The catch-up sync: read orders and pharmacy SKUs from RxScale's API and apply them.

Webhooks can be missed (our downtime beyond RxScale's retries, a subscription set up late, a
new installation). The sync pages through the list endpoints, reads each order's details
(the list leaves out the patient, the doctor, the PDF and `prepaid`), wraps every object in
the webhook envelope its handler expects and stores it as an inbox row with source `api`
(rxscale/inbox/intake.py `snapshot_receive`), then applies it at once through the same
pipeline: same staleness rules, same PDF storage, same history. An API answer is
authoritative: it settles ties (`needs_confirmation`).

- fetch.py: paging, pacing and retrying reads of the API;
- mapping.py: API objects in the webhook `data` shape;
- apply.py: one object through the inbox, and what it did to the order or SKU;
- run.py: `rxscale_sync` and `rxscale_settle_ties`;
- runs.py: the SyncRun record, one run at a time, the worker's schedule.
"""
