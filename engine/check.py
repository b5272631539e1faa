"""The final check: the gradient by backpropagation beside central difference on the whole
function, and, where they differ, why.

They differ for a reason a student should hear: the function is undefined or overflows at the
point (there is no gradient), an operation is not differentiable there and the engine uses a
convention (relu at 0), central difference steps outside the function's domain (√ at 0), the
numerical local derivatives were taken with an unusable eps, or eps suits this point badly
(then another eps agrees, and the check names it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .format import number_text
from .numeric import central_difference
from .trace import Trace

CheckKind = Literal["agree", "no-gradient", "overflow", "kink", "outside-domain", "eps", "ill-conditioned",
                    "disagree"]
#: eps values tried when the chosen one disagrees, to tell a bad eps from a wrong gradient.
EPS_TRIED = tuple(10.0 ** -k for k in range(2, 10))
RELATIVE = 1e-3  # backprop and central difference agree within this, relative to the larger


@dataclass(frozen=True)
class Check:
    variable: str
    backprop: float
    central: float
    kind: CheckKind       # 'agree', or what explains the difference
    reason: str | None    # in words, None where they agree

    @property
    def agree(self) -> bool:
        return self.kind == "agree"


def close(a: float, b: float, relative: float = RELATIVE) -> bool:
    """Equal within `relative` of the larger magnitude (and of 1 near zero)."""
    return math.isfinite(a) and math.isfinite(b) and \
        abs(a - b) <= relative * max(1.0, abs(a), abs(b))


def gradient_check(trace: Trace, eps: float = 1e-4) -> tuple[Check, ...]:
    """Each variable's gradient from the trace beside central difference with `eps`."""
    graph = trace.graph
    inputs = {k: np.float64(v) for k, v in trace.inputs.items()}

    def along(name: str):
        return lambda t: float(graph.evaluate({**inputs, name: t}))

    kinks = [n for n in trace.notes if n.kind == "kink"]
    eps_notes = [n for n in trace.notes if n.kind == "eps"]
    problems = [text for _, text in trace.warnings]
    result = []
    for name, backprop in trace.gradient.items():
        f = along(name)
        central = float(central_difference(f, inputs[name], eps))
        kind: CheckKind = "agree"
        reason = None
        if not math.isfinite(backprop):
            overflow = [n.text for n in trace.notes if n.kind == "overflow"]
            if overflow:
                kind = "overflow"
                reason = (f"backpropagation gives {number_text(backprop)}, which is not the "
                          f"gradient: {overflow[0]}")
            else:
                kind = "no-gradient"
                reason = (f"there is no gradient with respect to {name} here: "
                          + (problems[0] if problems else f"backpropagation gives "
                                                          f"{number_text(backprop)}"))
        elif close(backprop, central):
            pass
        elif kinks:
            kind = "kink"
            reason = kinks[0].text
        elif eps_notes:
            kind = "eps"
            reason = "the numerical local derivatives are unreliable: " + eps_notes[0].text
        else:
            x = float(inputs[name])
            outside = [t for t in (x - eps, x + eps) if not math.isfinite(f(t))]
            if outside:
                kind = "outside-domain"
                reason = (f"central difference evaluates f at {name} = "
                          f"{number_text(outside[0])}, where f is undefined, so it gives "
                          f"{number_text(central)}")
            else:
                good = [e for e in EPS_TRIED
                        if close(backprop, float(central_difference(f, inputs[name], e)))]
                if good:
                    kind = "ill-conditioned"
                    reason = (f"eps = {number_text(eps)} suits this point badly (too large "
                              "for how sharply f curves here, or too small for the float "
                              f"round-off); with eps = {number_text(good[0])} central "
                              "difference agrees")
                else:
                    kind = "disagree"
                    reason = ("backpropagation and central difference disagree at every eps "
                              f"from {number_text(EPS_TRIED[0])} to {number_text(EPS_TRIED[-1])}")
        result.append(Check(name, backprop, central, kind, reason))
    return tuple(result)
