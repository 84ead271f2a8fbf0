import os
import sys

# the reference networks (tests/nets.py) are imported by name
sys.path.insert(0, os.path.dirname(__file__))
