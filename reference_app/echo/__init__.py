"""The echo demo: a route with a rate limit of its own and no database (``router``)."""
