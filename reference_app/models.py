"""Every table of the app on one ``Base.metadata``: import this where the whole schema is needed.

Each feature defines its models in its own package; nothing else imports all of them before the app is built.
The test plugin (``svc_metadata = "reference_app.models:Base"``) and Alembic (``migrations/env.py``) read the
schema from here, so neither depends on something else having imported the features first.
"""

from __future__ import annotations

from reference_app.db import Base
from reference_app.documents.models import Document, Tag
from reference_app.users.models import User

__all__ = ["Base", "Document", "Tag", "User"]
