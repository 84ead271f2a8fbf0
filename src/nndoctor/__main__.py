"""`python -m nndoctor ...`: the same as the `nndoctor` command."""

import sys

from nndoctor.cli import main

sys.exit(main())
