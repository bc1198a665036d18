"""The HTTP assertion helpers (problem details, pages): what passes and what a failure tells the reader."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_helper_checks


def test_assert_problem_detail(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import httpx
        from pytest_svc import assert_problem_detail

        PROBLEM = {"content-type": "application/problem+json"}

        def test_passes():
            body = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": None, "instance": "/x/1"}
            problem = assert_problem_detail(
                httpx.Response(404, json=body, headers=PROBLEM), 404, type="about:blank", title="Not Found", detail=None
            )
            assert problem["instance"] == "/x/1"

        def test_fails():
            body = {"title": "Conflict", "status": 400, "detail": "taken"}
            response = httpx.Response(409, json=body, headers={"content-type": "application/json"})
            assert_problem_detail(response, 404, title="Not Found")
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_problem_detail: Response does not match",
            "E *- content-type",
            "E *    expected: 'application/problem+json'",
            "E *    actual:   'application/json'",
            "E *    fix: answer errors with an exception handler that returns application/problem+json",
            "E *- HTTP status",
            "E *    expected: 404",
            "E *    actual:   409",
            "E *- status (in the body)",
            "E *    expected: 409",
            "E *    actual:   400",
            "E *    fix: the body's status must repeat the HTTP status",
            "E *- title",
            "E *    expected: 'Not Found'",
            "E *    actual:   'Conflict'",
            "E *- instance",
            "E *    expected: a non-empty URI reference",
            "E *    actual:   (missing)",
            "E *    fix: set instance to the request's path (request.url.path)",
            "E *body: {'title': 'Conflict', 'status': 400, 'detail': 'taken'}",
        ],
        consecutive=False,
    )


def test_assert_paginated(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import httpx
        from pytest_svc import assert_paginated

        def test_passes():
            page = {"items": [{"id": 3}], "total": 3, "limit": 2, "offset": 2}
            assert_paginated(httpx.Response(200, json=page), total=3, limit=2, offset=2, items=[{"id": 3}])
            assert_paginated({"items": [], "total": 0, "limit": 10, "offset": 0}, items=0)
            assert_paginated({"items": [1, 2], "next_cursor": "abc", "prev_cursor": None}, next_cursor="abc", items=2)
            assert_paginated({"items": [1], "next_cursor": None, "prev_cursor": "xyz"}, next_cursor=None)

        def test_fails():
            assert_paginated({"items": [0] * 4, "total": 24, "limit": 10, "offset": 20}, total=25, items=5)
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_paginated: the mapping does not match",
            "E *- total",
            "E *    expected: 25",
            "E *    actual:   24",
            "E *    fix: check how the endpoint computes total",
            "E *- len(items)",
            "E *    expected: 5",
            "E *    actual:   4",
            "E *    fix: check the query's filter and page size",
        ]
    )


def test_assert_paginated_checks_page_size_and_shape(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import pytest
        from pytest_svc import assert_paginated

        def test_passes():
            with pytest.raises(AssertionError, match="neither an offset page .* nor a cursor page"):
                assert_paginated({"results": []})
            with pytest.raises(AssertionError, match="prev_cursor"):
                assert_paginated({"items": [], "next_cursor": None})
            with pytest.raises(AssertionError, match=r"next_cursor\\n    expected: None\\n    actual:   'abc'"):
                assert_paginated({"items": [1], "next_cursor": "abc", "prev_cursor": None}, next_cursor=None)

        def test_fails():
            # The last page of 25 rows in pages of 10 holds 5: this one lost two.
            assert_paginated({"items": [0] * 3, "total": 25, "limit": 10, "offset": 20})
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "E *- len(items)",
            "E *    expected: 5",
            "E *    actual:   3",
            "E *    fix: an offset page holds min(limit, total - offset) items: check LIMIT/OFFSET and the count query",
        ]
    )
