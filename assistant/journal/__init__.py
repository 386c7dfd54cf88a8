"""The journal: what was decided, attempted and confirmed for every case: a SQLite file,
or a PostgreSQL database that many workers share (one interface, `open_journal`).

It remembers across runs; it knows the domain's models and nothing of browsers.
"""
