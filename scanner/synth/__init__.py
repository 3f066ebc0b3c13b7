"""Synthetic scans with exact ground truth: filled-in questionnaires as a scanner returns them.

`generate` writes batch PDFs (one JPEG per page, as a sheet feeder makes them) and,
beside them, `truth/`: the responses.csv and pages.csv a perfect reader would write,
marks.csv with how every mark and comment was made, and manifest.json. Tests,
benchmarks, the demo and `samples/` are built on it. `fill_page` draws a single page
for unit tests of the reader.

Modules: `respondents` decides the truth (answers, marks, comments), `ink` draws marks
and writing, `paper` the blank form, the sheet on the glass and the scanner's effects,
`letter` the cover letter, `page` one filled-in page, `pdf` the batch file, `batch`
runs it all and writes the truth. `rates` holds every probability and magnitude.
`hard` adds the hard cases (erased ticks, dust, creases, photocopies, phone-photo
shadows...), `stock` paper stocks and lights off the usual path (a pale ream, a strong
cast, a warm lamp...), both off unless asked for.
"""

from scanner.synth.batch import SynthOptions, SynthResult, generate
from scanner.synth.hard import ALL_HARD, Hard, parse_hard
from scanner.synth.ink import Hand, Ink, Shape
from scanner.synth.page import Desk, fill_page
from scanner.synth.paper import PageScan
from scanner.synth.rates import Rates
from scanner.synth.respondents import BoxMark, CommentAnswer, Effect, ItemAnswer, Status
from scanner.synth.stock import ALL_STOCK, Stock, StockRates, parse_stock

__all__ = ["SynthOptions", "SynthResult", "generate", "fill_page", "Desk", "PageScan", "Rates", "Ink", "Shape",
           "ALL_HARD", "Hard", "parse_hard",
           "ALL_STOCK", "Stock", "StockRates", "parse_stock", "Hand", "Effect", "Status", "ItemAnswer", "BoxMark", "CommentAnswer"]
