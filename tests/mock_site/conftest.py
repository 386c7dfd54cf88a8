"""The mock portal's tests (helpers in mock_site_client.py, fixtures in mock_site.pytest_plugin)."""

import pytest

from mock_site.server import MockPortal


@pytest.fixture(scope="session")
def base_url(mock_portal: MockPortal) -> str:
    # pytest-playwright's own fallback `base_url` is a session fixture defined as an
    # instance method, which pytest 9 reports as PytestRemovedIn10Warning (an error with
    # filterwarnings=error); defining it here also lets `page.goto("/orders")` work.
    return mock_portal.url
