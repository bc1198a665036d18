"""``assert_no_pii`` and the ``app_logs`` fixture: what they find, what they let pass, and what a failure says."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_helper_checks


def test_assert_no_pii(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import logging
        import pytest
        from pytest_svc import assert_no_pii

        CLEAN = (
            'INFO app.requests: GET /documents/{id} 200 {"duration_ms": 1.25, "request_id": '
            '"0193a0e4-6f1b-7c2e-9d4a-5b6c7d8e9f00", "user": "u1", "at": "2026-12-01T18:16:29.935408+00:00", '
            '"password": "***", "authorization": "[masked]", "card": "4111 **** **** 1111", "order": 12345678901234, '
            '"trace": "019ade74-7087-9425-799a-1f41e8fb7997"}'
        )

        def test_passes():
            assert_no_pii(CLEAN)
            assert_no_pii([logging.makeLogRecord({"msg": "login ok", "user": "u1", "token": "***"})])
            assert_no_pii("nothing here", values=["sent-secret"])

        @pytest.mark.parametrize(
            "text",
            [
                "signup from ada@example.com",
                "header Authorization: Bearer abc.def-ghi_jkl012",
                "got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl",
                "paid with 4111 1111 1111 1111",
                "call +44 20 7946 0958",
                'body {"password": "hunter2"}',
                "api_key=sk_live_abcdef",
                "the test's value s3cr3t-v4lue",
            ],
            ids=["email", "bearer", "jwt", "card", "phone", "password", "api-key", "value"],
        )
        def test_finds(text):
            assert_no_pii(text, values=["s3cr3t-v4lue"])

        def test_reads_record_fields():
            fields = {"name": "app.requests", "msg": "request", "body": {"email": "ada@example.com"}}
            record = logging.makeLogRecord(fields)
            assert_no_pii([record])
        """,
        "-v",
        passed=1,
        failed=9,
    )
    outcome = result.stdout.str()
    for kind, shown in [
        ("an email address, in the text", "'ada@example.com'"),
        ("a bearer token, in the text", "'Bearer abc.def-ghi_jkl012'"),
        ("a JWT, in the text", "'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl'"),
        ("a card number, in the text", "'4111 1111 1111 1111'"),
        ("a phone number, in the text", "'+44 20 7946 0958'"),
        ("a secret (password), in the text", '\'"password": "hunter2\''),
        ("a secret (api_key), in the text", "'api_key=sk_live_abcdef'"),
        ("a value the test sent, in the text", "'s3cr3t-v4lue'"),
        ("an email address, in record app.requests:", "'ada@example.com'"),
    ]:
        assert f"- {kind}" in outcome, kind
        assert f"actual:   {shown}" in outcome, shown
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_no_pii: str does not match",
            "E *    expected: nothing personal or secret",
            "E *    fix: mask it before it is logged (the app's log filter or formatter), or log an ID instead*",
        ]
    )


def test_app_logs_reads_records_with_their_fields_and_forgets_them_after_the_test(
    sample_project: pytest.Pytester,
) -> None:
    sample_project.makepyfile(
        """
        import logging

        from pytest_svc import assert_no_pii

        log = logging.getLogger("sampleapp.requests")


        def test_captures(app_logs):
            log.debug("request body", extra={"body": {"name": "x"}})
            log.info("request", extra={"route": "/items/{id}", "status": 200})
            logging.getLogger("other").warning("unrelated")
            assert [record.getMessage() for record in app_logs.records] == ["request body", "request", "unrelated"]
            assert app_logs.fields("sampleapp", status=200) == [{"route": "/items/{id}", "status": 200}]
            both = [{"body": {"name": "x"}}, {"route": "/items/{id}", "status": 200}]
            assert app_logs.fields("sampleapp.requests") == both
            assert 'INFO sampleapp.requests: request {"route": "/items/{id}", "status": 200}' in app_logs.text
            assert_no_pii(app_logs)
            app_logs.clear()
            app_logs.set_level("WARNING")
            log.info("quiet now")
            assert app_logs.records == []


        def test_next_test_starts_empty_at_debug(app_logs):
            assert app_logs.records == []
            log.debug("seen")
            assert len(app_logs.records) == 1


        def test_pii_in_a_field_fails(app_logs):
            log.info("signup", extra={"email": "ada@example.com"})
            assert_no_pii(app_logs)
        """
    )
    result = sample_project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_no_pii: AppLogs does not match",
            "E *- an email address, in record sampleapp.requests:*",
            "E *    actual:   'ada@example.com'",
        ]
    )
