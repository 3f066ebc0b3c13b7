"""Batch colour calibration: the paper colours as this batch's reams, scanner and light show them.

Per sheet, `colour.classify` compares a paper with the colours typed into the template;
a ream off its typed colour, or a phone's warm light, then reads as another colour or
as none. Calibration looks at every page of the survey at once. Pages are split by light
(scans, photos, told by the perspective of their fitted transform); within a light a
sheet's pages make one point in CIELAB, and points cluster on a*, b* and a little L*.
Each cluster of a few sheets or more is matched to one of the template's colours by an
assignment, one cluster to one colour, after taking away the light (one warmth, fitted
to the assignment): a shifted batch keeps its papers' order of hue, so its clusters
still fall to the right colours where the nearest typed colour is wrong. The matched
clusters must also go round the hue circle in the template's order. A light with fewer
than two clusters has its warmth fitted to all its sheets instead (a dozen phone
photos), and a lone cluster with no light to go by must be clearly nearest its colour.
Where hue cannot tell two scanned clusters apart (a pale ream of blue, or white paper),
lightness may. A cluster that
matches no colour, and two clusters competing for one, are flagged, never assigned
silently (a second cluster plainly of a colour already matched is another ream of it,
and so is a scanned one further off that the batch's order of hue leaves no other colour);
a person settles them once for the whole batch (`scanner colours OUT --assign
2=yellow`), a decision kept in the store with who and when, and re-applied after every
re-scan to the cluster at that place in colour. A sheet in no cluster big enough takes
the colour of the calibrated cluster (or typed colour, the light taken away) it is
clearly nearest to, or, scanned between two colours apart in lightness, the one its
lightness tells. A light its batch does not anchor (no white sheet and fewer than three
coloured papers shown: a batch of one programme) claims a cluster or sheet only when it
is one colour under every light and white balance the batch allows.

A sheet then takes the colour that at least `COLOUR_PAGES_AGREE` of its pages have,
counting pages that may be of that colour (in a cluster in doubt about it, or nearest
one of it) when the sheet's pages under the other light are plainly of it (a sheet is on
one paper).
Greyscale sheets and sheets given `--programme` keep their per-sheet result.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from scanner import thresholds as T
from scanner.colour import chroma_distance, lab_of
from scanner.errors import UsageError
from scanner.forms import Forms
from scanner.results import FieldResult, Reason, Status
from scanner.store import Store
from scanner.template import Template

PHOTO, SCAN = "photo", "scan"
LIGHT_LIMIT = {SCAN: T.CALIBRATION_SCAN_WARMTH, PHOTO: T.CALIBRATION_PHOTO_WARMTH}
CHROMATIC = 5.0
"""a*b* chroma below which a template colour has no hue to order by (white, grey)."""


class ClusterFlag(str, Enum):
    UNKNOWN = "matches none of the template's colours"
    COMPETING = "competes with another cluster for the same colour, and could be another"
    ORDER = "the clusters' hues are not in the order of the template's colours"
    BETWEEN = "lies between two of the template's colours, and no other cluster shows the light"
    DARKER = "is darker than white paper in this batch: a pale ream of another colour?"
    UNANCHORED = ("could be another colour under the lights this batch allows: it has no white sheet and too few "
                  "colours to tell the light")


@dataclass(frozen=True)
class PagePaper:
    """One page of a stored sheet, as calibration sees it."""

    sheet_id: str
    content_hash: str
    lab: tuple[float, float, float]
    light: str
    """`photo` or `scan`: pages under one light are calibrated together."""
    file: str = ""
    """The file it was scanned from (one scanner session, one cast); empty when not known."""


@dataclass(frozen=True)
class ClusterDecision:
    """A person's word on a cluster: it is `colour` (audited: who, when)."""

    id: int
    light: str
    lab: tuple[float, float, float]
    colour: str
    reviewer: str
    decided_at: str


@dataclass
class Cluster:
    number: int
    """1-based, as `scanner colours` shows it and `--assign N=colour` names it."""
    light: str
    lab: tuple[float, float, float]
    """The median of its pages."""
    pages: list[PagePaper]
    colour: str | None = None
    distance: float = math.nan
    """From its colour (or the nearest one when unmatched), the light taken away, a*b* units."""
    flag: ClusterFlag | None = None
    rival: int | None = None
    """For a competing cluster: the other one."""
    doubts: tuple[str, ...] = ()
    """For an unanchored cluster: the colours it could be (`_possible_colours`)."""
    reach: frozenset[str] = frozenset()
    """The template colours within the unknown-colour limit of it, the light taken away."""
    decision: ClusterDecision | None = None

    @property
    def sheets(self) -> int:
        return len({p.sheet_id for p in self.pages})

    @cached_property
    def members(self) -> frozenset[str]:
        """Its pages' content hashes (a sheet in no cluster is told by one, not in it)."""
        return frozenset(p.content_hash for p in self.pages)

    @property
    def in_doubt(self) -> set[str]:
        """The template colours a cluster flagged for competing (or for lying between two
        colours) may be, besides an unknown one: the one it was matched to, its rival's, and
        any within its reach. A rival may have no colour (an unknown paper competing for the
        same one): seed 621937120's blue sheets photographed greyed, 7.6 from both blue and
        white, were matched to white and doubted for a cluster matching none, so blue was
        never in doubt and their scans, plainly blue, settled nothing. Empty for a cluster
        in no such doubt (unflagged)."""
        if self.flag not in (ClusterFlag.COMPETING, ClusterFlag.BETWEEN):
            return set()
        return {c for c in (self.colour, self.rival.colour if self.rival else None) if c} | self.reach

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The cluster's colour, for a swatch."""
        return tuple(int(round(v)) for v in _rgb(self.lab))


@dataclass(frozen=True)
class FileCast:
    """One scanned file's scanner cast: how far its sheets settled clearly lie, in Lab,
    from their colours' centres in the batch (`_file_casts`)."""

    file: str
    lab: tuple[float, float, float]
    """The median offset (L*, a*, b*), taken off the file's unsettled scanned pages."""
    sheets: int
    """The settled sheets it was measured on."""
    spread: float
    """Their median distance from it: how well they agree."""


@dataclass
class Calibration:
    clusters: list[Cluster]
    gains: dict[str, np.ndarray] = field(default_factory=dict)
    """Per light: its gain per channel (R, G, B), taken away before matching."""
    pages: dict[str, tuple[str | None, Cluster | None]] = field(default_factory=dict)
    """By page image (content hash): the colour the page takes (None when unresolved) and
    the cluster that gives it (for a page of a cluster too small to calibrate on, the
    calibrated cluster it is nearest to)."""
    loose: int = 0
    """Sheets (under one light) in clusters too small to calibrate on."""
    darker: set[str] = field(default_factory=set)
    """Pages (content hashes) of sheets in a scanned white cluster, or told white by one, but
    darker than its white paper (`_darker_sheets`), or in no cluster, told white by the typed
    colour and darker than the batch's white paper (`_darker_loose`): unresolved."""
    lighter: set[str] = field(default_factory=set)
    """Pages of sheets in a scanned cluster of coloured paper, or told its colour by one, but
    nearer white paper in lightness than it and white in hue (`_lighter_sheets`): unresolved."""
    casts: list[FileCast] = field(default_factory=list)
    """The scanned files whose cast was measured and taken off their unsettled pages."""
    cast_off: dict[str, tuple[tuple[str, Cluster | None], FileCast]] = field(default_factory=dict)
    """By page image: a page left unresolved that its file's cast taken off settles
    (`_settle_by_file_cast`): its colour and cluster so, and the cast."""

    def page_outcome(self, page: PagePaper) -> tuple[str | None, Cluster | None]:
        """A page's colour after calibration (None when unresolved), and its cluster."""
        return self.pages.get(page.content_hash, (None, None))


def is_photo(transform: tuple | None, page_size_mm: tuple[float, float]) -> bool:
    """Whether a page's fitted transform (template mm to image px) has a photo's perspective."""
    if transform is None:
        return False
    h = np.array(transform, dtype=np.float64)
    change = max(abs(h[2, 0]) * page_size_mm[0], abs(h[2, 1]) * page_size_mm[1]) / abs(h[2, 2])
    return change > T.CALIBRATION_PHOTO_PERSPECTIVE


def cluster_labels(labs: np.ndarray) -> np.ndarray:
    """Agglomerative clusters (average linkage, `CALIBRATION_CLUSTER_DISTANCE`) of Lab points.

    Points are first binned on a one-unit grid, so the work grows with the spread of the
    colours, not with the number of sheets.
    """
    if len(labs) == 0:
        return np.zeros(0, dtype=int)
    features = np.column_stack([labs[:, 1], labs[:, 2], T.CALIBRATION_LIGHTNESS_WEIGHT * labs[:, 0]])
    bins, inverse = np.unique(np.round(features), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    weights = np.bincount(inverse).astype(np.float64)
    centres = np.array([features[inverse == k].mean(axis=0) for k in range(len(bins))])
    groups = [[k] for k in range(len(bins))]
    distances = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    linkage = distances.copy()
    np.fill_diagonal(linkage, np.inf)
    while len(groups) > 1:
        i, j = np.unravel_index(np.argmin(linkage), linkage.shape)
        if linkage[i, j] > T.CALIBRATION_CLUSTER_DISTANCE:
            break
        i, j = min(i, j), max(i, j)
        # Average linkage, weighted by points: the mean distance between the two groups' points.
        wi, wj = weights[i], weights[j]
        merged = (linkage[i] * wi + linkage[j] * wj) / (wi + wj)
        linkage[i], linkage[:, i] = merged, merged
        linkage[i, i] = np.inf
        linkage = np.delete(np.delete(linkage, j, 0), j, 1)
        weights[i] = wi + wj
        weights = np.delete(weights, j)
        groups[i] += groups.pop(j)
    labels = np.empty(len(bins), dtype=int)
    for n, group in enumerate(groups):
        labels[group] = n
    return labels[inverse]


def calibrate(papers: list[PagePaper], template: Template, decisions: list[ClusterDecision] = ()) -> Calibration:
    """Cluster the pages' paper colours per light and match the clusters to the template's colours."""
    calibration = Calibration([])
    anchored: dict[str, bool] = {}
    for light in (SCAN, PHOTO):
        # A sheet is on one paper: its pages under one light are one point (their median).
        units: dict[str, list[PagePaper]] = {}
        for p in papers:
            if p.light == light:
                units.setdefault(p.sheet_id, []).append(p)
        if not units:
            continue
        labs = np.array([np.median([p.lab for p in pages], axis=0) for pages in units.values()])
        labels = cluster_labels(labs)
        sheets = np.bincount(labels)
        big = [Cluster(0, light, tuple(float(v) for v in np.median(labs[labels == n], axis=0)),
                       [p for pages, k in zip(units.values(), labels) if k == n for p in pages])
               for n in np.flatnonzero(sheets >= T.CALIBRATION_MIN_SHEETS)]
        # Too few to calibrate on, each sheet is told by its own paper: two sheets of two
        # colours, both on odd reams, have a median that is neither's (fresh seed 435094153:
        # a white sheet 9.8 DeltaE off towards pink, with a greyed pink one, was told pink
        # by their median's lightness, `ok`).
        small = [Cluster(0, light, tuple(float(v) for v in lab), pages)
                 for pages, lab, k in zip(units.values(), labs, labels) if sheets[k] < T.CALIBRATION_MIN_SHEETS]
        big.sort(key=lambda c: -c.sheets)
        _apply_decisions(big, [d for d in decisions if d.light == light])
        calibration.gains[light] = _match_light(big, dict(zip(units, labs)), template, light)
        outcomes = [_nearest_cluster(cluster, big, calibration.gains[light], template) for cluster in small]
        anchored[light] = _anchored(big, [name for name, _ in outcomes], template, calibration.gains[light])
        if not anchored[light]:
            for cluster in big:
                _check_unanchored(cluster, template)
            outcomes = [(name, near) if name is None or _possible_colours(cluster.lab, light, template) == {name}
                        else (None, near) for cluster, (name, near) in zip(small, outcomes)]
        calibration.clusters += big
        gain = calibration.gains[light]
        for cluster in big:
            off = _off_lightness(cluster.pages, cluster, big, template, gain, calibration)
            white = _as_light_as_rival(cluster)
            calibration.pages.update((p.content_hash, _member_outcome(cluster, p.sheet_id in off, p.sheet_id in white))
                                     for p in cluster.pages)
        for cluster, (name, near) in zip(small, outcomes):
            calibration.loose += cluster.sheets
            told_by_it = near is not None and name == near.colour
            off = (_off_lightness(cluster.pages, near, big, template, gain, calibration) if told_by_it
                   else _darker_loose(cluster.pages, name, big, template, calibration))
            calibration.pages.update((p.content_hash, (None if p.sheet_id in off else name, near))
                                     for p in cluster.pages)
    order = {c.name: k for k, c in enumerate(template.colours)}
    calibration.clusters.sort(key=lambda c: (c.light != SCAN, c.flag is not None,
                                             order.get(c.colour, len(order)), -c.sheets))
    for n, cluster in enumerate(calibration.clusters, 1):
        cluster.number = n
    if anchored.get(SCAN):
        _settle_by_file_cast(papers, calibration, template)
    return calibration


def _file_casts(papers: list[PagePaper], calibration: Calibration) -> dict[str, FileCast]:
    """Each scanned file's cast, where its sheets settled clearly agree on one. A sheet is
    settled clearly when all its scanned pages are members of one unflagged cluster that
    tells them its colour, and are in one file; its offset is its point (the median of
    those pages) less its colour's centre (the median of the batch's clearly settled
    sheets of that colour). A file's cast is the median of its sheets' offsets, when at
    least `CALIBRATION_CAST_SHEETS` agree on it (`CALIBRATION_CAST_SPREAD`) and it is more
    than a ream's tint (`CALIBRATION_CAST_MIN`). Scans only: each phone photo has its own
    lamp, exposure and white balance, so the photos of one file share no cast, and the
    light's warmth fitted to every photo is all that is taken off them."""
    sheets: dict[str, list[PagePaper]] = {}
    for p in papers:
        if p.light == SCAN:
            sheets.setdefault(p.sheet_id, []).append(p)
    settled: list[tuple[str, str, np.ndarray]] = []
    for pages in sheets.values():
        outcomes = [calibration.page_outcome(p) for p in pages]
        cluster = outcomes[0][1]
        if (cluster is not None and not cluster.flag and pages[0].file and len({p.file for p in pages}) == 1
                and all(name == cluster.colour and home is cluster and p.content_hash in cluster.members
                        for p, (name, home) in zip(pages, outcomes))):
            settled.append((pages[0].file, cluster.colour, np.median([p.lab for p in pages], axis=0)))
    centres = {colour: np.median([point for _, name, point in settled if name == colour], axis=0)
               for colour in {name for _, name, _ in settled}}
    offsets: dict[str, list[np.ndarray]] = {}
    for file, colour, point in settled:
        offsets.setdefault(file, []).append(point - centres[colour])
    casts = {}
    for file, found in offsets.items():
        cast = np.median(found, axis=0)
        spread = float(np.median(np.linalg.norm(np.array(found) - cast, axis=1)))
        if (len(found) >= T.CALIBRATION_CAST_SHEETS and spread <= T.CALIBRATION_CAST_SPREAD
                and np.linalg.norm(cast) >= T.CALIBRATION_CAST_MIN):
            casts[file] = FileCast(file, tuple(float(v) for v in cast), len(found), spread)
    return casts


def _settle_by_file_cast(papers: list[PagePaper], calibration: Calibration, template: Template) -> None:
    """Settle a sheet's unresolved scanned pages again with their file's cast taken off
    (`_file_casts`): as one sheet in no cluster (`_nearest_cluster`, its lightness checked
    as any such sheet's), against the batch's scanned clusters and light as calibrated, by
    the same margins; recorded apart (`Calibration.cast_off`), for a sheet left to review
    only (`sheet_programme`), so a settled sheet never moves. A page image in two sheets
    is left alone; pages still between two colours stay unresolved. Only under a light
    the batch anchors: a file's cast is measured against its colours' centres."""
    casts = _file_casts(papers, calibration)
    calibration.casts = sorted(casts.values(), key=lambda c: c.file)
    clusters = [c for c in calibration.clusters if c.light == SCAN]
    gain = calibration.gains[SCAN]
    owners = Counter(p.content_hash for p in papers)
    unsettled: dict[str, list[PagePaper]] = {}
    for p in papers:
        if (p.light == SCAN and p.file in casts and owners[p.content_hash] == 1
                and calibration.page_outcome(p)[0] is None):
            unsettled.setdefault(p.sheet_id, []).append(replace(p, lab=tuple(np.subtract(p.lab, casts[p.file].lab))))
    for pages in unsettled.values():
        sheet = Cluster(0, SCAN, tuple(float(v) for v in np.median([p.lab for p in pages], axis=0)), pages)
        name, near = _nearest_cluster(sheet, clusters, gain, template)
        # Checked as a sheet in no cluster is, its reasons not recorded: a page left
        # unresolved keeps the reason it had.
        scratch = Calibration([])
        told_by_it = near is not None and name == near.colour
        off = (_off_lightness(pages, near, clusters, template, gain, scratch) if told_by_it
               else _darker_loose(pages, name, clusters, template, scratch))
        if name is not None and not off:
            calibration.cast_off.update((p.content_hash, ((name, near), casts[p.file])) for p in pages)


def _match_light(clusters: list[Cluster], labs: dict[str, np.ndarray], template: Template, light: str) -> np.ndarray:
    """Match a light's clusters (`_match`), and its gains. A cluster taken for white but
    darker than white paper under that light (`_darker_than_white`) is no white to fit the
    light by: the light fitted with it as white is in doubt, so the other clusters are
    matched again without it (`labs`: each sheet's point under the light, by sheet id).
    Seed 131215 of the every-stock test: one ream of blue photographed under warm lamps
    and casts in two clusters, (8.9, -10.9) and (-1.6, 0.0) in a*b*; taken for pink and
    white, the pair fitted a cool light that made the first plainly pink, while the
    second, 29 L* darker than white paper, was flagged: the first was read pink, ok.
    White stays taken by the flagged cluster: a cluster matched to it in its place would
    be one a dozen units off it, where the assignment put another ream beside it before.
    Unless the flagged cluster never took it: told white as another ream of a rival that
    did (`rival`), it leaves white to that rival (seed 974525858 of the odd-sheet tests:
    three pinkish white sheets and a pale pink one at (91.0, 4.2, 0.3), flagged, kept white
    from the white cluster of 12 at (94.3, -1.2, -0.5), which then matched no colour)."""
    darker: set[int] = set()
    while True:
        rest = [c for c in clusters if id(c) not in darker]
        for c in rest:
            if c.decision is None:
                c.colour, c.flag, c.rival, c.distance = None, None, None, math.nan
        # Fewer than two clusters cannot show the light (`_gain`): every sheet under it can.
        left = {p.sheet_id for c in rest for p in c.pages} | (labs.keys() - {p.sheet_id for c in clusters for p in c.pages})
        fitted = (_fit_light(np.array([labs[s] for s in sorted(left)]).reshape(-1, 3), template, LIGHT_LIMIT[light])
                  if sum(c.decision is None for c in rest) < 2 else None)
        taken = {c.colour for c in clusters if id(c) in darker and c.rival is None}
        gain = _match(rest, template, light, fitted, taken)
        found = {id(c) for c in rest if c.flag is ClusterFlag.DARKER}
        if not found:
            return gain
        darker |= found


def _apply_decisions(clusters: list[Cluster], decisions: list[ClusterDecision]) -> None:
    """A cluster takes the latest decision made on a cluster at its place in colour."""
    for cluster in clusters:
        near = [d for d in decisions if _cluster_distance(np.array(cluster.lab), np.array(d.lab))
                <= T.CALIBRATION_CLUSTER_DISTANCE]
        if near:
            cluster.decision = max(near, key=lambda d: d.id)
            cluster.colour = cluster.decision.colour


def _cluster_distance(a: np.ndarray, b: np.ndarray) -> float:
    w = np.array([T.CALIBRATION_LIGHTNESS_WEIGHT, 1.0, 1.0])
    return float(np.linalg.norm((a - b) * w))


def _references(template: Template) -> dict[str, np.ndarray]:
    return {c.name: lab_of(c.rgb)[1:] for c in template.colours}


def _match(clusters: list[Cluster], template: Template, light: str, gain: np.ndarray | None = None,
           taken: set[str] = frozenset()) -> np.ndarray:
    """Assign the undecided clusters to colours (not those `taken`), flag what does not fit;
    the light's gains (fitted to the assignment unless `gain` is given)."""
    refs = _references(template)
    free = [c for c in clusters if c.decision is None]
    # With no light fitted and fewer than two clusters matched, only the typed colours
    # tell a cluster's colour: it must then be clearly nearest one, as a lone sheet must.
    unlit = gain is None
    assignment, gain = _assign(free, template, LIGHT_LIMIT[light], gain, taken)
    unlit = unlit and sum(name is not None for name in assignment) < 2
    for cluster, name in zip(free, assignment):
        cluster.colour = name
    for cluster, name in zip(free, assignment):
        ab = _seen_under(cluster.lab, gain)
        nearest = min(refs, key=lambda n: chroma_distance(ab, refs[n]))
        cluster.reach = frozenset(n for n in refs if chroma_distance(ab, refs[n]) <= T.COLOUR_MAX_DISTANCE)
        cluster.distance = chroma_distance(ab, refs[name or nearest])
        if name is None or cluster.distance > T.COLOUR_MAX_DISTANCE:
            cluster.colour = None
            rival = next((c for c in clusters if c is not cluster and c.colour == nearest), None)
            if rival is not None and (_another_ream(ab, nearest, refs) or _odd_ream(cluster, rival, template, gain)):
                cluster.colour, cluster.rival = nearest, rival
            elif rival is not None and chroma_distance(ab, refs[nearest]) <= T.COLOUR_MAX_DISTANCE:
                cluster.flag, cluster.rival = ClusterFlag.COMPETING, rival
            else:
                cluster.flag = ClusterFlag.UNKNOWN
        elif unlit and not _clearly_nearest(ab, name, refs):
            cluster.flag = ClusterFlag.BETWEEN
    # A competitor the batch places as another ream of its rival's colour (`_ream_by_hue`)
    # does not doubt the rival; it is matched once the other checks are done, and doubts
    # the rival then if it no longer is one.
    for cluster in free:
        if not _ream_by_hue(cluster, clusters, template, gain):
            _doubt_rival(cluster, clusters, template, gain)
    for cluster in _least_sure_first(free):
        if cluster.flag is None and cluster.rival is None:
            _check_unrivalled(cluster, clusters, template, gain)
            _doubt_rival(cluster, clusters, template, gain)
    _check_hue_order([c for c in free if c.flag is None], refs, gain)
    for cluster in free:
        if _ream_by_hue(cluster, clusters, template, gain):
            cluster.colour, cluster.flag = cluster.rival.colour, None
            cluster.distance = chroma_distance(_seen_under(cluster.lab, gain), refs[cluster.colour])
        elif cluster.flag is ClusterFlag.COMPETING and not cluster.rival.flag:
            _doubt_rival(cluster, clusters, template, gain)
    # Last, once lightness and hue have told every other ream they can (a ream of blue
    # greyed towards white is another ream of blue by its lightness).
    for cluster in free:
        if cluster.flag is None and cluster.colour and _darker_than_white(cluster, clusters, template):
            cluster.flag = ClusterFlag.DARKER
    return gain


HUE_MARGIN = 0.4
"""(a2 - a1) / (a2 + a1) for a cluster's hue angle to the nearest matched cluster of its
colour (a1) and of any other colour (a2), for `_ream_by_hue`: over twice as near its own.
Seen in six 200-questionnaire batches: 0.5 to 0.7 for reams 7-11 a*b* off their colour;
lilac paper, halfway between pink and blue, is near 0."""


def _ream_by_hue(cluster: Cluster, clusters: list[Cluster], template: Template, gain: np.ndarray) -> bool:
    """Whether a scanned cluster flagged for competing for its rival's colour is another
    ream of that colour, the batch's hue circle leaving it no other. The rival is plainly of
    its colour (`_another_ream`, the light taken away; or a person said so) and, so far,
    unflagged: the competitor is asked before it may doubt the rival (`_doubt_rival`), as a
    ream it places is no reason to doubt it (fresh seed 2087599385: three blue sheets at
    (79.8, -0.9, -9.6), 5.6 from blue and as dark as the blue ream of 21, 3.6 from blue,
    had the ream doubted: 7 blue sheets went to review). The cluster is within the
    unknown-colour limit of its rival's colour (its nearest); its hue is much nearer that
    colour's clusters than any other colour's (`HUE_MARGIN`), a coloured paper of the
    template with no matched, unflagged cluster under this light counting at its typed hue
    (the light taken away); it is beyond the unknown-colour limit of every such paper; and
    white, which has no hue to order by, is out of reach or ruled out by lightness
    (`_by_lightness`: it is as light as its rival, not as much lighter as white paper is).
    A ream 7-11 units off its colour is then another ream of it (seed 556142372: three blue
    sheets off towards violet, nothing else in the batch that way; colour9p's held-out seed
    543151205: nine pink sheets off towards orange, 8 from pink and 30 from yellow, in a
    batch with no yellow sheet to place yellow by).

    When could that be wrong? On a paper the template lacks, within 14 units of one of
    its colours. Lilac lies between the pink and blue clusters in hue, aqua between the
    blue and green ones, so neither has the margin; salmon and orange are beyond 14 of
    pink and yellow, or, with no yellow ream, between pink's clusters and typed yellow.
    Cream or grey paper is within reach of white only, never matched so. A coloured paper
    of the template with no cluster of its own could be that colour far off: within its
    reach, the rule does not apply. Those stay flagged for a person."""
    rival = cluster.rival
    refs = _references(template)
    chromatic = {name for name, ref in refs.items() if np.linalg.norm(ref) >= CHROMATIC}
    if (cluster.light != SCAN or cluster.flag is not ClusterFlag.COMPETING or cluster.colour is not None
            or rival.flag or rival.colour not in chromatic
            or rival.decision is None and not _another_ream(_seen_under(rival.lab, gain), rival.colour, refs)):
        return False
    ab = _seen_under(cluster.lab, gain)
    matched = [c for c in clusters if c.colour in chromatic and not c.flag]
    missing = chromatic - {c.colour for c in matched}
    if chroma_distance(ab, refs[rival.colour]) > T.COLOUR_MAX_DISTANCE \
            or any(chroma_distance(ab, refs[name]) <= T.COLOUR_MAX_DISTANCE for name in missing):
        return False
    anchors = [(c.colour, _seen_under(c.lab, gain)) for c in matched] + [(name, refs[name]) for name in missing]

    def hue_gap(seen: np.ndarray) -> float:
        turn = abs(math.atan2(ab[1], ab[0]) - math.atan2(seen[1], seen[0]))
        return min(turn, 2 * math.pi - turn)

    own = min(hue_gap(seen) for name, seen in anchors if name == rival.colour)
    # With no other coloured paper on the hue circle (a template of white and pink), the
    # batch's order of hue places nothing: the cluster stays flagged.
    other = min((hue_gap(seen) for name, seen in anchors if name != rival.colour), default=None)
    if other is None or _margin(own, other) < HUE_MARGIN:
        return False
    return not any(chroma_distance(ab, refs[name]) <= T.COLOUR_MAX_DISTANCE
                   and _by_lightness(replace(cluster, colour=name), rival, template) is not rival
                   for name in refs.keys() - chromatic)


HUE_ANCHORS = 3
"""Coloured papers with a matched cluster each that show a light (`_anchored`): three
points fix the order of hue round the circle; two may be one paper seen two ways."""
WASHED_OUT = (1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
"""How many times paler than the paper it was a page may be shown (an automatic white
balance takes 30-90% of a page's colour away, synth `--stock auto_white`)."""


def _anchored(clusters: list[Cluster], loose: list[str | None], template: Template, gain: np.ndarray) -> bool:
    """Whether a light's sheets show the light: `HUE_ANCHORS` coloured papers of the
    template each matched to an unflagged cluster or told of sheets in none (`loose`,
    their colours), so in the template's order of hue where the light was fitted to them;
    or white paper and two coloured papers each with an unflagged cluster plainly on its
    colour (`_another_ream`, the light taken away). White alone shows nothing: white
    balance makes any paper grey. A batch of one programme without white paper (seed
    398835813 of the every-stock test: green reams, one halfway to yellow, cast and
    white-balanced) shows one paper, plainly, and a ream off its colour matched to
    whichever colour is free; seed 845802779: a ream of yellow, its pages white-balanced
    in a white cluster and, paler still, loose sheets told green."""
    refs = _references(template)
    shown = {c.colour for c in clusters if c.colour and not c.flag} | {name for name in loose if name}
    chromatic = {name for name in shown if np.linalg.norm(refs[name]) >= CHROMATIC}
    plain = {c.colour for c in clusters if c.colour in chromatic and not c.flag
             and _another_ream(_seen_under(c.lab, gain), c.colour, refs)}
    return len(chromatic) >= HUE_ANCHORS or (len(plain) >= 2 and len(shown) > len(chromatic))


def _possible_colours(lab, light: str, template: Template) -> set[str]:
    """The template colours a paper may be under every light a batch with nothing to anchor
    it allows: any warmth within the light's limit, and white balance having taken up to
    90% of its colour (`WASHED_OUT`). At each, its nearest colour within the unknown-colour
    limit; and where that one is not plainly it (`_another_ream`), the runner-up too. A
    paper nearest an achromatic colour may be any colour: white balance greys them all."""
    refs = _references(template)
    limit = LIGHT_LIMIT[light]
    possible: set[str] = set()
    for t in _warmths(limit):
        ab = _seen_under(lab, _warmth(float(t)))
        ranked = sorted(refs, key=lambda n: chroma_distance(ab, refs[n]))
        if not _another_ream(ab, ranked[0], refs):
            possible.update(ranked[:2])
        for scale in WASHED_OUT:
            name = min(refs, key=lambda n: chroma_distance(scale * ab, refs[n]))
            if chroma_distance(scale * ab, refs[name]) <= T.COLOUR_MAX_DISTANCE:
                possible.add(name)
    if any(np.linalg.norm(refs[n]) < CHROMATIC for n in possible):
        possible |= refs.keys()
    return possible


def _check_unanchored(cluster: Cluster, template: Template) -> None:
    """Flag a matched cluster, under a light its batch does not anchor (`_anchored`), that
    may be another colour than its own under some light the batch allows
    (`_possible_colours`): a ream of green halfway to yellow, matched to yellow because no
    yellow cluster took it; coloured pages white-balanced grey, matched to white."""
    if cluster.decision is not None or cluster.flag or cluster.colour is None:
        return
    possible = _possible_colours(cluster.lab, cluster.light, template)
    if possible != {cluster.colour}:
        cluster.flag, cluster.doubts = ClusterFlag.UNANCHORED, tuple(sorted(possible | {cluster.colour}))


MEMBER_DARKER = 8.0
"""L*: how much darker than its scanned white cluster's centre a sheet in it may be. White
has no hue, so lightness is a white sheet's own evidence: a pink sheet greyed 13 units
towards white in a*b*, 12.8 darker than the white cluster it joined, was read white (fresh
seed 150846454, s0140), where that cluster's darkest white sheet was 5.9 below its centre."""


def _darker_sheets(pages: list[PagePaper], white: Cluster | None, template: Template) -> set[str]:
    """The sheets of `pages`, members of the scanned cluster `white` matched to white (an
    achromatic colour) or told its colour by it, whose own paper (its lightest page) is
    over `MEMBER_DARKER` darker than the cluster's: not white paper, whatever the
    cluster's centre is."""
    if white is None or white.light != SCAN or white.colour is None:
        return set()
    if np.linalg.norm(_references(template)[white.colour]) >= CHROMATIC:
        return set()
    return {sheet for sheet, lightness in _lightest(pages).items() if lightness < white.lab[0] - MEMBER_DARKER}


def _as_light_as_rival(cluster: Cluster) -> set[str]:
    """The sheets of a cluster flagged darker than white paper, told white as another ream of
    the white cluster (`rival`), whose own paper (`_lightest`) is within `WHITE_DARKER` of
    that cluster's: white paper on an off-white ream, clustered with a pale ream of a colour
    (fresh seed 680203754: s0092 and s0192, lightest 93.9 and 92.5 beside the white cluster's
    93.2, went to review with a pale green sheet at 81.7, which stays there). The flag holds
    for the sheets as dark as it says; a pale ream as light as white paper and as near it in
    hue would have joined the white cluster itself. Scanned clusters only, as for
    `_darker_sheets`: one page of a photo is no measure of its sheet's paper against a
    cluster's centre, its exposure varying from photo to photo."""
    rival = cluster.rival
    if (cluster.light != SCAN or cluster.flag is not ClusterFlag.DARKER or rival is None or rival.flag
            or rival.colour != cluster.colour):
        return set()
    floor = rival.lab[0] - WHITE_DARKER[SCAN]
    return {sheet for sheet, lightness in _lightest(cluster.pages).items() if lightness >= floor}


def _member_outcome(cluster: Cluster, off: bool, as_light_as_rival: bool) -> tuple[str | None, Cluster]:
    """A page's colour as a member of `cluster`, and the cluster that gives it: none for a
    sheet whose lightness says it is not the cluster's paper (`off`), or in a flagged
    cluster; a sheet of a flagged cluster as light as its rival (`_as_light_as_rival`)
    takes the rival's colour from the rival, which `scanner colours` shows matched to it."""
    if off:
        return None, cluster
    if as_light_as_rival:
        return cluster.rival.colour, cluster.rival
    return (None if cluster.flag else cluster.colour), cluster


def _lightest(pages: list[PagePaper]) -> dict[str, float]:
    """Each sheet's paper lightness: its lightest page's L*. Shadows, show-through and a
    copier's grey only darken a page (fresh seed 1154567667: a white sheet's scans at 78, 82, 94)."""
    lightest: dict[str, float] = {}
    for p in pages:
        lightest[p.sheet_id] = max(lightest.get(p.sheet_id, -math.inf), p.lab[0])
    return lightest


def _lighter_sheets(pages: list[PagePaper], cluster: Cluster | None, clusters: list[Cluster], template: Template,
                    gain: np.ndarray) -> set[str]:
    """The sheets of `pages`, members of the scanned cluster `cluster` matched to a coloured
    paper or told its colour by it, whose own paper (`_lightest`) is nearer in lightness to
    white paper as this batch shows it (its typed lightness moved by the batch's exposure)
    than to the cluster's centre and, the light taken away, within the unknown-colour limit
    of white in hue: white paper on a ream off towards the cluster's colour, whatever the
    cluster's centre is. Hue cannot tell a pale ream of a colour from white on a tinted ream;
    lightness can, against the sheet's own cluster. The mirror of `_darker_sheets`.
    Guards against `paper`: held-out seed 456655018, s0033, a white sheet on a ream 5.2 DeltaE
    off towards pink, (93.9, 4.2, 0.4), in a cluster of three with two pale pink sheets 11.2
    L* below it, read pink, `ok`; and a white sheet on a ream off towards blue, 7 L* above the
    blue cluster it joined and 4 below white (`tests/test_calibrate_odd_sheet.py`, about one
    fresh draw in twenty), read blue, `ok`. In 24 kept batches (the held-out seeds of 200 and
    the December ones) no rightly coloured sheet is both nearer white in lightness and within
    reach of white in hue."""
    if cluster is None or cluster.light != SCAN or cluster.colour is None:
        return set()
    refs = _references(template)
    if np.linalg.norm(refs[cluster.colour]) < CHROMATIC:
        return set()
    exposure = _batch_exposure(SCAN, clusters, template)
    whites = {name: lab_of(template.colour(name).rgb)[0] for name, ref in refs.items()
              if np.linalg.norm(ref) < CHROMATIC}
    sheets: dict[str, list[PagePaper]] = {}
    for p in pages:
        sheets.setdefault(p.sheet_id, []).append(p)
    lighter = set()
    for sheet, lightness in _lightest(pages).items():
        ab = _seen_under(np.median([p.lab for p in sheets[sheet]], axis=0), gain)
        if any(chroma_distance(ab, refs[name]) <= T.COLOUR_MAX_DISTANCE
               and lightness - cluster.lab[0] > typed + exposure - lightness for name, typed in whites.items()):
            lighter.add(sheet)
    return lighter


def _off_lightness(pages: list[PagePaper], cluster: Cluster | None, clusters: list[Cluster], template: Template,
                   gain: np.ndarray, calibration: Calibration) -> set[str]:
    """The sheets of `pages`, in `cluster` or told its colour by it, whose own lightness says
    they are not its paper (`_darker_sheets`, `_lighter_sheets`); their pages are recorded in
    `calibration` for the reason given to them."""
    darker = _darker_sheets(pages, cluster, template)
    lighter = _lighter_sheets(pages, cluster, clusters, template, gain)
    calibration.darker |= {p.content_hash for p in pages if p.sheet_id in darker}
    calibration.lighter |= {p.content_hash for p in pages if p.sheet_id in lighter}
    return darker | lighter


def _darker_loose(pages: list[PagePaper], colour: str | None, clusters: list[Cluster], template: Template,
                  calibration: Calibration) -> set[str]:
    """The sheets of `pages`, in no cluster and told an achromatic `colour` (white) by the
    typed colour, not by a cluster of it, whose own paper (`_lightest`) is darker than white
    paper is in this batch (`_below_white`); their pages are recorded in `calibration`.
    With no white cluster, hue alone tells grey paper white: phone-only seed 853253519,
    s0022, a pink sheet 5 units from white in hue the light taken away and as dark as the
    batch's pink (white would show 14 L* lighter), was read white, `ok`."""
    if colour is None:
        return set()
    darker = {sheet for sheet, lightness in _lightest(pages).items()
              if _below_white(lightness, colour, pages[0].light, clusters, template)}
    calibration.darker |= {p.content_hash for p in pages if p.sheet_id in darker}
    return darker


WHITE_DARKER = {SCAN: T.CALIBRATION_WHITE_DARKER, PHOTO: T.CALIBRATION_PHOTO_WHITE_DARKER}
USUAL_EXPOSURE = {SCAN: T.CALIBRATION_SCAN_EXPOSURE, PHOTO: T.CALIBRATION_PHOTO_EXPOSURE}


def _darker_than_white(cluster: Cluster, clusters: list[Cluster], template: Template) -> bool:
    """Whether a cluster matched to an achromatic colour (white) is too dark to be that
    paper in this batch: white has no hue to tell a pale ream of pink or cream, or a blue
    one under a strong warm lamp, from it; but it is the lightest paper, and the batch's
    scanners (or phones) under one light show it about as much darker than typed as they
    show the coloured papers (`_exposure`). More than `WHITE_DARKER` below that, it is a
    coloured ream (a pale orange-pink ream scanned 7-8 darker than white, 9 units from
    white in a*b* and 11 from pink; blue photographed under a lamp 35% short of blue, 12
    darker). A cluster with no coloured cluster under its light to measure the exposure
    by is held to its light's usual exposure (`USUAL_EXPOSURE`)."""
    return _below_white(cluster.lab[0], cluster.colour, cluster.light, clusters, template)


def _below_white(lightness: float, colour: str, light: str, clusters: list[Cluster], template: Template) -> bool:
    """Whether paper of this lightness under `light`, taken for `colour`, is too dark to be
    that colour when it is an achromatic one (white): see `_darker_than_white`."""
    if np.linalg.norm(_references(template)[colour]) >= CHROMATIC:
        return False
    typed = lab_of(template.colour(colour).rgb)[0]
    return lightness < typed + _batch_exposure(light, clusters, template) - WHITE_DARKER[light]


def _batch_exposure(light: str, clusters: list[Cluster], template: Template) -> float:
    """How much darker than typed this batch shows paper under `light` (`_exposure`)."""
    exposure = _exposure([c for c in clusters if c.light == light], template)
    # Nothing coloured to measure it by (every page washed out by a white balance, or one
    # ream photographed alone): the light's exposure as seen on kept batches.
    return USUAL_EXPOSURE[light] if exposure is None else exposure


def _exposure(clusters: list[Cluster], template: Template) -> float | None:
    """How much lighter (darker, when negative) than typed the clusters' light shows their
    papers: the median over the matched, unflagged clusters of coloured paper of their L*
    less their colour's. None without such a cluster."""
    refs = _references(template)
    offsets = [c.lab[0] - lab_of(template.colour(c.colour).rgb)[0] for c in clusters
               if c.colour and not c.flag and np.linalg.norm(refs[c.colour]) >= CHROMATIC]
    return float(np.median(offsets)) if offsets else None


def _doubt_rival(cluster: Cluster, clusters: list[Cluster], template: Template, gain: np.ndarray) -> None:
    """Flag the rival of a cluster flagged for competing with it too, unless the rival
    plainly keeps its colour (`_plainly_keeps`): which of the two is the colour is then a
    person's call, and neither is taken silently (fresh seed 454308240: two phone-photo
    clusters of blue sheets, 6.6 from white and 6.8 from blue, lightness no help in
    photos; whichever was checked second kept its colour, `white` or `blue`, unflagged)."""
    rival = cluster.rival
    if cluster.flag is ClusterFlag.COMPETING and rival.decision is None \
            and not _plainly_keeps(rival, cluster, clusters, template, gain):
        rival.flag, rival.rival = ClusterFlag.COMPETING, cluster


def _least_sure_first(clusters: list[Cluster]) -> list[Cluster]:
    """Matched clusters, the furthest from its colour first, for `_check_unrivalled`.

    Of two clusters near each other, the one further from its colour is the one that may
    be another ream of the other's: checked first, it becomes one when lightness says so.
    Checked second it never is: the one plainly on its colour, checked first, is flagged
    for competing with it, and a flagged cluster is no longer a rival (seed 575220375: a
    file of blue sheets scanned with a warm cast, b* 7 towards yellow, 12 units from
    white and 2 from blue and as dark as the blue ream, was matched to white, `ok`)."""
    return sorted(clusters, key=lambda c: -c.distance)


def _check_unrivalled(cluster: Cluster, clusters: list[Cluster], template: Template, gain: np.ndarray) -> None:
    """Flag a matched cluster that is about as near another matched cluster as it is to its
    own colour: it may be another ream of that one's colour (a batch without white paper,
    with a pale ream of blue), and the assignment alone cannot tell. Lightness may
    (`_by_lightness`): then it keeps its colour, or is another ream of the other's when
    its hue is near enough that colour too. The other stays matched only when it plainly
    keeps its colour (`_doubt_rival`)."""
    ab = np.array(cluster.lab[1:])
    refs = _references(template)
    others = [o for o in clusters if o is not cluster and o.colour and o.colour != cluster.colour and not o.flag]
    # The nearest in hue first: the cluster is another ream of that one if of any.
    for other in sorted(others, key=lambda o: _apart(ab, o, refs)):
        d = _apart(ab, other, refs)
        if _margin(cluster.distance, d) < T.COLOUR_MIN_MARGIN:
            told = _by_lightness(cluster, other, template)
            theirs = chroma_distance(_seen_under(cluster.lab, gain), _references(template)[other.colour])
            if told is other and theirs <= T.COLOUR_MAX_DISTANCE:
                cluster.colour, cluster.rival, cluster.distance = other.colour, other, theirs
            elif told is not cluster:
                # Lightness tells apart colours hue cannot; it never overrides hue.
                cluster.flag, cluster.rival = ClusterFlag.COMPETING, other
            if told is not cluster:
                return


def _apart(ab: np.ndarray, other: Cluster, refs: dict[str, np.ndarray]) -> float:
    """How far a paper's a*b* is from a matched cluster's, in `chroma_distance` (paler or
    deeper counts less than a different hue) from a coloured paper's cluster; in plain a*b*
    from white's: white paper has no hue to be paler or deeper in, its cluster's few units
    of chroma are the scanner's cast (fresh seed 806647959: a green ream 6.2 from green
    was 9.6 from a white cluster tinted 3.7 its way, 12.7 in plain a*b*, and 22 green
    sheets went to review for competing with white)."""
    theirs = np.array(other.lab[1:])
    if np.linalg.norm(refs[other.colour]) < CHROMATIC:
        return float(np.linalg.norm(ab - theirs))
    return chroma_distance(ab, theirs)


def _by_lightness(cluster: Cluster, other: Cluster, template: Template, near: float = T.CALIBRATION_LIGHTNESS_NEAR,
                  margin: float = T.CALIBRATION_LIGHTNESS_MARGIN) -> Cluster | None:
    """Which of two scanned clusters' colours `cluster` is, told by lightness: whether it is
    as light as `other` (another ream of that colour) or as much lighter or darker as its
    own colour is than the other's (white paper is ~14 L* lighter than blue, a scanner's
    exposure a few), within `near` of the gap and by `margin`. None when the colours
    are alike in lightness, for phone photos (their exposure varies), or when the cluster
    is neither clearly at one of the two nor beyond one, away from the other."""
    lightness = {c.name: lab_of(c.rgb)[0] for c in template.colours}
    gap = lightness[cluster.colour] - lightness[other.colour]
    if cluster.light != SCAN or abs(gap) < T.CALIBRATION_LIGHTNESS_GAP:
        return None
    to_own, to_other = abs(cluster.lab[0] - other.lab[0] - gap), abs(cluster.lab[0] - other.lab[0])
    leaning = _margin(to_own, to_other)
    # Beyond the other's lightness, away from its own colour's, a cluster is further still
    # from its own: no paper of that colour lies there (fresh seed 1769220999: five blue
    # sheets 3.8 L* darker than the blue cluster, matched to white, competed with it).
    # Lighter than its own colour's paper when that is the lighter one, it is further
    # still from the darker: shadows, show-through and a copier's grey only darken paper
    # (fresh seed 753144041, s0196: a white sheet 18 L* above the nearest blue cluster in
    # hue, white typed 14 above blue, in a batch with no scanned white cluster).
    offset = cluster.lab[0] - other.lab[0]
    beyond = (offset * gap < 0) or (0 < gap < offset)
    if abs(leaning) < margin or (min(to_own, to_other) > near * abs(gap) and not beyond):
        return None
    return cluster if leaning > 0 else other


NO_RUNNER_UP = 2 * T.COLOUR_MAX_DISTANCE
"""a*b* units: the runner-up's distance when there is none (a template of one colour), as
`colour.classify` measures a margin then. Against infinity every margin was NaN, never
clear: each sheet of a one-colour survey went to review "between two colours"."""


def _margin(near: float, far: float) -> float:
    """How much nearer one thing is than another, (far - near) / (far + near): 1 for one
    on it, 0 for a tie (two at nought too: two colours typed alike)."""
    return (far - near) / (far + near) if far + near > 0 else 0.0


def _clearly_nearest(ab: np.ndarray, colour: str, refs: dict[str, np.ndarray]) -> bool:
    """Whether `ab` is clearly nearer `colour` than any other colour (`COLOUR_MIN_MARGIN`)."""
    d1 = chroma_distance(ab, refs[colour])
    d2 = min((chroma_distance(ab, ref) for name, ref in refs.items() if name != colour), default=NO_RUNNER_UP)
    return _margin(d1, d2) >= T.COLOUR_MIN_MARGIN


def _plainly_keeps(rival: Cluster, competitor: Cluster, clusters: list[Cluster], template: Template,
                   gain: np.ndarray) -> bool:
    """Whether `rival` is its colour whichever colour `competitor`, flagged for competing
    for it, turns out to be: plainly of that colour (`_another_ream`) and clearly nearer it
    than the competitor is, both as the papers are seen and under the fitted light (a light
    fitted to few clusters can explain either one as the colour; then both stay in doubt).
    Then only the competitor is in doubt: a big ream on its colour is not sent to review
    for a few stray sheets beside it. Not clearly nearer, the rival still keeps its colour
    when lightness leaves it no other (`_lightness_leaves_only`)."""
    if rival.colour is None:
        return False
    refs = _references(template)
    alone = _lightness_leaves_only(rival, clusters, template, gain)

    def keeps(light: np.ndarray) -> bool:
        ab, theirs = _seen_under(rival.lab, light), _seen_under(competitor.lab, light)
        own, other = chroma_distance(ab, refs[rival.colour]), chroma_distance(theirs, refs[rival.colour])
        return _another_ream(ab, rival.colour, refs) and (alone or _margin(own, other) >= T.COLOUR_MIN_MARGIN)

    if not keeps(gain):
        return False
    # A competitor nearest the rival's own colour under the batch's light is an odd ream of
    # it or an unknown paper, not the rival's colour taken from it: the rival is its colour
    # either way (fresh seed 258435760: a photographed green ream 1.3 from green was doubted
    # for a ream 9.0 from green and 13.1 from white, seen unlit nearer green than it).
    theirs = _seen_under(competitor.lab, gain)
    return keeps(np.ones(3)) or min(refs, key=lambda n: chroma_distance(theirs, refs[n])) == rival.colour


def _lightness_leaves_only(cluster: Cluster, clusters: list[Cluster], template: Template, gain: np.ndarray) -> bool:
    """Whether lightness rules out every colour but its own within the unknown-colour limit
    of a scanned cluster: each has a matched, unflagged cluster that the cluster is not as
    light as, but as much lighter or darker as its own colour is (`_by_lightness`). A
    competitor about as near its colour then cannot make it another colour. Fresh seed
    561667087: one file's nine white sheets scanned with a green cast at (95.5, -5.4, -0.2),
    5.3 from white and within reach of blue only, 13 L* above the blue ream, were doubted
    for three flatbed white sheets at (91.8, 3.6, -6.5), 7.3 from white and within reach of
    blue and pink too (those stay flagged: lilac paper could lie there)."""
    refs = _references(template)
    ab = _seen_under(cluster.lab, gain)
    within = [name for name in refs.keys() - {cluster.colour}
              if chroma_distance(ab, refs[name]) <= T.COLOUR_MAX_DISTANCE]
    # With no other colour in reach lightness has told nothing: a paper the template
    # lacks (cream beside white) is as likely as before.
    theirs = {name: [c for c in clusters if c is not cluster and c.colour == name and not c.flag] for name in within}
    return bool(within) and all(theirs[name] and all(_by_lightness(cluster, c, template) is cluster
                                                     for c in theirs[name]) for name in within)


ODD_REAM = 10.0
"""a*b* units from its colour, the light taken away, within which a cluster left out of the
assignment is another ream of a colour a cluster took when both are clearly nearest it
(`_odd_ream`): reams of one colour from several suppliers lie up to 10 apart."""


def _odd_ream(cluster: Cluster, rival: Cluster, template: Template, gain: np.ndarray) -> bool:
    """Whether a cluster left out of the assignment is another ream of the colour its
    `rival` took, further off than `_another_ream` allows: within `ODD_REAM` of it and
    clearly nearer it than any other colour (`COLOUR_MIN_MARGIN`), as the rival is, under
    the batch's light. Fresh seed 258435760: green reams 7.1 and 8.3 from green, 17.3 from
    yellow and 15.9 from white, competed with a ream 0.7 from green; seed 150846454: yellow
    9.4 and 7.6 from yellow, over 22 from anything else. A cluster about as near another
    colour (9.0 from green, 13.1 from white) stays flagged.

    A colour without hue (white) that lightness rules out (`_by_lightness`: the scanned
    cluster is as light as its rival, not as much lighter as white paper is) is not among
    those others: hue cannot tell a ream off blue from white paper, lightness can (fresh
    seed 445966895: seven blue sheets at (82.7, -10.2, -10.2), 8.9 from blue, 14.2 from
    white and 21 from green, as dark as the blue ream and 14 L* below the white one,
    competed with the blue ream). A coloured paper is never ruled out so: between two hues,
    hue tells. Nor is white where the template has no other coloured paper: with nothing
    else on the hue circle, a ream 8 off pink could be salmon paper the template lacks,
    and white is all it is weighed against (review 14's template of white and pink)."""
    colour = rival.colour
    refs = _references(template)
    ab = _seen_under(cluster.lab, gain)
    hued = {name for name, ref in refs.items() if np.linalg.norm(ref) >= CHROMATIC} - {colour}
    others = {name: ref for name, ref in refs.items()
              if name in hued or name == colour or not hued
              or _by_lightness(replace(cluster, colour=name), rival, template) is not rival}
    return (chroma_distance(ab, refs[colour]) <= ODD_REAM and _clearly_nearest(ab, colour, others)
            and _clearly_nearest(_seen_under(rival.lab, gain), colour, refs))


def _another_ream(ab: np.ndarray, colour: str, refs: dict[str, np.ndarray]) -> bool:
    """Whether a cluster left out of the assignment is plainly another ream of the colour
    a bigger cluster took: near it, and clearly nearer to it than to any other colour."""
    return chroma_distance(ab, refs[colour]) <= T.CALIBRATION_ANOTHER_REAM and _clearly_nearest(ab, colour, refs)


def _rgb(lab) -> np.ndarray:
    bgr = cv2.cvtColor(np.array([[lab]], np.float32), cv2.COLOR_Lab2BGR)[0, 0]
    return np.clip(bgr[::-1].astype(np.float64) * 255, 1, 255)


def _seen_under(lab, gain: np.ndarray) -> np.ndarray:
    """A cluster's a*b* with the light's per-channel gains taken away."""
    return lab_of(tuple(np.clip(_rgb(lab) / gain, 0, 255)))[1:]


def _assign(clusters: list[Cluster], template: Template, limit: float, light: np.ndarray | None = None,
            taken: set[str] = frozenset()) -> tuple[list[str | None], np.ndarray]:
    """One colour per cluster at most and one cluster per colour (none `taken`), and the light, at least
    cost: each cluster's sheets times its distance from its colour once the light's gains
    (`light`, or else `_gain` fitted to that assignment within `limit`) are taken away, or
    times the unknown-colour limit when left out (so a big cluster outweighs a small one
    competing for its colour).

    A light changes every paper alike, by gains per channel, not by a shift in a*b*: a
    wrong assignment would need a light that fits its clusters in contradictory ways, so
    it costs more than the right one. Each cluster tries its `CANDIDATES` nearest colours.
    """
    refs = _references(template)
    ref_rgb = {c.name: np.clip(np.array(c.rgb, np.float64), 1, 255) for c in template.colours}
    rgbs = [_rgb(c.lab) for c in clusters]
    options = [sorted(refs.keys() - taken, key=lambda n: chroma_distance(np.array(c.lab[1:]), refs[n]))[:CANDIDATES]
               + [None] for c in clusters]
    best: tuple[float, list[str | None], np.ndarray] = (math.inf, [None] * len(clusters), np.ones(3))

    def cost_of(chosen: list[str | None]) -> tuple[float, np.ndarray]:
        pairs = [(rgb, ref_rgb[name], c.sheets) for rgb, name, c in zip(rgbs, chosen, clusters) if name]
        gain = light if light is not None else _gain(pairs, limit)
        cost = sum(c.sheets * (chroma_distance(_seen_under(c.lab, gain), refs[name]) if name
                               else T.COLOUR_MAX_DISTANCE) for c, name in zip(clusters, chosen))
        return cost, gain

    def search(k: int, chosen: list[str | None]) -> None:
        nonlocal best
        if k == len(clusters):
            cost, gain = cost_of(chosen)
            if cost < best[0]:
                best = (cost, list(chosen), gain)
            return
        for name in options[k]:
            if name is None or name not in chosen:
                search(k + 1, chosen + [name])

    search(0, [])
    return best[1], best[2]


CANDIDATES = 3
"""Colours each cluster tries in the assignment (its nearest): the search stays small."""


def _gain(pairs: list[tuple[np.ndarray, np.ndarray, int]], limit: float) -> np.ndarray:
    """The light's gain per channel (R, G, B), from matched clusters' RGB over their colours'.

    A light is one number, its warmth t: a warm lamp dims blue by t and green by a third
    of that (R, G, B gains 1, 1 - 0.3t, 1 - t), a cool one red likewise (1 + t, 1 + 0.3t,
    1 for t < 0); |t| is at most `limit`. With one parameter a wrong assignment cannot be
    explained away by an odd light. None from one cluster alone (it would explain that
    cluster away).
    """
    if len(pairs) < 2:
        return np.ones(3)
    logs = np.array([np.log(rgb / ref) for rgb, ref, _ in pairs])
    weights = np.array([n for _, _, n in pairs], dtype=np.float64)
    blue_over_red = float(((logs[:, 2] - logs[:, 0]) * weights).sum() / weights.sum())
    return _warmth(float(np.clip(-blue_over_red, -limit, limit)))


def _warmth(t: float) -> np.ndarray:
    """The gains (R, G, B) of a light of warmth `t` (see `_gain`)."""
    return np.array([1.0, 1 - 0.3 * t, 1 - t]) if t >= 0 else np.array([1 + t, 1 + 0.3 * t, 1.0])


LIGHT_STEP = 0.01
"""Warmths `_fit_light` tries, this far apart: a step moves a paper's b* by about 0.6."""


def _warmths(limit: float) -> np.ndarray:
    """The warmths from `-limit` to `limit`, `LIGHT_STEP` apart."""
    return np.linspace(-limit, limit, 2 * round(limit / LIGHT_STEP) + 1)


def _fit_light(labs: np.ndarray, template: Template, limit: float) -> np.ndarray | None:
    """The light's gains fitted to every sheet under it (Lab points `labs`), for a batch
    with too few clusters to fit it on (`_gain`): the warmth within `limit` at which the
    sheets lie nearest the template's colours, each to its nearest (capped at the
    unknown-colour limit). None unless some sheets are then clearly of one colour and
    some clearly of another: one paper alone under an unknown light could be any colour
    along the light's axis (pale yellow, or white under a warm lamp)."""
    refs = _references(template)
    points, weights = np.unique(np.round(labs, 1), axis=0, return_counts=True)
    best: tuple[float, np.ndarray | None] = (math.inf, None)
    for t in _warmths(limit):
        gain = _warmth(float(t))
        seen = [_seen_under(lab, gain) for lab in points]
        nearest = [min((chroma_distance(ab, ref), name) for name, ref in refs.items()) for ab in seen]
        cost = sum(w * min(d, T.COLOUR_MAX_DISTANCE) for w, (d, _) in zip(weights, nearest))
        clear = {name for ab, (d, name) in zip(seen, nearest)
                 if d <= T.COLOUR_MAX_DISTANCE and _clearly_nearest(ab, name, refs)}
        if len(clear) >= 2 and cost < best[0]:
            best = (cost, gain)
    return best[1]


def _check_hue_order(clusters: list[Cluster], refs: dict[str, np.ndarray], gain: np.ndarray) -> None:
    """Matched clusters of coloured paper must go round the hue circle as their colours do."""
    chromatic = [c for c in clusters if np.linalg.norm(refs[c.colour]) >= CHROMATIC]
    if len(chromatic) < 3:  # two points are in order either way round
        return

    def hue(ab: np.ndarray) -> float:
        return math.atan2(ab[1], ab[0])

    by_cluster = [c.colour for c in sorted(chromatic, key=lambda c: hue(_seen_under(c.lab, gain)))]
    by_colour = sorted(by_cluster, key=lambda n: hue(refs[n]))
    k = by_colour.index(by_cluster[0])
    if by_colour[k:] + by_colour[:k] != by_cluster:
        for c in chromatic:
            c.flag = ClusterFlag.ORDER


def _nearest_cluster(loose: Cluster, clusters: list[Cluster], gain: np.ndarray,
                     template: Template) -> tuple[str | None, Cluster | None]:
    """The colour of a sheet in no calibrated cluster (`loose`): that of the calibrated
    cluster it is nearest to, when it is within the unknown-colour limit of it and clearly
    nearer to it than to any other colour (calibrated, or typed, the light taken away);
    else, on a scan between two colours hue cannot tell apart (the runner-up within the
    limit, or up to `COLOUR_RUNNER_UP_SLACK` beyond it), the one its lightness tells
    (`_loose_by_lightness`); else when, the light taken away, it is clearly of that colour
    among the typed ones: two views that agree (a sheet on an odd ream, between the batch's
    clusters). Told by hue, a scan's lightness must not lean to another colour within
    reach (`_lightness_allows`)."""
    lab = np.array(loose.lab)
    ab = lab[1:]
    refs = _references(template)
    candidates = [(chroma_distance(ab, np.array(c.lab[1:])), c.colour, c) for c in clusters if c.colour or c.flag]
    calibrated = {c.colour for c in clusters if c.colour}
    seen = _seen_under(lab, gain)
    candidates += [(chroma_distance(seen, ref), name, None) for name, ref in refs.items() if name not in calibrated]
    if not candidates:
        return None, None
    candidates.sort(key=lambda t: t[0])
    d1, name, cluster = candidates[0]
    d2 = next((d for d, other, _ in candidates[1:] if other != name or other is None), NO_RUNNER_UP)
    margin = _margin(d1, d2)
    if cluster is not None and cluster.flag:
        return None, cluster
    within_reach = [other for d, other, _ in candidates[1:] if other not in (None, name) and d <= T.COLOUR_MAX_DISTANCE]
    if d1 <= T.COLOUR_MAX_DISTANCE and margin >= T.COLOUR_MIN_MARGIN:
        return (name, cluster) if _lightness_allows(loose, name, within_reach, clusters, template) else (None, cluster)
    second = next((c for c in candidates[1:] if c[1] != name), None)
    # A runner-up just beyond the unknown-colour limit is as near as one within it: hue
    # cannot tell them apart, lightness may, but only for the colour within reach (fresh
    # seed 1545587754, s0149: a pink sheet 10.7 from pink and 14.4 from white in hue, as
    # dark as pink, was told only while a second sheet shared its cluster).
    reach = T.COLOUR_MAX_DISTANCE + (T.COLOUR_RUNNER_UP_SLACK if d1 <= T.COLOUR_MAX_DISTANCE else 0.0)
    if second is not None and second[0] <= reach and second[1] is not None:
        told = _loose_by_lightness(loose, (name, second[1]), clusters, template)
        # Lightness may take a sheet from the colour nearer in hue only to one within reach
        # whose lightness the batch shows: with no white cluster, a white sheet on a darker,
        # yellowed ream is as light as a pale pink cluster 8 units off in hue (fresh seed
        # 560205131, s0150: read pink, `ok`).
        if told == name or (told is not None and second[0] <= T.COLOUR_MAX_DISTANCE
                            and any(c.colour == name and not c.flag for c in clusters)):
            return told, cluster if told == name else second[2]
        if _loose_by_lightness(loose, (name, second[1]), clusters, template, near=math.inf) == second[1]:
            # Plainly nearer the other's lightness (a ream of blue greyed towards white in
            # hue is as dark as blue): hue alone is not enough to call it the nearest.
            return None, cluster
    if (name is not None and chroma_distance(seen, refs[name]) <= T.COLOUR_MAX_DISTANCE
            and _clearly_nearest(seen, name, refs) and _lightness_allows(loose, name, within_reach, clusters, template)):
        return name, cluster
    return None, cluster


def _lightness_allows(loose: Cluster, colour: str, others: list[str], clusters: list[Cluster],
                      template: Template) -> bool:
    """Whether a scanned sheet in no cluster, told `colour` by its hue, is clearly nearer
    that colour's lightness (by the margin `CALIBRATION_LIGHTNESS_LEANS`) than that of any
    colour within the unknown-colour limit in hue (`others`) whose paper is apart from it
    in lightness (`_loose_by_lightness`). Hue nearer one colour is not enough when
    lightness does not lean to it: a white sheet on a ream 10 DeltaE off towards blue
    (fresh seed 5102, s0001: 4.5 a*b* units from the blue cluster, 8.6 from the white one)
    lay 7 L* above the blue cluster and 4 below the white one; alone, it was read blue,
    `ok`."""
    def leans(other: str, margin: float) -> str | None:
        return _loose_by_lightness(loose, (colour, other), clusters, template, near=math.inf, margin=margin)
    # With no margin lightness tells one of the two wherever it can tell them at all.
    return all(leans(other, 0.0) is None or leans(other, T.CALIBRATION_LIGHTNESS_LEANS) == colour
               for other in others)


def _loose_by_lightness(loose: Cluster, colours: tuple[str, str], clusters: list[Cluster], template: Template,
                        near: float = T.CALIBRATION_LIGHTNESS_NEAR,
                        margin: float = T.CALIBRATION_LIGHTNESS_MARGIN) -> str | None:
    """Which of two colours, both within the unknown-colour limit in hue and neither clear,
    a sheet in no cluster is, told by its lightness as `_by_lightness` tells a cluster's:
    as light as a matched cluster of one (the nearer in hue first), or as much lighter or
    darker as the other colour is than that one (a ream of blue greyed towards white is
    14 L* darker than white paper; `near` and `margin` as in `_by_lightness`); where the
    batch has matched clusters of both, as light as one of them (`_by_measured_lightness`).
    None when lightness cannot tell."""
    ab = np.array(loose.lab[1:])
    references = {}
    for name in colours:
        matched = [c for c in clusters if c.colour == name and not c.flag]
        if matched:
            references[name] = min(matched, key=lambda c: chroma_distance(ab, np.array(c.lab[1:])))
    if len(references) == 2:
        return _by_measured_lightness(loose, colours, references, template, near, margin)
    for own, other in (colours, colours[::-1]):
        if own in references:
            told = _by_lightness(replace(loose, colour=other), references[own], template, near, margin)
            return None if told is None else own if told is references[own] else other
    return None


def _by_measured_lightness(loose: Cluster, colours: tuple[str, str], references: dict[str, Cluster],
                           template: Template, near: float, margin: float) -> str | None:
    """Which of two colours a scanned sheet in no cluster is by its lightness, against a
    matched cluster of each (`references`): the batch's own lightness of both papers, not
    one of them and the typed gap (the scanners of fresh seed 5102 showed white paper 11.5
    L* above blue, not the typed 14: two white sheets 7 units from white in a*b*, 2 and 5
    below the white cluster, were told neither). The colours must be apart in lightness
    as typed and as scanned, in the same order (`CALIBRATION_LIGHTNESS_GAP`), and the
    sheet told as `_by_lightness` tells a cluster: by the margin, and within `near` of the
    scanned gap of the one it is told."""
    if loose.light != SCAN:
        return None
    first, second = colours
    typed = {c.name: lab_of(c.rgb)[0] for c in template.colours}
    scanned = references[first].lab[0] - references[second].lab[0]
    if min(abs(typed[first] - typed[second]), abs(scanned)) < T.CALIBRATION_LIGHTNESS_GAP \
            or scanned * (typed[first] - typed[second]) <= 0:
        return None
    to_first, to_second = abs(loose.lab[0] - references[first].lab[0]), abs(loose.lab[0] - references[second].lab[0])
    leaning = _margin(to_first, to_second)
    if abs(leaning) < margin or min(to_first, to_second) > near * abs(scanned):
        return None
    return first if leaning > 0 else second


def sheet_programme(pages: list[PagePaper], calibration: Calibration, template: Template,
                    current: FieldResult) -> FieldResult:
    """A sheet's programme after calibration: the colour of most of its pages, or review.
    A sheet left to review whose scanned pages a file's cast taken off settles
    (`_settle_by_file_cast`) is told again with those pages so settled: it takes that
    colour if it is then told one; else it keeps its first reason."""
    outcomes = [calibration.page_outcome(p) for p in pages]
    told = _told(pages, outcomes, calibration, template, current, {})
    if told.status is not Status.REVIEW or not any(p.content_hash in calibration.cast_off for p in pages):
        return told
    settled = {p.content_hash: calibration.cast_off[p.content_hash] for p in pages
               if p.content_hash in calibration.cast_off}
    again = _told(pages, [settled[p.content_hash][0] if p.content_hash in settled else outcome
                          for p, outcome in zip(pages, outcomes)],
                  calibration, template, current, {h: cast for h, (_, cast) in settled.items()})
    return told if again.status is Status.REVIEW else again


def _told(pages: list[PagePaper], outcomes: list[tuple[str | None, Cluster | None]], calibration: Calibration,
          template: Template, current: FieldResult, casts: dict[str, FileCast]) -> FieldResult:
    """A sheet's programme from its pages' colours (`outcomes`); `casts`: by page image, the
    file's cast taken off a page to give it its colour there."""
    votes = Counter(colour for colour, _ in outcomes if colour is not None)
    evidence = dict(current.evidence)
    clusters = sorted({c.number for _, c in outcomes if c is not None})
    evidence["clusters"] = clusters
    if votes:
        colour, n = votes.most_common(1)[0]
        n += _settled_elsewhere(pages, outcomes, colour, calibration, template)
        if n >= T.COLOUR_PAGES_AGREE * len(pages):
            agreeing = [c for name, c in outcomes if name == colour and c is not None]
            confirmed = [c.decision for c in agreeing if c.decision is not None]
            programme = template.colour(colour).programme
            taken_off = sorted({casts[p.content_hash] for p, (name, _) in zip(pages, outcomes)
                                if name == colour and p.content_hash in casts}, key=lambda c: c.file)
            evidence.update(colour=colour, colour_reason=None,
                            calibration=_evidence(colour, agreeing, confirmed,
                                                  _flagged_homes(pages, outcomes, colour, calibration), taken_off))
            status = Status.REVIEWED if len(confirmed) * 2 > len(agreeing) else Status.OK
            return replace(current, value=programme, status=status, confidence=round(n / len(pages), 3),
                           reason=None, evidence=evidence)
    flags = [_flag_text(c) for _, c in outcomes if c is not None and c.flag is not None]
    where = f"cluster {clusters[0] if len(clusters) == 1 else clusters}: " if clusters else ""
    if flags:
        why = f"{where}{Counter(flags).most_common(1)[0][0]}"
    elif any(p.content_hash in calibration.darker for p in pages):
        why = f"{where}this paper is darker than the white paper of this batch: a pale ream of another colour?"
    elif any(p.content_hash in calibration.lighter for p in pages):
        why = (f"{where}this paper is nearer white paper's lightness than its cluster's: white paper on a "
               "tinted ream?")
    elif votes:
        why = "the pages of this questionnaire are on different paper colours"
    else:
        why = "the paper colour matches no calibrated colour of the batch clearly"
    evidence.update(colour=None, colour_reason=why)
    return replace(current, value="", status=Status.REVIEW, confidence=0.0,
                   reason=Reason.COLOUR_BATCH if flags else Reason.COLOUR, evidence=evidence)


def _flag_text(cluster: Cluster) -> str:
    """Why a cluster is flagged, naming the colours an unanchored one could be."""
    if cluster.flag is ClusterFlag.UNANCHORED and cluster.doubts:
        *rest, last = cluster.doubts
        return cluster.flag.value.replace("another colour", f"{', '.join(rest)} or {last}")
    return cluster.flag.value


def _settled_elsewhere(pages: list[PagePaper], outcomes: list[tuple[str | None, Cluster | None]], colour: str,
                       calibration: Calibration, template: Template) -> int:
    """How many of a sheet's unresolved pages its pages under the other light settle as
    `colour`: pages that may be of `colour` (`_may_be`: in a cluster in doubt between
    `colour` and another or an unknown one, or in no cluster and nearest one of `colour`),
    when the sheet's pages under the other light are plainly of `colour` (`_plainly`). A
    sheet is on one paper, so the other light says which of the two it is (a phone
    photo's cast leaves its blue pages between blue and white, while the same sheet's
    scans are plainly in the blue cluster). A sheet under the other light only near a
    colour (12 units off it, towards orange) settles nothing between that colour and
    another; but it does settle a cluster that could be no other colour of the template,
    when all its pages under that light are told `colour` (`_none_other`)."""
    settled = {p.light for p, outcome in zip(pages, outcomes) if _plainly(p, outcome, colour, calibration, template)}
    told = {p.light for p in pages} - {p.light for p, (name, _) in zip(pages, outcomes) if name != colour}
    return sum(name is None and cluster is not None
               and (_may_be(p, cluster, colour) and any(light != p.light for light in settled)
                    or _none_other(cluster, colour) and any(light != p.light for light in told))
               for p, (name, cluster) in zip(pages, outcomes))


def _none_other(cluster: Cluster, colour: str) -> bool:
    """Whether a cluster in doubt (flagged for competing, or between two colours) could be
    `colour` and no other colour of the template: its only alternative is a paper the
    template lacks. A sheet whose pages under the other light all say `colour` then says
    which (fresh seed 1545587754, s0149: a pink sheet on a ream off towards orange, its
    four scans in no cluster, told pink 12 units off it; its three photos in a cluster of
    three such sheets, competing with the pink ream and within reach of pink only: four
    pages of seven pink, the sheet went to review though none of its pages said otherwise)."""
    return cluster.in_doubt == {colour}


def _plainly(page: PagePaper, outcome: tuple[str | None, Cluster | None], colour: str, calibration: Calibration,
             template: Template) -> bool:
    """Whether a page is plainly of `colour`: a member of an unflagged cluster matched to
    it; or, in no cluster and told `colour`, as near it as another ream of it would be
    (`_another_ream`, the light taken away) and told it by lightness from every other
    colour within the unknown-colour limit (`_loose_by_lightness`; scans only). Hue alone
    is not enough: a blue sheet greyed towards white, 4 units from white in a*b* and as
    dark as blue paper, is not plainly white (seed 15547345, s0195); a white sheet 3 units
    from white and 12 L* lighter than the blue cluster is (seed 15547345, s0154)."""
    name, cluster = outcome
    if name != colour:
        return False
    if cluster is not None and page.content_hash in cluster.members:
        # Photographed, another ream's cluster is its colour only by lying near a cluster of
        # it, under a lamp that moves every paper: a pink ream off towards white lay 2 units
        # from such a white cluster (and 6 from white's own) and settled its scans, in doubt
        # between white and pink, as white: two pink sheets read white, `ok` (fresh seed
        # 611847512, s0022 and s0098). Scanned, it is plain (seed 621937120's blue reams).
        return not cluster.flag and (cluster.rival is None or cluster.light != PHOTO)
    refs = _references(template)
    seen = _seen_under(page.lab, calibration.gains.get(page.light, np.ones(3)))
    if not _another_ream(seen, colour, refs):
        return False
    alone = Cluster(0, page.light, page.lab, [page])
    lit = [c for c in calibration.clusters if c.light == page.light]
    return all(_loose_by_lightness(alone, (colour, other), lit, template) == colour
               for other, ref in refs.items() if other != colour and chroma_distance(seen, ref) <= T.COLOUR_MAX_DISTANCE)


def _may_be(page: PagePaper, cluster: Cluster, colour: str) -> bool:
    """Whether an unresolved page, `cluster` its own or the one it is nearest to, may be of
    `colour`: its cluster is in doubt about it, or the page is in no cluster and nearest
    an unflagged cluster of that colour, within the unknown-colour limit but not clearly
    (seed 764588028: a blue sheet's photos greyed between the blue and white clusters)."""
    if colour in cluster.in_doubt:
        return True
    near = chroma_distance(np.array(page.lab[1:]), np.array(cluster.lab[1:])) <= T.COLOUR_MAX_DISTANCE
    return page.content_hash not in cluster.members and cluster.colour == colour and not cluster.flag and near


def _flagged_homes(pages: list[PagePaper], outcomes: list[tuple[str | None, Cluster | None]], colour: str,
                   calibration: Calibration) -> list[Cluster]:
    """The flagged clusters holding pages of a sheet told `colour` all the same, by the
    cluster they are as light as (`_member_outcome`): the evidence names them, as
    `scanner colours` shows them flagged."""
    told = {p.content_hash for p, (name, _) in zip(pages, outcomes) if name == colour}
    return [c for c in calibration.clusters if c.flag and c.members & told]


def _evidence(colour: str, agreeing: list[Cluster], confirmed: list[ClusterDecision], homes: list[Cluster],
              casts: list[FileCast] = ()) -> str:
    if confirmed:
        d = max(confirmed, key=lambda d: d.id)
        return f"batch calibration confirmed by {d.reviewer} at {d.decided_at}"
    if not agreeing:
        taken = f"the light and {_cast_text(casts)} are" if casts else "the light is"
        return f"batch calibration: in no cluster, clearly {colour} once {taken} taken away"
    numbers = sorted({c.number for c in agreeing})
    told = f"batch calibration: cluster {', '.join(map(str, numbers))} matched to {colour}"
    if casts:
        return f"{told}, clearly nearest it once {_cast_text(casts)} is taken off"
    if not homes:
        return told
    home = homes[0]
    return (f"{told}; its scans are in cluster {home.number}, flagged (it {_flag_text(home)}), but as light "
            f"as cluster {home.rival.number}")


def _cast_text(casts: list[FileCast]) -> str:
    """The casts taken off a sheet's pages, named by file, in L* a* b*."""
    return " and ".join(f"the scanner's cast of {Path(c.file).name} ({' '.join(f'{v:+.1f}' for v in c.lab)})"
                        for c in casts)


def _papers(store: Store, template: Template) -> tuple[list[PagePaper], dict[str, list[PagePaper]]]:
    """The survey's colour pages, and by sheet."""
    papers, by_sheet = [], {}
    files = store.page_files()
    for sheet_id, content_hash, paper, transform in store.sheet_papers():
        if paper.rgb is not None:
            page = PagePaper(sheet_id, content_hash, tuple(float(v) for v in lab_of(paper.rgb)),
                             PHOTO if is_photo(transform, template.page_size_mm) else SCAN,
                             files.get(content_hash, ""))
            papers.append(page)
            by_sheet.setdefault(sheet_id, []).append(page)
    return papers, by_sheet


def _decisions(store: Store) -> list[ClusterDecision]:
    return [ClusterDecision(r["id"], r["light"], tuple(json.loads(r["lab"])), r["colour"], r["reviewer"],
                            r["decided_at"]) for r in store.colour_decisions()]


def colour_template(template: Template | Forms) -> Template | None:
    """The template whose paper colours calibrate the survey: the only form's; of several
    forms, the first when they all share its colours and page size (one survey's versions
    printed on the same paper: their sheets are calibrated together); else None (each
    sheet keeps its own reading of its colour)."""
    forms = Forms.of(template)
    first = forms.templates[0]
    if any(t.colours != first.colours or t.page_size_mm != first.page_size_mm for t in forms):
        return None
    return first


def calibrate_survey(store: Store, template: Template) -> Calibration:
    """Calibrate the survey's paper colours and update every colour sheet's programme.

    Sheets with no colour page (greyscale scans) and sheets given `--programme` keep
    their result. Runs in one transaction; review decisions on a programme still override.
    """
    if not template.colours:
        return Calibration([])
    papers, by_sheet = _papers(store, template)
    calibration = calibrate(papers, template, _decisions(store))
    _update_programmes(store, {sheet_id: sheet_programme(by_sheet[sheet_id], calibration, template, current)
                               for sheet_id, current in _colour_sheets(store, by_sheet)})
    return calibration


def leave_uncalibrated(store: Store, template: Template, why: str) -> None:
    """After the survey's calibration failed (`why`): every sheet it would have set keeps
    its programme as it stands (as the sheet read it, or as the last calibration told it),
    to review with the reason. A programme no calibration of the whole survey confirmed is
    no claim to report `ok`."""
    if not template.colours:
        return
    _, by_sheet = _papers(store, template)
    _update_programmes(store, {sheet_id: replace(current, status=Status.REVIEW, reason=Reason.COLOUR,
                                                 evidence=current.evidence | {
                                                     "colour_reason": f"batch calibration failed: {why}"})
                               for sheet_id, current in _colour_sheets(store, by_sheet)})


def _colour_sheets(store: Store, by_sheet: dict[str, list[PagePaper]]) -> list[tuple[str, FieldResult]]:
    """The stored programme results calibration sets: of sheets with a colour page, not
    given `--programme`."""
    return [(sheet_id, current) for sheet_id, current in store.programme_results().items()
            if sheet_id in by_sheet and "given" not in current.evidence]


def _update_programmes(store: Store, updates: dict[str, FieldResult]) -> None:
    store.update_programmes(updates, {sheet_id: r.evidence.get("colour") or "" for sheet_id, r in updates.items()})


def decide_clusters(store: Store, template: Template, assign: dict[int, str], confirm: bool,
                    reviewer: str) -> Calibration:
    """Record a person's word on the survey's clusters and calibrate again.

    `assign` maps a cluster's number (as `calibrate_survey` numbers them now) to a colour
    name; `confirm` confirms every cluster matched and not flagged as it is.

    Raises:
        UsageError: an unknown cluster or colour, a flagged cluster confirmed without an
            assignment, nothing to decide, or no reviewer name.
    """
    reviewer = reviewer.strip()
    if not reviewer:
        raise UsageError("a colour decision needs the reviewer's name: give --reviewer NAME")
    names = {c.name.lower(): c.name for c in template.colours}
    calibration = calibrate_survey(store, template)
    by_number = {c.number: c for c in calibration.clusters}
    chosen: dict[int, str] = {}
    for number, colour in assign.items():
        if number not in by_number:
            raise UsageError(f"there is no cluster {number}: `scanner colours` lists them (1 to {len(by_number)})")
        if colour.lower() not in names:
            raise UsageError(f"{colour!r} is not a colour of form {template.form}; "
                             f"choose one of: {', '.join(c.name for c in template.colours)}")
        chosen[number] = names[colour.lower()]
    if confirm:
        for cluster in calibration.clusters:
            if cluster.number not in chosen and cluster.colour and not cluster.flag and cluster.decision is None:
                chosen[cluster.number] = cluster.colour
    if not chosen:
        raise UsageError("nothing to decide: every cluster is flagged or decided already; "
                         "assign flagged ones with --assign N=COLOUR")
    store.add_colour_decisions([(by_number[n].light, by_number[n].lab, colour, len(by_number[n].pages))
                                for n, colour in sorted(chosen.items())], reviewer)
    return calibrate_survey(store, template)
