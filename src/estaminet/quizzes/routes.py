"""HTTP routes of question sets: the list, the editor, the CSV import, the files, a table's choice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from estaminet.games.quiz import REJECTION_MESSAGES, SAMPLE_SET
from estaminet.kernel.errors import BadInput, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int
from estaminet.people.access import can_write_quiz_sets
from estaminet.people.model import User
from estaminet.quizzes import sets
from estaminet.quizzes.csvformat import CSV_MESSAGES, EXAMPLE, CsvProblem, parse_csv
from estaminet.quizzes.forms import blank_question, read_set
from estaminet.quizzes.media import FILE_NAME, content_type, drop_media, save_media
from estaminet.services import services
from estaminet.tables import actions as table_actions
from estaminet.web.pages import page, require_user, tr
from estaminet.web.security import form_with_csrf

__all__ = ["CSV_MAX_BYTES", "routes"]

CSV_MAX_BYTES = 200_000


def _folder(request: Request) -> Path:
    return services(request).settings.data_dir / "quiz"


def _set_id(request: Request) -> int:
    raw = str(request.path_params["set_id"])
    if not raw.isdigit() or not is_storable_int(int(raw)):
        raise NotFound("quiz/unknown_set", N_("This question set does not exist (any more)."))
    return int(raw)


def _table_param(raw: object) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and is_storable_int(int(text)) else None


def _problem_text(request: Request, code: str, params: Any, where: int | None, row: bool) -> str:
    message = (
        CSV_MESSAGES.get(code)
        or REJECTION_MESSAGES.get(code)
        or N_("This question set cannot be read.")
    )
    reason = tr(request, message, **dict(params))
    if where is None:
        return reason
    if row:
        return tr(request, N_("Row %(row)s: %(reason)s"), row=where, reason=reason)
    return tr(request, N_("Question %(number)s: %(reason)s"), number=where + 1, reason=reason)


async def list_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    """The person's sets; with ``?table=<id>``, each can be chosen for that table."""
    user = require_user(request)
    async with services(request).db.read() as conn:
        mine = await sets.sets_of(conn, user.id)
    return page(
        request,
        "quizzes/list.html",
        {
            "sets": mine,
            "can_write": can_write_quiz_sets(user),
            "table_id": _table_param(request.query_params.get("table")),
            "sample": SAMPLE_SET,
            "error": error,
        },
        status=status,
    )


async def import_csv(request: Request) -> Response:
    """A set from a CSV file: every row or nothing; a bad row is named with its reason."""
    user = require_user(request)
    form = await form_with_csrf(request)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise BadInput("quiz/csv_none", N_("Choose a CSV file to import."))
        data = await upload.read(CSV_MAX_BYTES + 1)
    finally:
        await form.close()
    if len(data) > CSV_MAX_BYTES:
        error = tr(
            request, N_("The file is too large (at most %(kb)s KB)."), kb=CSV_MAX_BYTES // 1000
        )
        return await list_page(request, error=error, status=400)
    parsed = parse_csv(data)
    if isinstance(parsed, CsvProblem):
        text = _problem_text(
            request, parsed.rejection.code, parsed.rejection.params, parsed.row, True
        )
        error = tr(request, N_("%(problem)s Nothing was imported."), problem=text)
        return await list_page(request, error=error, status=400)
    title = str(form.get("title", "")).strip() or Path(upload.filename).stem[:80]
    service = services(request)
    try:
        set_id = await sets.create_set(
            service.db, user, {"title": title, "questions": parsed}, service.clock()
        )
    except sets.SetRefused as refused:
        text = _problem_text(request, refused.code, refused.params, None, True)
        error = tr(request, N_("%(problem)s Nothing was imported."), problem=text)
        return await list_page(request, error=error, status=400)
    return RedirectResponse(f"/quiz/{set_id}/edit?imported={len(parsed)}", status_code=303)


async def example_csv(request: Request) -> Response:
    require_user(request)
    return Response(
        EXAMPLE.encode("utf-8-sig"),  # with a BOM, so spreadsheets read the accents right
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="quiz-exemple.csv"'},
    )


def _editor(
    request: Request,
    content: dict[str, Any],
    *,
    set_id: int | None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    questions = [*content["questions"], blank_question()]
    return page(
        request,
        "quizzes/edit.html",
        {
            "set_id": set_id,
            "title": content["title"],
            "questions": questions,
            "error": error,
            "saved": request.query_params.get("saved") == "1",
            "imported": request.query_params.get("imported", ""),
            "picture_mb": services(request).settings.agenda_picture_max_bytes // (1024 * 1024),
        },
        status=status,
    )


async def new_form(request: Request) -> Response:
    user = require_user(request)
    if not can_write_quiz_sets(user):
        raise Forbidden(
            "quiz/members_only", N_("Members write question sets: ask an animator for an account.")
        )
    return _editor(request, {"title": "", "questions": []}, set_id=None)


async def edit_form(request: Request) -> Response:
    user = require_user(request)
    async with services(request).db.read() as conn:
        found = await sets.access_set(conn, user, _set_id(request))
    return _editor(request, found.content, set_id=found.id)


async def _save(request: Request, user: User, set_id: int | None) -> Response:
    service = services(request)
    form = await form_with_csrf(request)
    saved: list[str] = []
    try:
        async with service.db.read() as conn:
            known = set(await sets.media_of(conn, user.id))
            if set_id is not None:
                await sets.access_set(conn, user, set_id)
        raw, slots = read_set(form, known)
        try:
            await _take_uploads(request, user, form, raw, slots, saved)
            if set_id is None:
                set_id = await sets.create_set(service.db, user, raw, service.clock())
            else:
                await sets.update_set(service.db, user, set_id, raw, service.clock())
        except sets.SetRefused as refused:
            await drop_media(_folder(request), saved)
            text = _problem_text(request, refused.code, refused.params, refused.question, False)
            return _editor(request, raw, set_id=set_id, error=text, status=400)
        except _UploadRefused as refused:
            await drop_media(_folder(request), saved)
            return _editor(request, raw, set_id=set_id, error=refused.text, status=400)
    finally:
        await form.close()
    return RedirectResponse(f"/quiz/{set_id}/edit?saved=1", status_code=303)


class _UploadRefused(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


async def _take_uploads(
    request: Request,
    user: User,
    form: FormData,
    raw: dict[str, Any],
    slots: list[int],
    saved: list[str],
) -> None:
    service = services(request)
    for number, (question, slot) in enumerate(zip(raw["questions"], slots, strict=True)):
        try:
            kept = await save_media(
                form.get(f"q{slot}_media"),
                _folder(request),
                service.settings.agenda_picture_max_bytes,
            )
        except BadInput as error:
            reason = tr(request, error.message, **error.params)
            text = tr(
                request, N_("Question %(number)s: %(reason)s"), number=number + 1, reason=reason
            )
            raise _UploadRefused(text) from None
        if kept is None:
            continue
        kind, name = kept
        saved.append(name)
        async with service.db.begin() as conn:
            await sets.record_media(conn, user, name, kind, service.clock())
        question["media"] = {"kind": kind, "name": name}


async def create(request: Request) -> Response:
    return await _save(request, require_user(request), None)


async def edit(request: Request) -> Response:
    return await _save(request, require_user(request), _set_id(request))


async def delete(request: Request) -> Response:
    user = require_user(request)
    await form_with_csrf(request)
    await sets.delete_set(services(request).db, user, _set_id(request))
    return RedirectResponse("/quiz", status_code=303)


async def play(request: Request) -> Response:
    """The host puts a copy of the set (or the sample) into their table's options."""
    user = require_user(request)
    form = await form_with_csrf(request)
    table_id = _table_param(form.get("table"))
    if table_id is None:
        raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
    service = services(request)
    if request.path_params.get("set_id") is None:
        content: dict[str, Any] = SAMPLE_SET
    else:
        async with service.db.read() as conn:
            content = (await sets.access_set(conn, user, _set_id(request))).content
    table = await service.tables.table(table_id)
    if table.key != "quiz":
        raise BadInput("quiz/not_a_quiz_table", N_("This table does not play Le Quiz."))
    rules = service.tables.lookup("quiz")
    table = await table_actions.set_options(service.db, user, table_id, rules, {"quiz": content})
    await service.tables.publish_lobby(table)
    return RedirectResponse(f"/t/{table_id}", status_code=303)


async def media(request: Request) -> Response:
    """A question's picture or sound, to anyone signed in (the names cannot be guessed)."""
    require_user(request)
    name = str(request.path_params["name"])
    match = FILE_NAME.match(name)
    if match is None:
        raise NotFound("quiz/unknown_media", N_("This file does not exist."))
    kept = f"{match.group(1)}.{match.group(3)}"
    async with services(request).db.read() as conn:
        kind = await sets.media_exists(conn, kept)
    path = _folder(request) / name
    if kind is None or not await asyncio.to_thread(path.is_file):
        raise NotFound("quiz/unknown_media", N_("This file does not exist."))
    return FileResponse(
        path,
        media_type=content_type(name),
        headers={"cache-control": "private, max-age=31536000, immutable"},
    )


routes = [
    Route("/quiz", list_page, methods=["GET"]),
    Route("/quiz/new", new_form, methods=["GET"]),
    Route("/quiz/new", create, methods=["POST"]),
    Route("/quiz/import", import_csv, methods=["POST"]),
    Route("/quiz/example.csv", example_csv, methods=["GET"]),
    Route("/quiz/sample/play", play, methods=["POST"]),
    Route("/quiz/media/{name}", media, methods=["GET"]),
    Route("/quiz/{set_id}/edit", edit_form, methods=["GET"]),
    Route("/quiz/{set_id}/edit", edit, methods=["POST"]),
    Route("/quiz/{set_id}/delete", delete, methods=["POST"]),
    Route("/quiz/{set_id}/play", play, methods=["POST"]),
]
