"""Charts of a metrics Report: one layout, drawn as SVG (for the web page) or PNG (`--chart`).

The chart is a few rectangles and labels — per group, a bar for the median of each of the four
durations and a whisker to its p90 — so the SVG is written with the standard library's
ElementTree (which escapes every label) rather than a plotting library: no dependency, no
script, only presentation attributes (the pages' CSP forbids inline styles), and the same
bytes every time. The PNG draws the same shapes with Pillow, imported only when asked for.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from fireline.metrics.compute import DURATIONS, Report
from fireline.metrics.render import DURATION_NAMES, span

COLOURS = {
    "detect": "#4e79a7",
    "acknowledge": "#f28e2b",
    "mitigate": "#59a14f",
    "resolve": "#e15759",
}
WIDTH = 760
LEFT = 150  # room for the group labels
RIGHT = 90  # room for the p90 figures
BAR = 12
GAP = 16
TOP = 46


@dataclass(frozen=True)
class Shape:
    kind: str  # "rect", "line" or "text"
    x: float
    y: float
    w: float = 0.0
    h: float = 0.0
    colour: str = "#222222"
    text: str = ""
    anchor: str = "start"


def layout(
    report: Report, *, title: str = "Response times: median bar, p90 whisker"
) -> list[Shape]:
    """The chart's shapes, top to bottom; the scale runs to the largest p90 of any group."""
    longest = max((s.p90 or 0.0 for g in report.groups for s in g.durations.values()), default=0.0)
    scale = (WIDTH - LEFT - RIGHT) / longest if longest > 0 else 0.0
    shapes = [Shape("text", 10, 20, text=title)]
    for i, name in enumerate(DURATIONS):
        x = 10 + i * 180
        shapes.append(Shape("rect", x, 30, 10, 10, COLOURS[name]))
        shapes.append(Shape("text", x + 14, 39, text=DURATION_NAMES[name]))
    y = float(TOP)
    for group in report.groups:
        shapes.append(
            Shape(
                "text",
                LEFT - 8,
                y + 2 * BAR + 4,
                text=f"{group.key} ({group.incidents})",
                anchor="end",
            )
        )
        for name in DURATIONS:
            value = group.durations[name]
            if value.n:
                width = max(1.0, (value.median or 0.0) * scale)
                shapes.append(Shape("rect", LEFT, y, width, BAR - 2, COLOURS[name]))
                whisker = (value.p90 or 0.0) * scale
                shapes.append(Shape("line", LEFT, y + BAR / 2 - 1, whisker, 0, "#333333"))
                shapes.append(
                    Shape(
                        "text",
                        LEFT + max(width, whisker) + 4,
                        y + BAR - 3,
                        text=f"{span(value.median)} / {span(value.p90)}",
                    )
                )
            y += BAR
        y += GAP
    return shapes


def height(shapes: list[Shape]) -> int:
    return int(max(s.y + s.h for s in shapes) + GAP)


def svg(report: Report) -> str:
    """The chart as an SVG document (text), with a <title> for assistive technology."""
    shapes = layout(report)
    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(WIDTH),
            "height": str(height(shapes)),
            "viewBox": f"0 0 {WIDTH} {height(shapes)}",
            "role": "img",
            "font-family": "sans-serif",
            "font-size": "11",
        },
    )
    ET.SubElement(root, "title").text = shapes[0].text
    for shape in shapes:
        if shape.kind == "rect":
            ET.SubElement(
                root,
                "rect",
                {
                    "x": f"{shape.x:.1f}",
                    "y": f"{shape.y:.1f}",
                    "width": f"{shape.w:.1f}",
                    "height": f"{shape.h:.1f}",
                    "fill": shape.colour,
                },
            )
        elif shape.kind == "line":
            ET.SubElement(
                root,
                "line",
                {
                    "x1": f"{shape.x:.1f}",
                    "y1": f"{shape.y:.1f}",
                    "x2": f"{shape.x + shape.w:.1f}",
                    "y2": f"{shape.y:.1f}",
                    "stroke": shape.colour,
                    "stroke-width": "1",
                },
            )
        else:
            node = ET.SubElement(
                root,
                "text",
                {
                    "x": f"{shape.x:.1f}",
                    "y": f"{shape.y:.1f}",
                    "fill": shape.colour,
                    "text-anchor": shape.anchor,
                },
            )
            node.text = shape.text
    return ET.tostring(root, encoding="unicode")


def png(report: Report) -> bytes:
    """The same chart as PNG bytes (Pillow's built-in font)."""
    from PIL import Image, ImageDraw, ImageFont

    shapes = layout(report)
    image = Image.new("RGB", (WIDTH, height(shapes)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for shape in shapes:
        if shape.kind == "rect":
            draw.rectangle(
                (shape.x, shape.y, shape.x + shape.w, shape.y + shape.h), fill=shape.colour
            )
        elif shape.kind == "line":
            draw.line((shape.x, shape.y, shape.x + shape.w, shape.y), fill=shape.colour)
        else:
            anchor = "rs" if shape.anchor == "end" else "ls"
            draw.text((shape.x, shape.y), shape.text, fill=shape.colour, font=font, anchor=anchor)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
