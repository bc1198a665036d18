"""The ``case`` of the parametrized ``primary_key_strategy``: the model that uses it and how to make its rows."""

from __future__ import annotations

import pytest

from pytest_svc import PrimaryKeyStrategy
from tests.reference_app.repository.cases import CASES, ModelCase


@pytest.fixture
def case(primary_key_strategy: PrimaryKeyStrategy) -> ModelCase:
    return CASES[primary_key_strategy.kind]
