from __future__ import annotations

from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, JsonResponse

from imgbackup.api.disk import low_space
from imgbackup.storage import storage_problem


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the blob storage both answer, else 503 saying which did not;
    ``"status": "degraded"`` (still 200) when a folder the server writes to is nearly full."""
    problems: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problems["database"] = f"the database is not answering: {detail}"
    try:
        if problem := storage_problem():
            problems["storage"] = problem
    except Exception as exc:
        problems["storage"] = str(exc) or exc.__class__.__name__
    space = low_space()
    status = "unavailable" if problems else "degraded" if space else "ok"
    return JsonResponse({"status": status, "database": problems.get("database", "ok"),
                         "storage": problems.get("storage", "ok"), "disk": space or "ok"},
                        status=200 if not problems else 503)
