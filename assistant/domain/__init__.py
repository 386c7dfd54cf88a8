"""The domain: orders, cases and plans as pydantic models, and the pure decision policy.

State in, plan out. Nothing here touches a browser, a database, the network or the clock:
the layers above (``assistant.journal``, ``flows``, ``assistant.app``) feed it facts.
"""
