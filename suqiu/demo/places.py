"""The demo map: three streets, eight communities and thirty grids around Pingshan, Shenzhen.

The grids tile a 5 × 6 lattice of roughly 500 m blocks centred on (22.7185, 114.2469). The lattice
vertices are jittered (always with the same fixed seed, so the map never changes) and neighbouring
grids share their vertices exactly: every grid is a valid quadrilateral, neighbours touch along a
common edge and never overlap. Communities are groups of adjacent grids, streets groups of
adjacent communities (see ``COMMUNITY_MAP``). Place and road names are written for the demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

CENTRE = (22.7185, 114.2469)  # lat, lon (WGS-84)
ROWS, COLS = 5, 6
CELL_LAT = 0.0045  # about 500 m
CELL_LON = 0.0049  # about 500 m at this latitude
JITTER = 0.17  # fraction of a cell each interior vertex may move; keeps every quad convex
GEOMETRY_SEED = 2023

STREETS = (
    # code, name, English name
    ("PS-BL", "碧岭街道", "Biling Street"),
    ("PS-LT", "龙田街道", "Longtian Street"),
    ("PS-KZ", "坑梓街道", "Kengzi Street"),
)


@dataclass(frozen=True)
class CommunityInfo:
    code: str
    name: str
    name_en: str
    street: str
    places: tuple[str, ...]  # housing estates, villages, markets, parks in the community
    roads: tuple[str, ...]


COMMUNITIES = (
    CommunityInfo(
        "PS-BL-C1",
        "碧岭社区",
        "Biling Community",
        "PS-BL",
        ("碧岭华庭", "碧岭老村", "碧岭市场", "翠岭花园", "碧岭小学", "岭南新苑"),
        ("碧岭路", "深汕路", "金碧路", "碧岭二路"),
    ),
    CommunityInfo(
        "PS-BL-C2",
        "沙湖社区",
        "Shahu Community",
        "PS-BL",
        ("沙湖新村", "沙湖工业区", "湖景苑", "沙湖公园", "沙湖综合市场"),
        ("沙湖路", "深汕路", "碧沙北路", "湖心街"),
    ),
    CommunityInfo(
        "PS-BL-C3",
        "汤坑社区",
        "Tangkeng Community",
        "PS-BL",
        ("汤坑一村", "汤坑工业园", "锦绣山庄", "汤坑菜市场", "汤坑幼儿园"),
        ("汤坑路", "锦绣东路", "金碧路", "汤坑二巷"),
    ),
    CommunityInfo(
        "PS-LT-C1",
        "龙田社区",
        "Longtian Community",
        "PS-LT",
        ("龙田花园", "龙田世居", "龙田市场", "龙兴大厦", "龙田小学", "福龙苑", "龙田新村"),
        ("龙兴北路", "龙田路", "坪山大道", "龙田一街"),
    ),
    CommunityInfo(
        "PS-LT-C2",
        "老坑社区",
        "Laokeng Community",
        "PS-LT",
        ("老坑村", "老坑工业区", "竹林苑", "老坑公园", "松涛雅居"),
        ("老坑路", "龙勤路", "坪山大道", "竹林街"),
    ),
    CommunityInfo(
        "PS-LT-C3",
        "南布社区",
        "Nanbu Community",
        "PS-LT",
        ("南布村", "南布新城", "南布学校", "聚龙花园", "南布农贸市场"),
        ("南布路", "宝山路", "龙勤路", "南布三巷"),
    ),
    CommunityInfo(
        "PS-KZ-C1",
        "坑梓社区",
        "Kengzi Community",
        "PS-KZ",
        ("坑梓老街", "坑梓中心市场", "金沙湾花园", "坑梓社康中心", "梓园小区", "黄氏宗祠广场"),
        ("坑梓中路", "丹梓大道", "人民西路", "秀沙路"),
    ),
    CommunityInfo(
        "PS-KZ-C2",
        "秀新社区",
        "Xiuxin Community",
        "PS-KZ",
        ("秀新村", "秀新工业区", "秀水华府", "秀新公园", "新能源产业园"),
        ("秀新路", "丹梓大道", "东纵路", "秀沙路"),
    ),
)

# Which community each lattice cell belongs to (row 0 is the north edge, column 0 the west).
COMMUNITY_MAP = (
    ("PS-BL-C1", "PS-BL-C1", "PS-LT-C1", "PS-LT-C1", "PS-KZ-C1", "PS-KZ-C1"),
    ("PS-BL-C1", "PS-BL-C2", "PS-LT-C1", "PS-LT-C2", "PS-KZ-C1", "PS-KZ-C1"),
    ("PS-BL-C2", "PS-BL-C2", "PS-LT-C2", "PS-LT-C2", "PS-KZ-C1", "PS-KZ-C2"),
    ("PS-BL-C3", "PS-BL-C3", "PS-LT-C3", "PS-LT-C2", "PS-KZ-C2", "PS-KZ-C2"),
    ("PS-BL-C3", "PS-BL-C3", "PS-LT-C3", "PS-LT-C3", "PS-KZ-C2", "PS-KZ-C2"),
)


@dataclass
class GridInfo:
    code: str
    name: str
    community: str
    # corners as (lat, lon): north-west, north-east, south-east, south-west
    corners: tuple[tuple[float, float], ...]
    geojson: dict = field(default_factory=dict)

    def point(self, u: float, v: float) -> tuple[float, float]:
        """A point inside the quadrilateral: bilinear between the corners, u west→east, v north→south.

        For a convex quadrilateral the bilinear patch stays inside it; callers keep u and v away
        from 0 and 1 so the point is never on a shared edge.
        """
        (nw, ne, se, sw) = self.corners
        lat = (1 - v) * ((1 - u) * nw[0] + u * ne[0]) + v * ((1 - u) * sw[0] + u * se[0])
        lon = (1 - v) * ((1 - u) * nw[1] + u * ne[1]) + v * ((1 - u) * sw[1] + u * se[1])
        return round(lat, 6), round(lon, 6)


def _vertices() -> list[list[tuple[float, float]]]:
    rng = random.Random(GEOMETRY_SEED)
    top = CENTRE[0] + ROWS * CELL_LAT / 2
    left = CENTRE[1] - COLS * CELL_LON / 2
    out = []
    for i in range(ROWS + 1):
        row = []
        for j in range(COLS + 1):
            lat = top - i * CELL_LAT + rng.uniform(-JITTER, JITTER) * CELL_LAT
            lon = left + j * CELL_LON + rng.uniform(-JITTER, JITTER) * CELL_LON
            row.append((round(lat, 6), round(lon, 6)))
        out.append(row)
    return out


def build_grids() -> list[GridInfo]:
    """The thirty grids, numbered within each community in reading order."""
    v = _vertices()
    counters: dict[str, int] = {}
    names = {c.code: c.name for c in COMMUNITIES}
    grids = []
    for r in range(ROWS):
        for c in range(COLS):
            community = COMMUNITY_MAP[r][c]
            counters[community] = counters.get(community, 0) + 1
            n = counters[community]
            nw, ne, se, sw = v[r][c], v[r][c + 1], v[r + 1][c + 1], v[r + 1][c]
            # GeoJSON (RFC 7946): lon/lat order, exterior ring counter-clockwise, closed.
            ring = [[p[1], p[0]] for p in (nw, sw, se, ne, nw)]
            grids.append(
                GridInfo(
                    code=f"{community}-G{n:02d}",
                    name=f"{names[community]}第{n}网格",
                    community=community,
                    corners=(nw, ne, se, sw),
                    geojson={"type": "Polygon", "coordinates": [ring]},
                )
            )
    return grids
