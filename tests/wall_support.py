"""Fixtures of the wall areas' tests (wallboard, help, recordings): their blueprints in
the panel under test until the lead lists them in panel/areas.py, and the store with
migration 11. Helpers without fixtures are in wall_events.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from panel.areas import AREAS
from store.models.quality import migration_11

WALL_AREAS = ["panel.supervisor.views:blueprint", "panel.help.views:blueprint",
              "panel.recordings.views:blueprint"]


@pytest.fixture(autouse=True)
def wall_areas() -> Iterator[None]:
    added = [a for a in WALL_AREAS if a not in AREAS]
    AREAS.extend(added)
    yield
    for area in added:
        AREAS.remove(area)


@pytest.fixture
def panel_db(tmp_path):
    from panel_support import open_panel_db
    db = open_panel_db(tmp_path / "panel.db", extra=(migration_11,))
    try:
        yield db
    finally:
        db.close()
