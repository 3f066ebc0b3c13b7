"""Compare a scan's results with a generated batch's ground truth and print the figures.

    python bench/compare.py samples/truth demo-results
"""

from __future__ import annotations

import sys

from scanner.evaluate import evaluate


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    truth_dir, out_dir = argv
    for line in evaluate(out_dir, truth_dir).lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
