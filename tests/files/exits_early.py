"""A file that leaves with os._exit before it trains anything."""
import os

os._exit(3)
