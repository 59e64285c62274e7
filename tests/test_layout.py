"""The house rules that keep the stages apart: who may import the network and who may write SQLite."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "provenance"


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_fetch_touches_the_network():
    users = {p.name for p in PACKAGE.glob("*.py") if imports(p) & {"requests", "urllib3", "httpx", "socket"}}
    assert users == {"fetch.py"}


def test_only_store_writes_sqlite():
    users = {p.name for p in PACKAGE.glob("*.py") if imports(p) & {"sqlite3", "sqlite_utils"}}
    # pipeline uses sqlite_utils.Database only as a type in signatures
    assert users <= {"store.py", "pipeline.py"}
    source = (PACKAGE / "pipeline.py").read_text(encoding="utf-8")
    assert ".execute(" not in source and ".insert" not in source and ".upsert" not in source


def test_data_folders_are_not_packages():
    root = PACKAGE.parent
    assert not (root / "db" / "__init__.py").exists() and not (root / "scrapers" / "__init__.py").exists()
