from __future__ import annotations

from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, JsonResponse

from imgbackup.storage import storage_problem


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the blob storage both answer, else 503 saying which did not."""
    problems: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        problems["database"] = str(exc).strip() or exc.__class__.__name__
    try:
        if problem := storage_problem():
            problems["storage"] = problem
    except Exception as exc:
        problems["storage"] = str(exc) or exc.__class__.__name__
    status = "ok" if not problems else "unavailable"
    return JsonResponse({"status": status, "database": problems.get("database", "ok"),
                         "storage": problems.get("storage", "ok")},
                        status=200 if not problems else 503)
