"""A notebook that is not valid JSON (a merge conflict left in it).

This file is not the program checked: run with python, it writes broken.ipynb (the test does so first).

Expected: `nndoctor check broken.ipynb` says in one line that it is not a readable notebook: exit
2, no traceback; the JSON report (--format json) still comes out, with the message in it.
"""


NOTEBOOK = """{
 "cells": [
<<<<<<< HEAD
  {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "source": ["import numpy as np"]}
=======
  {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "source": ["import numpy"]}
>>>>>>> theirs
 ],
 "metadata": {}, "nbformat": 4, "nbformat_minor": 5
}
"""

with open("broken.ipynb", "w") as f:
    f.write(NOTEBOOK)


EXPECTED = {"exit": 2, "make": "broken.ipynb", "stderr": "not a readable Jupyter notebook",
            "message": "not a readable Jupyter notebook"}
