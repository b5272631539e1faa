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

from .explain import who
from .format import number_text
from .numeric import central_difference
from .trace import Trace

CheckKind = Literal[
    "agree",
    "no-gradient",
    "overflow",
    "kink",
    "outside-domain",
    "eps",
    "ill-conditioned",
    "disagree",
]
#: eps values tried when the chosen one disagrees, to tell a bad eps from a wrong gradient;
#: each also scaled by |x|, for points far from 1 in size.
EPS_TRIED = tuple(10.0**-k for k in range(2, 10))
COARSE = 1e-9  # float spacing beyond which central difference cannot resolve most functions
RELATIVE = 1e-3  # backprop and central difference agree within this, relative to the larger


@dataclass(frozen=True)
class Check:
    variable: str
    backprop: float
    central: float
    kind: CheckKind  # 'agree', or what explains the difference
    reason: str | None  # in words, None where they agree

    @property
    def agree(self) -> bool:
        return self.kind == "agree"


def close(a: float, b: float, relative: float = RELATIVE) -> bool:
    """Equal within `relative` of the larger magnitude (and of 1 near zero)."""
    return (
        math.isfinite(a) and math.isfinite(b) and abs(a - b) <= relative * max(1.0, abs(a), abs(b))
    )


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
                reason = (
                    f"backpropagation gives {number_text(backprop)}, which is not the "
                    f"gradient: {overflow[0]}"
                )
            else:
                kind = "no-gradient"
                reason = f"there is no gradient with respect to {name} here: " + (
                    problems[0] if problems else f"backpropagation gives {number_text(backprop)}"
                )
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
            near = _kink_within(trace, inputs, name, eps)
            if near is not None:
                kind = "kink"
                reason = (
                    f"{near} lies within eps = {number_text(eps)} of {name}, so "
                    "central difference straddles the point where it has no derivative "
                    "and mixes the slopes on both sides"
                )
            elif outside:
                kind = "outside-domain"
                reason = (
                    f"central difference evaluates f at {name} = "
                    f"{number_text(outside[0])}, where f is undefined, so it gives "
                    f"{number_text(central)}"
                )
            else:
                tried = [e * s for s in dict.fromkeys((1.0, abs(x))) if s > 0 for e in EPS_TRIED]
                good = [
                    e
                    for e in tried
                    if close(backprop, float(central_difference(f, inputs[name], e)))
                ]
                if good:
                    kind = "ill-conditioned"
                    reason = (
                        f"eps = {number_text(eps)} suits this point badly (too large "
                        "for how sharply f curves here, or too small for the float "
                        f"round-off); with eps = {number_text(good[0])} central "
                        "difference agrees"
                    )
                elif np.spacing(abs(x)) > COARSE:
                    kind = "ill-conditioned"
                    reason = (
                        f"floats near {name} = {number_text(x)} are "
                        f"{number_text(float(np.spacing(abs(x))))} apart, so no eps is "
                        "both representable and small enough for how f varies here"
                    )
                elif np.spacing(abs(f(x))) > RELATIVE * abs(backprop) * max(tried):
                    kind = "ill-conditioned"
                    reason = (
                        f"f = {number_text(f(x))} here, and floats near it are "
                        f"{number_text(float(np.spacing(abs(f(x)))))} apart: the change "
                        "any eps makes in f is lost in the round-off"
                    )
                else:
                    kind = "disagree"
                    reason = (
                        "backpropagation and central difference disagree at every eps "
                        f"from {number_text(EPS_TRIED[0])} to {number_text(EPS_TRIED[-1])}"
                    )
        result.append(Check(name, backprop, central, kind, reason))
    return tuple(result)


def _kink_within(trace: Trace, inputs: dict[str, np.float64], name: str, eps: float) -> str | None:
    """The first operation with a point without derivative between name − eps and name + eps
    (as `Op.kink_between` tells from its arguments on both sides), in words."""
    graph = trace.graph
    with np.errstate(all="ignore"):
        below = graph.forward({**inputs, name: inputs[name] - eps})
        above = graph.forward({**inputs, name: inputs[name] + eps})
    for node in graph.nodes:
        op = node.op
        if op is None or op.kink is None:
            continue
        before = tuple(float(below[a]) for a in node.args)
        after = tuple(float(above[a]) for a in node.args)
        if op.kink_between(before, after):
            return who(graph, node.id)
    return None
