"""The API's OpenAPI 3.1 document, served at ``/api/v1/openapi.json`` (schemathesis tests the server
against it: every documented status and body shape is what the handlers answer)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["DOCUMENT", "serve_document"]

_ISO = {"type": ["string", "null"], "format": "date-time"}
_ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    }},
}
_TICKET = {
    "type": "object",
    "required": ["id", "vin", "status", "created_at", "taken_at", "done_at", "canceled_at",
                 "report_available", "warnings"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "vin": {"type": "string", "pattern": "^[A-HJ-NPR-Z0-9]{17}$"},
        "status": {"type": "string", "enum": ["NEW", "TAKEN", "DONE", "CANCELED"]},
        "created_at": {"type": "string", "format": "date-time"},
        "taken_at": _ISO, "done_at": _ISO, "canceled_at": _ISO,
        "report_available": {"type": "boolean"},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}


def _json(schema: dict[str, Any] | str, description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {400: "a malformed request or no customer id", 401: "no valid API key",
             403: "a browser origin not allowed", 404: "not found for this customer",
             409: "an open ticket for this VIN exists (in error.ticket)", 415: "not JSON",
             422: "an invalid field or VIN (error.vin_check says how)",
             429: "too many new tickets this hour (Retry-After)",
             503: "the ticket database is unavailable"}
    return {str(s): _json("Error", texts[s]) for s in statuses}


_TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "example": 1,
              "schema": {"type": "integer", "minimum": 1}}
_CUSTOMER = {"name": "X-Customer-Id", "in": "header", "required": True, "example": 1001,
             "description": "the customer's Telegram user id",
             "schema": {"type": "integer", "minimum": 1, "maximum": 2**53 - 1}}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "VIN report desk", "version": "1.0.0",
             "description": "Open VIN report requests for a customer and download the reports. "
                            "Every call needs the app's key (Authorization: Bearer KEY) and the "
                            "customer's Telegram user id (X-Customer-Id)."},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR, "Ticket": _TICKET},
    },
    "paths": {
        "/api/v1/tickets": {
            "post": {
                "operationId": "createTicket", "summary": "Open a request for a VIN",
                "parameters": [_CUSTOMER],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["vin"],
                    "properties": {
                        "vin": {"type": "string", "minLength": 1, "maxLength": 64},
                        "name": {"type": "string", "maxLength": 64,
                                 "description": "how the managers see the customer"},
                        "locale": {"type": "string", "maxLength": 8,
                                   "description": "the customer's language (ru, uz, en)"},
                    },
                }, "example": {"vin": "WDBEA30D3HA391172", "name": "Alice", "locale": "en"}}}},
                "responses": {"201": _json("Ticket", "opened; the managers were told"),
                              **_errors(400, 401, 403, 409, 415, 422, 429, 503)},
            },
            "get": {
                "operationId": "listTickets", "summary": "The customer's tickets, newest first",
                "parameters": [_CUSTOMER, {"name": "limit", "in": "query", "required": False,
                                           "schema": {"type": "integer", "minimum": 1,
                                                      "maximum": 50, "default": 20}}],
                "responses": {"200": _json({"type": "object", "required": ["tickets"],
                                            "properties": {"tickets": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Ticket"}}}},
                                           "the tickets"),
                              **_errors(400, 401, 403, 422, 503)},
            },
        },
        "/api/v1/tickets/{ticket_id}": {"get": {
            "operationId": "getTicket", "summary": "One of the customer's tickets",
            "parameters": [_TICKET_ID, _CUSTOMER],
            "responses": {"200": _json("Ticket", "the ticket"), **_errors(400, 401, 403, 404, 503)},
        }},
        "/api/v1/tickets/{ticket_id}/report": {"get": {
            "operationId": "getReport", "summary": "The ticket's report (PDF) once it is DONE",
            "parameters": [_TICKET_ID, _CUSTOMER],
            "responses": {
                "200": {"description": "the PDF; X-Report-Sha256 is its SHA-256",
                        "content": {"application/pdf": {"schema": {"type": "string",
                                                                   "format": "binary"}}}},
                **_errors(400, 401, 403, 404, 503),
            },
        }},
    },
}


async def serve_document(request: web.Request, ctx: object) -> web.StreamResponse:
    return web.json_response(DOCUMENT, headers={"Access-Control-Allow-Origin": "*"})
