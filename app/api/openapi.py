"""OpenAPI for the bodies FastAPI does not parse itself (app/api/bodies.py): their models are
added to the components the operations' `$ref`s point at."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.schemas import CompatibilityRequest, FitbRequest

REQUEST_MODELS: tuple[type[BaseModel], ...] = (FitbRequest, CompatibilityRequest)


def install_request_schemas(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            _, top = models_json_schema([(m, "validation") for m in REQUEST_MODELS],
                                        ref_template="#/components/schemas/{model}")
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model_schema in top.get("$defs", {}).items():
                schemas.setdefault(name, model_schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
