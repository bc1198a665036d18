"""``make load``: start the reference app on its own data, seed it, run Locust headless, report and judge.

``python -m load.runner --help`` lists the options; ``docs/load.md`` tells the whole story.
"""
