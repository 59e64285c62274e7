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


def test_only_store_touches_sqlite():
    """Other modules may name sqlite_utils.Database in signatures, never run SQL themselves."""
    for path in PACKAGE.glob("*.py"):
        if path.name in ("store.py", "publish.py"):  # publish reads through Datasette's own connection
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name for a in node.names} & {"sqlite3", "sqlite_utils"}, path.name
            elif isinstance(node, ast.ImportFrom) and node.module in ("sqlite3", "sqlite_utils"):
                assert node.module == "sqlite_utils" and [a.name for a in node.names] == ["Database"], path.name
            elif isinstance(node, ast.Attribute) and node.attr in ("execute", "executescript", "insert", "insert_all", "upsert", "upsert_all", "query", "update"):
                assert not isinstance(node.value, ast.Name) or node.value.id not in ("db", "database", "conn"), f"{path.name} runs SQL"


def test_data_folders_are_not_packages():
    root = PACKAGE.parent
    assert not (root / "db" / "__init__.py").exists() and not (root / "scrapers" / "__init__.py").exists()
