"""scanner: turn stacks of scanned paper questionnaires into a clean, analysable dataset.

The library API; the `scanner` and `scan` commands are thin wrappers around it.
"""

__version__ = "0.1.0"
