"""What the recording scrubber learns as a secret, and what it must leave alone."""

from __future__ import annotations

import pytest

from flows.browser.scrub import SecretSet

SECRETS = [
    (
        '{"orderId":"8211279521850032","_tb_token_":"MYzNDFIEA5OFlWgg-7NYwRXRjGdB1D1A"}',
        "MYzNDFIEA5OFlWgg-7NYwRXRjGdB1D1A",
    ),
    ('var config = {"yes": "Yes", "token": "ABCDEFGH12"};', "ABCDEFGH12"),
    (r'{\"token\": \"ESCAPED12x\"}', "ESCAPED12x"),  # JSON inside a trace's JSON
    ('<input type="hidden" value="CSRF1234abc" id="x" name="csrf_token">', "CSRF1234abc"),
    ('<meta name="csrf-token" content="meta123TOKEN">', "meta123TOKEN"),
    ("a=1&_tb_token_=FORMTOK1z&b=2", "FORMTOK1z"),
    ("/x?session_token=URLtok12345&amp;token=AMPtok12345", "URLtok12345"),
    ("/x?session_token=URLtok12345&amp;token=AMPtok12345", "AMPtok12345"),
    ("csrfToken: 'jsTok12345abc'", "jsTok12345abc"),
]
#: Texts next to secret-sounding names that are not secrets: scrubbing them would rewrite
#: every copy (labels, flags in the HAR's own JSON, order numbers) and break the replay.
NOT_SECRETS = [
    '{"token_title": "Track order now", "forgotPassword": "Forgot your password?"}',
    '<input name="remember_password" value="true">',
    '{"code":"ORDER_CANCELLED"}',
    '<input name="code" value="8211279521850032">',
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_secrets_are_learned_wherever_they_stand(text: str, secret: str) -> None:
    found = SecretSet()
    found.learn_from(text)
    assert secret in found.values
    assert secret not in found.scrub(text)


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_labels_flags_and_order_numbers_are_left_alone(text: str) -> None:
    found = SecretSet()
    found.learn_from(text)
    assert found.values == set()
    assert found.scrub(text) == text
