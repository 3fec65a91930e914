"""People: roles and the read model of a person (declared in :mod:`estaminet.kernel.user`).

Features import them from here or from the kernel; the web shell and every layer below
the features import them from the kernel (see ``docs/architecture.md``, *Layers*).
"""

from __future__ import annotations

from estaminet.kernel.user import ROLE_LABELS, Role, User, initials_of

__all__ = ["ROLE_LABELS", "Role", "User", "initials_of"]
