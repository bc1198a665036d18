"""A small FastAPI + async SQLAlchemy + Redis service that pytest-svc is tested against."""
