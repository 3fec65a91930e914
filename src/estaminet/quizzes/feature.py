"""Question sets, as the composition root sees them: their pages."""

from __future__ import annotations

from estaminet.quizzes.routes import routes
from estaminet.services import Feature, Services

__all__ = ["feature"]


def feature(services: Services) -> Feature:
    """The set list, the editor, the CSV import and the files of questions (``/quiz``)."""
    del services
    return Feature("quizzes", routes=routes)
