"""Test data: sample values and parametrized strategies, fluent builders, factory-boy factories, and rows of any
mapped model (``make_test_model``)."""
