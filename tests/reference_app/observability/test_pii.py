"""Masking on its own: each kind of personal data and secret, in text and by field name; hypothesis makes the PII."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_svc import assert_no_pii
from reference_app.observability import mask_headers, mask_text, mask_value

SECRETS = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="\"'\\,;&}]"), min_size=8).map(
    lambda text: "Zq9" + text
)  # marked: never a piece of the log's own text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail ada@example.com now", "mail [email] now"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
        ("t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln", "t=[jwt]"),
        ("card 4111 1111 1111 1111 ok", "card [card ...1111] ok"),
        ("order 4111 1111 1111 1112", "order 4111 1111 1111 1112"),  # not a card number: Luhn fails
        ("call +44 20 7946 0958", "call [phone]"),
        ("password=hunter2&next=/", "password=***&next=/"),
        (
            "id 0193a0e4-6f1b-7c2e-9d4a-5b6c7d8e9f00 at 2026-12-01T18:16:29",
            "id 0193a0e4-6f1b-7c2e-9d4a-5b6c7d8e9f00 at 2026-12-01T18:16:29",
        ),
    ],
    ids=["email", "bearer", "jwt", "card", "not-a-card", "phone", "secret-pair", "ids-and-times-kept"],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_mask_value_masks_secret_fields_whatever_they_hold_and_every_string() -> None:
    value = {
        "title": "for ada@example.com",
        "password": "hunter2",
        "nested": {"api_key": {"id": 1}, "items": ["+44 20 7946 0958", 3]},
        "count": 2,
    }
    assert mask_value(value) == {
        "title": "for [email]",
        "password": "***",
        "nested": {"api_key": "***", "items": ["[phone]", 3]},
        "count": 2,
    }


def test_mask_headers() -> None:
    headers = [("authorization", "Bearer t0ken"), ("x-api-key", "k-123"), ("cookie", "s=1"), ("accept", "*/*")]
    assert mask_headers(headers) == {"authorization": "***", "x-api-key": "***", "cookie": "***", "accept": "*/*"}


@settings(max_examples=200, deadline=None, database=None)
@given(email=st.emails(), password=SECRETS, token=SECRETS.filter(lambda t: not t.startswith("*")))
def test_nothing_generated_survives_masking(email: str, password: str, token: str) -> None:
    body = {"email": email, "password": password, "note": f"reach me at {email}", "auth": f"Bearer {token}"}
    masked = str(mask_value(body)) + mask_text(f"Authorization: Bearer {token} from {email}")
    assert_no_pii(masked, values=[email, password, token])
