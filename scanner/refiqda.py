"""REFI-QDA files: the codebook (.qdc) and a whole project of coded comments (.qdpx).

REFI-QDA (www.qdasoftware.org, QDA-XML 1.0) is the exchange format of NVivo, ATLAS.ti,
MAXQDA, QualCoder and others. A .qdc file is the codebook alone; a .qdpx file is a zip
holding `project.qde` (the project's XML) and `sources/`, one plain-text file per source.

The project written here holds every written comment as a text source named by its
sheet and comment id, carrying its respondent's attributes (programme, role, question,
sheet id, comment id) as variables, and as cases, one per respondent; the codebook; and
for each coder who coded the comment a selection over the whole comment, with one coding
per theme and the coder's memo as the selection's description. Theme key words, which
REFI-QDA has no place for, are kept in the code's description on a last line
`Key words: a, b`. Reading the project back gives the same themes and codings.

The XML is written with the standard library: pyrefiqda reads and writes these files
through models generated from the schema, but brings xsdata and its pydantic plug-in
along for the few elements used here. The tests validate what is written against the
standard's Project.xsd.
"""

from __future__ import annotations

import uuid
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from scanner import __version__
from scanner.themes import CodebookError, Theme

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = f"scanner {__version__}"
KEYWORDS_LINE = "Key words: "
PROJECT_FILE = "project.qde"
ATTRIBUTES = ("programme", "role", "question", "sheet_id", "comment")
"""The respondent's attributes each comment carries, as REFI-QDA variables."""
GUID_SPACE = uuid.UUID("5b0c1e52-43a4-4b0e-9d53-6d1a5c1f7e21")
"""Namespace of the guids made from names, so that the same survey exports the same guids."""


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(GUID_SPACE, "\x1f".join(parts)))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _description(theme: Theme) -> str:
    lines = [theme.description] if theme.description else []
    if theme.keywords:
        lines.append(KEYWORDS_LINE + ", ".join(theme.keywords))
    return "\n".join(lines)


def _codes(parent: ET.Element, themes: list[Theme], ns: str) -> None:
    children: dict[str | None, list[Theme]] = {}
    for t in themes:
        children.setdefault(t.parent, []).append(t)

    def add(under: ET.Element, theme: Theme) -> None:
        code = ET.SubElement(under, f"{{{ns}}}Code", guid=theme.guid or _guid("theme", theme.name),
                             name=theme.name, isCodable="true")
        text = _description(theme)
        if text:
            ET.SubElement(code, f"{{{ns}}}Description").text = text
        for child in children.get(theme.name, []):
            add(code, child)

    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    for theme in children.get(None, []):
        add(codes, theme)


def codebook_element(themes: list[Theme], ns: str = CODEBOOK_NS) -> ET.Element:
    """The `<CodeBook>` element; in the codebook namespace it is a .qdc file's root.

    Raises:
        CodebookError: the codebook is empty (REFI-QDA requires at least one code).
    """
    if not themes:
        raise CodebookError("the codebook has no themes: add some before exporting it")
    book = ET.Element(f"{{{ns}}}CodeBook", origin=ORIGIN) if ns == CODEBOOK_NS else ET.Element(f"{{{ns}}}CodeBook")
    _codes(book, themes, ns)
    return book


def _write_xml(root: ET.Element, ns: str, target) -> None:
    # The namespace as the default one, as REFI-QDA's own examples write it (ElementTree
    # would otherwise invent a prefix, or need its module-wide prefix registry changed).
    for element in root.iter():
        element.tag = element.tag.removeprefix(f"{{{ns}}}")
    root.set("xmlns", ns)
    ET.indent(root)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def write_qdc(themes: list[Theme], path: str | Path) -> Path:
    """Write the codebook as a REFI-QDA codebook file (.qdc)."""
    path = Path(path)
    _write_xml(codebook_element(themes), CODEBOOK_NS, path)
    return path


def _read_codes(codes: ET.Element | None, ns: str) -> list[Theme]:
    themes: list[Theme] = []

    def walk(element: ET.Element, parent: str | None) -> None:
        for code in element.findall(f"{{{ns}}}Code"):
            text = (code.findtext(f"{{{ns}}}Description") or "").strip()
            lines = text.split("\n")
            keywords: tuple[str, ...] = ()
            if lines and lines[-1].startswith(KEYWORDS_LINE):
                keywords = tuple(w.strip() for w in lines.pop()[len(KEYWORDS_LINE):].split(",") if w.strip())
            name = code.get("name", "").strip()
            themes.append(Theme(name, "\n".join(lines).strip(), parent, keywords, code.get("guid", "")))
            walk(code, name)

    if codes is not None:
        walk(codes, None)
    return themes


def _parse(source: str | Path | bytes, what: str) -> ET.Element:
    try:
        return ET.fromstring(source) if isinstance(source, bytes) else ET.parse(source).getroot()
    except (ET.ParseError, OSError) as exc:
        raise CodebookError(f"{what}: not a readable REFI-QDA file: {exc}") from None


def read_qdc(path: str | Path) -> list[Theme]:
    """The themes of a REFI-QDA codebook file (.qdc); nested codes become parent themes.

    Raises:
        CodebookError: not a REFI-QDA codebook.
    """
    root = _parse(path, str(path))
    if root.tag != f"{{{CODEBOOK_NS}}}CodeBook":
        raise CodebookError(f"{path}: not a REFI-QDA codebook (its root is {root.tag}, not CodeBook)")
    return _read_codes(root.find(f"{{{CODEBOOK_NS}}}Codes"), CODEBOOK_NS)


# --- projects ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectCoding:
    """One theme given to one comment by one coder, as a project holds it."""

    sheet_id: str
    item: str
    theme: str
    coder: str
    coded_at: str


@dataclass(frozen=True)
class Project:
    """What a .qdpx project holds that the survey keeps: themes, codings and memos."""

    themes: list[Theme]
    codings: list[ProjectCoding]
    memos: dict[tuple[str, str, str], str]
    """(sheet id, comment id, coder) -> memo."""
    sources: int


def _p(tag: str) -> str:
    return f"{{{PROJECT_NS}}}{tag}"


def _variable_value(parent: ET.Element, variable_guid: str, value: str) -> None:
    vv = ET.SubElement(parent, _p("VariableValue"))
    ET.SubElement(vv, _p("VariableRef"), targetGUID=variable_guid)
    ET.SubElement(vv, _p("TextValue")).text = value


def project_element(ds, files: dict[str, str]) -> ET.Element:
    """The project of `ds`'s comments as XML; fills `files` with sources/NAME -> text.

    Args:
        ds: a `scanner.dataset.Dataset`.
    """
    form = f"{ds.template.form} {ds.template.version}"
    root = ET.Element(_p("Project"), name=ds.title, origin=ORIGIN, creationDateTime=_now())
    coders = sorted(set(ds.codings["coder"])) if len(ds.codings) else []
    memo_coders = {c for memo in _memos(ds).values() for c in memo}
    everyone = sorted(set(coders) | memo_coders)
    if everyone:
        users = ET.SubElement(root, _p("Users"))
        for name in everyone:
            ET.SubElement(users, _p("User"), guid=_guid("user", name), name=name)
    themes = list(ds.themes)
    if themes:
        root.append(codebook_element(themes, PROJECT_NS))
    variables = ET.SubElement(root, _p("Variables"))
    var_guid = {name: _guid(form, "variable", name) for name in ATTRIBUTES}
    for name in ATTRIBUTES:
        ET.SubElement(variables, _p("Variable"), guid=var_guid[name], name=name, typeOfVariable="Text")
    theme_guid = {t.name: t.guid or _guid("theme", t.name) for t in themes}
    given = _given(ds)
    memos = _memos(ds)
    cases: dict[str, list[str]] = {}
    sources = ET.Element(_p("Sources"))
    for row in ds.comments.itertuples(index=False):
        key = (row.sheet_id, row.comment)
        guid = _guid(form, "source", *key)
        cases.setdefault(row.sheet_id, []).append(guid)
        text = row.text or ""
        files[f"{guid}.txt"] = text
        source = ET.SubElement(sources, _p("TextSource"), guid=guid, name=f"{row.sheet_id} {row.comment}",
                               plainTextPath=f"internal://{guid}.txt")
        prompt = f"Q{row.question} {row.comment}: {row.prompt}" if row.question else f"{row.comment}: {row.prompt}"
        ET.SubElement(source, _p("Description")).text = prompt
        for coder in sorted(set(given.get(key, {})) | set(memos.get(key, {}))):
            selection = ET.SubElement(source, _p("PlainTextSelection"), guid=_guid(form, "selection", *key, coder),
                                      name=f"{row.sheet_id} {row.comment} ({coder})", startPosition="0",
                                      endPosition=str(len(text)), creatingUser=_guid("user", coder))
            if memos.get(key, {}).get(coder):
                ET.SubElement(selection, _p("Description")).text = memos[key][coder]
            for theme, at in given.get(key, {}).get(coder, []):
                coding = ET.SubElement(selection, _p("Coding"), guid=_guid(form, "coding", *key, coder, theme),
                                       creatingUser=_guid("user", coder))
                if at:
                    coding.set("creationDateTime", at)
                ET.SubElement(coding, _p("CodeRef"), targetGUID=theme_guid[theme])
        attributes = {"programme": row.programme, "role": row.role, "question": row.question,
                      "sheet_id": row.sheet_id, "comment": row.comment}
        for name in ATTRIBUTES:
            _variable_value(source, var_guid[name], str(attributes[name] or ""))
    if cases:
        case_list = ET.SubElement(root, _p("Cases"))
        first = ds.comments.drop_duplicates("sheet_id").set_index("sheet_id")
        for sheet_id, refs in cases.items():
            case = ET.SubElement(case_list, _p("Case"), guid=_guid(form, "case", sheet_id), name=sheet_id)
            for name in ("programme", "role", "sheet_id"):
                value = sheet_id if name == "sheet_id" else first.loc[sheet_id, name]
                _variable_value(case, var_guid[name], str(value or ""))
            for ref in refs:
                ET.SubElement(case, _p("SourceRef"), targetGUID=ref)
        root.append(sources)
    return root


def _given(ds) -> dict[tuple[str, str], dict[str, list[tuple[str, str]]]]:
    """(sheet, comment) -> coder -> [(theme, coded_at)], in codebook order."""
    order = {t.name: k for k, t in enumerate(ds.themes)}
    out: dict = {}
    for r in ds.codings.itertuples(index=False):
        out.setdefault((r.sheet_id, r.item), {}).setdefault(r.coder, []).append((r.theme, r.coded_at))
    for coders in out.values():
        for given in coders.values():
            given.sort(key=lambda x: order.get(x[0], len(order)))
    return out


def _memos(ds) -> dict[tuple[str, str], dict[str, str]]:
    return {key: c.memos for key, c in ds.coded_comments.items() if c.memos}


def write_qdpx(ds, path: str | Path) -> Path:
    """Write `ds`'s comments, codebook and codings as a REFI-QDA project (.qdpx)."""
    path = Path(path)
    files: dict[str, str] = {}
    root = project_element(ds, files)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            with z.open(PROJECT_FILE, "w") as f:
                _write_xml(root, PROJECT_NS, f)
            for name, text in files.items():
                z.writestr(f"sources/{name}", text.encode("utf-8"))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_qdpx(path: str | Path) -> Project:
    """The themes, codings and memos of a REFI-QDA project (.qdpx).

    A source is taken for a comment by its `sheet_id` and `comment` variables (as this
    module writes them), else by its name "SHEET COMMENT". Codings on a selection or on the
    whole source count alike; a coding's coder is its creating user, else the selection's.

    Raises:
        CodebookError: not a zip holding project.qde, or not a REFI-QDA project.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read(PROJECT_FILE)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise CodebookError(f"{path}: not a REFI-QDA project (.qdpx) holding {PROJECT_FILE}: {exc}") from None
    root = _parse(xml, str(path))
    if root.tag != _p("Project"):
        raise CodebookError(f"{path}: not a REFI-QDA project (its root is {root.tag})")
    users = {u.get("guid"): u.get("name") or u.get("id") or u.get("guid") for u in root.iter(_p("User"))}
    book = root.find(_p("CodeBook"))
    themes = _read_codes(book.find(_p("Codes")) if book is not None else None, PROJECT_NS)
    theme_of = {t.guid: t.name for t in themes}
    variable_name = {v.get("guid"): v.get("name") for v in root.iter(_p("Variable"))}
    codings: list[ProjectCoding] = []
    memos: dict[tuple[str, str, str], str] = {}
    sources = root.findall(f"{_p('Sources')}/{_p('TextSource')}")
    for source in sources:
        values = {variable_name.get(vv.find(_p("VariableRef")).get("targetGUID")): vv.findtext(_p("TextValue")) or ""
                  for vv in source.findall(_p("VariableValue"))}
        sheet_id, item = values.get("sheet_id"), values.get("comment")
        if not (sheet_id and item):
            sheet_id, _, item = (source.get("name") or "").partition(" ")
        holders = [(source, source.get("creatingUser"))] + [
            (s, s.get("creatingUser")) for s in source.findall(_p("PlainTextSelection"))]
        for holder, holder_user in holders:
            if holder is not source:
                memo = (holder.findtext(_p("Description")) or "").strip()
                if memo and holder_user in users:
                    memos[(sheet_id, item, users[holder_user])] = memo
            for coding in holder.findall(_p("Coding")):
                theme = theme_of.get(coding.find(_p("CodeRef")).get("targetGUID"))
                coder = users.get(coding.get("creatingUser") or holder_user)
                if theme and coder:
                    codings.append(ProjectCoding(sheet_id, item, theme, coder, coding.get("creationDateTime", "")))
    return Project(themes, codings, memos, len(sources))
