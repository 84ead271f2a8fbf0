"""A file that takes the interpreter down, as a broken native extension would (a segmentation fault)."""
import ctypes

ctypes.string_at(0)
