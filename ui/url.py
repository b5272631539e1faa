"""Reading the URL's query parameters: untrusted text, checked one by one.

Every reader returns a usable value; what was wrong with the link is collected as a plain
sentence so the page can say it, instead of failing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

MAX_PARAM_LENGTH = 2000
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass
class LinkReader:
    """Reads values from query parameters ({name: [values]}), noting each problem once."""
    params: Mapping[str, Sequence[str]]
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, query_params) -> LinkReader:
        """From `st.query_params` (or any mapping of name to a value or a list of values)."""
        getter = getattr(query_params, "get_all", None)
        if getter is not None:
            return cls({name: getter(name) for name in query_params})
        return cls({k: ([v] if isinstance(v, str) else list(v)) for k, v in
                    query_params.items()})

    def raw(self, name: str) -> str | None:
        values = self.params.get(name) or []
        if not values:
            return None
        if len(values) > 1:
            self.problems.append(f"The link gives {name} {len(values)} times; the last one is "
                                 "used.")
        value = values[-1]
        if len(value) > MAX_PARAM_LENGTH:
            self.problems.append(f"The link's {name} is {len(value):,} characters long, more "
                                 f"than the {MAX_PARAM_LENGTH:,} allowed; it is ignored.")
            return None
        return value

    def text(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None else value

    def number(self, name: str, default: float, low: float = -1e12, high: float = 1e12
               ) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value.strip())
        except ValueError:
            self.problems.append(f"The link's {name}={_show(value)} is not a number; "
                                 f"{_number(default)} is used instead.")
            return default
        if not math.isfinite(number) or not low <= number <= high:
            self.problems.append(f"The link's {name}={_show(value)} is outside "
                                 f"{_number(low)} … {_number(high)}; {_number(default)} is used "
                                 "instead.")
            return default
        return number

    def stop(self, name: str, default: float, stops: Sequence[float]) -> float:
        """A number that must be one of a slider's stops: another number in their range is
        moved to the nearest stop (on a log scale, for stops like 1e-1 … 1e-12)."""
        value = self.number(name, default, min(stops), max(stops))
        if value in stops:
            return value
        log = all(s > 0 for s in stops)
        nearest = min(stops, key=lambda s: abs(math.log10(s / value)) if log else abs(s - value))
        self.problems.append(f"The link's {name}={_number(value)} is not one of the values "
                             f"offered; the nearest, {_number(nearest)}, is used instead.")
        return nearest

    def whole(self, name: str, default: int, low: int = 0, high: int = 10**9) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value.strip())
        except ValueError:
            self.problems.append(f"The link's {name}={_show(value)} is not a whole number; "
                                 f"{default} is used instead.")
            return default
        if number < low:
            self.problems.append(f"The link's {name}={number} is below {low}; {low} is used.")
            return low
        return min(number, high)

    def choice(self, name: str, default: str, choices: Sequence[str]) -> str:
        value = self.raw(name)
        if value is None:
            return default
        if value.strip().lower() not in choices:
            self.problems.append(f"The link's {name}={_show(value)} is not one of "
                                 f"{', '.join(choices)}; {default} is used instead.")
            return default
        return value.strip().lower()

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.strip().lower() in TRUE:
            return True
        if value.strip().lower() in FALSE:
            return False
        self.problems.append(f"The link's {name}={_show(value)} should be true or false; "
                             f"{str(default).lower()} is used instead.")
        return default


def _show(value: str) -> str:
    shown = value if len(value) <= 40 else value[:37] + "…"
    return repr(shown)


def _number(v: float) -> str:
    return f"{v:g}"


def number_param(v: float) -> str:
    """A number as the shortest text that reads back the same."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def link(base: str, params: Mapping[str, object]) -> str:
    """A shareable URL: the page's address and its state."""
    base = base.split("?")[0]
    return f"{base}?{urlencode({k: v for k, v in params.items() if v is not None})}"
