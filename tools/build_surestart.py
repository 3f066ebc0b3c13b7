"""Lay out the Sure Start questionnaire and write `templates/surestart.yaml`.

The YAML is the single source of truth that `scan` reads; this script only computes its
geometry once (flowing questions down the pages, wrapping text with the renderer's own
styles) so that nobody has to measure boxes by hand. Run it after changing the wording:

    python tools/build_surestart.py > templates/surestart.yaml
"""

from __future__ import annotations

import sys

import yaml

from scanner.render import text_height_mm
from scanner.template import parse_template

PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT = 20.0, 190.0
TOP, BOTTOM = 28.0, 274.0
BOX = 5.0
COMMENT_H = 15.0
FORM_TITLE = "Multi-agency working in Sure Start"

SCALES = {
    "influence3": ["Hinders", "No particular influence", "Facilitates"],
    "agree5": ["Strongly disagree", "Disagree", "Not sure", "Agree", "Strongly agree"],
    "role6": [
        "Sure Start programme team member",
        "Partnership board member (professional)",
        "Partnership board member (parent or community)",
        "Lead Agency (City Council)",
        "Accountable Body (Primary Care Trust)",
        "Other",
    ],
}
COLUMN_W = {"influence3": 24.0, "agree5": 16.0}

COLOURS = [
    ("yellow", [255, 242, 160], "Programme A"),
    ("pink", [250, 205, 222], "Programme B"),
    ("blue", [190, 218, 246], "Programme C"),
    ("green", [200, 236, 196], "Programme D"),
    ("white", [255, 255, 255], "Agency-wide (Lead Agency / Accountable Body)"),
]

INFLUENCE = [
    ("q01", "LA structures and boundaries"),
    ("q02", "Staffing arrangements and time investment of the Sure Start local programme"),
    ("q03", "Individuals' and Sure Start local programme teams' expectations and priorities"),
    ("q04", "The aims and objectives of the Sure Start local programme"),
    ("q05", "Confidentiality and information-sharing strategies between the various agencies involved"),
]

AGREE = [
    ("6", "", [("q06", "There is a need for development of a common language across professional groups working in Sure Start local programmes")]),
    ("7", "In practice, budgets and financial arrangements create a major challenge to Sure Start multi-agency working through:", [
        ("q07a", "Concern about conflicts within or between agencies that provide Sure Start staff"),
        ("q07b", "Concern about general lack of programme funding"),
        ("q07c", "Concern about sustainability of the services and, thus, uncertainty of funding"),
        ("q07d", "Creating more effective use of resources (human and material) by reducing repetition and overlap")]),
    ("8", "Issues around roles and responsibilities adopted by individuals working within Sure Start concern:", [
        ("q08a", "Understanding the roles of others"),
        ("q08b", "Conflicts over areas of responsibility"),
        ("q08c", "The need to go beyond existing roles to work in new ways")]),
    ("9", "The aims of the specific agencies compete with Sure Start local programme aims due to:", [
        ("q09a", "Differences in the target group/s"),
        ("q09b", "Different Government targets"),
        ("q09c", "A focus on preventative work versus crisis intervention")]),
    ("10", "Non-financial resources create challenges concerning:", [
        ("q10a", "The allocation of time"),
        ("q10b", "The provision of staff"),
        ("q10c", "Physical space in which to work together effectively")]),
    ("11", "Poor communication within and between the agencies involved with Sure Start:", [
        ("q11a", "Creates problems between those working at different levels within agencies"),
        ("q11b", "Creates different availability of professionals from different agencies"),
        ("q11c", "Undermines successful multi-agency work through poor communication between different local government departments")]),
    ("12", "The effect of professional and agency culture on Sure Start practice:", [
        ("q12a", "Multi-agency working disrupts existing agency cultures (values and ways of working)"),
        ("q12b", "Specific policy and practice differences hinder shared practice"),
        ("q12c", "Different data management systems which affect information sharing impact upon shared practice")]),
    ("13", "The strategy of the management in the Sure Start local programme/s:", [
        ("q13a", "Multi-agency working is strongly supported and promoted at management level in order to remain credible at delivery level"),
        ("q13b", "Strategy drive is organised carefully in order to carry along the various participants from each agency"),
        ("q13c", "Management strategy encourages like-minded individuals who seek new ways of working in order to meet shared goals and work across existing management structures")]),
    ("14", "Training opportunities for Sure Start team members:", [
        ("q14a", "Additional multi-agency training to meet the extended role of agencies"),
        ("q14b", "Training to enhance knowledge and understanding of other agencies"),
        ("q14c", "Professional 'single-agency' development delivered at the home 'base' of the agency")]),
    ("15", "Commitment and willingness of Sure Start team members to be involved in multi-agency work is sustained by:", [
        ("q15a", "An active desire to engage with other agencies at the management level"),
        ("q15b", "An active desire to engage with other agencies at the delivery level"),
        ("q15c", "A commitment/active desire to engage with other agencies by a 'bottom up' as well as 'top down' management approach")]),
    ("16", "Understanding the roles and responsibilities of others:", [
        ("q16a", "The need for a clear understanding of what is expected so that different agendas are not pursued"),
        ("q16b", "The need to understand the constraints on other agencies so that expectations are realistic"),
        ("q16c", "A need for mutual respect for the professional roles of other agencies and their contribution")]),
    ("17", "Common Sure Start aims and objectives have been achieved by the programme/s through:", [
        ("q17a", "Recognition of the need for common ground and like-minded people"),
        ("q17b", "Recognition of the need for a real purpose to joint working"),
        ("q17c", "A needs-led approach which replaces agency-specific agendas")]),
    ("18", "Communications and information sharing within the Sure Start local programme/s has/have been supported by:", [
        ("q18a", "Opportunities for dialogue/keeping open communication between agencies being achieved"),
        ("q18b", "Personal relationship building (communication skills, listening skills, the capacity for negotiation and compromise)"),
        ("q18c", "Procedures and systems of communications and information dissemination (such as circulating meeting minutes) being in place")]),
    ("19", "Leadership or drive of individual Sure Start Programme Manager/s:", [
        ("q19a", "Show/s clear strategic direction"),
        ("q19b", "Has/have the tenacity to overcome obstacles to progress"),
        ("q19c", "Can bring together the Sure Start team in order to bring about change and overcome obstacles")]),
    ("20", "Involving the right personnel on the Sure Start local programme/s has led to:", [
        ("q20a", "The right personnel from specific agencies being involved"),
        ("q20b", "Personnel at the right level of responsibility to make the necessary decision and activate the right services being involved"),
        ("q20c", "Priority being given to the work of Sure Start by individual agencies")]),
]

INSTRUCTIONS = (
    "This questionnaire asks about your experience of multi-agency working in Sure Start. "
    "It takes about ten minutes. There are no right or wrong answers and your replies are "
    "confidential. Please use a dark pen and put a tick or a cross in one box on each row. "
    "If you change your mind, fill the wrong box in completely and tick the right one. "
    "Please return the questionnaire in the envelope provided."
)


class Flow:
    """Places blocks down the pages, starting a new page when a block does not fit."""

    def __init__(self) -> None:
        self.pages: list[dict] = [{"number": 1, "texts": []}]
        self.y = TOP
        self.items: list[dict] = []
        self.comments: list[dict] = []

    @property
    def page(self) -> int:
        return len(self.pages)

    def need(self, height: float) -> None:
        if self.y + height > BOTTOM:
            self.pages.append({"number": self.page + 1, "texts": []})
            self.y = TOP

    def text(self, text: str, style: str, x: float = LEFT, width: float = RIGHT - LEFT, gap: float = 1.5) -> None:
        self.pages[-1]["texts"].append({"text": text, "at_mm": [x, round(self.y, 2)], "width_mm": width, "style": style})
        self.y += text_height_mm(text, style, width) + gap

    def rule(self) -> None:
        self.pages[-1]["texts"].append({"at_mm": [LEFT, round(self.y, 2)], "width_mm": RIGHT - LEFT, "style": "rule"})

    def comment(self, cid: str, question: str | None, prompt: str, height: float = COMMENT_H) -> None:
        self.y += 4.5
        self.comments.append({"id": cid, "question": question, "prompt": prompt, "page": self.page,
                              "box_mm": [LEFT, round(self.y, 2), RIGHT - LEFT, height]})
        self.y += height + 4.0


def columns(scale: str) -> list[float]:
    """Left edge of each option column of a table row, flush with the right margin."""
    n, w = len(SCALES[scale]), COLUMN_W[scale]
    return [RIGHT - (n - k) * w for k in range(n)]


def header_height(scale: str) -> float:
    return max(text_height_mm(label, "column", COLUMN_W[scale] - 1) for label in SCALES[scale]) + 1.5


def table_header(flow: Flow, scale: str) -> None:
    w = COLUMN_W[scale]
    top = flow.y
    for x, label in zip(columns(scale), SCALES[scale]):
        flow.pages[-1]["texts"].append({"text": label, "at_mm": [x + w / 2, round(top, 2)], "width_mm": w - 1,
                                        "style": "column", "align": "center"})
    flow.y = top + header_height(scale)


def row_height(text: str, scale: str) -> float:
    return max(text_height_mm(text, "body", columns(scale)[0] - LEFT - 3), BOX) + 3.0


def table_row(flow: Flow, iid: str, question: str, label: str, text: str, scale: str) -> None:
    w = COLUMN_W[scale]
    flow.rule()
    top = flow.y + 1.5
    width = columns(scale)[0] - LEFT - 3
    flow.items.append({
        "id": iid, "question": question, "text": text, "scale": scale, "page": flow.page,
        "text_mm": [LEFT, round(top + 0.4, 2), width], "printed_label": label,
        "options": [{"code": code, "box_mm": [round(x + (w - BOX) / 2, 2), round(top - 0.3, 2), BOX, BOX]}
                    for code, x in enumerate(columns(scale), start=1)],
    })
    flow.y += row_height(label, scale)


def about_you(flow: Flow) -> None:
    flow.text(FORM_TITLE, "title", width=145, gap=1.0)
    flow.text("A questionnaire for Sure Start local programme staff and partnership board members", "subtitle", width=145, gap=3)
    flow.text(INSTRUCTIONS, "body", gap=5)
    flow.text("About you", "heading", gap=2)
    flow.text("Your role in the Sure Start programme (tick one)", "stem", gap=2.5)
    top = flow.y
    options = []
    for k in range(6):
        x = LEFT if k < 3 else LEFT + 95
        y = top + (k % 3) * 7.0
        options.append({"code": k + 1, "box_mm": [x, round(y, 2), BOX, BOX]})
    flow.items.append({"id": "role", "text": "Your role in the Sure Start programme", "scale": "role6",
                       "page": flow.page, "label_options": True, "options": options})
    flow.y = top + 3 * 7.0
    flow.comment("role_detail", None, "If possible, please describe your role further")


def influence_block(flow: Flow) -> None:
    flow.y += 2
    flow.text("Part A: What helps and what gets in the way", "heading", gap=2)
    flow.text("Do the following facilitate or hinder multi-agency working?", "stem", gap=2)
    table_header(flow, "influence3")
    for n, (iid, text) in enumerate(INFLUENCE, start=1):
        label = f"{n}. {text}"
        flow.need(row_height(label, "influence3") + COMMENT_H + 9)
        if flow.y == TOP:
            table_header(flow, "influence3")
        table_row(flow, iid, str(n), label, text, "influence3")
        flow.comment(f"q{n:02d}_comment", str(n), "Please comment")


def agree_block(flow: Flow, number: str, stem: str, items: list[tuple[str, str]]) -> None:
    labels = [text if not stem else f"{chr(97 + k)})  {text}" for k, (_, text) in enumerate(items)]
    if not stem:
        labels = [f"{number}. {items[0][1]}"]
    height = (text_height_mm(f"{number}. {stem}", "stem", RIGHT - LEFT) + 1.5 if stem else 0) + header_height("agree5")
    height += sum(row_height(label, "agree5") for label in labels) + COMMENT_H + 11
    flow.need(height)
    if stem:
        flow.text(f"{number}. {stem}", "stem")
    table_header(flow, "agree5")
    for (iid, text), label in zip(items, labels):
        table_row(flow, iid, number, label, text, "agree5")
    flow.comment(f"q{int(number):02d}_comment", number, "Please comment")


def build() -> dict:
    flow = Flow()
    about_you(flow)
    influence_block(flow)
    flow.need(40)
    flow.y += 2
    flow.text("Part B: How far do you agree?", "heading", gap=3)
    for number, stem, items in AGREE:
        agree_block(flow, number, stem, items)
    flow.need(70)
    flow.text("21. Any other comments", "stem", gap=0)
    flow.comment("q21_comment", "21", "Please add anything else you would like to tell us", height=52.0)
    flow.text("Thank you for taking the time to complete this questionnaire.", "body", gap=0)
    for page in flow.pages:
        page["texts"].insert(0, {"text": FORM_TITLE, "at_mm": [LEFT, 11.0], "width_mm": 120, "style": "small"})
        page["texts"].append({"text": f"Page {page['number']} of {len(flow.pages)}", "at_mm": [PAGE_W / 2, 281.5],
                              "width_mm": 60, "style": "small", "align": "center"})
    # Items print their numbered label; the dataset keeps the plain text.
    for item in flow.items:
        label = item.pop("printed_label", None)
        if label is not None:
            item["print_text"] = label
    questions = [{"number": str(n), "stem": "Do the following facilitate or hinder multi-agency working?"} for n in range(1, 6)]
    questions += [{"number": number, "stem": stem} for number, stem, _ in AGREE]
    questions.append({"number": "21", "stem": "Any other comments"})
    return {
        "form": "surestart-multiagency",
        "version": "1",
        "title": FORM_TITLE,
        "page_size_mm": [PAGE_W, PAGE_H],
        "scales": {name: {"options": [{"code": k, "label": label} for k, label in enumerate(labels, start=1)]}
                   for name, labels in SCALES.items()},
        "colours": [{"name": n, "rgb": rgb, "programme": p} for n, rgb, p in COLOURS],
        "pages": flow.pages,
        "questions": questions,
        "items": flow.items,
        "comments": flow.comments,
    }


def main() -> None:
    data = build()
    parse_template(data, "built template")  # fail here, not when a user scans
    sys.stdout.write("# The Sure Start multi-agency questionnaire (../shared/questionnaire.md).\n"
                     "# Geometry computed by tools/build_surestart.py; all positions in mm from the top-left.\n")
    yaml.safe_dump(data, sys.stdout, sort_keys=False, allow_unicode=True, width=110)


if __name__ == "__main__":
    main()
