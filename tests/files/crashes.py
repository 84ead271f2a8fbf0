"""A file that takes the interpreter down (as a broken native extension would)."""
import os

os._exit(3)
