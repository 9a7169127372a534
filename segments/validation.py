"""Rule JSON -> validated rule tree, or every problem at once with its JSON pointer.

A rule that fails here never reaches SQL. Messages are written for marketers.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from b2bshop.exceptions import ApplicationError, ErrorDetail
from segments.fields import VALUELESS_OPERATORS, WINDOW_NAMES, Field, FieldRegistry, FieldType
from segments.rules import Condition, Group, Not, RuleNode, RuleValue, SalesWindow

MAX_DEPTH = 10
MAX_CONDITIONS = 200
MAX_RULE_BYTES = 64 * 1024
MAX_LIST_ITEMS = 1000
MAX_ABS_NUMBER = Decimal(10) ** 12
MAX_DECIMAL_PLACES = 6
MAX_DAYS = 36_600
CONDITION_KEYS = frozenset({"field", "op", "value", "window"})
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class RuleValidationError(ApplicationError):
    def __init__(self, errors: list[ErrorDetail]) -> None:
        super().__init__("The rule is invalid.", errors=errors)


def _pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


@dataclass
class _Validation:
    registry: FieldRegistry
    errors: list[ErrorDetail] = field(default_factory=list)
    conditions: int = 0

    def error(self, path: str, message: str) -> None:
        self.errors.append(ErrorDetail(path=path, message=message))

    # ------------------------------------------------------------------ nodes

    def node(self, data: Any, path: str, depth: int) -> RuleNode | None:
        if depth > MAX_DEPTH:
            self.error(path, f"the rule is nested more than {MAX_DEPTH} levels deep; simplify the groups")
            return None
        if not isinstance(data, dict):
            self.error(path, "expected a group ({\"all\": [...]}, {\"any\": [...]}, {\"not\": ...}) or a condition")
            return None
        group_keys = [key for key in ("all", "any", "not") if key in data]
        if group_keys:
            extra = sorted(set(data) - {group_keys[0]})
            for key in extra:
                self.error(f"{path}/{_pointer_token(key)}", f"unexpected key '{key}' in a '{group_keys[0]}' group")
            key = group_keys[0]
            if key == "not":
                child = self.node(data["not"], f"{path}/not", depth + 1)
                return Not(child) if child is not None else None
            items = data[key]
            if not isinstance(items, list):
                self.error(f"{path}/{key}", f"'{key}' must be a list of conditions or groups")
                return None
            children = [self.node(item, f"{path}/{key}/{index}", depth + 1) for index, item in enumerate(items)]
            if any(child is None for child in children):
                return None
            return Group(key, tuple(children))  # type: ignore[arg-type]
        if "field" in data or "op" in data:
            return self.condition(data, path)
        self.error(path, "a rule node needs 'all', 'any', 'not' or a 'field' with an 'op'")
        return None

    def condition(self, data: dict[str, Any], path: str) -> Condition | None:
        self.conditions += 1
        ok = True
        for key in sorted(set(data) - CONDITION_KEYS):
            self.error(f"{path}/{_pointer_token(key)}", f"unexpected key '{key}'; a condition has field, op, value and window")
            ok = False
        field_key = data.get("field")
        if not isinstance(field_key, str):
            self.error(f"{path}/field", "choose a field")
            return None
        spec = self.registry.get(field_key)
        if spec is None:
            self.error(f"{path}/field", self._unknown_field_message(field_key))
            return None
        op = data.get("op")
        op_valid = isinstance(op, str) and op in spec.operators
        if not op_valid:
            shown = f"'{op}'" if isinstance(op, str) else "missing"
            self.error(
                f"{path}/op",
                f"operator {shown} is not valid for {spec.type} field {spec.key}; use one of {', '.join(spec.operators)}",
            )
        window = self.window(data, path, spec)  # checked even after a bad operator: every error at once
        if not op_valid:
            return None
        value = self.value(data, path, spec, op)
        if not ok or value is _INVALID or window is _INVALID:
            return None
        return Condition(field=spec.key, op=op, value=value, window=window)  # type: ignore[arg-type]

    def _unknown_field_message(self, key: str) -> str:
        close = difflib.get_close_matches(key, self.registry.keys, n=3, cutoff=0.6)
        if not close:
            namespace = key.split(".", 1)[0]
            close = [k for k in self.registry.keys if k.startswith(f"{namespace}.")][:3]
        if not close:  # nothing alike: still the nearest names, so the marketer sees what exists
            close = difflib.get_close_matches(key, self.registry.keys, n=3, cutoff=0.0)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"unknown field '{key}'{hint}"

    # ----------------------------------------------------------------- windows

    def window(self, data: dict[str, Any], path: str, spec: Field) -> SalesWindow | None | object:
        if "window" not in data:
            return None
        raw = data["window"]
        wpath = f"{path}/window"
        if not spec.windowed:
            self.error(wpath, f"{spec.key} has no window; windows apply to sales.* fields only")
            return _INVALID
        if isinstance(raw, str):
            if raw in WINDOW_NAMES:
                return SalesWindow(raw)  # type: ignore[arg-type]
            self.error(wpath, f"unknown window '{raw}'; use {', '.join(WINDOW_NAMES)}, {{\"last_days\": N}} or {{\"from\": date, \"to\": date}}")
            return _INVALID
        if isinstance(raw, dict) and set(raw) == {"last_days"}:
            days = self._days(raw["last_days"], f"{wpath}/last_days")
            return _INVALID if days is None else SalesWindow("last_days", days=days)
        if isinstance(raw, dict) and set(raw) == {"from", "to"}:
            start = self._date(raw["from"], f"{wpath}/from")
            end = self._date(raw["to"], f"{wpath}/to")
            if start is None or end is None:
                return _INVALID
            if start > end:
                self.error(wpath, "the window's 'from' date is after its 'to' date")
                return _INVALID
            return SalesWindow("range", start=start, end=end)
        self.error(wpath, "a window is all_time, this_year, last_year, this_quarter, this_month, {\"last_days\": N} or {\"from\": date, \"to\": date}")
        return _INVALID

    # ------------------------------------------------------------------ values

    def value(self, data: dict[str, Any], path: str, spec: Field, op: str) -> RuleValue | object:
        vpath = f"{path}/value"
        if op in VALUELESS_OPERATORS:
            if "value" in data:
                self.error(vpath, f"operator '{op}' takes no value")
                return _INVALID
            return None
        if "value" not in data:
            self.error(vpath, f"operator '{op}' needs a value")
            return _INVALID
        raw = data["value"]
        parsed = self._value_for(raw, vpath, spec, op)
        return _INVALID if parsed is None else parsed

    def _value_for(self, raw: Any, path: str, spec: Field, op: str) -> RuleValue | None:
        kind = spec.type
        if kind == FieldType.REFERENCE:
            return self._reference_list(raw, path, spec)
        if op in ("in", "not_in"):
            return self._list(raw, path, lambda item, item_path: self._scalar(item, item_path, spec))
        if op == "between":
            return self._range(raw, path, spec)
        if op in ("within_last_days", "more_than_days_ago"):
            return self._days(raw, path)
        return self._scalar(raw, path, spec)

    def _scalar(self, raw: Any, path: str, spec: Field) -> RuleValue | None:
        if spec.type == FieldType.NUMBER:
            return self._number(raw, path)
        if spec.type in (FieldType.DATE, FieldType.DATETIME):
            return self._date(raw, path)
        if not isinstance(raw, str):
            self.error(path, f"{spec.key} compares text; give a text value")
            return None
        if spec.type == FieldType.ENUM:
            by_folded = {value.lower(): value for value in spec.choice_values}
            canonical = by_folded.get(raw.strip().lower())
            if canonical is None:
                shown = ", ".join(spec.choice_values[:12]) + (", ..." if len(spec.choice_values) > 12 else "")
                self.error(path, f"'{raw}' is not a choice of {spec.key}; use one of {shown}")
                return None
            return canonical
        text = raw.strip()
        if _has_control_characters(text):
            self.error(path, "text values cannot contain control characters")
            return None
        if len(text) > 255:
            self.error(path, "text values are at most 255 characters")
            return None
        return text

    def _number(self, raw: Any, path: str) -> Decimal | None:
        if isinstance(raw, str):
            try:
                Decimal(raw.strip())
            except InvalidOperation:
                self.error(path, f"'{raw[:40]}' is not a number")
            else:
                self.error(path, f"write the number without quotes: {raw.strip()[:40]}")
            return None
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            self.error(path, "expected a number")
            return None
        try:
            number = Decimal(raw) if isinstance(raw, int) else Decimal(repr(raw))
        except InvalidOperation:
            self.error(path, f"'{raw}' is not a number")
            return None
        if not number.is_finite() or abs(number) > MAX_ABS_NUMBER:
            self.error(path, "the number is too large")
            return None
        if number != number.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES), rounding="ROUND_DOWN"):
            self.error(path, f"use at most {MAX_DECIMAL_PLACES} decimals")
            return None
        return number.normalize() if number == number.to_integral_value() else number

    def _date(self, raw: Any, path: str) -> datetime.date | None:
        if isinstance(raw, str) and ISO_DATE.fullmatch(raw.strip()):
            try:
                return datetime.date.fromisoformat(raw.strip())
            except ValueError:
                pass
        self.error(path, f"expected a date as YYYY-MM-DD, got {json.dumps(raw)[:40]}")
        return None

    def _days(self, raw: Any, path: str) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (isinstance(raw, float) and not raw.is_integer()):
            self.error(path, "expected a whole number of days")
            return None
        if not 0 <= raw <= MAX_DAYS:
            self.error(path, f"the number of days must be between 0 and {MAX_DAYS}")
            return None
        return int(raw)

    def _range(self, raw: Any, path: str, spec: Field) -> tuple[RuleValue, RuleValue] | None:
        if not isinstance(raw, list) or len(raw) != 2:
            self.error(path, "'between' needs a list of two values: [from, to]")
            return None
        low, high = self._scalar(raw[0], f"{path}/0", spec), self._scalar(raw[1], f"{path}/1", spec)
        if low is None or high is None:
            return None
        if low > high:  # type: ignore[operator]
            self.error(path, "the first value of 'between' is greater than the second")
            return None
        return (low, high)

    def _list(self, raw: Any, path: str, parse) -> tuple[RuleValue, ...] | None:
        if not isinstance(raw, list) or not raw:
            self.error(path, "expected a non-empty list")
            return None
        if len(raw) > MAX_LIST_ITEMS:
            self.error(path, f"a list has at most {MAX_LIST_ITEMS} values")
            return None
        items = [parse(item, f"{path}/{index}") for index, item in enumerate(raw)]
        if any(item is None for item in items):
            return None
        return tuple(dict.fromkeys(items))

    def _reference_list(self, raw: Any, path: str, spec: Field) -> tuple[str, ...] | None:
        def parse(item: Any, item_path: str) -> str | None:
            if not isinstance(item, str) or not item.strip():
                self.error(item_path, f"expected a {spec.reference} identifier")
                return None
            value = item.strip()
            if _has_control_characters(value):
                self.error(item_path, "identifiers cannot contain control characters")
                return None
            if spec.choices and value not in spec.choice_values:
                self.error(item_path, f"'{value}' is not a {spec.reference}; use one of {', '.join(spec.choice_values)}")
                return None
            return value

        return self._list(raw, path, parse)  # type: ignore[return-value]


_INVALID = object()


def _has_control_characters(text: str) -> bool:
    return any(ord(character) < 32 or ord(character) == 127 for character in text)


def validate_rule(data: Any, *, registry: FieldRegistry) -> RuleNode:
    """The rule tree of `data`, or RuleValidationError listing every problem."""
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode())
    except (TypeError, ValueError):
        raise RuleValidationError([ErrorDetail(path="", message="the rule is not valid JSON")]) from None
    if size > MAX_RULE_BYTES:
        raise RuleValidationError(
            [ErrorDetail(path="", message=f"the rule is {size // 1024} KiB; the limit is {MAX_RULE_BYTES // 1024} KiB")]
        )
    validation = _Validation(registry=registry)
    node = validation.node(data, "", 1)
    if validation.conditions > MAX_CONDITIONS:
        validation.error("", f"the rule has {validation.conditions} conditions; the limit is {MAX_CONDITIONS}")
    if validation.errors or node is None:
        raise RuleValidationError(validation.errors or [ErrorDetail(path="", message="the rule is invalid")])
    return node


def rule_to_json(node: RuleNode) -> dict[str, Any]:
    """The canonical JSON of a validated rule (what is stored)."""
    if isinstance(node, Group):
        return {node.kind: [rule_to_json(child) for child in node.children]}
    if isinstance(node, Not):
        return {"not": rule_to_json(node.child)}
    data: dict[str, Any] = {"field": node.field, "op": node.op}
    if node.value is not None:
        data["value"] = _value_to_json(node.value)
    if node.window is not None:
        data["window"] = node.window.as_json()
    return data


def _value_to_json(value: RuleValue) -> Any:
    if isinstance(value, tuple):
        return [_value_to_json(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value

