"""Load runs against the reference app: scenarios (locustfile), thresholds and the runner (``make load``)."""
