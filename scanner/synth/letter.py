"""The cover letter that comes back with a programme's questionnaires: a typed page with
no markers and no QR code, which the reader must report as `unrecognised`."""

from __future__ import annotations

import textwrap

import numpy as np
from PIL import Image, ImageDraw

from scanner.synth.ink import SERIF_FONT_FILE, Fonts, px_per_mm
from scanner.synth.paper import page_size_px

PLACES = ("Northfield", "Riverside", "Eastgate", "Hillcrest", "Brookside", "Moorlands")
SIGNERS = ("Jan Whitfield", "Sam Okafor", "Ruth Ellison", "Priya Shah", "Tom Keane", "Maggie Dunn")
SIGNATURE_FONTS = ("dkg.ttf", "dkgIt.ttf", "Breip.ttf")
"""Fonts that look like a signature (Comic Neue is too neat)."""
MONTHS = ("January", "February", "March", "April", "May", "June", "September", "October", "November")

BODY = (
    "Please find enclosed the completed questionnaires on multi-agency working from our "
    "programme. {n} members of staff and of the partnership board filled them in; the "
    "others have asked for a little more time and will send theirs directly.",
    "As agreed at the last partnership board meeting, the returns are anonymous. Some "
    "colleagues added comments on the back of their forms; these have been left as they are.",
    "Please do not hesitate to contact me if anything is missing or unclear. We look "
    "forward to hearing about the findings at the evaluation meeting.",
)


def cover_letter(size_mm: tuple[float, float], dpi: int, programme: str, fonts: Fonts,
                 rng: np.random.Generator) -> np.ndarray:
    """A typed letter as a greyscale page raster (white paper, black print)."""
    w, h = page_size_px(size_mm, dpi)
    k = px_per_mm(dpi)
    image = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(image)
    place = PLACES[int(rng.integers(len(PLACES)))]
    signer = SIGNERS[int(rng.integers(len(SIGNERS)))]
    head = fonts.font(SERIF_FONT_FILE, int(5.5 * k))
    body = fonts.font(SERIF_FONT_FILE, int(3.9 * k))
    x, y = 25 * k, 25 * k
    draw.text((x, y), f"Sure Start {place}", font=head, fill=20)
    y += 8 * k
    for line in (f"{programme or 'Local programme'} office", f"{int(rng.integers(2, 90))} {place} Road",
                 "Tel. 0121 496 0" + f"{int(rng.integers(100, 999))}"):
        draw.text((x, y), line, font=body, fill=60)
        y += 5 * k
    y += 10 * k
    draw.text((x, y), f"{int(rng.integers(1, 29))} {MONTHS[int(rng.integers(len(MONTHS)))]} 2004", font=body, fill=20)
    y += 12 * k
    draw.text((x, y), "Dear colleague,", font=body, fill=20)
    y += 9 * k
    n = int(rng.integers(8, 25))
    for paragraph in BODY:
        for line in textwrap.wrap(paragraph.format(n=n), 80):
            draw.text((x, y), line, font=body, fill=20)
            y += 5.6 * k
        y += 4 * k
    y += 4 * k
    draw.text((x, y), "Yours sincerely,", font=body, fill=20)
    hands = [h for h in fonts.handwriting() if h in SIGNATURE_FONTS] or fonts.handwriting()
    hand = hands[int(rng.integers(len(hands)))]
    draw.text((x + 2 * k, y + 8 * k), signer.split()[0], font=fonts.font(hand, int(9 * k)), fill=45)
    y += 24 * k
    draw.text((x, y), signer, font=body, fill=20)
    draw.text((x, y + 5 * k), "Programme Manager", font=body, fill=20)
    return np.asarray(image)
