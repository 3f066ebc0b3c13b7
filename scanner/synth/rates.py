"""How often each thing happens on a synthetic batch, and how strong each effect is.

One table, so that a reader of the generator (or of a failing benchmark) can see at a
glance what the synthetic scans contain. Shares are probabilities per item, per
comment zone, per respondent or per page as the comment says. The hard cases are kept
rare but present: a batch of 200 questionnaires holds every effect several times.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Rates:
    """Probabilities and magnitudes of everything the generator draws."""

    # --- who filled it in -------------------------------------------------------------
    agency_paper: float = 0.05
    """Questionnaires on the agency (white) paper: 4 of 83 returns in the study."""
    sorted_file: float = 0.7
    """Batch files that hold one programme's returns only (scanned envelope by envelope)."""
    programme_roles: tuple[tuple[int, float], ...] = ((1, 0.45), (2, 0.25), (3, 0.2), (6, 0.1))
    """Role codes of programme staff and board members, with their weights."""
    agency_roles: tuple[tuple[int, float], ...] = ((4, 0.75), (5, 0.25))
    """Role codes on agency paper: 3 Lead Agency and 1 Accountable Body in the study."""
    role_item: str = "role"
    agency_colour: str = "white"

    # --- answers: per-item Likert skew, drawn once per generated batch ----------------
    positive_items: float = 0.7
    """Items whose answers lean towards the top of the scale (agreement, facilitates)."""
    concentration: tuple[float, float] = (2.5, 10.0)
    """Beta-binomial concentration per item: low = spread answers, high = consensus."""
    respondent_lean_sd: float = 0.08
    """A respondent's acquiescence, added to every item's mean position (0 to 1 scale)."""

    # --- how the items were answered (per item unless said) ---------------------------
    blank_item: float = 0.03
    """Items left blank; respondents differ (drawn per respondent around this mean)."""
    double: float = 0.005
    """Two boxes ticked and nothing cancelled: unresolvable, reported as `multiple`."""
    correction: float = 0.01
    """A box inked out completely and another ticked: the ticked one counts."""
    stray: float = 0.006
    """A mark near the item but outside every box (margin tick, underline): no effect."""
    overflow: float = 0.03
    """A big sloppy mark that runs well outside its box (never into another box)."""
    shapes: tuple[tuple[str, float], ...] = (
        ("tick", 0.58), ("cross", 0.3), ("fill", 0.06), ("dot", 0.03), ("scribble", 0.03))
    """A respondent's habitual mark, and how often each habit occurs."""
    habit: float = 0.9
    """Marks made in the respondent's habitual shape; the rest draw a shape at random."""
    pens: tuple[tuple[str, float], ...] = (("black", 0.55), ("blue", 0.33), ("pencil", 0.12))
    """The writing instrument of a respondent (one for the whole questionnaire)."""
    faint_pencil: tuple[float, float] = (0.0, 0.35)
    """Per pencil user, the share of marks pressed so lightly they are barely visible:
    drawn uniformly from this range, so about 2% of all marks overall."""

    # --- comments (per comment zone) --------------------------------------------------
    comment: float = 0.25
    """Zones written in; respondents differ (Beta-distributed around this mean)."""
    printed: float = 0.3
    """Written comments that are printed in DejaVu Sans: clean text to measure OCR on."""
    touches_frame: float = 0.15
    """Handwritten comments that run into the zone's frame."""
    two_lines: float = 0.4
    """Written comments that take a second line (more in tall zones)."""

    # --- paper and scanner ------------------------------------------------------------
    paper_jitter: int = 6
    """Per file and colour: a ream's tint differs by up to this much per channel."""
    sheet_jitter: int = 2
    """Per sheet: small tint differences within a ream."""
    scanner_cast: int = 5
    """Per file: the scanner's colour cast, up to this much per channel."""
    rotation_sd_deg: float = 0.7
    rotation_max_deg: float = 3.0
    shift_sd_mm: float = 1.5
    shift_max_mm: float = 8.0
    scale_sd: float = 0.006
    scale_max: float = 0.02
    misfeed: float = 0.05
    """Pages the feeder grabs badly: skew, shift and scale drawn uniformly up to the
    maxima above instead of from the narrow normal distributions. A skewed page can
    lose part of a corner marker (pages.csv `markers_cut`)."""
    blur: float = 0.25
    """Pages scanned slightly out of focus (Gaussian blur of 0.3 to 0.9 px at 200 dpi)."""
    jpeg_quality: tuple[int, int] = (60, 95)
    """Per file: the scanner's JPEG quality setting."""
    noise_sd: tuple[float, float] = (1.2, 3.5)
    """Per file: sensor noise, in grey levels."""
    illumination: tuple[float, float] = (0.01, 0.04)
    """Per page: unevenness of a flatbed's or feeder's light (share of brightness)."""
    photo_illumination: tuple[float, float] = (0.12, 0.3)
    """Phone photos: light falls off across the page far more."""
    photo_shrink: tuple[float, float] = (0.86, 0.95)
    """Phone photos: the page fills this share of the image; the table shows around it."""
    photo_corner_mm: float = 6.0
    """Phone photos: corners move by up to this much (perspective)."""
    show_through: tuple[float, float] = (0.0, 0.07)
    """Blank duplex backs: how strongly the mirrored front shows through the paper."""


@dataclass(frozen=True)
class HardRates:
    """How often and how strongly the hard cases happen, once asked for (`synth --hard`).

    Shares are per item for the mark effects, per questionnaire for the paper, per form
    page for the rest. They are set well above real life, so that a batch of 20
    questionnaires holds each several times.
    """

    # --- marks (per item with a plain answer) -----------------------------------------
    erased: float = 0.03
    """A tick rubbed out in one box, the answer ticked in another: the answer counts."""
    erased_alone: float = 0.015
    """A tick rubbed out and nothing else: the item is blank."""
    erased_opacity: tuple[float, float] = (0.12, 0.3)
    """How much of the ink's darkness the rubbed-out tick keeps."""
    neighbour: float = 0.04
    """A tick or cross whose stroke runs into the next box: it keeps its own code."""
    neighbour_depth: tuple[float, float] = (0.2, 0.45)
    """How far into the neighbouring box the stroke reaches (share of that box)."""
    neighbour_max_gap_mm: float = 12.0
    """Only boxes this close run into each other (not the far-apart three-point scales)."""

    # --- paper (per questionnaire) -----------------------------------------------------
    paper: float = 0.25
    """Questionnaires on paper from another ream, off the template's reference colour."""
    paper_delta_e: tuple[float, float] = (5.0, 10.0)
    """How far off: CIE76 DeltaE from the reference colour."""

    # --- print and paper (per form page) -----------------------------------------------
    dust: float = 0.3
    """Specks and dust on the glass; half of these pages also show a hair."""
    show_through: float = 0.3
    """The back page's print shows through the paper."""
    show_through_strength: tuple[float, float] = (0.06, 0.16)
    fit_to_page: float = 0.2
    """Printed with "fit to page": smaller, and offset by the printer."""
    fit_scale: tuple[float, float] = (0.94, 0.97)
    print_offset_mm: float = 3.0
    """The printer's offset, up to this much in x and y."""
    photocopy: float = 0.15
    """A photocopy of a photocopy: grey, thickened, the print skewed on the sheet."""
    photocopy_grey: tuple[float, float] = (0.78, 0.9)
    """The copy's background, as a share of the paper's brightness."""
    photocopy_thicken_mm: float = 0.1
    photocopy_skew_deg: float = 1.5
    crease: float = 0.2
    """A fold crease across the sheet."""
    crease_dark: tuple[float, float] = (0.15, 0.35)
    """How much light the crease's shadow line takes."""
    staple: float = 0.2
    """Staple holes near the top-left corner."""

    # --- phone photos (per form page: each makes the page a phone photo) ----------------
    motion_blur: float = 0.08
    shadow: float = 0.08
    marker_cut: float = 0.06
    marker_cut_share: tuple[float, float] = (0.25, 0.6)
    """How much of the cut corner marker's width lies outside the photo."""


@dataclass(frozen=True)
class FlatbedRates:
    """How a person lays pages on a flatbed's glass, once asked for (`flatbed_share`).

    No feeder grabs the page: each is placed by hand and lined up by eye against the
    glass's edge, so skews and shifts spread wider than a feeder's guides allow, but
    none is misfed, and the whole page lies flat under the lid.
    """

    rotation_sd_deg: float = 1.2
    rotation_max_deg: float = 4.0
    shift_sd_mm: float = 2.5
    shift_max_mm: float = 8.0
    """Off the glass's corner the page is pushed into; as far as a feeder's misfeed at most."""
    upside_down: float = 0.1
    """Pages laid head to the hinge: twice a feeder's share, nobody checks the stack's order."""
    lid_open: float = 0.2
    """Files scanned with the lid up (a thick bundle, a hasty hand): dark beyond the
    page, where the closed lid's white shows."""
    lid: tuple[int, int] = (225, 250)
    """Grey level of the closed lid's white underside beside the page."""
    open_lid: tuple[int, int] = (15, 45)
    """Grey level of the room the scanner sees with its lid up."""

    def placed(self, rates: Rates) -> Rates:
        """`rates` with the page laid by hand: wider skews and shifts, no misfeed."""
        return replace(rates, rotation_sd_deg=self.rotation_sd_deg, rotation_max_deg=self.rotation_max_deg,
                       shift_sd_mm=self.shift_sd_mm, shift_max_mm=self.shift_max_mm, misfeed=0.0)


DEFAULT_RATES = Rates()
