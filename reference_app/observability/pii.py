"""Masking personal data and secrets before anything is logged: a plain function of values, tested on its own.

- by field name: anything under a key that names a secret (``password``, ``token``, ``api_key``, ``secret``,
  ``authorization``, ``cookie``, card fields) becomes ``***``, whatever it holds;
- in free text: emails become ``[email]``, bearer tokens ``Bearer ***``, JWTs ``[jwt]``, card numbers
  (Luhn-checked) ``[card ...1234]``, international phone numbers ``[phone]``.

Regular expressions by hand: the well-kept detectors (Presidio) need a language model; a log filter must be
fast and give the same answer every time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
SECRET_KEY = re.compile(
    r"(?i)(password|passwd|passphrase|secret|token|api[_-]?key|authorization|cookie|credential|card|cvv|cvc)"
)
# Every character RFC 5322 allows in an unquoted local part.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+\S+")  # whatever the client sent, up to the next space
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Not inside a longer token: a UUID's or a hash's digit runs are no card number.
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)")
_SECRET_PAIR = re.compile(
    r"(?i)(?P<key>[\w-]*(?:password|passwd|secret|token|api[_-]?key)[\w-]*)(?P<sep>\s*[:=]\s*)(?P<value>[^\s&,;]+)"
)


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return f"[card ...{digits[-4:]}]" if _luhn(digits) else match.group()


def mask_text(text: str) -> str:
    """``text`` with emails, bearer tokens, JWTs, card numbers, phone numbers and ``secret=value`` pairs masked."""
    text = _JWT.sub("[jwt]", text)
    text = _BEARER.sub(lambda match: f"{match.group(1)} {MASK}", text)
    text = _SECRET_PAIR.sub(lambda match: f"{match.group('key')}{match.group('sep')}{MASK}", text)
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub("[phone]", text)


def mask_value(value: Any, key: str | None = None) -> Any:
    """A JSON-like value with every secret field and every string masked, nested mappings and lists included."""
    if key is not None and SECRET_KEY.search(key):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {str(name): mask_value(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return value


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Request or response headers for a log: secret ones (``Authorization``, ``Cookie``, ``X-API-Key``) masked."""
    return {name: mask_value(value, name) for name, value in headers}
