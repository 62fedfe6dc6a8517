"""The JSON schema check of a study: each missing property gets its default, and an error is
one sentence naming the key and the fix."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema

from actstudy.errors import ConfigError


def _filling_defaults(validator_class: type) -> type:
    """A validator class that writes each missing property's ``default`` into the instance
    before validating it (jsonschema's extend-with-default recipe)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties(
        validator: Any, properties: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[jsonschema.ValidationError]:
        if isinstance(instance, dict):
            for key, sub_schema in properties.items():
                if "default" in sub_schema and key not in instance:
                    instance[key] = copy.deepcopy(sub_schema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties})


def _strict_integers(validator_class: type) -> type:
    """JSON Schema counts 3.0 (and 1e30) as an integer; a study means an int, not a float."""
    checker = validator_class.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return jsonschema.validators.extend(validator_class, type_checker=checker)


_FillingValidator = _filling_defaults(_strict_integers(jsonschema.Draft202012Validator))


def _key(path: list[Any], prefix: str = "") -> str:
    """The dotted key of a path in the instance, under ``prefix``."""
    parts = [prefix] if prefix else []
    parts += [str(p) for p in path]
    return ".".join(parts) or "(top level)"


def _sentence(error: jsonschema.ValidationError, prefix: str) -> str:
    """The schema error as one sentence: the key, what it must be, what it got."""
    key = _key(list(error.absolute_path), prefix)
    value = error.instance
    match error.validator:
        case "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            where = "" if key == "(top level)" else f"under '{key}' "
            return f"config is missing the key '{missing[0]}' {where}; add it".replace(" ;", ";")
        case "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(set(value) - set(allowed))
            return (
                f"config key '{key}' has the unknown key '{extra[0]}'; "
                f"allowed keys are {', '.join(allowed)}"
            )
        case "enum":
            options = ", ".join(str(v) for v in error.validator_value)
            return f"config key '{key}' must be one of {options} (got {value!r})"
        case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
            sign = {
                "minimum": "≥",
                "exclusiveMinimum": ">",
                "maximum": "≤",
                "exclusiveMaximum": "<",
            }[error.validator]
            return f"config key '{key}' must be {sign} {error.validator_value} (got {value!r})"
        case "type" if "propertyNames" in error.schema_path:
            return (
                f"config key '{key}' has the label {value!r}, which is not a string; "
                f"quote it ('{value}') or rename it"
            )
        case "type":
            return f"config key '{key}' must be of type {error.validator_value} (got {value!r})"
        case "minProperties":
            return f"config key '{key}' must name at least one entry"
        case "pattern" if "propertyNames" in error.schema_path:
            rule = error.schema.get("x-rule", f"match {error.validator_value}")
            return f"config key '{key}' has the label {value!r}; a label is {rule}; rename it"
        case "pattern":
            rule = error.schema.get("x-rule", f"match {error.validator_value}")
            return f"config key '{key}' must be {rule} (got {value!r})"
        case "oneOf" | "anyOf":
            choices = " or ".join(_describe(option) for option in error.validator_value)
            return f"config key '{key}' must be {choices} (got {value!r})"
        case "const":
            return f"config key '{key}' must be {error.validator_value!r} (got {value!r})"
        case _:
            return f"config key '{key}' is invalid: {error.message}"


def _describe(option: Mapping[str, Any]) -> str:
    """A short phrase for one alternative of a oneOf/anyOf schema."""
    if "const" in option:
        return repr(option["const"])
    if "enum" in option:
        return " or ".join(repr(v) for v in option["enum"])
    if option.get("type") == "object" and "required" in option:
        return f"a mapping with {', '.join(option['required'])}"
    kind = option.get("type", "a value")
    return {"boolean": "true/false", "string": "a name", "object": "a mapping"}.get(kind, kind)


def ignored_options(instance: Any, sub_schema: Mapping[str, Any], path: list[str]) -> list[str]:
    """Options that the chosen ``name`` ignores, one sentence each: a property marked
    ``x-for: [names]`` in the schema belongs to those names only (an optimizer's momentum to
    sgd); given to another name with other than its default value, it would be silently
    dropped."""
    if not isinstance(instance, Mapping):
        return []
    problems = []
    properties = sub_schema.get("properties", {})
    for key, value in instance.items():
        node = properties.get(key)
        if not isinstance(node, Mapping):
            continue
        names = node.get("x-for")
        name = instance.get("name")
        if names and name not in names and ("default" not in node or value != node["default"]):
            kind = path[-1] if path else "section"
            problems.append(
                f"config key '{_key([*path, key])}' applies to {kind} {' or '.join(names)} "
                f"only, and {name} ignores it; remove it or set {kind}.name: {names[0]}"
            )
        problems += ignored_options(value, node, [*path, key])
    return problems


def check_schema(instance: Any, sub_schema: Mapping[str, Any], prefix: str = "") -> None:
    """Validate ``instance`` against ``sub_schema`` in place: missing keys get the schema's
    defaults; raise ConfigError with one sentence (its keys under ``prefix``), also for an
    option that the chosen name ignores (:func:`ignored_options`)."""
    validator = _FillingValidator(sub_schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise ConfigError(_sentence(error, prefix))
    if problems := ignored_options(instance, sub_schema, [prefix] if prefix else []):
        raise ConfigError(problems[0])
