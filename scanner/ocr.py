"""OCR engines: Tesseract, and a null engine for `--no-ocr` and for fast tests.

The engine is the one plug point of the comment stage: anything that turns an image of
text lines into words with boxes and confidences can replace Tesseract.
"""

from __future__ import annotations

import logging
import os
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


class NullEngine:
    """Reads nothing: comments are found and cropped but not transcribed."""

    name = "none"

    def read(self, image: np.ndarray) -> list[Word]:
        return []


class TesseractEngine:
    """Tesseract through pytesseract, one process per call (so callers batch zones)."""

    name = "tesseract"

    def __init__(self, language: str = "eng"):
        # Tesseract's OpenMP threads fight the process pool: one thread is ~5x faster here.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        import pytesseract

        self._tess = pytesseract
        self.language = language
        self.version = check_tesseract()

    def read(self, image: np.ndarray) -> list[Word]:
        data = self._tess.image_to_data(image, lang=self.language, config="--psm 4",
                                        output_type=self._tess.Output.DICT)
        words = []
        for k, text in enumerate(data["text"]):
            conf = float(data["conf"][k])
            if text.strip() and conf >= 0:
                words.append(Word(text.strip(), conf / 100.0, int(data["left"][k]), int(data["top"][k]),
                                  int(data["width"][k]), int(data["height"][k])))
        return words


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


WORD_LISTS = ("/usr/share/dict/british-english", "/usr/share/dict/american-english", "/usr/share/dict/words")
"""Debian's word lists (packages wbritish, wamerican): the first one found is used."""


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
        """The words of `text` that are in no dictionary (short words and numbers pass)."""
        out = []
        for token in text.split():
            word = token.strip(".,;:!?()[]\"'-").lower()
            if len(word) <= 2 or not word.replace("'", "").replace("-", "").isalpha():
                continue
            if not any(form in self.words for form in _forms(word)):
                out.append(token)
        return tuple(out)


def _forms(word: str) -> list[str]:
    """A word and the stems a word list may hold instead (plurals, possessives, compounds)."""
    forms = [word, word.removesuffix("'s"), word.removesuffix("s"), word.removesuffix("es")]
    parts = word.split("-")
    return forms + (parts if all(parts) and len(parts) > 1 else [])


def make_engine(enabled: bool) -> OcrEngine:
    return TesseractEngine() if enabled else NullEngine()
