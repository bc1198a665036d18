"""SQLAlchemyFactory and register(): factory-boy factories writing into the running test's db_session."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import use_runner

# The runners that differ in how a fixture reaches the test's loop.
FACTORY_RUNNERS = ["asyncio-strict", "asyncio-strict-session-loop", "asyncio-auto", "anyio"]

# The user's factories, as a project's conftest.py would hold them. The author's name records the loop it was
# created on, so a test can check a fixture made it on the test's own loop.
FACTORIES = """
import asyncio
import factory
from pytest_svc import SQLAlchemyFactory
from sampleapp import Author, Book, Item


def loop_name():
    try:
        return f"loop-{id(asyncio.get_running_loop())}"
    except RuntimeError:  # build() in a synchronous test
        return "no-loop"


class AuthorFactory(SQLAlchemyFactory[Author]):
    class Meta:
        model = Author

    name = factory.LazyFunction(loop_name)
    email = factory.Sequence(lambda n: f"author{n}@example.com")


class BookFactory(SQLAlchemyFactory[Book]):
    class Meta:
        model = Book

    title = factory.Sequence(lambda n: f"Book {n}")
    author = factory.SubFactory(AuthorFactory)
    # The SubFactory's row is flushed before the book is made, so its key is there to copy.
    created_by = factory.LazyAttribute(lambda book: f"author-{book.author.id}")


class ItemFactory(SQLAlchemyFactory[Item]):
    class Meta:
        model = Item
        sqlalchemy_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"item-{n}")
"""


def test_create_async_writes_into_db_session_and_rolls_back(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(FACTORIES)
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from conftest import AuthorFactory, BookFactory, ItemFactory
        from sampleapp import Author, Book

        pytestmark = pytest.mark.asyncio

        async def count(session, model):
            return await session.scalar(select(func.count()).select_from(model))

        async def test_create_with_subfactory(db_session):
            book = await BookFactory.create_async(title="Dune")
            assert book.id is not None and book.author.id is not None
            assert book.title == "Dune" and book.created_by == f"author-{book.author.id}"
            assert book in db_session and book.author in db_session
            assert (await count(db_session, Book), await count(db_session, Author)) == (1, 1)

        async def test_create_batch_and_build(db_session):
            books = await BookFactory.create_batch_async(3, title="Same")
            assert [book.title for book in books] == ["Same"] * 3
            assert len({book.author.id for book in books}) == 3
            built = BookFactory.build()
            assert built.id is None and built.author.id is None and built not in db_session
            assert (await count(db_session, Book), await count(db_session, Author)) == (3, 3)

        async def test_nothing_left_from_earlier_tests(db_session):
            assert (await count(db_session, Book), await count(db_session, Author)) == (0, 0)

        async def test_the_app_sees_the_rows(db_session, client):
            await ItemFactory.create_batch_async(2)
            assert len((await client.get("/items")).json()) == 2

        async def test_get_or_create_finds_the_existing_row(db_session):
            first = await ItemFactory.create_async(name="same")
            assert await ItemFactory.create_async(name="same") is first
        """
    )
    sample_project.runpytest().assert_outcomes(passed=5)


def test_misuse_gets_a_message_naming_the_fix(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(FACTORIES)
    sample_project.makepyfile(
        """
        import pytest
        from conftest import AuthorFactory
        from pytest_svc import SQLAlchemyFactory
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_session_is_usable_after_a_refused_create(db_session):
            with pytest.raises(RuntimeError):
                AuthorFactory.create()
            assert (await AuthorFactory.create_async()).id is not None

        async def test_no_db_session():
            # The previous test's session was unbound at its teardown.
            await AuthorFactory.create_async()

        async def test_sync_create(db_session):
            AuthorFactory.create()

        async def test_commit_persistence(db_session):
            class Committing(SQLAlchemyFactory[Item]):
                class Meta:
                    model = Item
                    sqlalchemy_session_persistence = "commit"

            await Committing.create_async(name="x")
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(
        [
            "E *RuntimeError: pytest-svc: AuthorFactory.create_async() needs the test's db_session, and this test "
            "has none. Request the db_session fixture*",
            "E *RuntimeError: pytest-svc: AuthorFactory.create() cannot write through the test's AsyncSession "
            "synchronously. Use `await AuthorFactory.create_async(...)`*",
            "E *TypeError: pytest-svc: Committing sets Meta.sqlalchemy_session_persistence, but SQLAlchemyFactory "
            "always adds to the test's db_session and flushes (never commits). Remove the option.",
        ],
        consecutive=False,
    )


REGISTERED = """
import asyncio
import pytest
from pytest_svc import register
from conftest import AuthorFactory, BookFactory

{marker}

register(BookFactory)
register(AuthorFactory, "second_author")


async def test_fixtures({backend_arg}author, book, second_author, book_factory, db_session):
    loop = f"loop-{{id(asyncio.get_running_loop())}}"
    assert author.name == second_author.name == book.author.name == loop
    assert author.id is not None and author in db_session
    assert second_author.id != author.id and book.author.id not in (author.id, second_author.id)
    assert book_factory is BookFactory
    another = await book_factory.create_async(author=author)
    assert another.author is author


async def test_factory_fixture_alone_brings_the_session({backend_arg}author_factory):
    assert (await author_factory.create_async()).id is not None
"""


@pytest.mark.parametrize("runner", FACTORY_RUNNERS)
def test_register_fixtures_run_on_the_tests_loop(sample_project: pytest.Pytester, runner: str) -> None:
    marker = use_runner(sample_project, runner)
    anyio_backend = '\n@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n'
    # register() in conftest.py exposes the fixtures to every module below it.
    sample_project.makeconftest(
        FACTORIES + "\nimport pytest\nfrom pytest_svc import register\n\nregister(AuthorFactory)\n" + anyio_backend
    )
    backend_arg = "anyio_backend, " if runner == "anyio" else ""
    sample_project.makepyfile(test_registered=REGISTERED.format(marker=marker, backend_arg=backend_arg))
    sample_project.runpytest().assert_outcomes(passed=2)


def test_register_in_a_sync_test_and_in_the_fixture_listing(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(FACTORIES)
    sample_project.makepyfile(
        """
        from conftest import AuthorFactory, ItemFactory
        from pytest_svc import register

        register(AuthorFactory)

        @register
        class NamedItemFactory(ItemFactory):
            name = "named"

        def test_build_needs_no_loop(author_factory, item_factory):
            assert author_factory.build().id is None
            assert item_factory is NamedItemFactory

        def test_an_instance_needs_the_loop(author):
            pass
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*test_an_instance_needs_the_loop is not an async test*"])
    listing = sample_project.runpytest("--fixtures", "test_register_in_a_sync_test_and_in_the_fixture_listing.py")
    listing.stdout.fnmatch_lines(
        [
            "*fixtures defined from pytest_svc.data.factories*",
            "author_factory -- *pytest_svc/data/factories.py:*",
            "    The AuthorFactory factory class (from register()); in an async test create_async() writes into "
            "db_session.",
            "author -- *pytest_svc/data/factories.py:*",
            "    A new Author, created in db_session by AuthorFactory.create_async() (from register()).",
        ],
        consecutive=False,
    )
