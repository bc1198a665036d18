"""``python -m load.runner``."""

from __future__ import annotations

import sys

from load.runner.cli import main

sys.exit(main())
