"""My data: a readable page and a JSON download; an admin can get both for anyone."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from estaminet.kernel.errors import Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.people.model import ROLE_LABELS, Role
from estaminet.people.queries import user_by_id
from estaminet.privacy.export import FIELDS, SECTIONS, export_json, gather
from estaminet.services import services
from estaminet.web.pages import page, require_user

__all__ = ["routes"]


async def _subject(request: Request) -> Any:
    """Whose data: one's own, or (admins only) the person named in the address."""
    user = require_user(request)
    target_id = request.path_params.get("user_id")
    if target_id is None:
        return user
    if user.role is not Role.ADMIN:
        raise Forbidden("privacy/admins_only", N_("Only admins can see someone else's data."))
    async with services(request).db.read() as conn:
        target = await user_by_id(conn, target_id)
    if target is None:
        raise NotFound("people/unknown_person", N_("This person does not exist."))
    return target


async def data_page(request: Request) -> Response:
    subject = await _subject(request)
    data = await gather(services(request).db, subject.id, services(request).clock())
    base = request.url.path
    return page(
        request,
        "privacy/data.html",
        {
            "data": data,
            "sections": SECTIONS,
            "fields": FIELDS,
            "role_labels": {role.value: label for role, label in ROLE_LABELS.items()},
            "subject": subject,
            "json_url": f"{base}.json",
        },
    )


async def data_json(request: Request) -> Response:
    subject = await _subject(request)
    data = await gather(services(request).db, subject.id, services(request).clock())
    return Response(
        export_json(data),
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="estaminet-{subject.id}.json"',
            "cache-control": "no-store",
        },
    )


routes = [
    Route("/me/data", data_page, methods=["GET"]),
    Route("/me/data.json", data_json, methods=["GET"]),
    Route("/admin/people/{user_id}/data", data_page, methods=["GET"]),
    Route("/admin/people/{user_id}/data.json", data_json, methods=["GET"]),
]
