"""Assertion helpers: records (audit, soft delete, timestamps, keys), HTTP (problem details, pages), edge headers
(request IDs, security headers), rate limits and cache entries.

Each fails with an ``AssertionError`` listing every wrong field with expected, actual and the fix (the shared
report lives in ``_report``). Import them from ``pytest_svc``.
"""
