"""The documents feature: tenant-scoped, audited, soft-deleted documents (``router``, ``models``, ``schemas``)."""
