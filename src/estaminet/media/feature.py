"""Voice, as the composition root sees it: the microphone test page and the voice topics."""

from __future__ import annotations

from estaminet.media.routes import routes
from estaminet.services import Feature, Services

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """Voice in rooms and at tables (``docs/voice.md``), and the stage (``docs/stage.md``)."""
    return Feature(
        "media",
        routes=routes,
        panels={"stage": services.stage.room_panel},
        topics=(
            services.voice.install,
            services.stage.install,
            services.stage_tables.install,
            services.board.install,
        ),
        table_extras=(services.board.table_extra,),
    )
