"""The test Redis: its target and the checks that keep the plugin off data it did not create, ``mock_redis``,
simulated outages (``redis_down``) and the ``cache_helper``."""
