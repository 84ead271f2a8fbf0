"""`nndoctor check` with --seed -1.

Expected: refused before the program runs (it would write ran.txt): exit 2, one line on stderr
naming the option, no traceback, no report, every file untouched.
"""

import numpy as np

# Any program will do: the option is refused before it runs. This one would leave ran.txt behind.
open("ran.txt", "w").write("the check ran")
X = np.random.RandomState(1).randn(2, 40)
print("mean:", float(X.mean()))


EXPECTED = {"exit": 2, "report": False, "stderr": "seed", "args": ["--seed", "-1"]}
