"""django-axes' answer to a locked-out login, as a problem under ``/api/``."""

from __future__ import annotations

from typing import Any

from axes import helpers as axes_helpers
from django.http import HttpRequest, HttpResponse

from config.api.problems import problem_response


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the API's login view has already answered with a problem
    (429); elsewhere under ``/api/`` a problem too, and axes' own message outside it."""
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response
        return problem_response(
            request, status=429, code="locked_out", detail=str(axes_helpers.get_lockout_message())
        )
    return HttpResponse(axes_helpers.get_lockout_message(), status=429)
