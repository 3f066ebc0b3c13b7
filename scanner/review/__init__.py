"""Review: people settle, in the browser, what the scan was unsure of.

- `scanner.review.queue`: the queue, decisions (record, undo, the first one stands) and
  the quality check, as functions of the store; usable without a server.
- `scanner.review.crops`: each item's row drawn from the scanned page on demand.
- `scanner.review.server`: `ReviewServer`, the web server behind `scanner review`.

Kept empty of imports so that `scanner --help` does not load pandas and OpenCV.
"""
