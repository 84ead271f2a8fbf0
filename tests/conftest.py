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


def pytest_itemcollected(item):
    """`pytest -k dead_relu` selects the tests marked planted("dead-relu") or twin("dead-relu") too
    (see rulecases.py): each rule of those marks is a keyword of the test."""
    from rulecases import keyword

    for mark in item.iter_markers():
        if mark.name in ("planted", "twin"):
            item.extra_keyword_matches.update(keyword(slug) for slug in mark.args)
