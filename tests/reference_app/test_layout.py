"""The reference app's arrows: features import infrastructure, never the reverse, and no feature imports another.

Read from the source, so a change that breaks the rule fails here naming the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import reference_app

APP = Path(reference_app.__file__).parent
FEATURES = {"documents", "users", "health", "echo"}
ASSEMBLY = {"main", "models"}  # put the features together (the app; its schema): the modules allowed to import them all


def room(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_features_import_infrastructure_never_the_reverse() -> None:
    assert {path.name for path in APP.iterdir() if path.is_dir()} >= FEATURES
    wrong = []
    for path in sorted(APP.rglob("*.py")):
        parts = path.relative_to(APP).with_suffix("").parts
        importer = parts[0]
        if importer in ASSEMBLY or importer == "migrations":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reference_app."):
                imported = room(node.module)
                if imported in FEATURES and imported != importer:
                    wrong.append(f"{path.relative_to(APP)} imports {node.module}")
    assert wrong == []
