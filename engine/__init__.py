"""Backprop Lab's autodiff engine: parse a function, build its graph, trace forward and backward.

Pure Python and NumPy, usable from a script or a notebook:

    >>> import engine
    >>> g = engine.parse("log(xy) + exp(xy)")
    >>> g.variables
    ('x', 'y')
    >>> round(g.gradient(x=1.0, y=2.0)["x"], 3)
    15.778
"""

from .forward_mode import ForwardModeTrace, TangentStep, forward_mode, forward_mode_gradient
from .graph import Edge, Graph, Node, VariablesWording
from .numeric import central_difference, forward_difference
from .ops import FUNCTIONS, OPS, Op
from .order import (
    Firing,
    backward_order,
    firings,
    operations,
    order_of_text,
    search_order,
    topological_backward_order,
    unplaced,
)
from .parser import MAX_DEPTH, MAX_LENGTH, MAX_NODES, ParseError, parse, read_as
from .trace import (
    PHASE_TITLES,
    PHASES,
    BackwardStep,
    ForwardStep,
    OrderStep,
    Received,
    Send,
    State,
    Step,
    Trace,
    backward_in_order,
    breadth_first_order,
    first_visit_order,
)

__all__ = [
    "VariablesWording",
    "parse",
    "ParseError",
    "Graph",
    "Node",
    "Edge",
    "Trace",
    "State",
    "Step",
    "ForwardStep",
    "OrderStep",
    "BackwardStep",
    "Send",
    "Received",
    "PHASES",
    "PHASE_TITLES",
    "OPS",
    "Op",
    "FUNCTIONS",
    "central_difference",
    "forward_difference",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_DEPTH",
    "backward_in_order",
    "first_visit_order",
    "breadth_first_order",
    "forward_mode",
    "forward_mode_gradient",
    "ForwardModeTrace",
    "TangentStep",
    "read_as",
    "operations",
    "unplaced",
    "backward_order",
    "search_order",
    "topological_backward_order",
    "order_of_text",
    "firings",
    "Firing",
]
