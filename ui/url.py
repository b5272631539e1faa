"""Reading the URL's query parameters: untrusted text, checked one by one.

Every reader returns a usable value; what was wrong with the link is collected as a plain
sentence so the page can say it, instead of failing.

A function's variables and the page's own settings share one query string. A variable is always
written under its own name (`x=1`, `q=5`); a setting whose name is also a variable of the
function is written with a leading underscore (`_q=2` for the question number when the function
has a variable q). Variable names never start with an underscore, so the two cannot meet, and
links written before the underscore existed read as before whenever no variable shadows a setting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlencode

T = TypeVar("T")
MAX_PARAM_LENGTH = 2000
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


SHADOWED = "_"  # the prefix of a setting whose name is also one of the function's variables


@dataclass
class LinkReader:
    """Reads values from query parameters ({name: [values]}), noting each problem once.

    `variables` are the function's variables: `variable(name)` reads them under their own
    name; every other reader reads a setting, from `_name` when the function has a variable
    `name` (and from `name` otherwise, or from `_name` if the link has that form).
    """

    params: Mapping[str, Sequence[str]]
    problems: list[str] = field(default_factory=list)
    variables: frozenset[str] = frozenset()

    @classmethod
    def of(cls, query_params) -> LinkReader:
        """From `st.query_params` (or any mapping of name to a value or a list of values)."""
        getter = getattr(query_params, "get_all", None)
        if getter is not None:
            return cls({name: getter(name) for name in query_params})
        return cls({k: ([v] if isinstance(v, str) else list(v)) for k, v in query_params.items()})

    def key(self, name: str) -> str | None:
        """Where a setting is in the link: `_name`, else `name` unless a variable has it."""
        if SHADOWED + name in self.params:
            return SHADOWED + name
        return None if name in self.variables else name

    def raw(self, name: str) -> str | None:
        """A setting's text (see `key`), or None where the link does not give it."""
        key = self.key(name)
        return None if key is None else self._raw(key)

    def _raw(self, name: str) -> str | None:
        values = self.params.get(name) or []
        if not values:
            return None
        if len(values) > 1:
            self.problems.append(
                f"The link gives {name} {len(values)} times; the last one is used."
            )
        value = values[-1]
        if len(value) > MAX_PARAM_LENGTH:
            self.problems.append(
                f"The link's {name} is {len(value):,} characters long, more "
                f"than the {MAX_PARAM_LENGTH:,} allowed; it is ignored."
            )
            return None
        return value

    def text(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None else value

    def variable(self, name: str, default: float, low: float = -1e12, high: float = 1e12) -> float:
        """The value of the function's variable `name`, always under its own name."""
        return self._number(name, self._raw(name), default, low, high)

    def point(
        self,
        variables: Sequence[str],
        defaults: Mapping[str, float],
        default: float = 1.0,
        low: float = -1e12,
        high: float = 1e12,
    ) -> dict[str, float]:
        """Each of the function's `variables` (from now on the reader's), from the link under
        its own name, else from `defaults`, else `default`."""
        self.variables = frozenset(variables)
        return {
            name: self.variable(name, defaults.get(name, default), low, high) for name in variables
        }

    def number(self, name: str, default: float, low: float = -1e12, high: float = 1e12) -> float:
        return self._number(self.key(name) or name, self.raw(name), default, low, high)

    def _number(
        self, name: str, value: str | None, default: float, low: float, high: float
    ) -> float:
        number = self._read(name, value, float, "a number", _number(default))
        if number is None or value is None:
            return default
        if not math.isfinite(number) or not low <= number <= high:
            self.problems.append(
                f"The link's {name}={_show(value)} is outside "
                f"{_number(low)} … {_number(high)}; {_number(default)} is used "
                "instead."
            )
            return default
        return number

    def _read(
        self, name: str, value: str | None, kind: Callable[[str], T], what: str, default: str
    ) -> T | None:
        """`value` as a `kind` (float, int); None where the link gives none or it is not `what`
        (said, with the `default` used instead)."""
        if value is None:
            return None
        try:
            return kind(value.strip())
        except ValueError:
            pass
        self.problems.append(
            f"The link's {name}={_show(value)} is not {what}; {default} is used instead."
        )
        return None

    def stop(self, name: str, default: float, stops: Sequence[float]) -> float:
        """A number that must be one of a slider's stops: another number in their range is
        moved to the nearest stop (on a log scale, for stops like 1e-1 … 1e-12)."""
        value = self.number(name, default, min(stops), max(stops))
        name = self.key(name) or name
        if value in stops:
            return value
        log = all(s > 0 for s in stops)
        nearest = min(stops, key=lambda s: abs(math.log10(s / value)) if log else abs(s - value))
        self.problems.append(
            f"The link's {name}={_number(value)} is not one of the values "
            f"offered; the nearest, {_number(nearest)}, is used instead."
        )
        return nearest

    def whole(self, name: str, default: int, low: int = 0, high: int = 10**9) -> int:
        value, name = self.raw(name), self.key(name) or name
        number = self._read(name, value, int, "a whole number", str(default))
        if number is None:
            return default
        if number < low:
            self.problems.append(f"The link's {name}={number} is below {low}; {low} is used.")
            return low
        if number > high:
            self.problems.append(f"The link's {name}={number} is above {high}; {high} is used.")
            return high
        return number

    def choice(self, name: str, default: str, choices: Sequence[str]) -> str:
        value, name = self.raw(name), self.key(name) or name
        if value is None:
            return default
        if value.strip().lower() not in choices:
            self.problems.append(
                f"The link's {name}={_show(value)} is not one of "
                f"{', '.join(choices)}; {default} is used instead."
            )
            return default
        return value.strip().lower()

    def flag(self, name: str, default: bool = False) -> bool:
        value, name = self.raw(name), self.key(name) or name
        if value is None:
            return default
        if value.strip().lower() in TRUE:
            return True
        if value.strip().lower() in FALSE:
            return False
        self.problems.append(
            f"The link's {name}={_show(value)} should be true or false; "
            f"{str(default).lower()} is used instead."
        )
        return default


def _show(value: str) -> str:
    shown = value if len(value) <= 40 else value[:37] + "…"
    return repr(shown)


def _number(v: float) -> str:
    return f"{v:g}"


def number_param(v: float) -> str:
    """A number as the shortest text that reads back the same."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def query(settings: Mapping[str, object], variables: Mapping[str, float]) -> dict[str, str]:
    """The query string's parameters, as text: `expr` first, then the variables under their own
    names, then the other settings (a setting shadowed by a variable as `_name`). None is left
    out."""

    def setting(name: str) -> str:
        return SHADOWED + name if name in variables else name

    out = {"expr": str(settings["expr"])} if settings.get("expr") is not None else {}
    out.update({name: number_param(value) for name, value in variables.items()})
    out.update({setting(k): str(v) for k, v in settings.items() if k != "expr" and v is not None})
    return out


def link(base: str, params: Mapping[str, object]) -> str:
    """A shareable URL: the page's address and its state."""
    base = base.split("?")[0]
    return f"{base}?{urlencode({k: v for k, v in params.items() if v is not None})}"
