"""The chain-rule lesson's shared parts: the row that picks the two boxes and their backwards,
and each box shown as its code beside its numbers."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import streamlit as st

import engine
from engine.boxes import box as named_box
from engine.boxes import box_code
from engine.explain import Explanation, explain
from engine.format import step_text

from .widgets import linked


def markdown(explanation: Explanation, title: bool = False) -> str:
    """Words as escaped text, math as $LaTeX$ for Streamlit's markdown."""

    def words(text: str) -> str:
        return re.sub(r"([\\`*_{}\[\]<>#|$~])", r"\\\1", html.unescape(text))

    lines = [
        "".join(f"${s.latex}$" if s.latex is not None else words(s.text) for s in line)
        for line in explanation.lines
    ]
    if explanation.warning:
        lines.append(f"⚠ {words(explanation.warning)}")
    head = [f"**{words(explanation.title)}**"] if title else []
    return "\n\n".join(head + lines)


def signed(v: float, digits: int = 4) -> str:
    """Four decimals, as the course prints them, with a true minus sign."""
    return f"{v:.{digits}f}".replace("-", "−") if math.isfinite(v) else str(v)


def box_inputs(
    page: str,
    state: dict,
    boxes: Sequence[str],
    modes: Sequence[str],
    stops: Sequence[float],
    limit: float,
) -> None:
    """x, then each box and how it computes its backward, in a row that wraps rather than
    squeezing them (a squeezed segmented control cuts its options' names), each box beside
    its backward; ε under them while a
    box is numerical."""
    with st.container(
        horizontal=True, key=f"{page}-boxes", vertical_alignment="bottom", gap="small"
    ):
        linked(
            page,
            state,
            "x",
            st.number_input,
            "x",
            step=0.1,
            format="%g",
            min_value=-limit,
            max_value=limit,
            width=150,
        )
        for role, label in [
            ("inner", "Inner box (applied first)"),
            ("outer", "Outer box (applied second)"),
        ]:
            # A box and its backward wrap together.
            with st.container(
                horizontal=True, width="content", vertical_alignment="bottom", gap="small"
            ):
                linked(page, state, role, st.selectbox, label, list(boxes), width=210)
                linked(
                    page,
                    state,
                    f"{role}_mode",
                    st.segmented_control,
                    f"{role.capitalize()} backward",
                    list(modes),
                    width="content",
                    help="Symbolic: the derivative formula. Numerical: central difference on "
                    "the box's forward.",
                )
    if "numerical" in (state["inner_mode"], state["outer_mode"]):
        linked(
            page,
            state,
            "eps",
            st.select_slider,
            "ε for the numerical backward",
            list(stops),
            format_func=step_text,
        )


def show_box(state: dict, trace: engine.Trace, role: str, node: int) -> None:
    """The `role` box (inner or outer) at `node`: its code beside its forward and backward
    step, and its part of the chain in the course's four decimals."""
    steps = {(s.phase, s.node): k for k, s in enumerate(trace.steps, 1)}
    box, mode = state[role], state[f"{role}_mode"]
    st.subheader(f"{role.capitalize()} box: {named_box(box).title}, {mode} backward")
    code, numbers = st.columns([1, 1])
    # Plain text: Streamlit colours Python keywords below AA contrast in its dark theme.
    code.code(box_code(box, mode, state["eps"]), language=None)
    with numbers:
        st.markdown(markdown(explain(trace, steps[("forward", node)]), title=True))
        k = steps.get(("backward", node))
        backward = trace.steps[k - 1] if k is not None else None
        if k is None or not isinstance(backward, engine.BackwardStep):
            return
        st.markdown(markdown(explain(trace, k), title=True))
        send = next(s for s in backward.sends if s.to == trace.graph.nodes[node].args[0])
        st.info(
            f"**{box}** receives d_out = {signed(backward.d_out)}, multiplies by its "
            f"local derivative {signed(send.local)} and sends back "
            f"{signed(send.contribution)}.",
            icon=":material/arrow_back:",
        )
