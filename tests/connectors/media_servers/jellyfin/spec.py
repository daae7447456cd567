"""The official Jellyfin OpenAPI spec, read at run time: judge of requests and answers.

The specs live beside the repository (``../shared/peers/jellyfin/``) and are never
copied into it. :class:`ApiSpec` finds the operation of a request, checks its query,
path and body against the operation's parameters (an unknown parameter is an error),
and checks a response's status and JSON body against the documented schema.

One quirk of the real server is kept: Jellyfin writes GUIDs as 32 hex digits without
dashes (``Guid.ToString("N")``) although the spec says ``format: uuid``, so both forms
pass as a uuid here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

PEERS = Path(__file__).resolve().parents[4].parent / "shared" / "peers" / "jellyfin"
VERSIONS = ("10.11.11", "12.0.0")
SPEC_URI = "urn:jellyfin-openapi"
_UUID = re.compile(
    r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"
)


def _checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checkers = dict(OAS30Validator.FORMAT_CHECKER.checkers)
    checker.checkers["uuid"] = (
        lambda v: not isinstance(v, str) or bool(_UUID.match(v)),
        (),
    )
    return checker


FORMATS = _checker()


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation: its path template and its spec entry."""

    method: str
    template: str
    spec: dict[str, Any]
    path_params: dict[str, str] = field(default_factory=dict)

    @property
    def secured(self) -> bool:
        """Whether the operation needs an authenticated caller."""
        return bool(self.spec.get("security"))

    @property
    def elevated(self) -> bool:
        """Whether the operation needs an administrator."""
        scopes = [s for req in self.spec.get("security") or [] for s in req.values()]
        return any("RequiresElevation" in group for group in scopes)


class ApiSpec:
    """The spec of one Jellyfin version, with compiled routes and cached validators."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.doc = json.loads(
            (PEERS / f"jellyfin-openapi-{version}.json").read_text(encoding="utf-8")
        )
        resource = Resource.from_contents(self.doc, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        routes = []
        for template in self.doc["paths"]:
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            routes.append(
                (template.count("{"), re.compile(f"^{pattern}$", re.I), template)
            )
        self.routes = sorted(routes, key=lambda r: r[0])
        self._validators: dict[str, OAS30Validator] = {}

    def validator(self, schema: dict[str, Any]) -> OAS30Validator:
        """A validator for ``schema`` (refs resolve inside the spec)."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            rooted = _root_refs(schema)
            self._validators[key] = OAS30Validator(
                rooted, registry=self.registry, format_checker=FORMATS
            )
        return self._validators[key]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` and a single ``allOf`` to the schema that has the type."""
        while True:
            if "$ref" in schema:
                schema = self._pointer(schema["$ref"])
            elif "type" not in schema and len(schema.get("allOf") or []) == 1:
                schema = schema["allOf"][0]
            else:
                return schema

    def _pointer(self, ref: str) -> dict[str, Any]:
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return dict(node)

    def find(self, method: str, path: str) -> Operation | str | None:
        """The operation for a request; None for an unknown path; the allowed methods
        (a string) when the path exists but not with ``method``."""
        for _, regex, template in self.routes:
            match = regex.match(path)
            if match:
                ops = self.doc["paths"][template]
                if method.lower() not in ops:
                    return ",".join(m.upper() for m in ops)
                return Operation(
                    method.upper(), template, ops[method.lower()], match.groupdict()
                )
        return None

    def check_parameters(
        self, op: Operation, query: list[tuple[str, str]], allowed_extra: set[str]
    ) -> tuple[dict[str, Any], list[str]]:
        """Typed query and path values by spec name, and what is wrong with them."""
        params = {p["name"].lower(): p for p in op.spec.get("parameters") or []}
        values: dict[str, Any] = {}
        problems: list[str] = []
        raw: dict[str, list[str]] = {}
        for key, value in query:
            raw.setdefault(key.lower(), []).append(value)
        for key, texts in raw.items():
            spec = params.get(key)
            if key in allowed_extra:
                continue
            if spec is None or spec["in"] != "query":
                problems.append(f"query parameter {key!r} is not in the spec")
                continue
            self._typed(spec, texts, values, problems)
        for name, text in op.path_params.items():
            self._typed(params[name.lower()], [text], values, problems)
        for spec in params.values():
            if spec.get("required") and spec["name"] not in values:
                problems.append(f"required parameter {spec['name']!r} is missing")
        return values, problems

    def _typed(
        self,
        spec: dict[str, Any],
        texts: list[str],
        values: dict[str, Any],
        problems: list[str],
    ) -> None:
        schema = spec.get("schema") or {}
        resolved = self.resolve(schema)
        if resolved.get("type") == "array":
            item_type = self.resolve(resolved.get("items") or {})
            parts = [p for t in texts for p in t.split(",") if p != ""]
            value: Any = [_convert(item_type, p) for p in parts]
        else:
            if len(texts) > 1:
                problems.append(f"parameter {spec['name']!r} given {len(texts)} times")
            value = _convert(resolved, texts[-1])
        for error in self.validator(schema).iter_errors(value):
            problems.append(f"parameter {spec['name']!r}: {error.message}")
        values[spec["name"]] = value

    def check_body(self, op: Operation, content_type: str, body: bytes) -> list[str]:
        """What is wrong with a request body (JSON against its schema)."""
        spec = op.spec.get("requestBody")
        if spec is None:
            return ["the operation takes no body"] if body else []
        if not body:
            return ["a body is required"] if spec.get("required") else []
        media = content_type.split(";")[0].strip().lower()
        content = spec.get("content") or {}
        if media.startswith("image/") and any(k.startswith("image/") for k in content):
            return []
        if media not in content:
            return [f"content type {media!r} is not accepted ({', '.join(content)})"]
        try:
            document = json.loads(body)
        except ValueError:
            return ["the body is not JSON"]
        schema = content[media].get("schema") or {}
        return [
            f"body: {e.message}" for e in self.validator(schema).iter_errors(document)
        ]

    def check_response(
        self, op: Operation, status: int, content_type: str, body: bytes
    ) -> list[str]:
        """What is wrong with a response: an undocumented status or a bad body."""
        responses = op.spec.get("responses") or {}
        spec = responses.get(str(status)) or responses.get("default")
        if spec is None:
            return [f"status {status} is not documented ({', '.join(responses)})"]
        content = spec.get("content") or {}
        if not content:
            return [f"status {status} documents no body"] if body else []
        media = content_type.split(";")[0].strip().lower()
        wildcard = media.split("/")[0] + "/*"
        if media not in content and wildcard in content:
            return [] if body else [f"an empty {media} body"]  # a picture
        if media not in content:
            return [f"content type {media!r} is not documented for {status}"]
        schema = content[media].get("schema")
        if schema is None:
            return []
        document = json.loads(body)
        validator = self.validator(schema)
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)
        ][:10]


def _root_refs(schema: Any) -> Any:
    """Point local ``#/...`` refs at the spec resource."""
    if isinstance(schema, dict):
        return {
            k: (f"{SPEC_URI}{v}" if k == "$ref" else _root_refs(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_root_refs(v) for v in schema]
    return schema


def _convert(schema: dict[str, Any], text: str) -> Any:
    """A query string value as the schema's type (left as text when it does not parse,
    so that the validator reports it)."""
    kind = schema.get("type")
    try:
        if kind == "boolean":
            return {"true": True, "false": False}.get(text.lower(), text)
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if schema.get("format") == "date-time":
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return text
    return text


@cache
def load(version: str) -> ApiSpec:
    """The spec of one version (parsed once per process)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown Jellyfin version {version!r} (known: {VERSIONS})")
    return ApiSpec(version)
