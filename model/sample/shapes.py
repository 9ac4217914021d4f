"""Silhouettes of the sample garments, one per fine category, in a 100 x 100 design space
(y points down). A silhouette is a list of parts painted in order, so later parts cover
earlier ones and a "cut" part clears what is under it (a neckline, the hole of a bangle)."""

from __future__ import annotations

from dataclasses import dataclass

# What a part is painted with: the item's fabric, its outline colour ("detail": seams,
# buttons, laces), or a fixed material that does not follow the item's colour.
FABRIC, DETAIL, DARK, SOLE, METAL, CUT = "fabric", "detail", "dark", "sole", "metal", "cut"

Point = tuple[float, float]


@dataclass(frozen=True)
class Part:
    kind: str  # polygon | ellipse | rect | arc | pie | line | dot
    paint: str
    points: tuple[Point, ...]  # polygon/line vertices, or the two corners of a box
    width: float = 0.0  # stroke width of arcs and lines; corner radius of rects
    angles: tuple[float, float] = (0.0, 360.0)  # arcs and pies, degrees clockwise from 3 o'clock


def poly(paint: str, *points: Point) -> Part:
    return Part("polygon", paint, points)


def ellipse(paint: str, x0: float, y0: float, x1: float, y1: float) -> Part:
    return Part("ellipse", paint, ((x0, y0), (x1, y1)))


def rect(paint: str, x0: float, y0: float, x1: float, y1: float, radius: float = 0) -> Part:
    return Part("rect", paint, ((x0, y0), (x1, y1)), radius)


def arc(paint: str, box: tuple[float, float, float, float], start, end, width) -> Part:
    return Part("arc", paint, ((box[0], box[1]), (box[2], box[3])), width, (start, end))


def line(*points: Point, width: float = 1.2, paint: str = DETAIL) -> Part:
    return Part("line", paint, points, width)


def dot(x: float, y: float, r: float = 1.4, paint: str = DETAIL) -> Part:
    return Part("dot", paint, ((x - r, y - r), (x + r, y + r)))


def _mirror(points: list[Point]) -> list[Point]:
    """A symmetric garment from its left half, listed top to bottom."""
    return points + [(100 - x, y) for x, y in reversed(points)]


def _tshirt():
    left = [(44, 12), (35, 15), (18, 27), (24, 39), (32, 34), (32, 88)]
    return [poly(FABRIC, *_mirror(left)), ellipse(CUT, 43, 6, 57, 19)]


def _tank_top():
    left = [(41, 10), (38, 10), (36, 28), (32, 38), (32, 88)]
    return [poly(FABRIC, *_mirror(left)), ellipse(CUT, 41, 6, 59, 26)]


def _sweater():
    left = [(44, 12), (34, 14), (22, 26), (12, 80), (21, 82), (32, 44), (32, 88)]
    hem = [line((33, 82), (67, 82)), line((14, 74), (23, 76)), line((86, 74), (77, 76))]
    return [poly(FABRIC, *_mirror(left)), ellipse(CUT, 42, 5, 58, 18), *hem]


def _blouse():
    left = [(50, 24), (44, 12), (36, 14), (22, 28), (14, 76), (22, 78), (32, 42), (30, 86)]
    return [poly(FABRIC, *_mirror(left)), line((40, 50), (60, 50), width=1.0)]


def _shirt():
    left = [(50, 20), (43, 10), (34, 13), (22, 26), (13, 80), (22, 82), (32, 42), (32, 88)]
    collar = [poly(FABRIC, (43, 9), (50, 20), (40, 20)), poly(FABRIC, (57, 9), (50, 20), (60, 20))]
    placket = [line((50, 20), (50, 88)), *(dot(52.5, y) for y in (30, 44, 58, 72))]
    outline = [line((43, 9), (50, 20), (40, 20)), line((57, 9), (50, 20), (60, 20))]
    return [poly(FABRIC, *_mirror(left)), *collar, *outline, *placket]


def _trousers():
    left = [(30, 8), (26, 92), (42, 92), (50, 32)]
    return [
        poly(FABRIC, *left, (58, 92), (74, 92), (70, 8)),
        line((30, 15), (70, 15)),
        line((50, 15), (50, 30)),
    ]


def _jeans():
    return [
        *_trousers(),
        line((33, 16), (36, 26), (44, 24)),
        line((67, 16), (64, 26), (56, 24)),
        line((36, 90), (35, 60), width=0.8),
        line((64, 90), (65, 60), width=0.8),
    ]


def _skirt():
    return [poly(FABRIC, (36, 16), (64, 16), (80, 82), (20, 82)), line((35, 22), (65, 22))]


def _shorts():
    left = [(30, 22), (26, 64), (46, 66), (50, 42)]
    return [poly(FABRIC, *left, (54, 66), (74, 64), (70, 22)), line((30, 28), (70, 28))]


def _dress():
    left = [(41, 8), (38, 8), (36, 28), (39, 42), (18, 92)]
    return [poly(FABRIC, *_mirror(left)), ellipse(CUT, 41, 4, 59, 22), line((38, 42), (62, 42))]


def _jumpsuit():
    left = [(44, 8), (36, 8), (26, 18), (31, 26), (36, 22), (36, 46), (31, 94), (46, 94), (50, 56)]
    return [
        poly(FABRIC, *_mirror(left)),
        ellipse(CUT, 43, 3, 57, 15),
        line((36, 46), (64, 46), width=2.0),
    ]


def _coat_like(length: float, lapel: float, buttons: tuple[float, ...]):
    left = [(50, 20), (44, 6), (35, 9), (22, 20), (12, length - 12), (21, length - 10), (30, 40)]
    left.append((28, length))
    lapels = [
        line((44, 6), (44, lapel), (50, lapel + 6)),
        line((56, 6), (56, lapel), (50, lapel + 6)),
    ]
    return [
        poly(FABRIC, *_mirror(left)),
        line((50, lapel + 6), (50, length)),
        *lapels,
        *(dot(53, y, 1.6) for y in buttons),
    ]


def _coat():
    return _coat_like(94, 30, (46, 60, 74))


def _jacket():
    return _coat_like(72, 22, (36, 48, 60))


def _blazer():
    return _coat_like(80, 38, (52,))


def _sneakers():
    return [
        poly(
            FABRIC, (10, 64), (14, 50), (36, 46), (52, 34), (68, 32), (72, 44), (88, 54), (92, 64)
        ),
        rect(SOLE, 8, 62, 94, 72, 3),
        line((50, 38), (58, 46)),
        line((55, 36), (63, 44)),
        line((60, 34), (67, 41)),
    ]


def _sandals():
    return [
        rect(SOLE, 6, 70, 94, 80, 4),
        poly(FABRIC, (14, 70), (20, 58), (40, 54), (48, 70)),
        poly(FABRIC, (56, 70), (60, 46), (70, 46), (72, 70)),
        poly(FABRIC, (74, 70), (76, 36), (86, 36), (88, 70)),
        line((60, 50), (86, 42), width=4.0, paint=FABRIC),
    ]


def _boots():
    return [
        poly(FABRIC, (38, 8), (64, 8), (64, 56), (84, 62), (90, 70), (90, 76), (34, 76), (36, 40)),
        rect(DARK, 32, 76, 92, 84, 2),
        line((38, 14), (64, 14)),
    ]


def _heels():
    upper = [(6, 78), (8, 68), (18, 62), (34, 60), (50, 60), (66, 54), (80, 42), (88, 40), (90, 50)]
    heel = [(86, 58), (86, 88), (80, 88), (76, 64)]
    arch = [(60, 70), (40, 78), (20, 82), (8, 82)]
    return [poly(FABRIC, *upper, *heel, *arch), line((34, 60), (50, 66), (66, 58), (80, 44))]


def _backpack():
    return [
        arc(FABRIC, (38, 6, 62, 34), 180, 360, 4),
        rect(FABRIC, 24, 20, 76, 92, 14),
        rect(DETAIL, 34, 56, 66, 84, 6),
        rect(FABRIC, 36, 58, 64, 82, 5),
        line((30, 40), (70, 40)),
    ]


def _tote():
    return [
        arc(FABRIC, (30, 14, 52, 60), 180, 360, 4),
        arc(FABRIC, (48, 14, 70, 60), 180, 360, 4),
        poly(FABRIC, (20, 40), (80, 40), (86, 90), (14, 90)),
    ]


def _shoulder_bag():
    return [
        arc(FABRIC, (22, 2, 78, 86), 180, 360, 3),
        rect(FABRIC, 16, 44, 84, 88, 10),
        line((16, 56), (84, 56)),
        dot(50, 60, 2.4, paint=METAL),
    ]


def _clutch():
    return [
        rect(FABRIC, 12, 36, 88, 74, 5),
        line((12, 38), (50, 58), (88, 38)),
        dot(50, 58, 2.6, paint=METAL),
    ]


def _cap():
    return [
        Part("pie", FABRIC, ((22, 26), (78, 86)), 0, (180, 360)),
        poly(FABRIC, (64, 52), (92, 54), (94, 60), (64, 60)),
        dot(50, 26, 2.4),
        line((50, 28), (50, 56)),
    ]


def _beanie():
    return [
        ellipse(FABRIC, 24, 18, 76, 92),
        rect(CUT, 10, 74, 90, 100),
        rect(FABRIC, 22, 58, 78, 76, 3),
        ellipse(FABRIC, 42, 8, 58, 24),
        line((23, 60), (77, 60)),
    ]


def _sun_hat():
    return [
        ellipse(FABRIC, 4, 48, 96, 76),
        ellipse(FABRIC, 30, 24, 70, 66),
        rect(DARK, 30, 50, 70, 56),
    ]


def _fedora():
    return [
        ellipse(FABRIC, 10, 54, 90, 72),
        poly(FABRIC, (30, 62), (32, 30), (44, 24), (50, 30), (56, 24), (68, 30), (70, 62)),
        rect(DARK, 31, 50, 69, 58),
    ]


def _bandana():
    return [
        poly(FABRIC, (8, 24), (92, 24), (50, 86)),
        line((12, 28), (88, 28), width=0.8),
        line((50, 30), (50, 40), width=0.8),
    ]


def _scarf():
    fringe = [line((x, 92), (x, 97), width=0.8) for x in (38, 42, 46, 50, 58, 62, 66)]
    return [
        arc(FABRIC, (26, 6, 74, 40), 0, 360, 10),
        poly(FABRIC, (38, 30), (54, 30), (52, 92), (36, 92)),
        poly(FABRIC, (50, 32), (64, 32), (68, 90), (56, 92)),
        *fringe,
    ]


def _sunglasses(rounded: bool):
    frames = [(10, 36, 46, 68), (54, 36, 90, 68)]
    parts = [arc(FABRIC, (40, 36, 60, 56), 200, 340, 4)]
    for x0, y0, x1, y1 in frames:
        if rounded:
            parts += [
                ellipse(FABRIC, x0, y0, x1, y1),
                ellipse(DARK, x0 + 6, y0 + 6, x1 - 6, y1 - 6),
            ]
        else:
            parts += [
                rect(FABRIC, x0, y0, x1, y1, 5),
                rect(DARK, x0 + 6, y0 + 6, x1 - 6, y1 - 6, 3),
            ]
    return [
        *parts,
        line((4, 40), (10, 42), width=3.0, paint=FABRIC),
        line((90, 42), (96, 40), width=3.0, paint=FABRIC),
    ]


def _necklace():
    return [
        arc(METAL, (22, -10, 78, 56), 20, 160, 1.6),
        poly(FABRIC, (50, 44), (68, 66), (50, 94), (32, 66)),
        dot(50, 48, 3.0, paint=METAL),
    ]


def _earrings():
    return [
        arc(METAL, (22, 10, 34, 26), 180, 450, 1.4),
        arc(METAL, (66, 10, 78, 26), 180, 450, 1.4),
        ellipse(FABRIC, 16, 30, 40, 76),
        ellipse(FABRIC, 60, 30, 84, 76),
        dot(28, 28, 2.2, paint=METAL),
        dot(72, 28, 2.2, paint=METAL),
    ]


def _bracelet():
    return [ellipse(FABRIC, 14, 24, 86, 80), ellipse(CUT, 28, 36, 72, 68)]


def _watch():
    return [
        rect(FABRIC, 38, 4, 62, 96, 4),
        ellipse(METAL, 28, 30, 72, 74),
        ellipse(SOLE, 33, 35, 67, 69),
        line((50, 52), (50, 40), width=1.4),
        line((50, 52), (59, 56), width=1.4),
    ]


def _belt():
    holes = [dot(x, 50, 1.3) for x in (14, 20, 26)]
    return [
        rect(FABRIC, 4, 42, 78, 58, 2),
        rect(METAL, 76, 36, 96, 64, 3),
        rect(CUT, 81, 41, 91, 59),
        rect(FABRIC, 74, 42, 86, 58),
        *holes,
    ]


SILHOUETTES = {
    "t-shirt": _tshirt(),
    "tank top": _tank_top(),
    "sweater": _sweater(),
    "blouse": _blouse(),
    "shirt": _shirt(),
    "shorts": _shorts(),
    "jeans": _jeans(),
    "skirt": _skirt(),
    "trousers": _trousers(),
    "jumpsuit": _jumpsuit(),
    "dress": _dress(),
    "jacket": _jacket(),
    "coat": _coat(),
    "blazer": _blazer(),
    "sneakers": _sneakers(),
    "sandals": _sandals(),
    "boots": _boots(),
    "heels": _heels(),
    "backpack": _backpack(),
    "tote": _tote(),
    "shoulder bag": _shoulder_bag(),
    "clutch": _clutch(),
    "cap": _cap(),
    "beanie": _beanie(),
    "sun hat": _sun_hat(),
    "fedora": _fedora(),
    "bandana": _bandana(),
    "scarf": _scarf(),
    "round sunglasses": _sunglasses(rounded=True),
    "square sunglasses": _sunglasses(rounded=False),
    "bracelet": _bracelet(),
    "necklace": _necklace(),
    "earrings": _earrings(),
    "watch": _watch(),
    "belt": _belt(),
}
