"""GUI test fixtures (isolated user folders, the fixture model, a small app)."""

from tests.gui_support import _isolated_user_dirs, engine_g, gui, skip32  # noqa: F401
