"""Reading Stripe's form-encoded parameters, and the errors the API answers with.

The stripe library flattens nested parameters into bracketed names:
`line_items[0][price_data][unit_amount]=34900`, `metadata[order]=RS-1`,
`expand[0]=line_items`. `decode` turns them back into nested dictionaries; the
`want_*` helpers then read one field each and raise a Stripe-shaped `SandboxError`
naming the offending parameter, so the library raises its real exception classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?[0-9]+$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500


class SandboxError(Exception):
    """An error the sandbox reports in Stripe's shape: `{"error": {...}}`."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
        return {"error": error}


def missing(param: str) -> SandboxError:
    return SandboxError(f"Missing required param: {param}.", param=param, code="parameter_missing")


def not_found(kind: str, object_id: str, param: str = "id") -> SandboxError:
    return SandboxError(
        f"No such {kind}: '{object_id}'",
        status=404,
        param=param,
        code="resource_missing",
    )


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest bracketed parameter names. Arrays stay dictionaries keyed "0", "1", …
    until a reader asks for a list (metadata keys may be digits too)."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        match = _NAME.match(name)
        if match is None:
            raise SandboxError(f"Invalid parameter name: {name}", param=name)
        parts = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node = root
        for depth, part in enumerate(parts):
            if part == "":  # `expand[]=x` appends
                part = str(len(node))
            if depth == len(parts) - 1:
                if isinstance(node.get(part), dict):
                    raise SandboxError(f"Invalid value for {name}: expected a hash.", param=name)
                node[part] = value
                break
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise SandboxError(f"Invalid value for {name}: conflicting parameters.", param=name)
            node = child
    return root


def reject_unknown(params: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    allowed = set(allowed)
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise SandboxError(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )


def want_dict(params: dict[str, Any], key: str, param: str, *, required: bool = False) -> dict:
    value = params.get(key)
    if value is None:
        if required:
            raise missing(param)
        return {}
    if not isinstance(value, dict):
        raise SandboxError(f"Invalid hash for {param}.", param=param, code="parameter_invalid")
    return value


def want_list(params: dict[str, Any], key: str, param: str, *, required: bool = False) -> list:
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise missing(param)
        return []
    if not isinstance(value, dict) or not all(k.isdigit() for k in value):
        raise SandboxError(f"Invalid array for {param}.", param=param, code="parameter_invalid")
    indexes = sorted(int(k) for k in value)
    if indexes != list(range(len(indexes))):
        raise SandboxError(
            f"Invalid array for {param}: indexes must run from 0 without gaps.",
            param=param,
            code="parameter_invalid",
        )
    return [value[str(i)] for i in indexes]


def want_str(
    params: dict[str, Any],
    key: str,
    param: str,
    *,
    required: bool = False,
    max_length: int = 5000,
) -> str | None:
    value = params.get(key)
    if value is None:
        if required:
            raise missing(param)
        return None
    if not isinstance(value, str):
        raise SandboxError(f"Invalid string for {param}.", param=param, code="parameter_invalid")
    if value == "":
        if required:
            raise SandboxError(
                f"You passed an empty string for '{param}', which cannot be empty.",
                param=param,
                code="parameter_invalid_empty",
            )
        return None
    if len(value) > max_length:
        raise SandboxError(
            f"{param} is too long (at most {max_length} characters).",
            param=param,
            code="parameter_invalid_string_too_long",
        )
    return value


def want_int(
    params: dict[str, Any],
    key: str,
    param: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    raw = want_str(params, key, param, required=required, max_length=40)
    if raw is None:
        return None
    if not _INTEGER.match(raw):
        raise SandboxError(f"Invalid integer: {raw}", param=param, code="parameter_invalid_integer")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise SandboxError(
            f"{param} must be greater than or equal to {minimum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    if maximum is not None and value > maximum:
        raise SandboxError(
            f"{param} must be less than or equal to {maximum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    return value


def want_choice(
    params: dict[str, Any], key: str, param: str, choices: Iterable[str], *, required: bool = False
) -> str | None:
    value = want_str(params, key, param, required=required)
    choices = list(choices)
    if value is not None and value not in choices:
        raise SandboxError(
            f"Invalid {param}: must be one of {', '.join(choices)}",
            param=param,
            code="parameter_invalid",
        )
    return value


def want_currency(
    params: dict[str, Any], key: str, param: str, *, required: bool = False
) -> str | None:
    value = want_str(params, key, param, required=required)
    if value is None:
        return None
    if not _CURRENCY.match(value):
        raise SandboxError(f"Invalid currency: {value}", param=param, code="parameter_invalid")
    return value.lower()


def want_url(params: dict[str, Any], key: str, param: str, *, required: bool = False) -> str | None:
    value = want_str(params, key, param, required=required)
    if value is not None and not value.startswith(("http://", "https://")):
        raise SandboxError("Not a valid URL", param=param, code="url_invalid")
    return value


def want_email(params: dict[str, Any], key: str, param: str) -> str | None:
    value = want_str(params, key, param, max_length=512)
    if value is not None and not _EMAIL.match(value):
        raise SandboxError(f"Invalid email address: {value}", param=param, code="email_invalid")
    return value


def want_metadata(params: dict[str, Any], key: str, param: str) -> dict[str, str]:
    """Stripe's limits: 50 keys, keys up to 40 characters, values up to 500.
    An empty value means "unset", so it is dropped."""
    raw = want_dict(params, key, param)
    if len(raw) > METADATA_MAX_KEYS:
        message = f"{param} can have at most {METADATA_MAX_KEYS} keys."
        raise SandboxError(message, param=param, code="parameter_invalid")
    metadata: dict[str, str] = {}
    for name in raw:
        where = f"{param}[{name}]"
        if len(name) > METADATA_MAX_KEY_LENGTH:
            raise SandboxError(
                f"Metadata keys can be at most {METADATA_MAX_KEY_LENGTH} characters: {name}",
                param=where,
                code="parameter_invalid",
            )
        text = want_str(raw, name, where, max_length=METADATA_MAX_VALUE_LENGTH)
        if text is not None:
            metadata[name] = text
    return metadata


def want_expand(params: dict[str, Any], allowed: Iterable[str]) -> list[str]:
    fields = want_list(params, "expand", "expand")
    allowed = set(allowed)
    for index, field in enumerate(fields):
        if not isinstance(field, str) or field not in allowed:
            raise SandboxError(
                f"This property cannot be expanded ({field}).",
                param=f"expand[{index}]",
                code="parameter_invalid",
            )
    return fields
