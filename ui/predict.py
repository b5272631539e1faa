"""Predict, then check: questions from a trace's backward steps, asked one at a time.

Used by the practice page and by the playground's "Predict each step" switch. A question asks
what a box sends along an edge (d_out · local derivative) or the d_out a node fires with; the
answer and its arithmetic come from the engine's trace and explanation, never from here.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

import engine
from engine.explain import Explanation, Kind, Segment, explain, node_name, number_text

from .widgets import plain

ASK = {"sends": "What each box sends back", "grads": "The d_out each node fires with"}
RELATIVE, ABSOLUTE = 0.01, 0.005  # within 1 %, or 0.005 near zero, counts as right


@dataclass(frozen=True)
class Question:
    k: int  # the backward step it asks about (1-based, as the player counts)
    prompt: str
    answer: float
    send: int | None  # which of the step's sends, when asking what is sent


def _who(graph: engine.Graph, n: int) -> str:
    """A node as the diagram names it: × (v₃), or x."""
    node = graph.nodes[n]
    return f"{node.symbol} ({node_name(graph, n)[0]})" if node.kind == "operation" else node.symbol


def questions(trace: engine.Trace, ask: str) -> list[Question]:
    graph = trace.graph
    result = []
    for k, step in enumerate(trace.steps, 1):
        if not isinstance(step, engine.BackwardStep):
            continue
        who = _who(graph, step.node)
        if ask == "grads":
            if step.received:  # the output always starts at 1: nothing to predict
                result.append(
                    Question(k, f"What d_out does **{who}** fire with?", step.d_out, None)
                )
            continue
        for i, send in enumerate(step.sends):
            to = _who(graph, send.to)
            twice = sum(1 for s in step.sends if s.to == send.to) > 1
            where = (
                f" along its {'first' if send.position == 0 else 'second'} input" if twice else ""
            )
            result.append(
                Question(
                    k,
                    f"**{who}** fires with d_out = {number_text(step.d_out)}. "
                    f"What does it send to **{to}**{where}?",
                    send.contribution,
                    i,
                )
            )
    return result


def is_right(guess: float, answer: float) -> bool:
    if not math.isfinite(answer):
        return False
    return abs(guess - answer) <= max(RELATIVE * abs(answer), ABSOLUTE)


def markdown(segments: Iterable[Segment]) -> str:
    """Words as escaped text, math as $LaTeX$ for Streamlit's markdown."""

    def words(text: str) -> str:
        return re.sub(r"([\\`*_{}\[\]<>#|$~])", r"\\\1", html.unescape(text))

    return "".join(f"${s.latex}$" if s.latex is not None else words(s.text) for s in segments)


def arithmetic(explanation: Explanation, question: Question) -> list[str]:
    """The lines of the step's explanation that compute this answer."""
    sends = explanation.of_kind(Kind.SEND)
    lines = (
        [sends[question.send]] if question.send is not None else explanation.of_kind(Kind.RECEIVED)
    )
    return [markdown(line) for line in lines]


def score() -> dict[str, int]:
    """Right answers out of questions checked, over the whole session and every page."""
    return st.session_state.setdefault("predict:score", {"right": 0, "asked": 0})


def ask(
    trace: engine.Trace,
    question: Question,
    record_key: tuple,
    *,
    page: str,
    next_label: str = "Next question",
) -> tuple[tuple[float, bool] | None, bool]:
    """Ask one question: a number field and Check; then right or wrong, with the arithmetic.

    Returns the record (guess, right) once checked, and whether "next" was pressed.
    """
    answers: dict = st.session_state.setdefault("predict:answers", {})
    record = answers.get(record_key)
    st.markdown(question.prompt)
    # A fresh field per question, so an answer never carries over to another question.
    field = f"{page}:guess:{abs(hash(record_key))}"
    with st.form(key=f"{page}:form:{field}", border=False):
        left, right = st.columns([2, 1], vertical_alignment="bottom")
        guess = left.number_input(
            "Your answer",
            value=None,
            format="%g",
            step=None,
            key=field,
            placeholder="type a number",
        )
        checked = right.form_submit_button(
            "Check", icon=":material/check:", disabled=record is not None
        )
    if checked:
        if guess is None:
            st.warning("Type a number first.")
        else:
            record = answers[record_key] = (guess, is_right(guess, question.answer))
            score()["asked"] += 1
            score()["right"] += int(record[1])
            st.rerun()  # the score shows the new count
    advance = False
    if record is not None:
        guess, right_answer = record
        if right_answer:
            st.success(f"**Right:** {number_text(question.answer, 6)}", icon=":material/check:")
        else:
            st.error(
                f"**Not quite:** you said {guess:g}; the answer is "
                f"{number_text(question.answer, 6)}.",
                icon=":material/close:",
            )
            st.markdown("\n\n".join(arithmetic(explain(trace, question.k), question)))
        advance = st.button(
            next_label,
            icon=":material/arrow_forward:",
            type="primary",
            key=f"{page}:next:{abs(hash(record_key))}",
        )
    return record, advance


def predict_steps(
    page: str, state: dict, trace: engine.Trace, about: tuple
) -> tuple[str, int | None]:
    """The playground's "Predict each step": ask about the backward steps one at a time,
    with the player held at the step asked about (shown once answered). `state["q"]` is the
    question; `about` identifies the function and point, so each answer is recorded once.

    Returns the player's key (a new one per question and answer) and the last step the
    player may show (None once every question is answered).
    """
    asked = questions(trace, "sends")
    state["q"] = min(max(state["q"], 1), len(asked) + 1)
    if state["q"] > len(asked):
        if asked:
            st.success(
                f"All {len(asked)} predictions on {plain(state['expr'])} done · "
                f"score this session {score()['right']} / {score()['asked']}.",
                icon=":material/flag:",
            )
        return f"{page}:player", None
    question = asked[state["q"] - 1]
    st.markdown(
        f"**Predict {state['q']} of {len(asked)}** · score this session "
        f"{score()['right']} / {score()['asked']}"
    )
    record, advance = ask(
        trace, question, (*about, state["q"]), page=page, next_label="Next step to predict"
    )
    if advance:
        state["q"] += 1
        st.rerun()
    state["step"] = question.k if record is not None else question.k - 1
    return f"{page}:player:{state['q']}:{record is not None}", state["step"]
