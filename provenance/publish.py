"""Datasette publishing: the project's metadata and `provenance serve`. Reads the database, never writes it."""

from __future__ import annotations

import json
import tempfile
from importlib import resources
from pathlib import Path

from . import store


def metadata(database: str) -> dict:
    """Datasette metadata for a database named `database` (Datasette names a database by its file stem)."""
    shipped = json.loads((resources.files("provenance") / "_db" / "metadata.json").read_text(encoding="utf-8"))
    tables = shipped.pop("tables")
    return {**shipped, "databases": {database: {"tables": tables}}}


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False, writable: bool = False) -> None:
    """Run Datasette on the database with our metadata until interrupted."""
    from datasette.cli import cli as datasette_cli

    db_path = Path(db_path)
    store.open_existing(db_path).close()  # a missing file or one that is not ours is refused with a clear error
    with tempfile.TemporaryDirectory(prefix="provenance-serve-") as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(db_path.stem)), encoding="utf-8")
        args = ["serve", "--metadata", str(meta), "--host", host, "--port", str(port)]
        args += [str(db_path)] if writable else ["-i", str(db_path)]
        if open_browser:
            args.append("--open")
        datasette_cli.main(args, prog_name="provenance serve", standalone_mode=False)
