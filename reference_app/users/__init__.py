"""The users feature: the callers' profiles and preferences, and user administration for admins."""
