"""The test database: its target (``db_url``), its life (create, build, drop), the engine recipes, per-loop
connections, the running test's transaction and sessions, the fixtures, and SQL statement counting."""
