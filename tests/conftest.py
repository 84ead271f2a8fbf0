import os
import sys

# the reference networks (tests/nets.py) are imported by name
sys.path.insert(0, os.path.dirname(__file__))


def pytest_make_parametrize_id(config, val, argname):
    """Functions and classes as test ids by name, not by their memory address (which differs from one
    process to the next: pytest-xdist's workers must collect the same ids)."""
    if callable(val) and hasattr(val, "__name__"):
        return val.__name__
    return None
