"""The rules of Loup-Garou in plain words, from the package's own roles (the rules page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.games.werewolf.roles import ROLE_NAMES, ROLE_POWERS
from estaminet.kernel.i18n import N_, Text

__all__ = ["rules_sections"]


def rules_sections(options: Mapping[str, Any] | None = None) -> list[tuple[Text, list[Text]]]:
    """Titled sections of short rules: the aim, the night and the day, then every role."""
    roles = [
        Text(N_("%(role)s: %(power)s"), {"role": Text(ROLE_NAMES[role]), "power": Text(power)})
        for role, power in ROLE_POWERS.items()
    ]
    return [
        (
            Text(N_("The aim")),
            [
                Text(
                    N_(
                        "Each player gets a secret role: Werewolf or villager. The Werewolves win "
                        "when they are as many as the others; the village wins when every "
                        "Werewolf is out."
                    )
                ),
                Text(
                    N_(
                        "At night the Werewolves choose a victim, and the villagers with a power "
                        "use it when the narrator calls them."
                    )
                ),
                Text(
                    N_(
                        "By day everyone talks, on voice if you can, and the village votes to "
                        "put someone out."
                    )
                ),
            ],
        ),
        (Text(N_("The roles")), roles),
    ]
