"""Numbers as Backprop Lab writes them, in one place: warnings, explanations, diagram and CLI.

Four significant digits, as the course prints them; a real minus sign (−1, not -1); powers of
ten as 1e−8 in plain text and 10^{-8} in LaTeX (never 1e−08, whose italic e reads as Euler's
number in rendered math); nan and inf spelled out.
"""

from __future__ import annotations

import math

MINUS = "−"
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def number_text(v: float, digits: int = 4) -> str:
    """Plain text: 15.78, −1, 1e−8, nan, inf, −inf; 0 for −0, which is the same number."""
    v = float(v) + 0.0
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else MINUS + "inf"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", MINUS)


def number_power_text(v: float, digits: int = 2) -> str:
    """Plain text with powers of ten as superscripts, for prose and labels: 1.1·10⁻⁶."""
    v = float(v)
    if not math.isfinite(v):
        return number_text(v)
    text = f"{v:.{digits}g}"
    if "e" not in text:
        return text.replace("-", MINUS)
    mantissa, exponent = text.split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    mantissa = mantissa.replace("-", MINUS)
    return (
        power
        if mantissa == "1"
        else (MINUS + power if mantissa == MINUS + "1" else f"{mantissa}·{power}")
    )


def step_text(v: float) -> str:
    """A step size such as eps, as a power of ten where it is one, for the stops of a slider
    that all read alike: 1, 10⁻¹, 10⁻⁴, 10⁻¹²; any other as `number_power_text` (5·10⁻³)."""
    v = float(v)
    if v > 0 and math.isfinite(v):
        k = round(math.log10(v))
        if math.isclose(v, 10.0**k, rel_tol=1e-12):
            return "1" if k == 0 else "10" + superscript(k)
    return number_power_text(v)


def number_latex(v: float, wrap_negative: bool = False, digits: int = 4) -> str:
    """LaTeX: 15.78, {-1}, 1 \\times 10^{-8}, \\mathrm{nan}, \\infty. With `wrap_negative`, a
    negative number or a power of ten is parenthesised, as an argument or a base must be.
    A minus sign is braced with its number, so that it renders as a sign (= −1), not as a
    subtraction (= − 1). −0 is written 0."""
    v = float(v) + 0.0
    if math.isnan(v):
        return r"\mathrm{nan}"
    if math.isinf(v):
        return r"\infty" if v > 0 else (r"({-\infty})" if wrap_negative else r"{-\infty}")
    text = f"{v:.{digits}g}"
    mantissa, _, exponent = text.partition("e")
    if mantissa.startswith("-"):
        mantissa = "{" + mantissa + "}"
    text = rf"{mantissa} \times 10^{{{int(exponent)}}}" if exponent else mantissa
    return f"({text})" if wrap_negative and (v < 0 or "times" in text) else text


def paren_text(v: float, digits: int = 4) -> str:
    """A number as an argument in plain text: negative ones and powers of ten in parentheses,
    (−1), (1e−8), so that 1e−8^3 never appears."""
    text = number_text(v, digits)
    return (
        f"({text})" if float(v) < 0 or "e" in text.replace("inf", "").replace("nan", "") else text
    )


def not_finite_text(v: float) -> str:
    """nan or ±inf in words, for warnings: 'nan (not a number)', 'inf', '−inf'."""
    return "nan (not a number)" if math.isnan(v) else number_text(v)


def json_number(v: float) -> float | str:
    """A number for strict JSON: nan and ±inf as the strings 'nan', 'inf', '-inf'."""
    v = float(v)
    return v if math.isfinite(v) else str(v)


def subscript(n: int) -> str:
    """12 as ₁₂, for node names such as v₁₂."""
    return str(n).translate(_SUBSCRIPT)


def superscript(n: int) -> str:
    """2 as ², −1 as ⁻¹, for powers in plain text."""
    return str(n).translate(_SUPERSCRIPT)


def count_text(n: int, noun: str) -> str:
    """'1 operation', '3 operations', 'no operations'."""
    if n == 0:
        return f"no {noun}s"
    return f"{n} {noun}" + ("" if n == 1 else "s")


def times_text(n: int) -> str:
    """'once', 'twice', '3 times'."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")
