"""Every number the reader decides with, in one place, with why it is what it is.

Measured on generated batches (`bench/accuracy.py`) and never on the committed samples.
Ink is measured as *darkness*: 0 is the local paper, 1 is black, so the same numbers hold
on white, yellow or blue paper, under uneven light and for any scan resolution.
"""

# --- Registration -------------------------------------------------------------------
MARKER_SEARCH_PX_PER_MM = 4.0
"""Markers are searched at about 100 dpi: a 10 mm marker is then 40 px, plenty for
ArUco, and detection costs a tenth of what it does at 300 dpi."""

MARKER_WINDOW = 0.24
"""Markers are first looked for in windows this share of the image's width and height at
its four corners (50 x 71 mm on A4): room for a marker 18 mm from its corner, shifted by
8 mm and turned by 3 degrees with the page (10 mm at a corner), with 14 mm to spare."""
MARKER_THRESHOLD_PX = 23
"""The one adaptive-threshold window of the corner search (ArUco's largest of three): a
marker's border and cells at MARKER_SEARCH_PX_PER_MM stand out within it."""
MARKER_RETRY_PX_PER_MM = 8.0
"""When the coarse search misses a marker, it is searched again at 8 px/mm (or the
scan's own resolution, if lower) before the page is registered on fewer markers."""

MARKER_PREDICTED_MM = 25.0
"""When three markers are found, the fourth is searched again only this far around where
they put it, and they around themselves (a square of 60 mm about each 10 mm marker, a
quarter of an A4 page for all four): a phone photo's perspective moves a corner a few
millimetres off the affine fit of three."""

PERSPECTIVE_RESIDUAL_MM = 0.08
"""Three markers fitted by an affine map worse than this (flat scans fit to ~0.05 mm)
hint at a phone photo's perspective: a homography is tried and taken if it fits far
better (see `Registrar._fit`)."""

MAX_RESIDUAL_MM = 1.0
"""Markers fitted worse than this mean a wrong marker, a torn page, or two markers that no
similarity holds (the near edge of a tilted phone photo): fall back to content, matched
first to the page the markers name (`PageReader._by_content`)."""

VERIFY_PX_PER_MM = 8.0
"""Registration is verified on the printed frames resampled at 8 px/mm: a 0.3 mm line is
2.4 px wide, and its centre is found to a tenth of a millimetre. BOX_PX_PER_MM's too: a
tick box's frame is cut out of its crop for the marks (`register._window_crop`)."""
VERIFY_REACH_MM = 1.5
"""Each frame side is looked for this far either side of where the transform puts it:
short of the 2 mm between stacked boxes, so a neighbour's side is never taken for it."""
VERIFY_CORNER_MM = 5.0
"""A comment zone's corner is pinned by this much of each of its two sides."""
VERIFY_LINE_DARKNESS = 0.06
"""A frame side is seen when its profile peaks this dark, and this much above the lightest
point near it: printed lines measure 0.4-0.9, and 0.2 spread by a 2 mm motion blur."""
VERIFY_PAIR_MM = 0.6
"""A box's two parallel sides must agree within this: else one is a tick's stroke. A
bubble's sides, profiled along their middle three fifths where the circle curves away,
read some 0.25 mm inside its outline each (a 3.8 mm ○ of a word processor: 0.51 mm
apart). A line taken for a side (a stroke, the side of a box stacked less than this
below or above) moves the box by at most half of this."""
SIDE_PARTS = 3
SIDE_END_SHARE = 0.15
SIDE_EVEN = 0.5
"""`scanner template check` takes a box to land on a printed frame only when each of its
sides is a line in each of SIDE_PARTS parts of its length (its middle, SIDE_END_SHARE of
it left at either end for the sides across it), each part's line at least SIDE_EVEN of
the parts' median darkness: a side found among other print rather than printed (a box
moved 3 mm down a column of boxes, which met the side of the box above over a third of
its height, and a tick's stroke and a line of text a box apart) is dark in one part and
not the others, while a tick's stroke across a printed side only darkens one part more.
Guards against: a box drawn in the wrong place reported as fitting (tests/test_check.py,
draw 742261 on scans seed 30912: `role:3` moved 3 mm down read 0.34 mm off)."""
VERIFY_P90_MM = 0.5
"""A page is verified when 90% of its frames lie within this of where the transform puts
them: the box interior is measured 0.75 mm inside the frame, so the box read is its own.
On 112 generated pages with every hard effect (phone photos, photocopies, fit to page,
motion blur, markers cut) the markers' transform measured 0.01-0.25 mm; the one among
them registered 1.1 mm off (a marker cut off a photo) measured 0.85 mm, and 0.05 mm
once re-registered on its frames."""
VERIFY_ITEM_MM = 0.6
"""On a verified page, an item (or comment zone) is read only when one of its own frames
was seen and none lies further than this off: a curl or fold can move one part of a page.
The worst frame of a correctly registered generated page (of the 112 above) is 0.25 mm off."""
VERIFY_MIN_POINTS = 6
VERIFY_MIN_SHARE = 0.5
"""And when at least this many (all, on a page printing fewer), and this share, of its
frames are seen at all (ticks, fills and writing hide some): fewer, and it is not."""
FRAME_INK = 0.05
FRAME_INK_PAPER_MM = 3.0
"""A frame that fails the check (not seen, or seen off) lies under ink when the page is
darker around it, within VERIFY_REACH_MM of it, than the blank page printed there by this
much (mean darkness against the paper within FRAME_INK_PAPER_MM): a box inked out, a
row scribbled over (0.5 and more), writing along or across a zone's line (a 0.6 mm
stroke beside a corner's side: 0.07). A tick box's frame also does when the box itself
is this much darker: the mark in it hides its sides. On 150-dpi phone photos of the word
form (19 draws), boxes marked whose frame was not seen measured 0.07-0.68 over the box
(median 0.16) but 0.013-0.34 with the reach around it (median 0.05: a cross or a tick in
both boxes of a yes/no item left it unlocated, seeds 1034152734 and 227173696); empty
boxes -0.08 to 0.025 over the box. Print moved 2-3 mm by a fold can measure as much
(-0.07 to 0.07 with the reach, up to 0.18 over the box, the form's text moved in): a
field taken for inked over goes to review all the same (`Reason.FRAME_INKED`; boxes read as
several marked stay `multiple`, in the queue too), never `ok`."""
VERIFY_ROUNDS = 3
VERIFY_RANSAC_MM = 0.4
VERIFY_TIGHT_MM = 0.2
"""A page not verified, or verified with frames more than VERIFY_TIGHT_MM off (content
registration, a print scaled to fit the page) or with one seen more than VERIFY_ITEM_MM
off (a bend left at a comment box's far corners), is re-registered on the frames seen (a
page registered by its content, at least once however tight: `Registrar.refine`), up
to this many times while that brings them closer (each round pins frames further from
the markers), fitting a homography that ignores frames seen more than VERIFY_RANSAC_MM
off it (a tick along a side). When one least-squares homography holds every frame seen
within VERIFY_TIGHT_MM, or so holds every frame RANSAC leaves out (its misfit lying at
frames RANSAC keeps: a box measured through its tick), none is off, and that one is
taken: RANSAC's fits of four frames at a time, on frames clustered in one part of the
page, extrapolate their noise to the far ones (a word form's comment box reaching to the
margin: 0.6-0.7 mm off at its far corners on 150-dpi phone photos, 5 of 40 fresh pages)
and leave them out."""
VERIFY_MARKER_SLIP_MM = 3.0
"""A re-registration on the frames is taken only while it keeps every marker seen within
this of where it was seen. Tick boxes repeat down the page a row apart (6-10 mm): a fit
starting from two markers on one side of a phone photo, the far boxes up to 8.6 mm off,
took each row's frames for the next row's and verified a whole row low (p90 0.15 mm), its
own markers 7.5 mm off; four items were read from the row below, `ok` (seed 301427206,
s0007). Below the smallest pitch of repeated print, above what a perspective fitted on
the frames moves a marker's centre."""
VERIFY_RANSAC_CONFIDENCE = 0.99999
"""RANSAC's fit on the frames searches until a fit holding more of them is this unlikely
to be left unsampled (OpenCV's default, 0.995, stops after some ten samples when most
frames agree): a fit through the tick boxes and two corners of a comment zone printed
1 mm off bent the page 1.1-1.5 mm at the items below, holding 19 of 26 frames where the
straight fit held 22 (seed 908380375). A page's frames are a few dozen points: the
search costs some tens of samples more."""
VERIFY_RANSAC_MAX_SAMPLES = 100_000
"""And stops there whatever the confidence: a bound, never reached on a page's frames."""

CONTENT_PX_PER_MM = 3.0
"""Content matching works on a coarse picture of the page; 3 px/mm keeps text strokes."""
CONTENT_FEATURES = 3000
CONTENT_RATIO = 0.8
"""Lowe's ratio test: a match must be clearly better than the next best."""
CONTENT_RANSAC_PX = 4.0
CONTENT_MIN_INLIERS = 40
"""Fewer agreeing matches than this is not a page of this form."""
CONTENT_IDENTIFY_FEATURES = 600
"""Which page of the form a page is, told on this many features of it and of each blank
page: a fifth of CONTENT_FEATURES, some 25 times less matching, and still hundreds of
matches on the right page against tens on any other (bench/legacy.py prints both)."""
CONTENT_FIT_FEATURES = 1200
"""The page once told, its transform is fitted on this many features (of it and of its
blank page): the frames then refine it (`Registrar.refine`); twice as many cost three
times the time and verified no more pages of the plain questionnaire."""
CONTENT_IDENTIFY_MIN = 20
"""Fewer matches than this with every page of the form: the few features tell no page,
and the page is told on the fit's (`Registrar._told_on_fit`); not a page of the form when
no page fits those either (CONTENT_MIN_INLIERS). Guards against a page lost for its few
strongest features falling elsewhere than the print: a blurred phone photo of a sparse
page, its handwriting taking many of them (the word form's page 2: 18 on its own page)."""
CONTENT_NEAR_FIT = 20
"""A page that matched no page of the form on the fit's features on CONTENT_MIN_INLIERS,
but some page on this many, is matched on CONTENT_FEATURES (`Registrar._near_fit`).
Guards against a phone photo whose written comments take the strongest features, lost
to `unrecognised` (the word form's page 2 held 36 of the fit's, 119 of CONTENT_FEATURES).
Set at CONTENT_IDENTIFY_MIN: a cover letter held 14 on any page, and costs no more matching."""
CONTENT_PAGE_MARGIN = 0.6
"""A page told by its content must match its form page clearly better than any other:
when the runner-up page holds this share of the best one's matches or more, the pages
print too much alike to tell (a form whose pages differ only in their item numbers),
and the page is `unrecognised` rather than read as the wrong one."""
AGREEMENT_PRINTED = 0.25
AGREEMENT_INKED = 0.12
"""When the QR code cannot be read, the page is compared with the blank form page: the
pixels the form prints (darker than AGREEMENT_PRINTED when drawn at CONTENT_PX_PER_MM)
must be inked on the scan (darker than AGREEMENT_INKED, blurred text being lighter)."""
AGREEMENT_PAPER_MM = 3.0
"""A pixel's ink is measured against the lightest paper in a square this wide around it
(`_darker_than_around`): a printed stroke or a tick is thinner than half of it, so paper
lies within reach of it, while the light falling off across a phone photo, a shadow or a
crease changes little over it. Guards against: a photo whose dim half reads as ink over every page's print, which
made a page agree with other form pages as well as with its own (acc200 seed 764588028,
batch-006 page 53: `tests/data/phone-page4.pdf`)."""
AGREEMENT_MIN = 0.7
"""Below this share the page is not taken for this form's page: another form that uses
the same kind of markers, or another page of it."""
PRINT_LINE_SHARE = 0.5
PRINT_LINE_GAP_MM = 2.0
PRINT_LINE_MIN_MM = 1.0
"""A marked page whose QR code cannot be read, its print agreeing with the form page's
(AGREEMENT_MIN), is of this form only when every line of that page's text (words less
than PRINT_LINE_GAP_MM apart; a millimetre tall or more, so not a rule) is inked on it
at half the page's agreement or more: a filled page of this form shows every line
(0.85-1.0), another form printed alike lacks its own title and item texts (the parent
version of the shipped form: a subtitle's words at 0.0). A page too pale to agree is
not compared line by line: small text fades first (a pale photocopy's running header)."""
FORM_AGREEMENT_MARGIN = 0.1
"""Scanning several forms in one run, a page whose QR code cannot be read goes to the form
whose print it shows best only when that share beats the next form's by this much: two
versions of one questionnaire print mostly alike, and a near tie is not a reading."""

# --- Reading resolution ---------------------------------------------------------------
BOX_PX_PER_MM = 8.0
"""Tick boxes are resampled at 8 px/mm (203 dpi): a 5 mm box is 40 px, enough to see a
pencil dot, and no scan is upsampled much."""
COMMENT_PX_PER_MM = 12.0
"""Written comment zones are resampled and cleaned at 12 px/mm (305 dpi); Tesseract reads
them smaller (`comments.OCR_PX_PER_MM`)."""
COMMENT_DETECT_PX_PER_MM = 6.0
"""Whether a zone holds writing is told at 6 px/mm: a pen stroke is still two pixels
wide, and a quarter of the pixels cost a quarter of the time."""

# --- Marks ----------------------------------------------------------------------------
BOX_INSET_MM = 0.75
"""The interior measured excludes the printed border (0.3 mm) plus 0.6 mm of slack for
registration error and line spread, so that the border never counts as ink. Guards
against: fit_to_page, photocopy and marker_cut (a print scaled, skewed or registered a
fraction of a millimetre off, within what verification lets through: VERIFY_ITEM_MM)."""
BOX_PRINT_SLACK_MM = 0.4
"""What a form made elsewhere prints in and around a tick box (`reference_pages`: a ○'s
ring, a table's rule) is left out of the box's measures this much wider, for registration
error (0.25 mm at worst on verified generated pages: VERIFY_ITEM_MM). A ☐'s border lies
0.45 mm outside the interior measured (BOX_INSET_MM) and widened stays clear of it; a
○ of 3.8 mm keeps a disc 2.4 mm across to read."""
PAPER_PERCENTILE = 90
"""Local paper level: this percentile of the box and a margin around it, which is paper
even when the box is filled solid. Guards against: paper (reams off the reference
colour), shadow and uneven light on phone photos, a photocopy's grey: ink is measured
against the paper next to it."""
PAPER_MARGIN_MM = 2.0
"""The margin around a box whose paper sets its paper level. A box is cut off by a
picture's edge (`Reason.CUT_OFF`, review) only when the box or the strips beside it
(BESIDE_FAR_MM) reach past the edge, not when this margin alone does: the paper level, a
high percentile, stands the crop's white fill in a band this thin. Guards against:
marker_cut photos sending rows whose every measure lies in the picture to review (kept
and fresh seeds of 200, 2026-12-02: 3 of 70 phone rows sent as cut off, 0 new silent)."""
INK_DARKNESS = 0.18
"""A pixel this much darker than the paper is ink; JPEG and sensor noise stay below ~0.08."""

EMPTY_MAX = 0.004
EMPTY_MIN = 0.0006
EMPTY_NOISE_FACTOR = 5.0
"""A box whose ink score (mean darkness of the interior, noise removed) is below the
sheet's empty level is empty: five times the 98th percentile of its unmarked boxes, kept
between EMPTY_MIN and EMPTY_MAX. Unmarked boxes measure under 0.0005 on generated scans
at any quality (0 on clean ones), so a very faint pencil tick is seen on a clean scan and
flagged; a dirty scan raises the level up to 0.004, as far as dust may reach. Guards
against: faint pencil read as blank (a light tick whose strokes are mostly lighter than
the noise floor measured 0.0008 on a clean scan, seed 10882999), and dust, show-through
and photocopy toner read as marks (EMPTY_MAX)."""
EMPTY_PAGE_BOXES = 20
"""The empty level is a page's own, when lower than the sheet's, when the page has this
many unmarked boxes (the 98th percentile of fewer says little), else the sheet's. Never
higher: one ghost beside a tick on a page set its level to 0.004 and a faint tick of
0.0012 was read blank (seed 324589809, s0008 q12b). Guards against: motion_blur (seed
694336832, s0020 q07b: a faint pencil tick on a blurred phone page measured 0.0019 while
the sheet's other pages set its empty level to 0.004: read blank)."""
MARK_MIN = 0.045
"""A score above this is a mark whatever the sheet; between EMPTY_MAX and this, only if
the sheet's own marks are that light (pencil), else it is flagged as faint. Guards
against: dust, specks and show-through in a box taken for a tick (specks score 0.004 to
0.012, a photocopy's grey up to 0.03)."""
MARK_RELATIVE = 0.35
"""Per-sheet adaptation: a box counts as marked when its score reaches this share of the
sheet's typical mark, so a light pencil sheet is read on its own terms."""
FILLED_MIN = 0.55
"""A box this dark is filled solid: an answer on a sheet that marks by filling, a
cancelled choice (a correction) next to a ticked box. A fill lighter than this (pencil)
beside a trace as dark as itself at its darkest goes to review even on a sheet that fills
(seed 623425: a faint-pencil correction read as the inked-out box)."""
FILLED_SHARE = 0.7
"""Or this share of its interior evenly inked: a box filled in with a light pencil."""
FAINT_ACCEPT = 0.012
ERASED_RELATIVE = 0.3
"""A mark that is the only ink in its row is read as the answer when it scores at least
FAINT_ACCEPT and this share of the sheet's typical mark, even above MARK_MIN; fainter
ones go to review: under FAINT_ACCEPT as faint, above it as a possible erasure
(`Reason.ERASED`). Guards against: erased (a rubbed-out tick's ghost alone in its row
scored 0.03 to 0.26 of the sheet's marks on hard batches, pen or pencil, up to 0.04,
above MARK_MIN's share), and faint pencil read as blank or as noise (light ticks of a
pencil sheet score 0.013 to 0.035). The two overlap on pencil sheets (faint ticks 0.05
to 0.42 of the sheet's marks), so most faint pencil ticks go to review; a respondent
whose marks are all light is read on their own terms. Real pen ticks score 0.4 of the
sheet's marks and up; ticks overshooting their box and dots, at 0.2 to 0.3, go to review."""
PEAK_QUANTILE = 0.99
"""A box's peak darkness is this quantile of its interior: the darkest few pixels of even
a dot, above a stray dark pixel or two of noise."""
ERASED_PEAK_RELATIVE = 0.45
PEAK_MIN_ROWS = 3
"""A lone mark whose darkest ink is under this share of the respondent's pen (the median
peak of the marked rows of its page, or of the sheet when the page has fewer than
PEAK_MIN_ROWS) goes to review as a possible erasure, however much ink it holds. Guards
against: erased, on a sheet of small marks (seed 226886424, s0009 q18a: a rubbed-out tick
alone among dots, 0.42 of the dots' mean ink, was read as an answer, ok). A ghost keeps
0.12 to 0.3 of its pen's darkness, a real mark of the same pen nearly all: on 4 hard
batches (seeds 226886424, 471722493, 930798896, 97340899), lone ghosts measured 0.10 to
0.31 of the pen, lone ticks, crosses, dots, fills and pencil marks 0.75 and up, faint
pencil ticks on a pencil sheet 0.19 to 0.87 (median 0.31: most go to review, as a light
mark among darker ones should). On a page, not the sheet, so that motion blur or a
shadow over one photo page lowers its own reference."""
TRACE_QUANTILE = 0.9
"""A box's faintest ink (`trace`) is this quantile of its interior's darkness, noise kept:
a tick's strokes cover a fifth of the interior and more, a dust speck a twentieth at most,
so a speck leaves it at the paper's noise while a faint stroke lifts it."""
TRACE_MARGIN = 0.015
"""A row read blank goes to review as faint when one box's `trace` stands this far above
the median of the row's other boxes. Guards against: faint_pencil with motion_blur read
blank (seeds 611216245, s0144 q09a and q09b, and 15547345, s0198 q14a: faint ticks on
blurred phone pages, lighter than NOISE_DARKNESS nearly whole, scored 0.0003 under an
empty level of 0.0006, while their traces stood 0.022 to 0.027 above their rows'; held-out
seed 1225418627, s0109 q13a, a 300-dpi phone photo of a pencil sheet: 0.0179, read blank
at 1.0 under the 0.018 of before). Noise, show-through and a photocopy's grey lift a row's
boxes alike; a speck covers too little: blank rows of 80 hard pages (seeds 611216245,
764588028) stood 0.0082 at most. A rubbed-out pencil tick's ghost can stand as high (0.012
to 0.017), and on a pencil page a person decides (GHOST_PEAK_RELATIVE). 0.015, a sixth
under that tick: on fresh14 seeds 1545587754, 1286241894, 1225418627, 1290369332 of 200
and 3 fresh seeds of 100 (443183167, 1919054809, 1510452382), re-decided, 8 right rows of 60,000 items go to review for it (3
ghosts on pencil pages, 5 blank rows), and the tick. Not on a
page written in a dark pen (GHOST_PEN_MIN), with no ink beside the row's boxes (a faint
trace with grey beside it may be a stroke run out), when the box's darkest ink is a ghost's
(GHOST_PEAK_RELATIVE; under the noise floor it measures 0): no stroke of that pen is so
light, a faint tick is a pencil's, and the row is read blank as rubbed out. Guards against:
show_through, photocopy and erased_alone sending blank rows of dark pens' pages to review
as "faint mark" (dev seeds 40417733, 58810294 of 100: 5 such rows, 3 on feeder pages, 2 on
photos, traces 0.032 to 0.046 over rows of 0.009 to 0.017; the one faint tick there that
only its trace showed lay on a pencil page, its pencil 0.32, and stays to review)."""
TRACE_RELATIVE = 1.75
"""And the trace must be this many times the row's others: a photocopy's grain spreads
the traces of a blank row (seed 402808178, s0002 q20a: 0.029 to 0.047, 1.6 times); the
faint ticks above stood 2.4 to 3.5 times their rows'. Motion blur smears a box's printed
sides into its interior and lifts every trace of a row: a faint pencil tick on a blurred
150-dpi phone photo stood 0.0195 over its row, 1.83 times it (fresh16 seed 153879278, s0033
q07b: read blank at 0.7 under the 2.0 of before). Re-decided on 18 kept seeds (fresh14,
fresh15, silent9r, phone9s, and that one: 141,000 items), 1.75 sends one blank row more to
review (a speck beside a photocopy's grain) and reads 7 more blank as rubbed out."""
PENCIL_TRACE_MARGIN = 0.008
PENCIL_TRACE_RELATIVE = 1.15
"""On a page written in pencil (pen under GHOST_PEN_MIN), the row's highest trace stands out
as a faint tick when it is this far (margin) and this many times (relative) over the median
of the row's others, and its box holds the row's most ink, some of it above the noise floor
(`peak` over 0): a faint pencil tick, a quarter of a faint pencil's darkness, blurred on a
phone photo lifts its box's trace that little. Guards against: faint_pencil read blank
(fresh17 seeds 1040599162 s0085 q19a and 187926935 s0111 q04, q17b: pencils of 0.27 to
0.32, traces 0.0088 to 0.0158 over their rows, 1.21 to 1.48 times, every box greyed by
motion blur). A blank row's grain on a pencil page lifts no ink above the noise floor (on
those 5 seeds, 36 of the 40 blank rows of pencil pages standing out so had `peak` 0; 6
blank rows went to review, and 5 of 181,000 items on 22 held-out seeds, none an error)."""
TRACE_RUNNER_UP_RELATIVE = 1.5
"""Nor is a row's highest trace a faint tick when the runner-up box's stands within this
share of it (`marks.lifted_alike`): show-through from the back page, a photocopy's grain
lift several boxes of a row alike, a faint tick its own box alone, and the row is blank.
Guards against: show_through and photocopy sending blank rows to review as "faint mark"
(on the 6 kept seeds of 200, every scenario, the traces of 58 rows stood out of their
row's median: 18 blank rows stood 1.0 to 1.47 times their runner-up box, 16 of them on
flat scans; the 4 faint ticks among the 58, on motion-blurred phone photos, 1.66 to 3.43
times it (seed 15547345, s7dcf8f856b0 q14a: 1.66). Margin: 0.16 under the closest tick;
the rest (blank rows and ghosts standing 1.6 times and more) stay to review. A `light_tick`
on a light hand's sheet is read only above it too. Guards against: show_through read as a
light tick, ok (fresh seed 5411111, s0100 q15a: a line of the back page's text, blurred into
a band across a blank row of a greyscale phone photo, 1.24 times box 4's trace). Of the 201
light ticks read so on the 6 kept and 3 fresh seeds of 200 (5411111, 1515907102, 604575333),
all stood 1.67 times their runner-up or more (seed 604575333, s0114 q07c, a photocopy with
show-through) but the blank row and a faint pencil cross on its page at 1.48, which goes to
review. Margins: 0.26 above the blank row, 0.17 under the closest light tick read.
Nor is the paper's grey an excuse when one box alone holds ink above the noise floor spread
as a stroke (further than DOT_EXTENT_MM: `marks.lone_stroke`), its trace standing out of the
row: a shadow's soft grey lies under the noise floor and spreads no ink, show-through's
blurred print and a speck a dot's. Guards against: faint_pencil read blank beside a box
lifted alike (fresh15 seeds 243920451, s0129 q14c, a 125-dpi phone photo with a shadow:
the tick's trace 0.044 and 3.1 mm of ink, the shadowed box's 0.056 and none; 287386493,
s0116 q17a, a 280-dpi photo with show-through and dust: 0.049 beside 0.047 and a speck of
0.6 mm). Of the 3,533 rows read plain blank on the 18 kept seeds above, one blank row more
held such a stroke (on a dark pen's page: read blank as rubbed out), no review added."""
DOT_EXTENT_MM = 1.8
GRAIN_PEAK_RELATIVE = 1.4
"""A mark whose ink spreads DOT_EXTENT_MM or less is a dot (on 80 hard pages of seeds
611216245 and 764588028, dot answers measured 1.0 to 1.62 mm, a pair of dust grains 1.5 mm,
ticks and crosses 2.25 mm and up, all but the sliver of a tick run out of its box); one at
least GRAIN_PEAK_RELATIVE as dark as the respondent's pen is no dot of that pen, and beside
a faint trace or a mark running out of another box it goes to review. Guards against: dust
read as the answer beside a faint tick (seed 764588028, s0087 q20c: a grain of 0.062 ink,
1.8 times as dark as the pencil, beside a faint tick run mostly out of its box, read as the
answer, ok). Dot answers measured 0.92 to 1.15 of their pen (110 sheets of seed
611216245): without the darkness, 20 of 198 dots and 8 beside a ghost went to review.
Alone in its row with no more ink than the largest grains (GRAIN_INK_MAX), a dot that dark
is dust on any sheet (fresh seed 1321270585, s0069 q07d: a grain 1.55 times as dark as the
pencil, 0.0447 of ink, read 5, ok; fresh21 seed 1963322500, s0103 q07c, a 200-dpi feeder
scan with dust and a crease: one 1.60 times as dark, 0.0454, over DUST_DOT_INK, read 2, ok;
blank rows' lone grains held up to 0.06 on the 40 kept seeds of fresh14 to fresh21). Re-decided
there, 2 right dots go to review besides (seed 2058761685, s0043 q08b and q08c: 0.047 and
0.050, 1.55 times as dark as the sheet's light pencil, on a sheet answered in dots);
and a dot beside an inked-out box is no correction's tick (a correction is ticked; fresh
seed 794897226, s0109 q20a: a grain beside a fill read as the corrected answer, ok): both
to review. Decided again on the fresh14 five and the five held-out seeds of 100: no right
item moved, no silent error added; the two to review on their own seeds."""
DOT_INTERIOR_SHARE = 0.9
"""A light trace read by its shape (`marks.intact_stroke_confidence`) must spread more than
a dot: DOT_EXTENT_MM, or this share of the box's interior where that is less
(`marks.dot_extent`): a word processor's 3.3 mm box measures 1.8 mm inside, and ticks in it
spread 1.75 mm (on 4 seeds of 24 word forms, 6421432, 184240500, 855351244, 54200542: 5
faint pencil ticks of 11 sent to review measured 1.75, one 1.62)."""
DOT_PEAK_RELATIVE = 0.6
"""A dot whose darkest ink is under this share of the respondent's pen is not read as their
answer alone in its row: a dot of the pen is about as dark as the pen, a dust grain or a
speck of a photocopy need not be. Guards against: dust read as the answer (fresh seed
951062520, s0100 q11b: a grain of 1 mm, 0.46 of the pen, in a blank row greyed by a
shadow on a 150-dpi phone photo, read 2, ok). Dot answers read ok measured 0.81 and up of
their pen on 3 fresh seeds (12430022, 672864623, 951062520: 309 dots), 0.68 and up on 2
kept ones (15547345, 611216245: 415 dots); at 0.7 two of those went to review. Such a dot goes to review
(`marks.dust_dot`, `Reason.DUST`)."""
SPECK_PEAK_MIN = 0.15
"""A trace alone in its row, with less ink than FAINT_ACCEPT, spreading BESIDE_SPECK_MM or
less (a compact dot, no stroke's length) and at least this dark at its darkest, is a dust
speck: the row is blank (`marks.speck`, `Reason.SPECK`), at a confidence falling with its
ink to OK_CONFIDENCE at FAINT_ACCEPT. Guards against: dust sending blank rows to review as
"faint mark" (on the 6 kept seeds of 200, every scenario, blank rows held specks 0.5 to
0.88 mm across, 0.0048 to 0.0118 of ink, 0.11 to 0.6 dark at their darkest: black grains
against the paper; 40 such rows are now read blank, the rest lie beside another trace). A faint tick that small (a few grey pixels of it above half its
darkest) measured 0.064 to 0.099 dark; a dot of the pen 1 mm and more, 0.019 of ink and
more: both stay marks. A trace in another box (`faint_stroke`, on photos) keeps the row
to review, and so does a stroke running out of the box (`marks.run_out`: a piece beside
it running on past the strips, BESIDE_FAR_MM, OUTSIDE_STROKE_MIN over the row there): the
trace is its tip (seed 1287238377 of the word form's test, s0002 q01d, a 150-dpi phone
photo: a pencil tick drawn mostly below-left of box 5 left 0.006 of ink in it, 0.5 mm, 0.2
dark, and 0.0116 beside it, read blank as a speck). A blank row's speck beside a long
piece too faint for a stroke (fresh16 seed 2065865009, s0125 q12c, a photocopy with a
staple: 0.001 beside the box) stays blank. Nor is a dot a speck in a box whose trace stands
out of its row alone (`marks.stroke_trace`: TRACE_MARGIN, TRACE_RELATIVE, not lifted alike):
a speck covers too little of its box to lift its trace (TRACE_QUANTILE), a stroke does, and
the dot is a faint tick's darkest spot or a grain on it (fresh19 seed 583038266, s0053
q20a, a 300-dpi phone photo of a pencil page: a dot of 0.0096, 0.88 mm, 0.21 dark on a
faint tick under the noise floor, its trace 0.062 against its row's 0.006, read blank as a
speck). Re-decided on 37 kept seeds (fresh14 to fresh19, silent9r, phone9s: 331,000 items)
it sends 8 blank rows more to review, 6 of them on 150-dpi scans (their traces 1.96 to 3.78
times their rows', that tick's 10.9), and catches that tick."""
DOT_SPREAD = 1.3
"""A lone mark whose darkest ink is a dot (DOT_EXTENT_MM or less) yet holding this many
times the ink of a square of the dot's size at its darkest, over the box's interior, is a
dot on a fainter trace: review (`marks.grain_on_trace`, `Reason.ERASED`). A dot of the pen is
round and holds 0.38 to 1.21 of it on scans, 0.73 typically (1,271 dot answers alone in
their rows, as dark as their pen, on the 6 kept seeds of 200; photos' motion blur and
shadows up to 2.18). Guards against: a rubbed-out pencil tick's ghost with a dust grain on
it read as the answer (fresh seed 634380373, s0001 q15a, a 150-dpi photocopy: a grain
0.75 mm, 0.99 of the pencil, on a ghost of 0.030 ink, 0.37 of the sheet's marks: 1.40;
s0003 q14b 2.02). A faint tick under a grain is as uncertain: 3 of them (1.61 to 2.97)
and 6 photo dots and ticks (1.3 and up) on the 6 kept seeds go to review too."""
STRAY_DOT_SPREAD = 1.0
"""DOT_SPREAD on a sheet not answered in dots (`marks.sheet_dot_hand`), for a dot in a dark
pen with no ink run out of its box (`marks._dot_in_dark_pen`, `stray_dot`'s dots): a lone
dot holding this many times its square's ink is a dot on a trace there too, to review. Dot
answers read alone hold 0.73 of it typically, 99% under 0.94 (4,057 on the 15 kept seeds
of fresh16 to fresh18 and 6 off-path draws of silent9w; the most, 1.30, on a sheet
answered in dots); a lone dot is no habit of a sheet that ticks. Guards against: a black
grain (0.88 mm, 1.3 times as dark as the blue pen) on a rubbed-out tick, 1.22, read as
the answer (plain form, seed 656739877, s0047 q05, a 200-dpi feeder scan: 3, ok). Ticks
whose darkest ink is as compact as a dot, most on motion-blurred pages, hold 1.0 to 1.3
too: re-decided, 8 right answers of the 15 kept seeds' 150,000 items go to review (2 of the
7 off-path draws' 26,000), none was read wrong."""
DUST_DOT_INK = 0.045
"""A dot (DOT_EXTENT_MM or less) alone in its row with less ink than this (MARK_MIN), lighter
at its darkest than the respondent's pen (under STROKE_PEAK_RELATIVE of it), may be a dust
grain as well as a small dot of the pen softened by blur: review (`marks.dust_dot`,
`Reason.DUST`), not the answer. Guards against: dust read as the answer (seed 556142372,
s0022 q17c, a motion-blurred 150-dpi phone photo: a grain of 0.036 ink, 0.71 of the pen,
1.38 mm, read 3, ok, beside a true dot of 0.041 ink, 0.70 of the pen, 1.38 mm in the row
above). Most dust grains alone in a box hold 0.042 of ink at most (STROKE_MIN), the largest
up to GRAIN_INK_MAX; dots of the pen
measured 0.92 to 1.15 of it on scans, 0.63 and up on blurred photos: of the 1,219 dot
answers of the 6 kept seeds, 14 go to review by it, all on phone photos (11 on one page of
small light dots), and one faint pencil tick of a feeder page. Nor is such a dot, however
dark, read beside a rubbed-out tick's ghost (`marks.dot_beside_ghost`, `Reason.AMBIGUOUS`):
the respondent took the row's answer back, and a dust grain as dark as their pen measures
as their dot. Guards against: dust read as the answer (fresh seed 85083970, s0017 q12a, a
200-dpi phone photo: a grain of 0.033 ink, 0.97 of the pen, 1 mm, beside a ghost of 0.17 of
it, read 4, ok; the respondent's own dots on the page held 0.072 to 0.095). A mark in
pieces is such a dot by its largest piece (`BoxMeasure.piece`), however far the pieces lie
apart: grains that a photo's motion blur smears into streaks lie side by side, each a dot,
spread as far as a tick, where a stroke is one piece. Guards against: dust with motion_blur
read as the answer (held-out seed 1286241894, s0198 q20c, a 150-dpi phone photo of a pencil
sheet: two grains smeared into streaks 1.4 mm long in box 3, 2.9 mm spread, 0.0245 of ink
(0.33 of the sheet's marks), 0.65 of the pencil, read 3, ok). On the two fresh14 seeds of
200 and two fresh seeds of 100 (443183167, 1919054809), re-decided, it sent no right answer
to review: marks in pieces that small and light there were ticks run out of their box."""
GRAIN_INK_MAX = 0.055
DOT_HABIT_RELATIVE = 0.5
"""A lone dot (DOT_EXTENT_MM or less) on a page written in a dark pen (GHOST_PEN_MIN), with
no ink run out of its box, holding less ink than this and under DOT_HABIT_RELATIVE of the
sheet's typical mark, goes to review however dark (`marks.stray_dot`, `Reason.DUST`): the
largest dust grains are as round, as black and as big as a small dot of the pen, and only a
respondent who answers in dots makes the sheet's typical mark a dot's. Guards against: dust
read as the answer (held-out seed 1290369332, s0178 q10b, a 300-dpi feeder scan of a sheet
marked in a black pen at 0.14: a grain 1 mm across, 1.07 of the pen, 0.0499 of ink, above
DUST_DOT_INK, read 1, ok); grains measured up to 0.042 before (STROKE_MIN), 0.0499 there: 0.055
leaves a tenth over it. Not on pencil pages: a black grain is far darker than a pencil
(GRAIN_PEAK_RELATIVE), and a pencil's dots are light (DUST_DOT_INK). On two fresh14 seeds of
200 (1545587754, 1286241894) and three fresh seeds of 100 (443183167, 1919054809,
1510452382), re-decided, it sends 3 right answers of 40,000 items to review: dots drawn once on a
sheet of ticks, 0.30 to 0.34 of its marks.
Why 0.5 of the sheet's typical mark: on the 10 kept seeds (fresh14's five, silent9r's five,
74,991 items re-decided), the lone dots of 0.03 to 0.055 of ink on dark-pen pages (no ink
run out) that were no answer (dust, a ghost, a stray) held 0.11 to 0.35 of their sheet's
typical mark (9; s0178 q10b above 0.35: 0.0499 of 0.143); the respondents' dots on sheets
answered in dots 0.41 to 0.81 (median 0.62), read there through DOT_HAND_SHARE; the 14
dots drawn once on a sheet of ticks 0.11 to 0.34, to review (10 already as light traces).
0.5, not 0.36: a grain like s0178's on a sheet marked 30% lighter measures 0.5."""
DOT_HAND_SHARE = 0.25
"""A sheet with this share of its rows or more holding a dot alone (`marks.sheet_dot_hand`)
is answered in dots: a lone dot there as dark as the pen is the answer however small
(`marks.dust_dot`'s grain size, DUST_PIECE_MM, and `marks.stray_dot` waived); one with a
grain's ink lighter than STROKE_PEAK_RELATIVE of the pen (a grain blurred on a photo) or
far darker (GRAIN_PEAK_RELATIVE) stays dust. A dust grain in a blank row's box is rare, a
dot a habit. Guards against: dots sent to review as "a dot, or a grain of dust?" (on the
fresh14 seeds 1225418627, 1286241894, 1290369332, 1407324461, 1545587754, 37 of the 40
right dots to review lay on sheets 0.42 to 0.9 of whose rows hold a dot alone; the 9 lone
dots in blank rows, grains and ghosts, on sheets 0.02 to 0.06; 964 of 1,000 sheets hold
none). Re-decided there: 24 more read, all right (feeder 1.99 -> 1.93%, greyscale 1.93 ->
1.91%, phone 4.53 -> 4.50%); on 5 held-out seeds of 100 (443183167, 1919054809,
1510452382, 1361403497, 472071531): 2 more, all right, no silent error added."""
DUST_PIECE_MM = 0.9
"""A lone mark whose ink spreads further than a dot (DOT_EXTENT_MM) while its largest piece
(`BoxMeasure.piece`) spreads this far or less is grains of dust lying apart, however dark:
review (`marks.grains_only`, `Reason.DUST`), never the answer. A pen's mark is one piece
(a tick as long as it spreads); dust grains measure 0.38 to 0.88 mm (BESIDE_SPECK_MM).
Guards against: dust read as the answer (fresh seed 1154567667, s0123 q03, a 200-dpi
feeder scan: a grain 0.88 mm, 1.1 times as dark as the pen, and a speck 0.38 mm, 2.5 mm
apart, 0.047 of ink in all, on a sheet of small marks (0.14), read 1, ok). Not a lone
grain: dots of the pen measure 0.88 mm too (38 of 1,657 dot answers on the 6 kept seeds
of 200 and 3 fresh ones, mostly at 150 dpi), and one grain is told from a dot by nothing
measured (STROKE_MIN: a grain alone holds 0.042 of ink at most). So a lone dot no bigger
than this and holding less than DUST_DOT_INK, with no ink run out of its box, goes to
review however dark (`marks.dust_dot`, `Reason.DUST`): a black grain is as dark as a pen.
Guards against: dust read as the answer (fresh seed 456655018, s0143 q16c, a 150-dpi
greyscale scan of a sheet of blue dots: a grain 0.88 mm, 1.12 times as dark as the pen,
0.035 of ink, read 2, ok). On the 10 kept seeds of 200 of fresh12 and fresh13 (2026-12-02),
re-decided on their stored readings, it sends 33 right answers of 100,000 items to review
(32 dots, 0.62 to 0.88 mm, and a faint pencil tick), and the grain. Nor is such ink a
light pencil stroke read by its sharp edges (`marks.intact_stroke_confidence`): specks are
as sharp as a pencil. Guards against: photocopy (held-out seed 1545587754, s0142 q20c, a
200-dpi feeder scan of a photocopy of a pencil sheet: two toner specks 0.62 mm, 2.5 mm
apart in box 4, 0.0035 of ink, 0.39 of the pencil, 1.24 as sharp as its strokes, read 4,
ok). On the two fresh14 seeds of 200 and two fresh seeds of 100 (443183167, 1919054809),
re-decided, no right answer went to review for it."""
PEN_WIDTH_MIN_MM = 0.2
"""A line across a box narrower than this at its darkest (`marks.stroke_width`: its pixels
at least half as dark as its peak, at BOX_PX_PER_MM), as dark as a stroke of the
respondent's pen or more, is no stroke of a pen: it goes to review as a possible hair
(`marks.hair`, `Reason.HAIR`), never the answer. Pens draw 0.35 to 0.6 mm, pencils 0.3
to 0.45 (a faint one 0.24 and up); a hair is 0.05 to 0.1 mm. Guards against: a hair read
as the answer (fresh seed 12430022, s0041 role, a 300-dpi feeder scan of a pencil sheet:
a hair across a blank row's box 3, 0.031 of ink, 1.2 times as dark as the pencil, read 3,
ok: 0.159 mm wide). Hairs drawn as the generator draws them measured 0.13 to 0.18 mm at
300 dpi, 0.15 to 0.21 at 200, 0.24 to 0.29 at 150 dpi (a pixel is 0.17 mm there: no
measure of width tells them from a pencil line, and a hair lighter than the pencil is
read as one). A hair on the kept subsets' scans: 0.194 mm at 200 dpi (seed 611698323,
s0013 q17b box 4, beside a tick). Of 9,202 boxes holding ink of the pen (0.45 of it or
more at its darkest) on 4 kept subsets (seeds 15547345, 556142372, 611216245, 611698323,
2026-12-02), the thinnest: the end of a stroke run in from the next box beside a speck
0.208 mm (150 dpi), a tick run out of its box leaving a sliver in it 0.231 (200 dpi),
then 0.239 and up; at 300 dpi 0.29 and up. So the bar has room at 300 dpi and little at
200: a mark of the pen under it goes to review (none did on those subsets), a hair over
it (some at 200 dpi, all at 150) is not told from a mark. Faint pencil ticks measure
0.21 and up at 300 dpi, 0.2 to 0.34 of the pen at their darkest: left out by their
lightness."""
STROKE_PEAK_RELATIVE = 0.85
STROKE_MIN = 0.06
"""A lone mark whose darkest ink is the respondent's pen itself (STROKE_PEAK_RELATIVE of
the pen's peak on its page or more) is read as the answer from STROKE_MIN of ink, below
ERASED_RELATIVE of the sheet's marks (`marks.stroke_accept_level`). Guards against:
overflow, dot, neighbour and a pencil tick among darker ones sent to review as "erased?"
(91 of 1,276 reviews on the feeder and greyscale pages of seeds 611216245, 764588028,
611698323, 15547345: a tick mostly outside its box, a dot, 0.2 to 0.3 of the sheet's
marks, at 0.87 to 1.0 of the pen); and against reading a ghost or dust as an answer: a
rubbed-out tick's ghost keeps 0.3 of its pen at most (0.79 and 0.024 of ink when a dust
grain lifted it), a dust grain alone in a blank row is as dark as the pen but holds
0.042 of ink at most on those batches."""
GHOST_PEN_MIN = 0.6
GHOST_PEAK_RELATIVE = 0.3
"""On a page written in a dark pen (its marks' median peak at least GHOST_PEN_MIN: black
and blue pens measure 0.65 to 0.94, pencil 0.24 to 0.55), a box whose darkest ink is
under GHOST_PEAK_RELATIVE of the pen's and that is not greyed evenly holds no stroke of
that pen: a rubbed-out tick's ghost. A row holding such traces only (a ghost, dust or a
crease's grey beside it), none running out of its box, is read blank (`Reason.RUBBED_OUT`);
beside a stroke of the pen a ghost is no second mark. Guards against: erased and erased_alone
sent to review though the sheet tells them (on 11 hard batches of 24 questionnaires,
lone ghosts on pen pages measured 0.11 to 0.31 of the pen, but 4 of 164 lifted by a dust
grain to 0.40-0.97, left to review; every tick, cross, dot, fill and scribble of a pen
0.75 and up; the tip of an overshooting mark 0.08 to 0.14, told by its ink outside the
box). 0.3, not higher: a thin light tick (grey 150 at 150 dpi among black ones,
tests/review_survey.py) measured 0.34, and the generator draws no light pen tick to fit
it on. Not on pencil pages: there a faint pencil tick measures 0.21 to 0.45 of the pencil,
as light as a pencil tick's ghost, and a person decides."""
GHOST_BESIDE_MAX = 0.035
"""A row of rubbed-out ghosts on a dark pen's page (GHOST_PEAK_RELATIVE) is read blank even
with ink beside a box (OUTSIDE_MIN or more over the row's median) when that ink is under
this (`marks.light_beside`): dust, show-through or a crease's grey, no stroke of the pen run
out of the box, whose tip inside can be as light as a ghost. Guards against: erased_alone,
dust, show_through and crease sending such rows to review as "a mark runs outside the
box" (on the 6 kept seeds of 200, every scenario: 28 rows, ghosts and blank rows with
0.015 to 0.031 beside, 20 of them on flat scans). Ticks of the pen run out of their box
left 0.046 and more beside it on those seeds (62 sent to review), 0.1155 and more where
their tip inside was as light as a ghost (21, on scans and photos); a ghost
with more grey beside it (0.062 on a scan, up to 0.14 on photos) stays to review, unless
no piece of that grey is darker than BESIDE_INK (`marks.pale_beside`), which a stroke of
the pen run out of the box always is: a photocopy's grey (dev seed 58810294, s0077 q08b:
0.041 beside box 1, a ghost of 0.08 of the pen in box 5, sent to review as running out)."""
LIGHT_TICK_PEAK = (0.36, 0.5)
LIGHT_HAND_ROWS = 3
LIGHT_TICK_CONFIDENCE = 0.7
"""On a page written in pencil, a trace whose darkest ink is 0.36 to 0.5 of the pencil's,
with FAINT_ACCEPT of ink or more, is a light tick (`marks.light_tick`); alone in its row
on a sheet with LIGHT_HAND_ROWS such rows or more (a light hand is a habit, a rubbed-out
tick is rare), it is the answer, at a confidence from OK_CONFIDENCE to
LIGHT_TICK_CONFIDENCE. Guards against: faint_pencil sent to review as "erased?" (606 of
1,276 reviews on the feeder and greyscale pages of seeds 611216245, 764588028, 611698323,
15547345; faint pencil ticks measured 0.16 to 0.45 of the pencil, median 0.30), and
erased read as an answer: a pencil tick's ghost keeps 0.30 of the pencil at most (53
lone ghosts on pencil pages of those batches: 0.11 to 0.30; 0.31 on the pen pages of 11
hard batches, and on the pencil pages of 3 fresh batches of 24, seeds 739482753,
655537991, 294026591), so the window starts a sixth above it; a ghost lifted by a dust grain
measured 0.63, a dust grain alone in a box 0.6 to 1.3, above the window. Under 0.36 a
light tick is as light as a ghost, and a person decides."""
SHARPNESS_PEAK_MAX = 0.6
"""A box's stroke sharpness (`marks.stroke_sharpness`) is measured only when it holds
ink (EMPTY_MIN) whose darkest is under this (GHOST_PEN_MIN): a faint or light mark whose
reading may hang on it. A dark pen's strokes need no such look, and 9 boxes in 10 are
spared its cost."""
SHARPNESS_MIN_PX_PER_MM = 5.0
"""Nor on a scan coarser than this (127 dpi): a pixel wider than a fifth of a millimetre
blurs a pencil stroke (0.3 mm) into its neighbours, and its edges say nothing. A scan at
150 dpi (5.9 px/mm) is measured, and held to the stricter bars of INTACT_PX_PER_MM."""
SHARPNESS_MAX_PERSPECTIVE = 5e-6
"""Nor on a phone photo, told by its transform's perspective (`PageTransform.perspective`;
a scan's fitted transform bends less than 0.1% across the page): a photo's motion blur and
shadow soften the respondent's strokes and an eraser's ghost unevenly. Guards against:
erased_alone read as the answer (seed 611216245, s0058 role: a ghost of pencil on a
motion-blurred, shaded photo at 200 dpi measured 1.05 of the page's strokes, read 3, ok).
On that seed's 1,095 scanned pages the term was at most 6.7e-6 (3 pages above 5e-6, left
to review), on its 304 photos at least 6.2e-6. On 3 fresh seeds (12430022, 672864623,
951062520; `bench/sharpness_margins.py`) scans reached 7.1e-6 (5 of 1,911 above 5e-6, all
stapled) and photos went from 1.1e-5, but one 150-dpi photo held square measured 1.3e-6 (left
out by SHARPNESS_MIN_PX_PER_MM): no bound parts them all, so the lower one stays."""
SHARPNESS_RIM_MM = 1.25
SHARPNESS_PRINT_QUANTILE = 0.95
SHARPNESS_PRINT_MIN = 0.2
SHARPNESS_QUANTILE = 0.98
"""The print a stroke's sharpness is held against lies in a rim this wide around the
box's interior (its printed frame, 0.75 mm outside the interior, and paper): its darkness
is this quantile of the rim's (the frame's line), its sharpness the SHARPNESS_QUANTILE
of the rim's darkness gradients over that; without print this dark around it (a form
printing no frame) a box's sharpness is not measured. The stroke's sharpness is the same
quantile of its interior's gradients over its peak: the steepest edges of a tick's 8 mm
of strokes, over what a pencil's grain or a scan's noise put in a few pixels."""
INTACT_PX_PER_MM = (5.9, 7.9, 11.8)
INTACT_PAGE_SHARPNESS_MIN = (0.6, 0.7, 0.78)
INTACT_SHARPNESS = (1.0, 0.9, 0.9)
INTACT_SHARPNESS_SURE = 0.08
"""A light trace is read by its shape (`marks.intact_stroke_confidence`) only on a page
whose own pencil strokes are INTACT_PAGE_SHARPNESS_MIN sharp or more, and when it is
INTACT_SHARPNESS as sharp as they are or more, at the scan resolutions of INTACT_PX_PER_MM
(150, 200 and 300 dpi; interpolated between, `marks.intact_sharpness_bars`); its
confidence rises from OK_CONFIDENCE at the bar to LIGHT_TICK_CONFIDENCE
INTACT_SHARPNESS_SURE above it. A scan softens every edge the more the coarser it is: the
page's strokes measured 0.61 to 0.81 at 150 dpi (median 0.69), 0.65 to 0.89 at 200 (0.78),
0.76 to 0.92 at 300 (0.89), on the pencil pages (scans, not photos) of the 6 kept subsets,
2 kept seeds of 200 (611216245, 15547345) and 2 fresh seeds of 24 (398578968, 849637068).
On a page softer than that for its resolution (a blunt lead, show-through) a smear
measures as sharp as the strokes; at 150 dpi a pixel (0.17 mm) is wider than an eraser's
smear (about 0.12 mm) and hides it. Guards against: erased and erased_alone read as the
answer, and faint_pencil sent to review as "erased?". On those pages, the ghosts that are
strokes in the darkness window (INTACT_PEAK_RELATIVE; 33, alone or beside an answer)
measured against the page's strokes: at 200 and 300 dpi 0.62 to 0.87 on pages sharp for
their resolution, and 0.95 (200 dpi, page 0.657), 0.97 (300 dpi, page 0.713) and 1.04 (300
dpi, page 0.662: seed 15547345, s0107 q07d, read 4, ok, before a page's bar) on soft ones;
at 150 dpi 0.61 to 0.93 (fresh seed 849637068, s0008 q20c, read 3, ok, when 150 dpi was
held to the bar of finer scans), and 0.96 on a page of 0.674. Faint pencil ticks in that
window measured 0.34 to 1.16 at 200 and 300 dpi (median 0.96; 78% and 81% reach the bar)
and 0.70 to 1.14 at 150 dpi (median 0.98; 34% reach it). Margins over the sharpest ghost
on a page sharp enough: 0.04 at 150 dpi (0.96, of 10), 0.03 at 200 dpi (0.87, of 8), 0.07
at 300 dpi (0.83, of 12); few ghosts as they are, and a tick read so is claimed at
confidence 0.6 to 0.7, among the first to sample. At 0.88, seven more faint ticks of the
subsets would have been read, 0.014 above the 200-dpi ghost. Held out: on 3 fresh seeds of
120 (12430022, 672864623, 951062520; `bench/sharpness_margins.py`) the rule before these
bars, its page floor left out, read 110 right ticks, on pages of 0.75 and up, and no ghost."""
INTACT_PEAK_RELATIVE = (0.2, 0.5)
"""On a page written in pencil, a stroke alone in its row, too light to be read by its ink
(an "erased?" or "faint" trace), whose edges are INTACT_SHARPNESS as sharp as the
respondent's own pencil strokes on the page or more (`marks.intact_stroke_confidence`) and
whose darkest ink is 0.2 to 0.5 of the pencil's, is the answer: a tick pressed lightly,
at OK_CONFIDENCE rising to LIGHT_TICK_CONFIDENCE INTACT_SHARPNESS_SURE above the bar. An eraser
smears what it leaves and softens its edges; the lead of a light stroke is as sharp as a
firm one's. Guards against: faint_pencil sent to review as "erased?" (on the non-phone
pages of the first 50 questionnaires of seeds 611216245, 764588028, 611698323, 15547345,
837820416, 556142372, pencil ticks drawn lightly measured 0.66 to 1.15 of the
respondent's firm strokes, median 0.96, and firm ones 0.77 to 1.26), and against reading
a rubbed-out tick's ghost (erased, erased_alone) as the answer: ghosts of pencil that are
strokes measured 0.48 to 0.86 there (median 0.75; at 150 dpi, where a scan softens every
edge, 0.8 to 0.86), and their darkest ink 0.13 to 0.28 of the pencil. Below 0.2 of the
pencil a stroke is a few grey levels above the scan's noise, whose edges its sharpness
would measure; above 0.5 a dust grain or a ghost lifted by one. Not on a dark pen's page:
its ghosts are told by their darkness (GHOST_PEAK_RELATIVE)."""
WHOLE_STROKE_PEAK = (0.26, 0.29, 0.33)
WHOLE_STROKE_SHARPNESS = (0.95, 0.95, 0.88)
"""A light trace alone in its row on a pencil page, in the INTACT_PEAK_RELATIVE window and
darker at its darkest than the first of WHOLE_STROKE_PEAK of the pencil, is read as a whole
stroke (`marks.whole_stroke_bar`) when it is as sharp as the respondent's own pencil
strokes by the WHOLE_STROKE_SHARPNESS at its darkness among WHOLE_STROKE_PEAK (0.95 from
0.26 to 0.29, falling to 0.88 at 0.33 and on; where the resolution's bar, INTACT_SHARPNESS,
is lower, it holds).
A rubbed-out tick's ghost is both light and smeared; a tick pressed lightly is as sharp as
a firm one, and may be as dark as a ghost or darker. Guards against: faint_pencil sent to
review as "erased?", mostly at 150 dpi, where INTACT_SHARPNESS (1.0) reads a third of them
(on the non-phone pages of the 6 kept seeds of 200 and of 5 fresh ones, 604575333,
1515907102, 1978714199, 2049111744, 5411111: 471 lone faint ticks to review on pages sharp
enough, darkest ink 0.17 to 0.6 of the pencil, median 0.3, edges 0.58 to 1.38 of the
page's strokes), and against reading erased_alone: the 81 lone ghosts of pencil on those
pages measured 0.10 to 0.30 of the pencil (one over 0.275: 0.303, at 0.62 sharp), their
edges up to 0.97 of the page's strokes where lightest, 0.853 at most over 0.25 of the
pencil. Re-decided on the stored readings, it reads 61 right answers more on the kept
seeds (56 faint ticks) and 84 on the fresh ones (74), and no ghost. A floor of 0.85 read 25
more, with the sharpest ghost over 0.25 (0.853) a hair above it: not taken.
The bar holds at the first of WHOLE_STROKE_SHARPNESS from 0.26 of the pencil (the first of
WHOLE_STROKE_PEAK) to 0.29 (the second), under the 150-dpi bar (1.0). Guards against:
faint_pencil sent to review as "erased?" on 150-dpi feeder scans, where a pixel hides the
smear and most lone faint ticks measured 0.82 to 0.99 as sharp as the page's strokes (154
of fresh18's 200 feeder reviews of faint pencil); and erased_alone read: of the 266 lone
ghosts of pencil that are strokes on the feeder and greyscale pages of 28 kept seeds
(fresh16, fresh17, fresh18, seeds18kept), none 0.26 of the pencil or darker was sharper
than 0.81 of the strokes; the sharpest just lighter measured 0.948 (0.231 of the pencil,
fresh17 seed 1978158215, s0101 q09a), 0.932 (0.239, fresh18 seed 2058761685, s0190 q19b)
and 0.879 (0.250). Re-decided from the stored readings: feeder reviews 687 -> 666 on
fresh18 (dev), 577 -> 567 on fresh16, 540 -> 538 on fresh17, 1483 -> 1468 on the 18 kept
seeds, no silent error added. From 0.25, 5 more on fresh18 (2.00%), 0.011 of the pencil
above that 0.932 ghost: not taken."""
HAND_STROKE_PEAK = 0.6
HAND_LINE_MM = 0.8
HAND_STROKES = 5
HAND_PEAK_RELATIVE = (0.85, 1.25)
HAND_WIDTH_RELATIVE = 1.25
HAND_SHARPNESS_RELATIVE = 0.92
"""A sheet's light strokes (`marks.light_strokes`): each row's lone strongest box on a
pencil page (under GHOST_PEN_MIN), darkest under HAND_STROKE_PEAK of the pencil, a line
(longer than a dot, HAND_LINE_MM wide or less: a light fill, measured softer, is no
tick's yardstick) whose sharpness a scan measured. A light trace alone in its row that
neither `light_tick` nor `intact` reads is read at OK_CONFIDENCE (`marks.hand_stroke`)
when HAND_STROKES of those strokes or more, itself left out, show the respondent's light
hand and it matches them: its darkest ink HAND_PEAK_RELATIVE of theirs (median), no wider
than HAND_WIDTH_RELATIVE of theirs, its edges HAND_SHARPNESS_RELATIVE as sharp or more. A
hand pressing lightly presses alike with one pencil; an eraser leaves a ghost as light as
chance has it, smeared wider and softer. Guards against: faint_pencil sent to review as
"erased?" or "faint" (fresh20, dev: 159 of the feeder's reviews, 41 of the flatbed's), and
erased_alone read. On the scans of 35 kept seeds (fresh14 to fresh20), the 192 lone ghosts
on sheets of 5 such strokes or more: 33 within the darkness window, their edges 0.873 of
the strokes' at most (0.85 at 200 dpi, 0.82 at 300); the 13 sharper than 0.92, 0.794 of
the strokes' darkness at most (fresh18 seed 1109277370, s0160 q16b, 150 dpi: 1.01 as
sharp); none passed all three. Without HAND_LINE_MM, pencil fills set the yardstick on
fresh18 seed 1227667226, s0086 (widths 1.2 to 1.8 mm, 0.35 to 0.65 sharp) and a ghost
0.5 sharp passed. A window from 0.75 read 2 ghosts of fresh18 (0.794, 0.726): not taken."""
HAND_YARDSTICK_SHARPNESS = (0.87, 0.82, 0.78)
"""A sheet's light strokes (`marks.light_strokes`) are a light hand's yardstick only when
their edges are, at their median, this sharp against the firm strokes of their pages or
more (at the scan resolutions of INTACT_PX_PER_MM, 150, 200 and 300 dpi; the coarsest
page's bar): a hand pressing lightly draws with the same lead as it does firmly. Guards
against: a sheet whose lone light traces are all answers rubbed out (six or more, rows left
blank) made a yardstick of ghosts, which one eraser leaves alike, and `hand_stroke` read
about half of them (the review's sheet of 9 ghosts at 200 dpi, seeds 0-4: 4, 4, 4, 7, 2;
their median 0.48 to 0.52 of the firm strokes). On the scans of 40 kept seeds (fresh14 to
fresh21) the lone ghosts such a yardstick admits measured, pooled, at 150 dpi a median of
0.82 and 0.85 (two halves of the seeds; upper quartile 0.87 and 0.90), at 200 dpi 0.77
(0.81), at 300 dpi 0.72 (0.76 to 0.78); the sheets' own yardsticks of 6 strokes or more (477) 0.854 and up at
150 dpi, 0.861 at 200, 0.777 at 300 (reading nothing; 0.828 the next). One bar of 0.85
would hold at 200 and 300 dpi but pass half the 150-dpi sheets of ghosts. A sheet whose
firm strokes' sharpness is unknown (no page's measured) has no yardstick. Re-decided from
the stored readings of those 40 seeds, the light-hand rule reads 345 items of 351 still
(the 6 on one sheet of fresh15 seed 680203754 with no firm stroke measured), 0 silent."""
LIGHT_HAND_SHARPNESS = 0.75
"""A `light_tick` counts towards a light hand (`marks.sheet_light_hand`) unless its edges
measure softer than this share of the firm strokes of its page (`marks.smeared`): a hand
pressing lightly draws with the same lead as it does firmly, an eraser smears. Guards
against: three rubbed-out ticks as dark as a light tick made a light hand, and the rule
read them as answers (the review's sheet of 3 firm pencil ticks on pages 2 and 3 each and
9 ghosts, at 150 dpi: ghosts read "2" on 27 of seeds 0-199, 4 on seed 12; the ghosts that
`light_tick` takes there measure 0.70 of the firm strokes at most, 287 of them; none at
200 or 300 dpi). Faint pencil ticks that `light_tick` takes on the scans of 40 kept seeds
(fresh14 to fresh21) measure 0.79 to 0.82 at their 5th percentile (150, 200, 300 dpi; 21
of 1,010 under this bar). Re-decided from those seeds' stored readings, the light-hand
rule reads 216 items of 220 still (4 right answers to review), 0 silent."""
SHADE_EVENNESS = 0.5
"""Beside a stroke of the pen, a box whose interior is greyed this evenly (`fill`) and
whose darkest ink is under ERASED_PEAK_RELATIVE of the pen is in a shadow, and counts as
empty. Guards against: shadow (a phone's or a hand's shadow across a row greyed boxes
0.05 to 0.12, evenly, 0.55 to 0.81 of their interior, at 0.10 to 0.25 darkness beside
ticks at 0.75 to 0.87: read as a second mark, or as an inked-out box, a "correction";
seeds 930798896, 471722493). A ghost's strokes grey 0.26 to 0.39 of the interior, a
tick's 0.2 to 0.45: both stay marks."""
SHADE_OUTSIDE_RELATIVE = 0.6
"""A box greyed SHADE_EVENNESS evenly, lighter than FILLED_MIN, whose strips beside it
(`outside`) hold at least this share of its ink's darkness more than the row's boxes have
there on the median (a photocopy's grey or blurred print lies beside all of them alike)
lies at a shadow's edge (the paper level of its crop taken from the lit side) and is no
mark, whatever its darkest ink: beside a stroke of the pen it is empty, else a faint
trace to look at. Guards against: shadow on phone photos with pencil or motion blur,
where the pen is light and a shadowed box keeps 0.7 of its darkness (seeds 233276593,
s0006 q12a, and 714153647, s0024 q20a: read as the answer, ok, beside a faint tick or a
tick run out of its box). On two 24-sheet hard batches, 70 boxes greyed evenly had 1.09
to 3.6 times their ink beside them, all in a shadow; inked boxes greyed evenly (fills,
scribbles, inked-out boxes) 0.33 at most. A cross running out of its box in a shadow can
reach it too (seed 611216245, s0154 q14b): it goes to review. Nor is such a box the
pen's darkness on its page (seed 402808178, s0012 q12b: shadowed boxes outweighing the
ticks in most rows made the pen 0.22 dark, and a ghost of 0.19 was read as the answer, ok).
On a page written in a dark pen (GHOST_PEN_MIN), a row with such a box under
GHOST_PEAK_RELATIVE of the pen at its darkest (`marks.shadow_grey`), whose other traces and
ink beside are as pale and run on nowhere past the strips beside their boxes (a neighbour
greyed in part by the same shadow, a rubbed-out ghost; `marks.pale_trace`), is blank
(`Reason.SHADOW`): a shadow dims the pen as much as the paper, and a stroke of it in the
shadow is darker than the pen; the pale tip of a stroke run out of a box runs on beside
it. Guards against: shadow sending blank rows of phone photos to review as marks run out of
their boxes (the phone pages of the 6 kept seeds, 2026-12-02: 29 rows read blank of 541
phone items to review, 9 of them a ghost in the shadow's row; shadowed boxes at 0.13 to 0.27
of the pen, 2 at 0.32 and 0.33 left to review; no row holding an answer read so)."""
SHADE_MARK_PEAK_RELATIVE = 1.0
"""A box at a shadow's edge (SHADE_OUTSIDE_RELATIVE) whose darkest ink reaches this share of
the darkest ink of the mark read beside it may hide a second mark: the item goes to review,
not read alone. A shadow greys the paper lighter than a stroke of the pen; as dark as the
stroke, a tick may lie under it. Guards against: shadow with a double tick on a phone photo
(fresh seed 1154567667, s0035 q12a: a pencil tick at the shadow's edge, 1.19 as dark as the
other tick, left out, and that tick read alone, ok). Right readings beside a shaded box:
1,043 on the 6 kept seeds and 3 fresh ones (12430022, 672864623, 951062520), the shaded box
0.87 as dark as the answer at most; 0.96 on 2 fresh seeds (806647959, 1154567667)."""
CORRECTION_PEAK_RELATIVE = 0.7
"""A correction's tick is read as the answer only when its darkest ink is at least this
share of the darkest inked-out box's: one pen made both (generated corrections measured
0.94 to 1.13 of the pen). Guards against: shadow with motion_blur on a phone photo
(seed 452378124, s0007 q20c: a cross smeared solid beside a shadowed box, and a third
box greyed 0.41 as dark as the cross, read as a correction: the grey box's code, ok)."""
INKED_OUT_EVENNESS = 0.97
"""A solid box alone in its row, on a sheet that ticks, is a cancelled answer (review)
only when this share of its interior or more is inked evenly: blackened completely.
Shaded in with gaps left, or scribbled over, with the respondent's pen (its darkest ink
CORRECTION_PEAK_RELATIVE of the pen's: a shadow's grey box is not), it is the answer.
Guards against: fill and
scribble marks of a respondent who ticks elsewhere sent to review as cancelled (58 of 565
reviews of 11 hard batches). Boxes inked out to cancel measured 1.0 (99 of 99: black,
blue, pencil and faint pencil), fills 0.64 to 1.0 (median 0.89), scribbles 0.31 to 0.96;
motion blur closes the gaps, which only sends more to review. So is a solid box beside a
tick read as cancelled (a correction, the tick the answer) only when blackened completely
(and to its frame: INKED_OUT_EDGE): guards against a double mark read as a correction
(seed 1915064519 of the word form's test, s0002 q01d, a 150-dpi phone photo: two black
crosses, one covering 0.71 of a word processor's small box, solid, read as a correction:
the other's code, ok). The 180 generated corrections of 2 kept seeds of 200 (fresh16
153879278, 1750188662) measured 1.0 in their inked-out box."""
INKED_OUT_EDGE = 0.9
EDGE_MIN_PIXELS = 12
"""Nor is a solid box blackened completely when less than this share of its paper next to
its printed frame is inked (`marks.edge_fills`, measured where the form's print is known,
on EDGE_MIN_PIXELS or more: 24 to 44 on the word form's boxes at BOX_PX_PER_MM). A word
processor's 3.3 mm box measures 1.8 mm inside, which a pen's fill blackens as evenly as a
box inked out: on 4 seeds of 24 word forms (6421432, 184240500, 855351244, 54200542) 11 of
20 fills measured 0.97 to 1.0 inside; next to the frame, boxes inked out to cancel measured
1.0 (15 of 15), fills 0 to 1.0 (0.9 or more: 9 of 20). Guards against: fill and scribble
sent to review as "a box inked out with no other box ticked" (6 of 35 items to review).
Only paper the print closes in counts: a ○ inked out to its ring left 0.79 of its square's
corners inked (fresh seed 792421416, s0019 q05a, read as a correction); a ○ has no such
paper, and a lone solid ○ goes to review as before."""
FILL_HABIT_ROWS = 3
FILL_HABIT_SHARE = 0.3
"""A sheet with this many rows (or this share of its answered rows) marked by one solid
box and nothing else answers by filling boxes in: there, a lone solid box is an answer;
elsewhere it may be a cancelled answer and goes to review."""

OUTSIDE_NEAR_MM = 0.5
OUTSIDE_FAR_MM = 1.3
"""The strips beside and below a box where an overshooting mark is looked for: clear of
the printed border and of the option label printed 2 mm to the right."""
BESIDE_FAR_MM = 1.6
BESIDE_INK = 0.12
"""Ink beside a box is measured piece by piece (`BoxMeasure.beside`) out to this far from
it: the strips of OUTSIDE_NEAR_MM..OUTSIDE_FAR_MM widened, short of the option label 2 mm
to the right; a rule 1.6 mm below, or a box stacked 2 mm below, brought into them by
registration is a long piece, and the row goes to review as before. Pixels darker than
BESIDE_INK count (a pencil's stroke is 0.25 and darker, paper noise under 0.08). At
1.4 mm, a third of the dust grains beside blank rows' boxes (1.2 to 1.6 mm off them) were
cut by the strips' edge and taken for strokes running on. On a page written in a dark pen
(GHOST_PEN_MIN), empty boxes with ink beside them none of it darker than this are a blank row (`marks.pale_beside`, `Reason.SHADOW`): a fifth of the
lightest dark pen, which a stroke of it run out of a box stays above, blurred or not (on
the phone pages of the 6 kept seeds such ticks left pieces of 2.9 to 3.5 mm beside their
boxes; a shadow's or a photocopy's grey beside 6 blank rows there left none). Guards
against: shadow and photocopy sending blank rows to review as a mark run out of its box."""
BESIDE_SPECK_MM = 0.9
"""Ink beside a box whose largest piece (`BoxMeasure.beside`) spreads this far or less,
none running on past the strips, is dust specks, not a mark run out of the box
(`marks.specks_beside`): the row is read as if nothing lay beside it. Guards against:
dust and a staple's specks beside a blank row's box sent to review as "a mark runs
outside the box" (65 of 1,497 reviews on the feeder and greyscale pages of the 6 kept
seeds of 200; their grains measured 0.38 to 0.88 mm, 43 of the 65 rows specks only; the
rest lighter grey, a crease or a hair: review as before). Of the 1,546 ticks run out of
their box on those seeds (every scenario), the 62 sent to review there measured 1.6 mm
and up; 39 left only a tip in the strips (0.88 to 1.0 mm), each with 0.06 or more ink in
its box, read from it. Ink lighter than BESIDE_INK only (show-through, a photocopy's grey,
a faint stroke) is no speck: review as before."""
OUTSIDE_MIN = 0.015
"""Ink in those strips above this, more than the row's boxes have there on the median,
with nothing marked inside any box, sends the item to review. Around 38,000 unmarked
boxes of a generated batch, 3 reach it (stray marks). Guards against: a mark that
overshoots its box read as blank (overflow: a tick with nothing inside its box left
0.057 to 0.22 there). The row's median takes away what lies beside every box alike:
motion blur on phone photos smears the printed labels 0.02 to 0.03 into every strip, a
crease along the row leaves a line (seeds 226886424, 471722493: blank rows to review)."""
OUTSIDE_STROKE_MIN = 0.005
BESIDE_NOISE_RELATIVE = 1.0
"""With nothing in a row's boxes and no box reaching OUTSIDE_MIN, ink beside one box alone
in a piece running on past the strips (`BoxMeasure.beside` BESIDE_FAR_MM: a stroke, no
speck), OUTSIDE_STROKE_MIN or more over the row's median and at least
BESIDE_NOISE_RELATIVE times the row's paper noise (the median `trace` of its boxes), is a
faint stroke drawn mostly outside the box: review (`marks.stroke_beside`,
`Reason.OUTSIDE`). Guards against: faint_pencil read blank (fresh seed 806647959, s0076
q18a, a 300-dpi feeder scan: a faint pencil tick mostly below-left of box 1 left 0.0116
there, 1.32 times the row's noise of 0.0088; lowering OUTSIDE_MIN to 0.011 sent 7 blank
rows of the kept subsets to review). A faint pencil line (0.25 mm, 0.2 dark) crossing a
side strip (0.8 by 5 mm) leaves about 0.01 there: the floor is half of it (0.006 before: a
faint tick drawn around box 3, crossing the strips' far corners only, left 0.0052, 1.04
times the row's noise, read blank at 1.0: seed 1919054809, s0086 q16c, a motion-blurred
280-dpi phone photo; re-decided on the 18 kept seeds above, 0.005 moved that row alone).
On the 6 kept seeds of 200 and 3 fresh ones (1154567667, 806647959 of 150, 1941088321 of 50), 86 blank
rows held such a piece beside a box, 0.003 to 0.015 over the row: on flat scans 0.58 to
0.93 times their noise (a photocopy's grain and crease 0.7, dust 0.8), on photos up to
0.96 and one of 2.47 (seed 837820416, s0075 q08b, 150-dpi photo, now to review); a
crease across a row of a photo (1.44) ran beside three boxes. Margin: the tick at 1.32,
the closest blank row at 0.96. A stroke too faint for its pieces to be measured (none of
it darker than BESIDE_INK: `beside` 0) counts as well when it lies beside one box alone
(no other box OUTSIDE_STROKE_MIN over the row): a dust speck is darker, a crease or a
photocopy's grey lies beside several. Guards against: faint_pencil read blank (fresh seed
1408162422, s0023 q04, a 300-dpi feeder scan: a faint tick across box 1's corner left
0.0084 beside it, nothing in any box, read blank at 1.0). On the 10 kept seeds of 200 of
fresh12 and fresh13, re-decided, it sends 2 blank rows more to review (a motion-blurred
photo), and catches that tick. On a pencil page (pen under GHOST_PEN_MIN) ink beside one
box alone at OUTSIDE_MIN or more counts whatever its pieces: a faint pencil stroke's
darkest pixels can measure as a speck (fresh seed 1321270585, s0100 q12a, a 300-dpi feeder
scan: a tick left of box 5 left 0.0158 beside it, a piece of 0.5 mm, read blank at 0.988).
Re-decided on the fresh14, fresh15 and silent9r seeds (124,991 items): the 20 blank rows
with specks beside one box at OUTSIDE_MIN all lay on dark-pen pages; only that tick moved.
On a pencil page the noise is not asked when no piece runs on: the noise is a quantile of
the box's pixels, the ink beside a strip's mean, and grainy paper lifts the one far over
the other (fresh17 seed 1040599162, s0022 q14c, a 200-dpi feeder scan of yellow paper with
show-through: a faint tick mostly below box 3 left 0.0081 beside it, 0.26 of the row's
noise of 0.031, read blank at 0.975; on those 5 seeds 3 blank rows of pencil pages beside
it went to review, a printed border's grey halo beside one box at 0.15 to 0.40 of the noise)."""
BESIDE_PIXELS_MM = 0.25
"""Ink beside a box whose largest piece (`BoxMeasure.beside`) spreads this far or less (two
pixels at BOX_PX_PER_MM) counts for `marks.stroke_beside` as pieces too small to measure
(to `marks.specks_beside`, which asks only whether a stroke ran out of the box, it is
specks: no piece of a stroke): a faint stroke's grain, a few of its pixels just darker
than BESIDE_INK, or a grain of dust too small to lift the strip OUTSIDE_STROKE_MIN alone. Guards against: faint_pencil read
blank (fresh19 seed 1959328395, s0058 q15a, a 300-dpi feeder scan of a pencil page: a faint
tick drawn around box 2, none of it inside, left 0.0101 beside it with one pixel darker than
BESIDE_INK, a piece of 0.12 mm: read blank at 1.0). Re-decided on 37 kept seeds (fresh14
to fresh19, silent9r, phone9s: 331,000 items), the 5 blank rows with such a piece beside
one box and ink enough beside it all lay beside ghosts on dark-pen pages, read blank as
rubbed out before this rule is asked; only that tick moved."""
PALE_RUN_RIVAL_RELATIVE = 0.4
"""A lone mark with ink beside it, paler at its darkest than a stroke of the pen run out of
its box (OVERFLOW_PEAK_RELATIVE), goes to review when another box of its row holds a faint
stroke's trace standing alone and this share of the mark's trace or more
(`marks.faint_beside_pale_run`). Guards against: a phone photo's shadow edge read as the
answer beside the faint pencil tick (fresh seed 243920451, s0140 q19c: box 4 greyed 0.46
of the pencil, its trace 0.104, the tick's in box 5 0.058, 0.56 of it, read 4, ok). On
the fresh14, fresh15 and silent9r seeds (124,991 items) the 4 right answers so placed, ticks
and overflows run out of their box on photos, saw traces 0.09 to 0.28 of theirs beside
them (a ghost's 0.28); none moved."""
OVERFLOW_SURE_RELATIVE = 0.09
OVERFLOW_PEAK_RELATIVE = 0.7
"""With nothing marked in its row, a box whose strips hold more ink than the row's median by
OVERFLOW_SURE_RELATIVE of the respondent's pen at its darkest (never less than
OVERFLOW_SURE_MIN) and whose interior holds a stroke of that pen (its darkest ink
OVERFLOW_PEAK_RELATIVE of the pen's or more) is the answer: a tick run out of it, read
`ok` (`marks.overflow_confidence`); less, or a lighter trace inside, and a person looks.
The ink a stroke leaves beside the box is as dark as the pen: a black pen's ticks run out
left 0.1 there, a pencil's (0.45 dark) half of it, 0.031 to 0.066 over the row, sent to
review when the bar was a fixed 0.1 (fresh14 seeds 1225418627, 1286241894, 1290369332,
1407324461, 1545587754: 28 right answers to review, 21 on feeder and greyscale pages; 0.07
of the pen reads 2 more). No blank row and no ghost there held a stroke of the pen inside
a box with ink beside it: the wrong readings of ink beside a box all lack one. Re-decided there and
on 5 held-out seeds of 100 (443183167, 1919054809, 1510452382, 1361403497, 472071531: 18
more read, all right), no silent error added.
Guards against: overflow sent to review though the box it runs out of is plain (93 of
1,276 reviews on the feeder and greyscale pages of 4 batches of 200, seeds 611216245,
764588028, 611698323, 15547345: 0.046 to 0.23 beside the box, median 0.14, the pen's own
darkness inside); and against reading as an answer the ink beside a box that is no
tick's: a hair, a crease or a stray mark beside a blank row, a rubbed-out tick's ghost or
a faint pencil tick in another box (0.084 at most beside the box, and no stroke of the
pen inside, on those batches), a shadow's edge on a phone photo (its box greyed, `shaded`)."""
OVERFLOW_SURE_MIN = 2 * OUTSIDE_MIN
"""The least ink beside a box over the row's that `marks.overflow_confidence` reads `ok`
whatever the pen, however pale. Its confidence climbs from CONFIDENCE_FLOOR at OUTSIDE_MIN,
where review begins: under a pen 1/6 dark (OUTSIDE_MIN / OVERFLOW_SURE_RELATIVE) the pen's
own bar would fall below that start and ink barely past the review floor would read `ok`.
Twice the floor keeps `ok` a stroke's ink away from it (a speck's is under OUTSIDE_MIN).
It binds under a pen 1/3 dark: 294 of 74,991 items of the 10 kept seeds (fresh14's five,
silent9r's five), where the ticks run out of their box (8 of 10 on phone photos) left 0.031
to 0.106 beside it (7 read by it, right) and the two sent to review 0.059 and 0.068 with
no stroke of the pen inside."""
OVERFLOW_ALONE_RELATIVE = 0.15
BESIDE_STROKE_MM = 2.0
"""With nothing marked in a row, no other box holding a trace and that box's faintest ink
not standing out of its row's (`marks.stroke_tip`: a stroke crossing its corner) and ink
beside that box alone (no other box OUTSIDE_STROKE_MIN over the row's median), that ink in one piece
spreading a stroke's length (`BoxMeasure.beside` BESIDE_STROKE_MM or more, shorter than the
box's side: a piece as long lies along it, `marks.lies_along`) and holding
OVERFLOW_ALONE_RELATIVE of the respondent's pen at its darkest over the row's median (never
less than 2 * OVERFLOW_SURE_MIN) is a tick run out of that box into the empty margin,
nowhere near another box (16 mm apart on the form, 11 between them): its answer, read `ok`
(`marks.run_out_alone`). Twice as long as a dust grain's piece (0.9 to 1.6 mm, the latter
cut by the strips' far edge), and a bar half again as high as `overflow_confidence`'s sure
one (OVERFLOW_SURE_RELATIVE), since no stroke of the pen in the box says which box the tick
started in. Rows of 32 kept seeds (fresh16, fresh17, fresh18 and the 18 kept) with nothing
marked and ink beside a box: ticks run out 0.126 to 0.31 of the pen beside the box, in
pieces of 2.0 to 4.5 mm (a few up to 6.25); blank rows with a piece that long 0.02 to 0.05
(a faint hair, a crease), a rubbed-out tick's ghost beside a phone photo's box 0.108 (seed
582719956, s0024 q08a), a shadow's grey greying the box too (0.013 to 0.04 in it, its trace
standing out 2.4 to 9 times its row's); lines along a strip 5.25 mm and more. Bounding the
box's own ink by FAINT_ACCEPT too, as first tried, kept 16 more such ticks in review on
these seeds and the 2 fresh ones (a stroke's stretch in the box of 0.012 to 0.03), no wrong
reading among the rows it let through. A dark hair lying along the box leaves
as much beside it as a tick (0.17 for one 6 mm long, 1 px at 200 dpi): kept out only by
its length; a tick of the row below run up into this box's bottom strip (rows 8 mm
apart leave 3 mm between boxes) would leave a piece there too, and none of the generated
ones did so far enough. Within one item, no other box of it may lie within reach of the
strips (`marks.in_reach`: nearer, edge to edge, than BESIDE_FAR_MM and that box's shorter
side): `role` stacks its boxes 2 mm apart, and ink in that gap may be meant for either.
No other box's trace may stand out of the row (`marks.faint_stroke`, `lone_stroke`,
`pencil_trace`): a faint tick in another box may be the answer (fresh18 and fresh19
re-decided: 3 ticks run out, beside a trace 2.5 to 3.2 times its row's with no ink above the
floor, back to review). The ink's darkness beside the box is not measured (`BoxMeasure.beside` counts
pixels darker than BESIDE_INK, which a ghost of a dark pen, a third of it, passes too):
only its amount tells a tick from a ghost here, 0.108 for that ghost against a bar of 0.13
for a pen of 0.85. Guards against: overflow sent to review though nothing but that box's margin
holds ink (fresh18, feeder pages: 30 such ticks of 687 items to review)."""
LINE_ROW_BOXES = 3
LINE_ROW_SPREAD = 1.5
LINE_PEAK_RELATIVE = 0.65
LINE_EXTENT_MM = 2.5
"""Beside a stroke of the pen, LINE_ROW_BOXES or more of a row's other boxes holding ink
alike (within LINE_ROW_SPREAD of their median, none more), each spread across the box
(LINE_EXTENT_MM of its 3.5 mm interior) and under LINE_PEAK_RELATIVE of the stroke at its
darkest, are greyed by a line across the row (`marks.line_across`), not marked. Guards
against: crease (a fold along a row greyed every box 0.03 to 0.05, 0.25 to 0.35 dark,
3.5 mm across, beside ticks of 0.15 to 0.3 at 0.5 to 0.9: a single tick read as "more than
one box marked", 26 of 1,497 reviews on the feeder and greyscale pages of the 6 kept seeds
of 200); a second tick of the pen is as dark as the first (0.9 to 1.1 of it), a faint one
on the line holds the line's ink and its own, more than LINE_ROW_SPREAD times the line's."""
DOMINANCE = 3.0
"""When one box is marked and another is faint, the mark wins only if it has this many
times the ink; otherwise a person decides. Guards against: erased (a ghost beside the
real answer), neighbour (a mark running into the next box) and a double tick, one light."""
SPILL_DOMINANCE = 3.0
"""Two boxes marked, neither filled solid, nothing else in the row, the weaker a stroke of
the respondent's pen (STROKE_PEAK_RELATIVE): the one with this many times the other's ink
is the answer (`marks.spill_confidence`), the other the end of its stroke run into the
neighbouring box or a stray stroke; closer, or the weaker lighter than the pen (a faint
second tick on a pencil page), two marks (multiple).
Guards against: neighbour read as multiple (46 of 1,057 reviews on the feeder and
greyscale pages of seeds 611216245, 764588028, 611698323, 15547345: 2.5 to 8.5 times the
neighbour's ink, median 5); and against reading one of a double tick: two ticks of one
pen held 1.0 to 1.7 times each other's ink on those batches (209 doubles). On a page
written in a dark pen (GHOST_PEN_MIN) the weaker may also be a short piece (DOT_EXTENT_MM or
less) at ERASED_PEAK_RELATIVE of the pen or more (`marks.stroke_end`): blur lightens a short
piece more than a long stroke. Guards against: neighbour read as multiple on phone photos
(20 rows of the 6 kept seeds' phone pages, 2026-12-02, their ends 1.0 to 1.9 mm and 0.36 to
0.9 of the pen; none of their doubles read so: a second tick is as long as the first)."""
OK_CONFIDENCE = 0.6
CONFIDENCE_FLOOR = 0.3
"""Item decisions with less confidence than OK_CONFIDENCE go to review, a row read blank as
much as a mark read as the answer (a faint tick just under the empty level on a phone
photo was read blank at 0.59). A lone mark's confidence rises with its ink, from
CONFIDENCE_FLOOR at the empty level through
OK_CONFIDENCE where it becomes acceptable to 1 at twice that (`marks._confidence`), so
on held-out hard batches items claimed at 0.6 to 0.7 are the ones to sample first
(see the reliability table of `bench/accuracy.py`)."""

# --- Comments ---------------------------------------------------------------------------
COMMENT_MARGIN_MM = 2.5
"""Writing is looked for up to this far outside the zone's frame: people write on and
over its lines. Short of the 4 mm to the next printed thing on the form."""
COMMENT_PRINT_SLACK_MM = 0.5
"""What the blank form prints near a zone is masked out this much wider, so that a
registration error of up to half a millimetre leaves no frame line behind as "ink"."""
PAPER_CLOSE_MM = 3.0
"""Comment zones are measured against the paper around each pixel: what is left of the
crop once everything narrower than this (pen strokes, print) is closed over. Guards
against: shadow (a zone half in a phone's shadow measured its shadow as ink, and a word
written in the shadow, taken away with it as too broad for a stroke, read blank)."""
FAINT_INK_DARKNESS = 0.1
"""A zone that looks blank is looked at again counting ink down to this darkness (noise
stays below 0.08): a light pencil hand whose strokes are mostly lighter than INK_DARKNESS
(a legible line of writing measured 1.1 mm² at INK_DARKNESS, seed 452378124) is not read
blank: it goes to review, or is read as written when its strokes are FAINT_WRITTEN_MM2."""
FAINT_STROKE_DARKNESS = 0.08
FAINT_WRITTEN_MM2 = 25.0
"""A zone that looks blank is also measured counting whole strokes down to
FAINT_STROKE_DARKNESS (the noise's ceiling) wherever some of each reaches
FAINT_INK_DARKNESS; this much of them is writing, read as written (transcribed, decided on
OCR's confidence). Guards against: faint pencil with motion_blur read blank (seed
611216245, s0125 q19_comment and q17_comment: lines in ComicNeue-Light on a grey phone
photo, darker than FAINT_INK_DARKNESS only in bits too small to be more than specks, read
blank and "a small mark"; their whole strokes measured 36 and 44 mm²). A blurred hair
over a blank zone measured 9 mm² so (12 down to 0.06); show_through of a photocopied back
page 3 mm² (122 down to 0.06, read as writing on seed 266620724). Less, down to
FAINT_LETTERED_MM2, goes to review. Less still goes by the looks below."""
FAINT_LETTERED_MM2 = 12.0
"""Whole faint strokes (as for FAINT_WRITTEN_MM2) this much or more send a zone that looks
blank to review. Guards against: a small light hand blurred along the frame's top line read
blank at 1.0 (touches_frame, motion_blur; fresh seed 258435760, s0113 q13_comment: 21 mm²
so). Above a blurred hair's 9 mm² and the grain of a photocopied or shown-through blank
zone (with WRITTEN_MIN_MM2 as the floor, 31 zones of 8,800 truly blank went to review on
two fresh seeds of 200; with this, 7, the hand above still to review). Whole strokes fainter
still, down to NOISE_DARKNESS, this much or more send a blank-looking zone to review when the
page's other blank-looking zones hold under WRITTEN_MIN_MM2 of lettered ink so
(`comments.CommentReader._faintest_hand`). Guards against: a light pencil line on a
motion-blurred 150-dpi phone photo read blank at 1.0, its strokes between 0.06 and 0.1 dark
(fresh seed 484488196, s0022 q19_comment: 51.5 mm² so, its page's other zones 0). On the
five fresh22 seeds of 200, 53 truly blank zones reached this so, nearly all the back page's
print showing through, and 8 of 16,414 blank zones went to review, their page's other zones
clear of it (show-through over one zone alone, a faint curved scratch on a phone photo)."""
COMMENT_ALIGN_MM = 1.5
COMMENT_PRINT_TIGHT_MM = 0.2
"""A zone that looks blank is looked at again with the form's print aligned on the scan's
(searched up to COMMENT_ALIGN_MM off) and left out only COMMENT_PRINT_TIGHT_MM wider: a word
written across the frame's top line and the prompt above it is hidden whole by the wider
mask. Guards against: writing touching the frame read blank (touches_frame, on a photo
registered half a millimetre off)."""
SPECK_MAX_MM2 = 0.25
"""Connected ink smaller than this is dust or noise, not writing."""
STROKE_MAX_MM = 4.0
"""Ink broader than this everywhere is no pen stroke (0.3 to 0.8 mm, a line of
motion-blurred print under 3 mm): it is taken away with a rim half as wide before
writing is measured. Guards against: shadow (a hand's or phone's shadow over a zone
measured up to 1,300 mm² of "ink"), show-through and smudges."""
LINE_MIN_MM = 10.0
LINE_GAP_MM = 0.35
"""Ink running level or upright this long, over gaps up to LINE_GAP_MM, is a line, not
writing (no letter is that long and straight). Guards against: crease (a fold's dark
ridge straight across the zone, measured 2 to 80 mm²; an upright fold shows 14 mm
between a zone's frame lines). A long underline is taken away too; the words stay."""
LINE_BAND_MM = 0.9
"""A line (LINE_MIN_MM) with more ink than this per mm of its length, on average, is as
thick as a line of words, not a fold's ridge or a frame's line: a blank-looking zone
measured with such bands left in, lettered, goes to review. Guards against: printed words
smeared into one another along the line by motion_blur taken away as a crease and the
zone read blank, ok (fresh seed 367658525, s0048 role_detail: a band 1.3 mm thick). On
135 blank zones of fresh15 seed 243920451 with lines, the thickest was 0.67 mm; written
zones' lines ran to 1.25."""
DUST_ISOLATION_MM = 3.0
DUST_MAX_MM2 = 0.75
"""Ink within DUST_ISOLATION_MM of other ink forms a cluster; a cluster of less than
DUST_MAX_MM2 is dust, not writing. Guards against: dust (grains up to 0.5 mm² each,
1.5 to 9 mm² over a zone). The lightest pencil comment measured 2 mm² in one cluster."""
DUST_SOLIDITY = 0.8
"""And a cluster all of whose pieces fill this share of their convex hull or more is dust
too, however many grains lie together: a grain is solid, smeared into a streak by motion
blur or not, while a handwritten word has letters that turn back on themselves (a small
"n" 1 mm high fills 0.7 of its hull at the 6 px/mm that writing is looked for at).
Guards against: dust (several grains within DUST_ISOLATION_MM of each other)."""
BAND_SOLIDITY = 0.9
"""With LINE_BAND_MM's bands left in, a band at least LINE_MIN_MM long and thicker than
LINE_BAND_MM that fills less than this share of its convex hull is a line of words, not
dust (no grain runs so long) nor a fold's ridge (straight along both edges but for the
JPEG's ragged pixels: its band filled 0.93 to 1.00 of its hull, darkness 0.7, 130 to 200
dpi, blurred 0.8 to 1.7 mm across it). Guards against: printed words smeared along their
line by motion blur, whose letters no longer turn back (DUST_SOLIDITY), read blank, ok (a
138-dpi phone photo blurred 1.6 mm: the words' bands filled 0.80 to 0.89 of their hulls,
capitals and tall letters rising above the rest). A narrow margin on both sides."""
LINE_LIKE_MIN_MM = 3.0
LINE_LIKE_WIDTH_MM = 0.42
HAIR_WIDTH_MM = 0.25
"""A piece of ink with no more than HAIR_WIDTH_MM of ink per mm of its length (at any
length), or at least LINE_LIKE_MIN_MM long with no more than LINE_LIKE_WIDTH_MM, runs on
thin without turning: a hair (0.05 to 0.1 mm, broken into pieces where it is faint), the
broken ridge of a crease, a faint line of show-through. Letters turn back on themselves:
small light writing has 0.6 mm of ink per mm of a letter at 6 px/mm, pen writing more.
A piece taken for a line here, LINE_LIKE_MIN_MM or longer, also takes out the fainter ink
that holds it on a blank zone's second look (`comments._long_lines`): a dark hair's grey
edges widen it past LINE_LIKE_WIDTH_MM there. Guards against: hair, crease, show_through."""
WRITTEN_MIN_MM2 = 1.5
"""A zone with less ink area than this (after specks are removed) is blank. On a
generated batch of 3,363 blank zones none reached 0.8 mm²; a comment in a light pencil
hand measured 2 mm², and must not be taken for blank."""
WRITTEN_SURE_MM2 = 10.0
"""Between WRITTEN_MIN_MM2 and this, the zone may hold a stray mark or very light
writing: it is transcribed, and flagged for a person. Pen comments measure 16 mm² up."""
UNREAD_INK_MM2 = 1.5
"""A transcribed zone with this much writing (measured as WRITTEN_MIN_MM2 is: specks,
lines and broad shading left out) where no word Tesseract gave lies goes to review: a word
was seen as ink but not read. Tesseract can drop a word whole and be sure of the rest
(seed 611698323: "pay" cut by a crease, left out of a printed comment read `ok` at 0.96);
a short printed word measures 5-7 mm². Guards against: crease, and any word lost to OCR."""
WORD_BOX_SLACK_MM = 0.3
"""Ink this near a word's box is that word's: Tesseract's boxes are drawn on its own
binarisation, a pixel or two tighter than the cleaned zone's ink."""
OCR_OK_CONFIDENCE = 0.85
"""A transcription whose least sure word Tesseract rates below this goes to review. On
generated batches every comment above it was read with under 2% character errors, and
every printed comment passes it; the mean word confidence let 1 in 10 bad ones through."""

# --- Colour -----------------------------------------------------------------------------
COLOUR_MAX_DISTANCE = 14.0
"""In CIELAB a*b* units: a paper further than this from every reference is unknown."""
COLOUR_MIN_MARGIN = 0.25
"""(d2 - d1) / (d2 + d1) for the nearest and second nearest references must reach this:
the paper must be half again as far from the runner-up as from its match. Halfway
between two papers is 0."""
COLOUR_RUNNER_UP_SLACK = 1.0
"""a*b* units: a colour this far beyond the unknown-colour limit still counts as a sheet's
runner-up that hue cannot tell from the nearest, so lightness may tell the sheet the
colour within reach (a pink sheet on an odd ream 10.7 units from the pink cluster and
14.4 from white is as dark as pink: pink, as it would be were white 13.9 off). Kept
small: further off, the runner-up is no rival. Paper cannot tell such a
sheet from a white one greyed and tinted to the same Lab (a reviewer's batch, issue 9):
that is the limit of telling colour by paper at all."""
COLOUR_RADIAL_WEIGHT = 0.7
"""How much a paler or deeper shade of a reference counts against it, relative to a
different hue (see `colour.chroma_distance`)."""
COLOUR_PAGES_AGREE = 2 / 3
"""Share of a questionnaire's pages that must, one by one, match its paper colour."""

# --- Batch colour calibration (guards against `paper`: reams off the typed colours; and
# phone photos' warm light) -----------------------------------------------------------
CALIBRATION_CLUSTER_DISTANCE = 6.0
"""Average linkage, in a*b* units (lightness counts a fifth): sheets of one ream under
one light lie within 2-4 of each other; the template's nearest two colours ~17 apart."""
CALIBRATION_LIGHTNESS_WEIGHT = 0.2
"""Lightness in the clustering distance: exposure moves it, so it only splits papers of
one hue that differ a lot in lightness."""
CALIBRATION_MIN_SHEETS = 3
"""A cluster of fewer sheets is no ream of the batch to calibrate on: its sheets are told
by the calibrated clusters (a questionnaire on an odd sheet of paper, or in odd light)."""
CALIBRATION_ANOTHER_REAM = 7.0
"""A second cluster this near (a*b* units, the light taken away) a colour that a bigger
cluster matched, and clearly nearer it than any other colour, is another ream of it (a
batch from two print runs); further off it competes for the colour and is flagged."""
CALIBRATION_LIGHTNESS_GAP = 8.0
"""L* between two template colours from which lightness tells a scanned cluster's colour
where hue cannot (white and a pale ream of blue are ~14 apart; a scanner's exposure
moves a paper 1-3 between files). Guards against `paper` and ream-to-ream tints."""
CALIBRATION_LIGHTNESS_MARGIN = 0.5
"""(d_other - d_own) / (d_other + d_own) in L*: a cluster must be three times nearer one
of the two lightnesses to be told by it, else it stays flagged."""
CALIBRATION_LIGHTNESS_NEAR = 0.25
"""...and within this share of the gap between the two colours' lightness (3.5 L* for
white and blue) of the one it is told to be: a cluster 6 L* from both is neither. Seed
776488977: 13 blue sheets 6 L* lighter than a dark ream of blue matched to white were
told white by the margin alone."""
CALIBRATION_LIGHTNESS_LEANS = 0.2
"""The same margin, for a scanned sheet in no cluster told a colour by its hue, towards
another colour within the unknown-colour limit in hue and apart in lightness: unless it
leans to its own colour's lightness by this much (1.5 times nearer it), the sheet goes
to review. Hue and lightness must agree where neither is sure. Guards against `paper`: a
white sheet on a ream 10 DeltaE off towards blue (fresh seed 5102, s0001) lay 4.5 a*b*
units from the blue cluster and 8.6 from the white one, clearly nearer blue, but 7 L*
above blue and 4 below white paper; alone it was read blue, `ok`. One 12 DeltaE off, 6.5
L* above blue and 7.7 below white, leaning 0.085 to blue, was read blue too (a reviewer's batch, issue 9)."""
CALIBRATION_WHITE_DARKER = 4.0
"""L*: a scanned cluster (or sheet) taken for white paper may be at most this much darker
than white paper is in the batch: the typed white's L* moved by the batch's exposure (the
median of its scanned coloured clusters' L* less their colours'). Six kept 200-sheet
batches: white clusters 0.2-0.7 off that, other reams up to 3 (ream to ream, the
`paper` case); a pale orange-pink ream, in a*b* nearer white than pink, is 7-8 darker
(synth `--stock pale_pink`). Guards against a pale ream of a colour taken for white."""
CALIBRATION_SCAN_EXPOSURE = -5.0
"""L*: how much darker than typed a scanner shows paper when the batch has no coloured
cluster to tell it (six kept batches: -3 to -6, white -4.6 to -5.8). With the 4 above,
white paper must then scan at L* 91 or more; a batch of coloured pages all washed out
by a strong cast and white balance (synth `--stock cast,auto_white`, seed 11) scanned
its whitened green and yellow at 77-79."""
CALIBRATION_PHOTO_WHITE_DARKER = 6.0
"""The same for phone photos, whose exposure varies more: six kept batches' white photo
clusters lie ~2 darker than their coloured ones' exposure shows (a warm light takes
more from white's blue); blue photographed under a lamp 35% short of blue and taken
for white was 12 darker (synth `--stock warm_photo`, seed 17)."""
CALIBRATION_PHOTO_EXPOSURE = -12.0
"""L*: the same as `CALIBRATION_SCAN_EXPOSURE` for phone photos with no coloured cluster
under their light: nine kept 200-sheet batches' photo exposure -10.8 to -13.8, their
white photo clusters 10-15 below typed. With the 6 above, white paper photographed alone
must show L* 82 or more; a green ream photographed under a warm lamp and white-balanced
(synth `--stock all`, seed 419344327) showed 71 and was read white, ok."""
CALIBRATION_CAST_SHEETS = 4
"""Sheets of one scanned file, each plainly settled in a cluster, that measure its
scanner's cast (`calibrate._file_casts`): fewer, often of one colour from one ream, show
that ream's tint as much as the scanner's."""
CALIBRATION_CAST_SPREAD = 2.5
"""Lab units: the median distance of a file's settled sheets from their median offset
(their colours' centres taken away) within which they agree on one cast. A file's reams
of each colour are tinted a few units their own way; a cast that is no more than that
spread is no cast of the scanner, and is not taken off. Guards against moving a sheet
by what is one ream's tint, not the file's."""
CALIBRATION_CAST_MIN = 1.5
"""Lab units: a cast smaller than this is the scanner's usual few per cent, within a
ream's own tint: not taken off, nor shown."""
CALIBRATION_SCAN_WARMTH = 0.05
"""How warm or cool a scanner's light may be found (share of blue, or red, it dims): a
scanner's cast is a few percent."""
CALIBRATION_PHOTO_WARMTH = 0.2
"""The same for phone photos: an indoor lamp dims blue ~10-15% against red."""
CALIBRATION_PHOTO_PERSPECTIVE = 0.003
"""A page whose fitted transform changes scale across the page by more than this share
is a photo (a flatbed's is below 0.0005): photos are calibrated apart, under their light."""


RESCAN_MARK = 0.1
"""A box whose score is this or more counts as marked when two questionnaires' ink is
compared for a paper fed twice (`assemble.looks_rescanned`): a tick scores ~0.2, an empty box 0."""
RESCAN_MIN_MARKS = 10
"""Fewer marked boxes than this tell too little to call two questionnaires one paper:
two respondents ticking a few boxes alike, with ticks alike, would be flagged."""
RESCAN_SCORE_GAP = 0.01
"""Two questionnaires whose every marked box's score is within this of the other's (and
the same boxes marked) look like one paper scanned twice: a re-scan (a new image, turned,
shifted, with noise) moved scores by 0.003 at most (newuser21's repro-1, 18 marks; 0.004
in test_identity's, 27 marks). Two synth respondents' ticks: of 242,622 pairs with 10 or
more boxes marked in both (fresh16-18 and seed 1626599790, 3,200 sheets), none within
0.01 on every one, the closest 0.016 (12 marks); and the same boxes marked too is asked."""
