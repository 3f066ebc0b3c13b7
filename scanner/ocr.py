"""OCR engines: Tesseract (in-process, or its command as a fallback), and a null engine for
`--no-ocr` and for fast tests.

The engine is the one plug point of the comment stage: anything that turns an image of
text lines into words with boxes and confidences can replace Tesseract.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from scanner.errors import MissingDependencyError

log = logging.getLogger(__name__)

INSTALL_HINT = "install it with: sudo apt-get install tesseract-ocr tesseract-ocr-eng (or run without OCR: --no-ocr)"


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    """0 to 1."""
    x: int
    y: int
    width: int
    height: int


class OcrEngine(Protocol):
    name: str

    def read(self, image: np.ndarray) -> list[Word]:
        """The words in a greyscale image of text on white."""
        ...

    def load(self) -> None:
        """Load the model now rather than on the first read: a pool's parent does, before
        its workers fork, so that they share it."""
        ...


class NullEngine:
    """Reads nothing: comments are found and cropped but not transcribed."""

    name = "none"

    def read(self, image: np.ndarray) -> list[Word]:
        return []

    def load(self) -> None:
        """No model."""


PAGE_SEGMENTATION = 4
"""Tesseract's `--psm 4`: one column of text lines of varying sizes, as stacked zones are.
`--psm 6` (one block) skips the search for blocks, a tenth of a stack's time, and with it
the sorting out of specks: they come back as words after a comment's last, which sends it
to review (seeds 7 and 702273091: 20 comments `ok` -> review, CER higher)."""

VARIABLES = {
    # Tesseract reads every line it is unsure of a second time, inverted, in case it is
    # light text on dark: handwriting always leaves it unsure, and zones come cleaned black
    # on white (`comments._clean`), so that second read only costs time (a fifth of it).
    "tessedit_do_invert": "0",
    # Handwriting and the fonts people print comments in are proportional: without this,
    # every row is tested for a fixed pitch its LSTM reading does not use.
    "textord_all_prop": "1",
}
"""Settings given to Tesseract, by its own variable names."""

COMMAND_CONFIG = " ".join([f"--psm {PAGE_SEGMENTATION}", *(f"-c {k}={v}" for k, v in VARIABLES.items())])
"""The same settings as the `tesseract` command's options."""

TESSDATA_DIRS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata", "/usr/local/share/tessdata")
"""Where Debian (tesseract-ocr-eng) and source installs keep the models, newest first."""


def _one_thread() -> None:
    # Tesseract's OpenMP threads fight the process pool: one thread is ~5x faster here.
    # Read when the library loads, so set before either engine touches it.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class TesseractEngine:
    """Tesseract through pytesseract, one process per call (so callers batch zones).

    The fallback when tesserocr is missing: each call pays ~95 ms of process start."""

    name = "tesseract"

    def __init__(self, language: str = "eng"):
        _one_thread()
        import pytesseract

        self._tess = pytesseract
        self.language = language
        self.version = check_tesseract()

    def read(self, image: np.ndarray) -> list[Word]:
        return words_from_tsv(self._tess.image_to_data(image, lang=self.language,
                                                       config=COMMAND_CONFIG))

    def load(self) -> None:
        """Each call's process loads its own model."""


class InProcessEngine:
    """Tesseract's library inside the process, through tesserocr: asked as the command is
    (page segmentation, words and confidences from the same TSV), without a process start
    per call. The model is loaded on the first read, or before by `load` (a pool's parent,
    which never reads, loads it for the workers it forks to share)."""

    name = "tesserocr"

    def __init__(self, language: str = "eng"):
        _one_thread()
        import tesserocr  # ImportError: the caller falls back to the command

        self._tesserocr = tesserocr
        self.language = language
        self.datapath = tessdata_dir(language)
        self.version = tesserocr.tesseract_version().split()[1]
        self._api = None

    def read(self, image: np.ndarray) -> list[Word]:
        self.load()
        image = np.ascontiguousarray(image, dtype=np.uint8)
        height, width = image.shape
        self._api.SetImageBytes(image.tobytes(), width, height, 1, width)
        return words_from_tsv(self._api.GetTSVText(0))

    def load(self) -> None:
        """Load the model (0.2 CPU s) once. A worker forked after its parent loaded it has
        a copy of its own, shared with the parent's until written: loading runs no
        recognition, so no OpenMP thread is running to be lost in the fork.

        Raises:
            MissingDependencyError: the model cannot be loaded.
        """
        if self._api is not None:
            return
        try:
            self._api = self._tesserocr.PyTessBaseAPI(path=self.datapath, lang=self.language,
                                                      psm=PAGE_SEGMENTATION, variables=VARIABLES)
        except RuntimeError as exc:
            raise MissingDependencyError(f"Tesseract's {self.language} model in {self.datapath} cannot be "
                                         f"loaded ({exc}); {INSTALL_HINT}") from None


def check_tesseract() -> str:
    """Tesseract's version.

    Raises:
        MissingDependencyError: tesseract is not installed, with how to install it.
    """
    if shutil.which("tesseract") is None:
        raise MissingDependencyError(f"tesseract is not installed; {INSTALL_HINT}")
    import pytesseract

    try:
        return str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise MissingDependencyError(f"tesseract cannot run ({exc}); {INSTALL_HINT}") from None


def tessdata_dir(language: str) -> str:
    """The folder holding `language`'s Tesseract model: $TESSDATA_PREFIX when set (as for
    the command), else the first of TESSDATA_DIRS that has it.

    Raises:
        MissingDependencyError: no such model, with how to install it.
    """
    prefix = os.environ.get("TESSDATA_PREFIX")
    patterns = [prefix, os.path.join(prefix, "tessdata")] if prefix else TESSDATA_DIRS
    for pattern in patterns:
        for folder in sorted(glob.glob(pattern), reverse=True):
            if os.path.isfile(os.path.join(folder, f"{language}.traineddata")):
                return folder
    raise MissingDependencyError(f"no Tesseract model for {language!r} in {', '.join(patterns)}; {INSTALL_HINT}")


def words_from_tsv(tsv: str) -> list[Word]:
    """The words of Tesseract's TSV output (both engines give the same), with their boxes;
    rows for blocks and lines (confidence -1) and empty words are left out."""
    words = []
    for line in tsv.splitlines():
        fields = line.split("\t")
        if len(fields) < 12 or not fields[0].isdigit():
            continue  # the header, or a short row
        left, top, width, height, conf = fields[6:11]
        text = fields[11].strip()
        if text and float(conf) >= 0:
            words.append(Word(text, float(conf) / 100.0, int(left), int(top), int(width), int(height)))
    return words


WORD_LISTS = ("/usr/share/dict/british-english", "/usr/share/dict/american-english", "/usr/share/dict/words")
"""Debian's word lists (packages wbritish, wamerican): the first one found is used."""


WRITTEN_SIGNS = {"&", "/", "+", "%", "£", "$", "€", "=", "@", "#", "*"}
"""Signs without a letter that a respondent writes as a word of their own."""
WRITTEN_DASHES = {"-", "--", "–", "—"}
"""A dash a respondent writes between words (a token of nothing but stops and dashes)."""


class Lexicon:
    """The words of a language, to catch transcriptions that read well but spell nonsense
    ("lanauaae"): Tesseract can be confident of a misread letter, a dictionary is not."""

    def __init__(self, words: set[str]):
        self.words = words

    @classmethod
    def system(cls) -> Lexicon | None:
        """The system's word list, or None (with a warning) when there is none."""
        for path in WORD_LISTS:
            try:
                with open(path, encoding="utf-8", errors="ignore") as f:
                    return cls({line.strip().lower() for line in f if line.strip()})
            except OSError:
                continue
        log.warning("no word list found (%s): OCR'd comments are trusted on Tesseract's confidence alone; "
                    "install one with: sudo apt-get install wbritish", WORD_LISTS[0])
        return None

    def unknown(self, text: str) -> tuple[str, ...]:
        """The words of `text` that are in no dictionary (short words, numbers and the signs
        people write between words pass; a token of other symbols, or a sign at either end
        of the text or beside another sign, is a speck, a staple or an edge read as text)."""
        out = []
        tokens = text.split()
        words = [token.strip(".,;:!?()[]\"'-").lower() for token in tokens]
        for i, (token, word) in enumerate(zip(tokens, words)):
            if not _has_letter_or_digit(word):
                # A lone dash or stop at the end is a speck or a stroke of the frame read as one.
                written = word in WRITTEN_SIGNS if word else token in WRITTEN_DASHES
                if not (written and _between_words(words, i)):
                    out.append(token)
                continue
            if _misjoined(word):
                out.append(token)
                continue
            if len(word) <= 2 or not word.replace("'", "").replace("-", "").isalpha():
                continue
            if not any(form in self.words for form in _forms(word)):
                out.append(token)
        return tuple(out)


def _misjoined(word: str) -> bool:
    """Whether a word mixes letters and digits ("t00", not "2nd" or "10am") or holds a stop
    between words ("a.common", not "e.g."): misread letters, or a speck read as a stop
    that joined two words (fresh17 seed 1040599162 s0011 q18_comment, read `ok`)."""
    for part in word.split("-"):  # "covid-19"
        if any(ch.isdigit() for ch in part) and any(ch.isalpha() for ch in part):
            if not re.fullmatch(r"\d+(st|nd|rd|th|s|am|pm)", part):
                return True
    return any(len(part) > 2 and part.isalpha() for part in word.split(".")[1:])


def _has_letter_or_digit(word: str) -> bool:
    return any(ch.isalnum() for ch in word)


def _between_words(words: list[str], i: int) -> bool:
    """Whether the `i`th token has a word with a letter or digit on either side."""
    return 0 < i < len(words) - 1 and _has_letter_or_digit(words[i - 1]) and _has_letter_or_digit(words[i + 1])


def _forms(word: str) -> list[str]:
    """A word and the stems a word list may hold instead (plurals, possessives, compounds)."""
    forms = [word, word.removesuffix("'s"), word.removesuffix("s"), word.removesuffix("es")]
    parts = word.split("-")
    return forms + (parts if all(parts) and len(parts) > 1 else [])


def make_engine(enabled: bool) -> OcrEngine:
    """The OCR engine: Tesseract in-process when tesserocr is installed, else the
    `tesseract` command; the null engine when OCR is off.

    Raises:
        MissingDependencyError: OCR is on and neither can run, with how to install it.
    """
    if not enabled:
        return NullEngine()
    try:
        return InProcessEngine()
    except (ImportError, MissingDependencyError) as exc:
        log.info("Tesseract in-process unavailable (%s): running the tesseract command per page, ~3x slower", exc)
        return TesseractEngine()
