"""The health feature: the probes that say whether the service is up (``router``)."""
