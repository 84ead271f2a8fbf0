"""Activation functions and their derivative helpers, recognized by what they compute.

Learners write ``sigmoid(Z) -> (A, cache)``, ``relu_backward(dA, cache)``, ``lreluDer(z)``,
``sigmoid_prime(a) = a * (1 - a)``... This package calls such functions on a small fixed grid of
pre-activations and recognizes them by their values, never by their names alone:

- `identify_activation(func)`: relu, leaky-relu (with its alpha), sigmoid, tanh, softmax (over
  axis 0 or axis 1), identity, elu, softplus, swish;
- `identify_derivative(func)`: which activation a helper differentiates, whether it takes ``z``
  or the activation's output ``a``, and whether it is called ``helper(z)`` or ``helper(dA, cache)``;
- `pair_helpers(functions)`: a module's derivative helpers and their forward twins, by name
  (``sigmoid_backward`` / ``sigmoid``, ``lreluDer`` / ``lrelu``, ``dtanh`` / ``tanh``) and otherwise
  by what they compute;
- `check_pair(forward, derivative)`: the helper against a central difference of its twin
  (rule ``activation-derivative``), including whether a ``(dA, cache)`` helper multiplies by dA,
  and whether the pair could be compared at all; `check_derivative` is the same returning the
  finding alone;
- `check_module_helpers(functions)`: all of the above for a module.

Every call of user code goes through `nndoctor.usercode.guarded_call`: exceptions are caught,
output is swallowed, stdin reads as empty, numpy's global random state (and `random`'s) is
restored, and a line budget stops a function that turns out to be a training loop. Nothing here
raises for what the user's functions do.

The modules, in the order they build on each other:

- `reference`: the reference maths of the known activations and their derivatives;
- `grid`: the points user functions are called on, shaped like the program's arrays;
- `precision`: machine epsilon, tolerances, closeness;
- `signature`: how a function can be called, read from its parameters' names;
- `returns`: reading an array out of what a function returned;
- `identify`: recognizing an activation or a derivative helper from its inputs and outputs;
- `pairing`: pairing helpers with their forward twins by name;
- `numeric`: the central difference a helper is compared with;
- `location`: the line a finding points at;
- `messages`: the findings' texts;
- `derivative_check`: the check itself.
"""

from nndoctor.activations.derivative_check import PairCheck, check_derivative, check_module_helpers, check_pair
from nndoctor.activations.grid import inputs_shaped_like, sample_grid
from nndoctor.activations.identify import (
    Activation,
    Derivative,
    derivative_from_values,
    identify_activation,
    identify_derivative,
)
from nndoctor.activations.pairing import Pair, pair_helpers
from nndoctor.activations.reference import KINDS, activation_value, derivative_value

__all__ = [
    "Activation",
    "Derivative",
    "Pair",
    "PairCheck",
    "KINDS",
    "identify_activation",
    "identify_derivative",
    "derivative_from_values",
    "pair_helpers",
    "check_pair",
    "check_derivative",
    "check_module_helpers",
    "activation_value",
    "derivative_value",
    "inputs_shaped_like",
    "sample_grid",
]
