"""What the review page's transcription and coding views ask of the store.

Transcribing: which words of the OCR text to check (those Tesseract was unsure of, or
found in no dictionary) and the survey's own vocabulary for word completion. Coding: the
comments to code, one comment's card, and the steps of coding and of editing the
codebook, with the checks a request from the page needs. Everything here runs on the
server's store thread; the dataset the coding view reads is built once and again only
after a review decision changed a comment's text (codings are read fresh every time).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, replace
from functools import partial
from typing import Any

from scanner import themes
from scanner.coding import comment_card, comments_to_code
from scanner.dataset import Dataset, build_dataset, with_themes
from scanner.forms import Forms
from scanner.results import Status
from scanner.review.queue import question_key
from scanner.store import Store
from scanner.template import Template
from scanner.thresholds import OCR_OK_CONFIDENCE

VOCABULARY_WORD = re.compile(r"[^\W\d_]{3,}(?:['’][^\W\d_]+)?")
"""Words worth completing: three letters or more (shorter ones are as quick to type)."""
ANY_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
"""Words as they follow one another, for offering the next word: short ones too."""
LIST_TEXT_CHARS = 160
ACTIONS = {"code": themes.code, "uncode": themes.uncode, "quote": themes.choose_quote,
           "unquote": partial(themes.choose_quote, chosen=False)}


class BadRequest(ValueError):
    """A request whose body or query has the wrong shape."""


def unsure_words(text: str, evidence: dict) -> list[int]:
    """The positions (in `text.split()`) of the words to check: read with a confidence
    below OCR_OK_CONFIDENCE, or in no dictionary. A store scanned before word confidences
    were kept marks the unknown words, and the least sure word is not known."""
    words = text.split()
    confidences = evidence.get("word_confidences") or []
    unknown = set(evidence.get("unknown_words") or [])
    sure = len(confidences) == len(words)
    return [k for k, w in enumerate(words)
            if (sure and confidences[k] < OCR_OK_CONFIDENCE) or w.strip(".,;:!?\"'()") in unknown]


def form_words(template: Template) -> list[str]:
    """The words the form itself prints: title, stems, items, prompts, scale labels."""
    texts = [template.title or "", *(q.stem for q in template.questions), *(i.text for i in template.items),
             *(c.prompt or "" for c in template.comments),
             *(o.label for s in template.scales.values() for o in s.options)]
    return [w for t in texts for w in VOCABULARY_WORD.findall(t)]


MAX_PAIRS = 20_000


def vocabulary(templates: Sequence[Template], datasets: Sequence[Dataset]) -> dict[str, list]:
    """The survey's words for completion: the text of its forms and every comment's text
    in force (transcribed, or read with confidence), of each form's dataset.

    Returns:
        `words`, most used first, and `pairs`: [what comes before, word] (`word_contexts`)
        as the comments write them, most frequent first, so that the page can offer the
        next word.
    """
    counts = Counter(w for t in templates for w in form_words(t))
    pairs: Counter = Counter()
    done = [text for ds in datasets
            for text in ds.comments.loc[ds.comments["status"].isin((Status.OK.value, Status.REVIEWED.value)), "text"]]
    for text in done:
        counts.update(VOCABULARY_WORD.findall(text))
        pairs.update(word_contexts(text))
    return {"words": [w for w, _ in counts.most_common()],
            "pairs": [list(p) for p, _ in pairs.most_common(MAX_PAIRS)]}


def word_contexts(text: str) -> list[tuple[str, str]]:
    """(what comes before, word) for each word of `text`, lower case: before is the one
    word before, the two words before, and "" for the first word (as the page looks them up)."""
    words = [w.lower() for w in ANY_WORD.findall(text)]
    out = [("", words[0])] if words else []
    for k in range(1, len(words)):
        out.append((words[k - 1], words[k]))
        if k > 1:
            out.append((f"{words[k - 2]} {words[k - 1]}", words[k]))
    return out


class CommentViews:
    """The datasets behind the coding view, one per form of the survey, kept while no
    review decision changes them."""

    def __init__(self, template: Template | Forms):
        self.forms = Forms.of(template)
        self._datasets: dict[str, Dataset] = {}
        self._stale = True

    def changed(self) -> None:
        """A review decision was saved or undone: a comment's text may be new."""
        self._stale = True

    def _bases(self, store: Store) -> dict[str, Dataset]:
        if self._stale or not self._datasets:
            self._stale = False
            self._datasets = {t.form: build_dataset(store, t) for t in self.forms}
        return self._datasets

    def datasets(self, store: Store) -> dict[str, Dataset]:
        """Each form's dataset with the codebook and codings as the store has them now."""
        coded = themes.comment_codings(store)
        codebook_now = tuple(themes.codebook(store))
        return {form: replace(ds, themes=codebook_now, coded_comments=coded, comments=with_themes(ds.comments, coded))
                for form, ds in self._bases(store).items()}

    def vocabulary(self, store: Store) -> dict[str, list]:
        return vocabulary(list(self.forms), list(self.datasets(store).values()))

    def listing(self, store: Store, params: dict[str, str]) -> list[dict]:
        """The written comments to code, filtered as `comments_to_code` does, form by form;
        `params["form"]` keeps one form's. Of several forms, a question is named by its form
        as the queue names it (`question_key`: two forms may number their questions alike),
        and the question filter takes it so."""
        named = len(self.forms.templates) > 1
        form_asked, question = params.get("form") or None, params.get("question") or None
        if named and question and " · " in question:
            form_of_question, _, question = question.rpartition(" · ")
            if form_asked not in (None, form_of_question):
                return []
            form_asked = form_of_question
        listed = []
        for form, ds in self.datasets(store).items():
            if form_asked is not None and form != form_asked:
                continue
            frame = comments_to_code(ds, question=question,
                                     programme=params.get("programme") or None, role=params.get("role") or None,
                                     text=params.get("text") or None, theme=params.get("theme") or None,
                                     uncoded=params.get("uncoded") == "1", coder=params.get("coder") or None)
            frame = frame[frame["text"] != ""]
            listed += [{"sheet_id": r.sheet_id, "comment": r.comment, "form": form,
                        "question": question_key(form, r.question) if named and r.question else r.question,
                        "programme": r.programme, "role": r.role, "text": r.text[:LIST_TEXT_CHARS],
                        "themes": r.themes, "coder": r.coder} for r in frame.itertuples(index=False)]
        return listed

    def card(self, store: Store, sheet_id: str, item: str, coder: str) -> dict:
        """One comment as the coding view shows it (`scanner.coding.comment_card`), from
        its sheet's form."""
        return comment_card(self._dataset_of(self.datasets(store), sheet_id), store, sheet_id, item, coder)

    @staticmethod
    def _dataset_of(datasets: dict[str, Dataset], sheet_id: str) -> Dataset:
        """The dataset holding `sheet_id` (the first when none does: its card then says no such comment)."""
        return next((ds for ds in datasets.values() if (ds.data["sheet_id"] == sheet_id).any()),
                    next(iter(datasets.values())))


    def apply_coding(self, store: Store, data: dict) -> dict:
        """One step of coding asked by the page: {sheet_id, item, coder, action, theme or memo}.

        Raises:
            BadRequest: a missing or mistyped field, or an unknown action.
            ThemeError: no such theme or written comment, or no coder's name.
        """
        sheet_id, item, coder = _text(data, "sheet_id"), _text(data, "item"), _text(data, "coder")
        if not any(((ds.comments["sheet_id"] == sheet_id) & (ds.comments["comment"] == item)).any()
                   for ds in self._bases(store).values()):
            # The library codes any zone; the page codes only what is written.
            raise themes.ThemeError(f"no written comment {item!r} on sheet {sheet_id!r} in this survey")
        action = _text(data, "action")
        if action == "memo":
            coding = themes.set_memo(store, sheet_id, item, coder, _text(data, "memo"))
        elif action in ACTIONS:
            coding = ACTIONS[action](store, sheet_id, item, _text(data, "theme"), coder)
        else:
            raise BadRequest(f"unknown action {action!r}: code, uncode, memo, quote or unquote")
        return _coding_dict(coding)


def _text(data: dict, name: str, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text")
    return value


def undo_coding(store: Store, data: dict) -> dict:
    """Undo the coder's step named by `id`, or their last one.

    Raises:
        BadRequest: an id that is not a whole number.
        ThemeError: nothing to undo, or someone else's step.
    """
    coding_id = data.get("id")
    if coding_id is not None and (not isinstance(coding_id, int) or isinstance(coding_id, bool)
                                  or not 0 < coding_id < 2**63):
        raise BadRequest("id must be a coding's id or null")
    return _coding_dict(themes.undo(store, _text(data, "coder"), coding_id))


def save_theme(store: Store, data: dict) -> dict:
    """Add a theme, or (with `old_name`) change one: {name, description, parent, keywords}.

    Raises:
        BadRequest: a mistyped field.
        ThemeError: a name empty or taken, an unknown parent, a loop of parents.
    """
    name, description = _text(data, "name"), _text(data, "description", required=False)
    parent = _text(data, "parent", required=False) or None
    keywords = data.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise BadRequest("keywords must be a list of words")
    old = _text(data, "old_name", required=False)
    if old:
        theme = themes.edit_theme(store, old, new_name=name, description=description, parent=parent,
                                  keywords=keywords)
    else:
        theme = themes.add_theme(store, name, description, parent, keywords)
    return theme_dict(theme)


def theme_dict(theme: themes.Theme) -> dict[str, Any]:
    return {"name": theme.name, "description": theme.description, "parent": theme.parent,
            "keywords": list(theme.keywords)}


def _coding_dict(coding: themes.Coding) -> dict[str, Any]:
    out = asdict(coding)
    out["action"] = coding.action.value
    return out
