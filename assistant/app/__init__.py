"""The application: settings, the runner that drives one case, the workers and the service.

It puts the domain, the journal and the portal flows together; the CLI sits on top.
"""
