"""Paper stocks and lights off the generator's usual path, off unless asked for.

`scanner synth --stock pale_pink,cream,...` (`SynthOptions.stock`) turns these on. Each
is a way the paper's colour, as the scan shows it, strays from the template's typed
colour that ordinary reams (a few units per channel) and scanners (a cast of a few
units) do not: what batch colour calibration must either read right or send to review.

- `pale_pink`: some files' ream of pink is a pale orange-pink about as light as white
  paper: in a*b* nearer white than pink.
- `cream`: some files' ream of yellow is a pale cream, far paler than the typed yellow.
- `no_white`: no questionnaire on the agency's white paper: the calibration has no
  white cluster to go by (with `cream`, a pale ream could take white's place).
- `between`: some files' ream of one programme's colour lies about halfway in hue
  between that colour and the nearest other one.
- `cast`: some files scanned by a scanner with a strong colour cast (one channel's gain
  down by 8-15%, not the usual 2%).
- `auto_white`: some files scanned with automatic white balance, page by page: each
  page's paper is pulled part of the way towards grey.
- `one_programme`: every questionnaire on one programme's paper (a batch from one
  programme only): one cluster, nothing to order hues by.
- `warm_photo`: some files photographed page by page with a phone under a warm lamp
  (blue down by 15-35%), beyond the light calibration allows for.

They draw from random streams of their own: a batch without them is exactly what it
was before they existed. The truth's pages.csv gains a `stock` column: the cases that
touch each page (the batch's, the file's, and the odd ream when the page is on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import cv2
import numpy as np

from scanner.synth.hard import lab_of, parse_choices
from scanner.synth.paper import ScannerLook
from scanner.template import Colour, Template


class Stock(StrEnum):
    """A paper stock or light case the generator can add (`SynthOptions.stock`)."""

    PALE_PINK = "pale_pink"
    CREAM = "cream"
    NO_WHITE = "no_white"
    BETWEEN = "between"
    CAST = "cast"
    AUTO_WHITE = "auto_white"
    ONE_PROGRAMME = "one_programme"
    WARM_PHOTO = "warm_photo"


ALL_STOCK = tuple(Stock)


@dataclass(frozen=True)
class StockRates:
    """How often and how strongly the stock cases happen, once asked for."""

    odd_ream: float = 0.5
    """Files whose ream of the colour is the odd one (`pale_pink`, `cream`, `between`)."""
    pale_pink_rgb: tuple[int, int, int] = (255, 238, 228)
    """A pale orange-pink: L* 95, a*b* (4, 7), 9 units from white and 11 from pink."""
    cream_rgb: tuple[int, int, int] = (255, 247, 214)
    """A pale cream: L* 97, a*b* (-2, 17), 25 units paler than the typed yellow."""
    between: tuple[float, float] = (0.4, 0.6)
    """How far the odd ream lies from its colour towards the nearest other, in a*b*."""
    cast: float = 0.5
    """Files scanned with a strong colour cast."""
    cast_strength: tuple[float, float] = (0.08, 0.15)
    """The gain the cast takes from its weakest channel."""
    auto_white: float = 0.5
    """Files scanned with automatic white balance."""
    auto_white_share: tuple[float, float] = (0.3, 0.9)
    """Per page: the share of the paper's colour the white balance takes away."""
    warm_photo: float = 0.3
    """Files photographed with a phone under a warm lamp."""
    warmth: tuple[float, float] = (0.15, 0.35)
    """The lamp's blue gain loss (green loses 45% of it)."""


def parse_stock(names: str | tuple[str, ...] | list[str]) -> tuple[Stock, ...]:
    """Stock cases from names (see `parse_choices`)."""
    return parse_choices(Stock, names, "stock")


@dataclass(frozen=True)
class BatchStock:
    """The batch-wide choices: its one programme, and the colour whose ream lies between."""

    stock: tuple[Stock, ...] = ()
    programme: str | None = None
    """`one_programme`: every questionnaire's colour."""
    between: tuple[str, str] | None = None
    """`between`: the colour whose odd ream lies towards the other."""

    def colour(self, template: Template, colour: Colour | None, agency: Colour | None,
               rng: np.random.Generator) -> Colour | None:
        """A questionnaire's paper colour, `colour` as drawn, under the batch's cases."""
        if self.programme is not None:
            return template.colour(self.programme)
        if Stock.NO_WHITE in self.stock and colour is not None and colour is agency:
            others = [c for c in template.colours if c is not agency]
            return others[int(rng.integers(len(others)))] if others else colour
        return colour

    @property
    def batch_names(self) -> list[str]:
        """The cases on every page of the batch."""
        return [s.value for s in self.stock if s in (Stock.NO_WHITE, Stock.ONE_PROGRAMME)]


def draw_batch_stock(template: Template, stock: tuple[Stock, ...], agency: Colour | None,
                     rng: np.random.Generator) -> BatchStock:
    """The batch's one programme (`one_programme`) and the colour whose ream lies between two."""
    chromatic = [c for c in template.colours if np.linalg.norm(lab_of(c.rgb)[1:]) >= 5]
    programme = between = None
    if Stock.ONE_PROGRAMME in stock and template.colours:
        choices = [c for c in template.colours if c is not agency] or list(template.colours)
        programme = choices[int(rng.integers(len(choices)))].name
    if Stock.BETWEEN in stock and len(chromatic) >= 2:
        own = chromatic[int(rng.integers(len(chromatic)))]
        ab = lab_of(own.rgb)[1:]
        other = min((c for c in chromatic if c is not own), key=lambda c: np.linalg.norm(lab_of(c.rgb)[1:] - ab))
        between = (own.name, other.name)
    return BatchStock(stock, programme, between)


@dataclass(frozen=True)
class FileStock:
    """One file's cases: its odd reams (base RGB by colour), scanner cast, white balance, lamp."""

    papers: dict[str, tuple[tuple[int, int, int], Stock]] = field(default_factory=dict)
    """By colour name: the odd ream's RGB and its case."""
    cast: tuple[float, float, float] | None = None
    """Gains (B, G, R) that replace the scanner's usual cast."""
    auto_white: bool = False
    warm: tuple[float, float, float] | None = None
    """Gains (B, G, R) of the lamp every page of the file is photographed under."""

    def look(self, look: ScannerLook) -> ScannerLook:
        """The file's scanner with its strong cast and lamp."""
        if self.cast is not None:
            look = replace(look, cast=self.cast)
        if self.warm is not None:
            look = replace(look, photo_light=self.warm)
        return look


def draw_file_stock(template: Template, batch: BatchStock, rates: StockRates, rng: np.random.Generator) -> FileStock:
    """Which of the batch's cases befall one file. Every draw is made whether its case is
    asked for or not: turning one on does not move the others to other files."""
    odd = {s: rng.random() < rates.odd_ream for s in (Stock.PALE_PINK, Stock.CREAM, Stock.BETWEEN)}
    towards = float(rng.uniform(*rates.between))
    cast_on, strength, weights = rng.random() < rates.cast, float(rng.uniform(*rates.cast_strength)), rng.random(3)
    white_on = rng.random() < rates.auto_white
    warm_on, warmth = rng.random() < rates.warm_photo, float(rng.uniform(*rates.warmth))
    stock = batch.stock
    papers: dict[str, tuple[tuple[int, int, int], Stock]] = {}
    names = {c.name for c in template.colours}
    if Stock.PALE_PINK in stock and odd[Stock.PALE_PINK] and "pink" in names:
        papers["pink"] = (rates.pale_pink_rgb, Stock.PALE_PINK)
    if Stock.CREAM in stock and odd[Stock.CREAM] and "yellow" in names:
        papers["yellow"] = (rates.cream_rgb, Stock.CREAM)
    if batch.between is not None and odd[Stock.BETWEEN]:
        own, other = (template.colour(n) for n in batch.between)
        papers[own.name] = (_towards(own.rgb, other.rgb, towards), Stock.BETWEEN)
    cast = tuple(float(v) for v in 1 - strength * weights / weights.max()) if Stock.CAST in stock and cast_on else None
    warm = (1 - warmth, 1 - 0.45 * warmth, 1.0) if Stock.WARM_PHOTO in stock and warm_on else None
    return FileStock(papers, cast, Stock.AUTO_WHITE in stock and white_on, warm)


def _towards(rgb: tuple[int, int, int], other: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    """`rgb` with its a*b* moved `share` of the way to `other`'s, its lightness kept."""
    lab, target = lab_of(np.array(rgb)), lab_of(np.array(other))
    lab[1:] += share * (target[1:] - lab[1:])
    bgr = cv2.cvtColor(np.array([[lab]], np.float32), cv2.COLOR_Lab2BGR)[0, 0]
    return tuple(int(v) for v in np.clip(np.round(bgr[::-1] * 255), 0, 255))


def white_balanced(paper_bgr: tuple[int, int, int], look: ScannerLook, photo: bool, share: float
                   ) -> tuple[int, int, int]:
    """The paper colour that, under the scanner's cast (and a photo's light), comes out
    with `share` of its colour taken away: automatic white balance scales each channel
    so that the page's paper, its brightest wide area, moves towards grey."""
    seen = np.array(paper_bgr, np.float64) * np.array(look.cast) * (np.array(look.photo_light) if photo else 1.0)
    balance = (seen.mean() / np.maximum(seen, 1.0)) ** share
    return tuple(int(v) for v in np.clip(np.round(np.array(paper_bgr) * balance), 0, 255))


def page_names(batch: BatchStock, file: FileStock, colour: str | None, photo: bool, balanced: bool) -> str:
    """pages.csv `stock`: the cases touching one form page."""
    names = list(batch.batch_names)
    if colour in file.papers:
        names.append(file.papers[colour][1].value)
    if file.cast is not None:
        names.append(Stock.CAST.value)
    if balanced:
        names.append(Stock.AUTO_WHITE.value)
    if file.warm is not None and photo:
        names.append(Stock.WARM_PHOTO.value)
    return " ".join(sorted(names, key=[s.value for s in Stock].index))


__all__ = ["ALL_STOCK", "BatchStock", "FileStock", "Stock", "StockRates", "draw_batch_stock", "draw_file_stock",
           "page_names", "parse_stock", "white_balanced"]
