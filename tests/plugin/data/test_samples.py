"""Value fixtures: utc_now, sample_ids, and the parametrizing primary_key_strategy and with_soft_delete."""

from __future__ import annotations

import uuid

import pytest

from pytest_svc import uuid7


def test_utc_now_is_aware_utc_in_whole_milliseconds(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        from datetime import UTC, datetime, timedelta
        import pytest

        # Twenty samples: a clock that happens to land on a whole millisecond cannot pass them all.
        @pytest.mark.parametrize("n", range(20))
        def test_now(utc_now, n):
            assert utc_now.tzinfo is UTC
            assert utc_now.utcoffset() == timedelta(0)
            assert utc_now.microsecond % 1000 == 0
            assert utc_now <= datetime.now(UTC)
        """
    )
    sample_project.runpytest().assert_outcomes(passed=20)


def test_sample_ids_are_fresh_per_test_and_of_each_kind(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import uuid
        import pytest
        from pytest_svc import SampleIds

        seen = []

        @pytest.mark.parametrize("n", range(2))
        def test_ids(sample_ids, n):
            assert isinstance(sample_ids, SampleIds)
            assert type(sample_ids.int) is int
            assert isinstance(sample_ids.uuid4, uuid.UUID) and sample_ids.uuid4.version == 4
            assert isinstance(sample_ids.uuid7, uuid.UUID) and sample_ids.uuid7.version == 7
            seen.append(sample_ids)

        def test_each_test_got_new_ids():
            first, second = seen
            assert first.int != second.int
            assert first.uuid4 != second.uuid4
            assert first.uuid7 < second.uuid7
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_uuid7_is_version_7_and_time_ordered() -> None:
    ids = [uuid7() for _ in range(200)]
    assert all(isinstance(value, uuid.UUID) and value.version == 7 for value in ids)
    assert sorted(set(ids)) == ids  # strictly increasing, even within one millisecond


def test_primary_key_strategy_runs_the_test_once_per_kind(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import uuid
        from pytest_svc import PrimaryKeyStrategy

        def test_kind(primary_key_strategy):
            assert isinstance(primary_key_strategy, PrimaryKeyStrategy)
            first, second = primary_key_strategy.new_id(), primary_key_strategy.new_id()
            if primary_key_strategy.kind == "int":
                assert type(first) is int and first < second
            else:
                assert isinstance(first, uuid.UUID) and first != second
                assert first.version == second.version == int(primary_key_strategy.kind[-1])
            if primary_key_strategy.kind == "uuid7":
                assert first < second
        """
    )
    result = sample_project.runpytest("-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*::test_kind[[]pk-int[]] PASSED*",
            "*::test_kind[[]pk-uuid4[]] PASSED*",
            "*::test_kind[[]pk-uuid7[]] PASSED*",
        ]
    )


def test_with_soft_delete_runs_the_test_soft_then_hard(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        seen = []

        def test_delete(with_soft_delete):
            seen.append(with_soft_delete)

        def test_both_ran():
            assert seen == [True, False]
        """
    )
    result = sample_project.runpytest("-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*::test_delete[[]soft-delete[]] PASSED*", "*::test_delete[[]hard-delete[]] PASSED*"])


def test_strategies_combine_into_every_pair(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        def test_pair(primary_key_strategy, with_soft_delete):
            pass
        """
    )
    result = sample_project.runpytest("--collect-only", "-q")
    collected = {line.partition("::")[2] for line in result.stdout.lines if "::test_pair" in line}
    assert collected == {
        f"test_pair[pk-{kind}-{mode}-delete]" for kind in ("int", "uuid4", "uuid7") for mode in ("soft", "hard")
    }


def test_key_and_delete_strategies_against_template_models(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import uuid
        import pytest
        from sqlalchemy import func, select
        from pytest_svc import assert_not_deleted, assert_primary_key_set, assert_soft_deleted
        from sampleapp import Book, IntNote, UUID7Note, UUIDNote

        pytestmark = pytest.mark.asyncio
        NOTES = {"int": IntNote, "uuid4": UUIDNote, "uuid7": UUID7Note}

        async def test_keys(primary_key_strategy, make_test_model, db_session):
            model = NOTES[primary_key_strategy.kind]
            generated = await make_test_model(model)
            given = await make_test_model(model, id=primary_key_strategy.new_id())
            assert_primary_key_set(generated)
            assert type(generated.id) is type(given.id) is type(primary_key_strategy.new_id())
            if primary_key_strategy.kind != "int":
                assert generated.id.version == given.id.version == int(primary_key_strategy.kind[-1])
            db_session.expunge_all()
            assert (await db_session.get(model, given.id)).id == given.id

        async def test_delete(with_soft_delete, make_test_model, db_session):
            book = await make_test_model(Book)
            assert_not_deleted(book)
            if with_soft_delete:
                book.soft_delete(by="admin@example.com")
            else:
                await db_session.delete(book)
            await db_session.flush()
            remaining = await db_session.scalar(select(func.count()).select_from(Book))
            if with_soft_delete:
                assert_soft_deleted(book, deleted_by="admin@example.com")
                assert remaining == 1
            else:
                assert remaining == 0
        """
    )
    result = sample_project.runpytest("-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*::test_keys[[]pk-uuid7[]] PASSED*", "*::test_delete[[]hard-delete[]] PASSED*"])
