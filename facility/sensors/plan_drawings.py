"""Uploaded floor drawings, treated as hostile: an SVG is parsed with defusedxml (no DTD, no
entities, no external references), then every element and attribute must be on an allow-list;
anything else refuses the whole file with a message saying what was found. The plan page
re-parses the stored, cleaned text and turns each element whose id is a room code into a link
coloured by the room's live state, like the generated grid."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - building and serialising only; parsing is defusedxml's

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from markupsafe import Markup
from sqlmodel import Session, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.rooms.models import Floor, Room
from facility.sensors.floor_plan import PlanRoom, state_words
from facility.sensors.models import FloorDrawing

MAX_BYTES = 512 * 1024
SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)
# Shapes, text and grouping; no script, foreignObject, image, style, animation or links.
ELEMENTS = frozenset(
    "svg g defs symbol use rect circle ellipse line polyline polygon path text tspan title desc "
    "lineargradient radialgradient stop clippath marker pattern".split()
)
ATTRIBUTES = frozenset(
    "id class x y x1 x2 y1 y2 cx cy r rx ry width height d points transform viewbox "
    "preserveaspectratio fill stroke stroke-width stroke-dasharray stroke-linecap stroke-linejoin "
    "opacity fill-opacity stroke-opacity font-size font-family font-weight text-anchor "
    "dominant-baseline dx dy offset stop-color stop-opacity gradientunits gradienttransform "
    "patternunits clip-path marker-start marker-end marker-mid refx refy markerwidth markerheight "
    "orient href version fill-rule clip-rule".split()
)
URL_VALUE = re.compile(r"url\(\s*(?!#)", re.IGNORECASE)


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag or attribute."""
    if name.startswith("{"):
        space, _sep, local = name[1:].partition("}")
        return space, local
    return "", name


def _check(element: ET.Element) -> None:
    space, tag = _local(element.tag)
    if space != SVG or tag.lower() not in ELEMENTS:
        raise InvalidInput(_("The drawing contains a <{tag}> element, which is not allowed.", tag=tag[:40]))
    for name, value in element.attrib.items():
        attr_space, attr = _local(name)
        if attr.lower().startswith("on"):
            raise InvalidInput(
                _("The drawing contains an event attribute ({name}), which is not allowed.", name=attr[:40])
            )
        if attr_space not in ("", XLINK) or attr.lower() not in ATTRIBUTES:
            raise InvalidInput(_("The drawing contains the attribute {name}, which is not allowed.", name=attr[:40]))
        if attr == "href" and not value.startswith("#"):
            raise InvalidInput(
                _("The drawing links outside itself ({value}); only #id links are allowed.", value=value[:60])
            )
        if URL_VALUE.search(value) or "javascript:" in value.lower():
            raise InvalidInput(_("The drawing refers to something outside itself, which is not allowed."))


def clean_svg(data: bytes) -> str:
    """The drawing as safe SVG text, or InvalidInput (422) naming what was refused."""
    if not data:
        raise InvalidInput(_("Choose an SVG file to upload."))
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The drawing is larger than {n} KB.", n=MAX_BYTES // 1024))
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InvalidInput(_("The drawing declares a DTD or entities, which are not allowed.")) from None
    except ParseError:
        raise InvalidInput(_("The file is not a well-formed SVG drawing.")) from None
    if _local(root.tag) != (SVG, "svg"):
        raise InvalidInput(_("The file is not a well-formed SVG drawing."))
    for element in root.iter():
        _check(element)
    return ET.tostring(root, encoding="unicode")


def save_drawing(session: Session, user: User, floor_id: int, data: bytes) -> FloorDrawing:
    """A manager's drawing for a floor, replacing the previous one (audited)."""
    ensure_role(user, *MANAGING_ROLES)
    if session.get(Floor, floor_id) is None:
        raise NotFound(_("No such floor."))
    svg = clean_svg(data)
    drawing = session.exec(select(FloorDrawing).where(FloorDrawing.floor_id == floor_id)).first()
    before = {"bytes": len(drawing.svg)} if drawing else None
    if drawing is None:
        drawing = FloorDrawing(floor_id=floor_id, svg=svg)
    drawing.svg, drawing.uploaded_at, drawing.uploaded_by = svg, utcnow(), user.id
    session.add(drawing)
    session.flush()
    audit.record(session, user, "floor_drawing.upload", "floor", floor_id, before=before, after={"bytes": len(svg)})
    return drawing


def remove_drawing(session: Session, user: User, floor_id: int) -> None:
    """Back to the generated grid for this floor (audited)."""
    ensure_role(user, *MANAGING_ROLES)
    drawing = session.exec(select(FloorDrawing).where(FloorDrawing.floor_id == floor_id)).first()
    if drawing is None:
        raise NotFound(_("This floor has no uploaded drawing."))
    session.delete(drawing)
    audit.record(session, user, "floor_drawing.remove", "floor", floor_id, before={"bytes": len(drawing.svg)})


def drawings_for(session: Session, floor_ids: list[int]) -> dict[int, str]:
    rows = session.exec(select(FloorDrawing).where(FloorDrawing.floor_id.in_(floor_ids))).all()  # type: ignore[attr-defined]
    return {d.floor_id: d.svg for d in rows}


def coloured_drawing(
    svg: str, rooms: list[tuple[Room, PlanRoom]], *, label: str, english: bool
) -> tuple[Markup, list[Room]]:
    """The stored drawing with each room's element (id = room code) made a link coloured by its
    state; also the floor's rooms the drawing does not show (the table still lists them)."""
    root = fromstring(svg.encode(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    root.set("class", "floor-plan drawing")
    root.set("role", "group")
    root.set("aria-label", label)
    by_code = {room.code: (room, facts) for room, facts in rooms}
    parents = {child: parent for parent in root.iter() for child in parent}
    placed: set[str] = set()
    for element in list(root.iter()):
        code = element.get("id", "")
        if code not in by_code or code in placed or element is root:
            continue
        room, facts = by_code[code]
        placed.add(code)
        name = room.name_en if english else room.name_ko
        words = state_words(facts)
        link = ET.Element(
            f"{{{SVG}}}a",
            {
                "href": f"/sensors/rooms/{room.id}",
                "data-room": code,
                "data-state": facts.state,
                "aria-label": f"{name} ({code}): {words}",
            },
        )
        title = ET.SubElement(link, f"{{{SVG}}}title")
        title.text = f"{name} · {words}"
        element.set("class", f"{element.get('class', '')} plan-room state-{facts.state}".strip())
        parent = parents[element]
        index = list(parent).index(element)
        parent.remove(element)
        link.append(element)
        parent.insert(index, link)
    missing = [room for room, _facts in rooms if room.code not in placed]
    return Markup(ET.tostring(root, encoding="unicode")), missing
