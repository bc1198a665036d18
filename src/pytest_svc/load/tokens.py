"""Bearer tokens for simulated users: the tokens file, and handing its tokens out round-robin.

The file has one token per line; after the token, words separated by spaces are labels (``tok-123 admin``).
Blank lines and lines starting with ``#`` are skipped. A user class asks for the tokens carrying its label, or,
with no label, for the unlabelled ones. No Locust import.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

TOKENS_ENV = "SVC_LOAD_TOKENS_FILE"


class TokensError(Exception):
    """No usable token: the message names the file, the label and the fix."""


@dataclasses.dataclass(frozen=True)
class Token:
    """A bearer token and its labels."""

    value: str
    labels: frozenset[str] = frozenset()


def parse_tokens(text: str) -> list[Token]:
    """The tokens of a tokens file's content, in file order."""
    tokens = []
    for line in text.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            tokens.append(Token(fields[0], frozenset(fields[1:])))
    return tokens


def read_tokens(path: str | Path) -> list[Token]:
    """Read a tokens file; :class:`TokensError` when it cannot be read."""
    try:
        return parse_tokens(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TokensError(f"cannot read the tokens file {path}: {exc.strerror or exc}") from None


class TokenPool:
    """Hands out a file's tokens round-robin, separately per label: user 1 gets the first, user 2 the second..."""

    def __init__(self, tokens: list[Token], source: str = "the tokens file") -> None:
        self.tokens = tokens
        self.source = source
        self._cycles: dict[str | None, Iterator[Token]] = {}
        self._lock = threading.Lock()

    def matching(self, label: str | None) -> list[Token]:
        """The tokens with ``label``, or the unlabelled ones for None."""
        if label is None:
            return [token for token in self.tokens if not token.labels]
        return [token for token in self.tokens if label in token.labels]

    def next(self, label: str | None = None) -> str:
        """The next token for ``label``; :class:`TokensError` when the file has none."""
        with self._lock:
            if label not in self._cycles:
                candidates = self.matching(label)
                if not candidates:
                    wanted = f"with the label {label!r} (a line '<token> {label}')" if label else "without a label"
                    raise TokensError(f"{self.source} has no token {wanted}; add one, one token per line")
                self._cycles[label] = itertools.cycle(candidates)
            return next(self._cycles[label]).value
