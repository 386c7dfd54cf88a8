"""The journal: what was decided, attempted and confirmed for every case, in SQLite.

It remembers across runs; it knows the domain's models and nothing of browsers.
"""
