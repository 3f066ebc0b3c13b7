"""What the coding view asks: the comments to code, filtered, and themes to suggest for one.

Suggestions are explainable on purpose: a comment and a theme are compared as TF-IDF
word vectors (cosine similarity). A theme's vector is the sum of the comments already
coded with it (each normalised) and of its key words; the words the comment shares with
the theme, heaviest first, are the suggestion's "why". Nothing is applied: a suggestion
is only shown, and a person codes it or not.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from scanner.dataset import Dataset
from scanner.store import Store
from scanner.themes import ThemeError, codebook, comment_codings

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
STOP_WORDS = frozenset("""
a about all also am an and any are as at be been but by can could did do does for from had has
have he her his how i if in into is it its just me more most my no not of on or our out over so
some such than that the their them then there these they this those to too us very was we were
what when where which who will with would you your
""".split())
KEYWORD_WEIGHT = 2.0
"""A key word weighs as much as this many coded comments using the word: the codebook's
author chose it, while a coded comment's words are mostly incidental."""
WHY_WORDS = 4
MIN_SCORE = 0.05
"""Below this similarity a theme is not suggested: one shared common word is no reason."""


def stem(word: str) -> str:
    """A crude English stem, so that "funding", "funded" and "funds" meet: no dictionary,
    and the "why" words stay readable."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def words(text: str) -> list[str]:
    """The stems of `text`'s words, stop words and single letters left out."""
    return [stem(w) for w in WORD.findall(text or "") if len(w) > 1 and w.lower() not in STOP_WORDS]


@dataclass(frozen=True)
class Suggestion:
    """A theme proposed for a comment, and why.

    Attributes:
        score: cosine similarity, 0 to 1.
        words: the shared words that weigh most, heaviest first.
        keywords: which of those are the theme's key words.
        comments: how many comments are coded with the theme (what its vector learnt from).
    """

    theme: str
    score: float
    words: tuple[str, ...]
    keywords: tuple[str, ...]
    comments: int

    @property
    def why(self) -> str:
        """The reason in words, for the page."""
        parts = []
        if self.keywords:
            parts.append("key words " + ", ".join(self.keywords))
        others = [w for w in self.words if w not in self.keywords]
        if others:
            parts.append(f"words of {self.comments} coded comment{'s' if self.comments != 1 else ''}: "
                         + ", ".join(others))
        return "; ".join(parts)


def _normalise(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {w: v / norm for w, v in vector.items()} if norm else {}


def suggest(ds: Dataset, sheet_id: str, item: str, limit: int = 3) -> list[Suggestion]:
    """Themes to propose for comment (`sheet_id`, `item`), best first; those it has are left out.

    Raises:
        ThemeError: no such written comment.
    """
    comments = ds.comments
    _row(ds, sheet_id, item)
    texts = {(r.sheet_id, r.comment): words(r.text) for r in comments.itertuples(index=False)}
    keyword_stems = {t.name: {stem(w) for k in t.keywords for w in (WORD.findall(k) or [k])} for t in ds.themes}
    # Document frequency over the comments and the key words: a word every comment uses tells nothing.
    docs = list(texts.values()) + [list(s) for s in keyword_stems.values() if s]
    df = Counter(w for doc in docs for w in set(doc))
    idf = {w: math.log((1 + len(docs)) / (1 + n)) + 1 for w, n in df.items()}

    def tfidf(doc: list[str]) -> dict[str, float]:
        return _normalise({w: n * idf[w] for w, n in Counter(doc).items()})

    target = tfidf(texts[(sheet_id, item)])
    in_force = ds.codings[ds.codings["in_force"]] if len(ds.codings) else ds.codings
    have = set(in_force[(in_force["sheet_id"] == sheet_id) & (in_force["item"] == item)]["theme"]) \
        if len(in_force) else set()
    out = []
    for theme in ds.themes:
        if theme.name in have:
            continue
        coded = in_force[in_force["theme"] == theme.name] if len(in_force) else in_force
        keys = [k for k in zip(coded["sheet_id"], coded["item"]) if k in texts and k != (sheet_id, item)] \
            if len(coded) else []
        vector: Counter = Counter()
        for key in keys:
            vector.update(tfidf(texts[key]))
        for w in keyword_stems[theme.name]:
            vector[w] += KEYWORD_WEIGHT * idf.get(w, 1.0)
        vector_n = _normalise(dict(vector))
        shared = {w: target[w] * vector_n[w] for w in target if w in vector_n}
        score = sum(shared.values())
        if score < MIN_SCORE:
            continue
        top = tuple(sorted(shared, key=lambda w: -shared[w])[:WHY_WORDS])
        out.append(Suggestion(theme.name, round(score, 3), top,
                              tuple(w for w in top if w in keyword_stems[theme.name]), len(keys)))
    return sorted(out, key=lambda s: -s.score)[:limit]


def _row(ds: Dataset, sheet_id: str, item: str) -> pd.Series:
    comments = ds.comments
    row = comments[(comments["sheet_id"] == sheet_id) & (comments["comment"] == item)]
    if row.empty:
        raise ThemeError(f"no written comment {item!r} on sheet {sheet_id!r} in this survey")
    return row.iloc[0]


def comment_card(ds: Dataset, store: Store, sheet_id: str, item: str, coder: str, suggestions: int = 3) -> dict:
    """One comment as the coding view shows it, as JSON-ready data.

    The comment (text, status, crop, question, stem, prompt, programme, role), the codebook
    in order (the view numbers it for its keys) with, for each theme, whether `coder` gave
    it and whether it is in force, `coder`'s memo, who else coded the comment, and the
    suggestions with why. Codings are read from the store, so the card is current even
    when `ds` was built before the last keystroke; the comment itself comes from `ds`.

    Raises:
        ThemeError: no such written comment.
    """
    row = _row(ds, sheet_id, item)
    coded = comment_codings(store).get((sheet_id, item))
    mine = set(coded.by_coder.get(coder, ())) if coded else set()
    in_force = set(coded.themes) if coded else set()
    return {
        "sheet_id": sheet_id, "comment": item, "question": row["question"], "stem": row["stem"],
        "prompt": row["prompt"], "programme": row["programme"], "role": row["role"], "text": row["text"],
        "status": row["status"], "crop": row["crop"],
        "themes": [{"name": t.name, "description": t.description, "parent": t.parent, "mine": t.name in mine,
                    "in_force": t.name in in_force, "quote": bool(coded) and t.name in coded.quotes}
                   for t in codebook(store)],
        "memo": coded.memos.get(coder, "") if coded else "",
        "coded_by": sorted(coded.by_coder) if coded else [],
        "coder_in_force": coded.coder if coded else "",
        "suggestions": [{"theme": s.theme, "score": s.score, "words": list(s.words), "why": s.why}
                        for s in suggest(ds, sheet_id, item, suggestions)],
    }


def comments_to_code(ds: Dataset, *, question: str | None = None, programme: str | None = None,
                     role: str | None = None, text: str | None = None, theme: str | None = None,
                     uncoded: bool = False, coder: str | None = None) -> pd.DataFrame:
    """The written comments, filtered, in question order: what the coding view lists.

    Args:
        question: the question number (a comment zone's id works too).
        programme, role: as labelled in the dataset.
        text: words the comment contains (any case).
        theme: only comments with this theme in force.
        uncoded: only comments nobody coded yet (with `coder`: that coder has not).
        coder: with `uncoded`, whose coding counts.

    Returns:
        `ds.comments`' rows (sheet_id, programme, role, question, comment, text, themes, coder, memo, ...).
    """
    frame = ds.comments
    keep = pd.Series(True, index=frame.index)
    if question:
        q = question[1:] if question[:1] in "qQ" and question[1:].isdigit() else question
        keep &= (frame["question"].str.lstrip("0") == q.lstrip("0")) | (frame["comment"] == question)
    if programme:
        keep &= frame["programme"] == programme
    if role:
        keep &= frame["role"] == role
    if text:
        keep &= frame["text"].str.contains(text, case=False, regex=False)
    if theme:
        keep &= frame["themes"].map(lambda t: theme in t.split("; "))
    if uncoded:
        if coder:
            done = {k for k, c in ds.coded_comments.items() if coder in c.by_coder}
            keep &= pd.Series([k not in done for k in zip(frame["sheet_id"], frame["comment"])], index=frame.index,
                              dtype=bool)
        else:
            keep &= frame["coder"] == ""
    return frame[keep].reset_index(drop=True)
