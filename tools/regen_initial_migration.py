"""Developer tool: regenerate migration 0001 from store/models.py.

Only valid while no project file made by a released version exists (v0.1 development).
After the first release, add a new revision instead: ``alembic revision --autogenerate``.
Run from the repository root: ``python tools/regen_initial_migration.py``.
"""
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402

from store.db import alembic_config  # noqa: E402

VERSIONS = ROOT / "store" / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/empty.sqlite"
        command.revision(alembic_config(url), message="initial schema", autogenerate=True, rev_id="0001")


if __name__ == "__main__":
    main()
