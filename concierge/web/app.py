"""The web app. For now: a health check and the directory lookup as JSON.

The review queue (approve, edit, reject drafts) is built on this app in a later issue.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from concierge.database import Database
from concierge.directory import service
from concierge.directory.lookup import URGENCIES
from concierge.directory.records import country_codes


def create_app(db: Database) -> Starlette:
    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    def resources(request: Request) -> JSONResponse:  # sync: runs in a worker thread
        params = request.query_params
        country = (params.get("country") or "").upper() or None
        urgency = params.get("urgency", "routine")
        if country is not None and country not in country_codes():
            return _bad_request("country", f"{country!r} is not an ISO 3166-1 alpha-2 code")
        if urgency not in URGENCIES:
            return _bad_request("urgency", f"expected one of {', '.join(URGENCIES)}")
        answer = service.answer(
            db, country, params.get("language"), urgency, params.getlist("topic")
        )
        return JSONResponse(
            {
                "country": answer.country,
                "language": answer.language,
                "urgency": answer.urgency,
                "resources": [
                    {
                        "key": m.record.key,
                        "name": m.record.text_for(answer.language).name,
                        "kind": m.record.kind,
                        "level": m.level,
                        "stale": m.stale,
                        "contacts": [vars(contact) for contact in m.record.contacts],
                        "source_url": m.record.source_url,
                        "verified_on": m.record.verified_on.isoformat(),
                    }
                    for m in answer.matches
                ],
            }
        )

    return Starlette(
        routes=[Route("/healthz", health), Route("/api/resources", resources)],
    )


def _bad_request(parameter: str, problem: str) -> JSONResponse:
    return JSONResponse({"error": f"{parameter}: {problem}"}, status_code=400)
