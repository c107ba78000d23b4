"""Coordinates, grid boundaries and which grid a point falls in.

The test world's grids are squares of ±0.005° around their centres (see suqiu/core/testing.py):
G1 spans lon 114.195–114.205 and G2 114.205–114.215 at lat 22.695–22.705, so they share the
edge lon = 114.205.
"""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation

from suqiu.core.errors import ValidationFailed
from suqiu.core.testing import G1_POINT, G2_POINT, G4_POINT, OUTSIDE_POINT, square
from suqiu.directory.geo import boundary_bbox, resolve_grid, validate_boundary, validate_latlon
from suqiu.directory.models import Grid

# --- Coordinates (no database) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "lat,lon",
    [(None, None), (22.7, 114.2), (0, 0), (-90, -180), (90, 180), (90.0, -180.0), (22, 114)],
)
def test_valid_coordinates(lat, lon):
    validate_latlon(lat, lon)


@pytest.mark.parametrize(
    "lat,lon,field",
    [
        (22.7, None, "lon"),
        (None, 114.2, "lat"),
        (90.0001, 114.2, "lat"),
        (-91, 114.2, "lat"),
        (22.7, 180.5, "lon"),
        (22.7, -181, "lon"),
        (math.nan, 114.2, "lat"),
        (22.7, math.inf, "lon"),
        ("22.7", 114.2, "lat"),
        (22.7, "东经114", "lon"),
        (True, 114.2, "lat"),
        ([22.7], 114.2, "lat"),
    ],
)
def test_invalid_coordinates(lat, lon, field):
    with pytest.raises(ValidationFailed) as info:
        validate_latlon(lat, lon)
    assert info.value.code == "invalid_coordinates"
    assert field in info.value.fields


# --- Boundaries (no database) -----------------------------------------------------------------------


def test_valid_boundaries():
    validate_boundary(square(22.7, 114.2))
    validate_boundary(
        {
            "type": "MultiPolygon",
            "coordinates": [square(22.7, 114.2)["coordinates"], square(22.8, 114.3)["coordinates"]],
        }
    )


BAD_BOUNDARIES = {
    "a point": {"type": "Point", "coordinates": [114.2, 22.7]},
    "a line": {"type": "LineString", "coordinates": [[114.2, 22.7], [114.3, 22.8]]},
    "bow tie": {
        "type": "Polygon",
        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
    },
    "too few points": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
    "empty polygon": {"type": "Polygon", "coordinates": []},
    "no type": {"coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    "unknown type": {"type": "Blob", "coordinates": []},
    "coordinates are text": {"type": "Polygon", "coordinates": "0,0 1,0 1,1"},
    "empty object": {},
    "not an object": "POLYGON((0 0, 1 0, 1 1, 0 0))",
    "a list": [[114.2, 22.7]],
    "a feature without geometry": {"type": "Feature", "properties": {}},
    "an empty feature collection": {"type": "FeatureCollection", "features": []},
    "a feature collection of two": {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": square(22.7, 114.2)}] * 2,
    },
}


@pytest.mark.parametrize("name", list(BAD_BOUNDARIES))
def test_invalid_boundaries_are_rejected(name):
    with translation.override("en"), pytest.raises(ValidationFailed) as info:
        validate_boundary(BAD_BOUNDARIES[name])
    assert info.value.code == "invalid_boundary"
    (message,) = info.value.fields["boundary"]
    # Said for the person who pasted it, not the geometry library's words ("'coordinates'").
    assert message.startswith(("Not a GeoJSON geometry", "Not a valid polygon", "A feature")), (
        message
    )


def test_a_feature_or_a_one_feature_collection_is_taken_as_its_geometry():
    area = square(22.7, 114.2)
    feature = {"type": "Feature", "properties": {"name": "一网格"}, "geometry": area}
    assert validate_boundary(area) == area
    assert validate_boundary(feature) == area
    assert validate_boundary({"type": "FeatureCollection", "features": [feature]}) == area
    with pytest.raises(ValidationFailed) as info:
        validate_boundary({"type": "FeatureCollection", "features": [feature, feature]})
    assert "2" in info.value.fields["boundary"][0]


def test_bbox_is_lon_lat_order():
    assert boundary_bbox(square(22.7, 114.2, half=0.01)) == pytest.approx(
        (114.19, 22.69, 114.21, 22.71)
    )


# --- Point in grid ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "point,grid",
    [
        (G1_POINT, "G1"),
        (G2_POINT, "G2"),
        (G4_POINT, "G4"),
        ((22.7049, 114.1951), "G1"),  # just inside a corner
        (OUTSIDE_POINT, None),
        ((22.7, 114.23), None),  # between the grids
        ((None, None), None),
        ((22.7, None), None),
    ],
)
def test_point_in_grid(world, point, grid):
    found = resolve_grid(*point)
    assert (found.code if found else None) == grid


@pytest.mark.django_db
def test_a_point_on_the_outer_edge_belongs_to_the_grid(world):
    # G4 spans lon 114.215–114.225; its east edge is shared with no other grid. The edges are
    # computed exactly as square() computes them, so the points lie on them to the last bit.
    lat, lon = G4_POINT
    east, north = lon + 0.005, lat + 0.005
    assert resolve_grid(lat, east).code == "G4"
    assert resolve_grid(north, lon).code == "G4"
    assert resolve_grid(north, east).code == "G4"  # corner
    assert resolve_grid(lat, east + 1e-9) is None


@pytest.mark.django_db
def test_a_point_on_a_shared_edge_goes_to_the_older_grid_every_time(world):
    shared = G1_POINT[1] + 0.005  # G1's east edge
    assert shared == G2_POINT[1] - 0.005  # ... is G2's west edge
    answers = {resolve_grid(G1_POINT[0], shared).code for _ in range(3)}
    assert answers == {"G1"}  # G1 was created before G2


@pytest.mark.django_db
def test_nested_grids_the_deepest_wins(world):
    child = Grid.objects.create(
        code="G1-A",
        name="网格一A",
        community=world.c1,
        parent=world.g1,
        boundary=square(*G1_POINT, half=0.002),
    )
    grandchild = Grid.objects.create(
        code="G1-A-i",
        name="网格一A甲",
        community=world.c1,
        parent=child,
        boundary=square(*G1_POINT, half=0.001),
    )
    assert resolve_grid(*G1_POINT) == grandchild
    assert resolve_grid(G1_POINT[0] + 0.0015, G1_POINT[1]) == child
    assert resolve_grid(G1_POINT[0] + 0.004, G1_POINT[1]) == world.g1


@pytest.mark.django_db
def test_depth_is_counted_in_levels_not_characters(world):
    """A nested grid with short ids ("/90001/90002/") beats an overlapping top-level grid whose id
    is long ("/1234567890123/"), although the latter's path is the longer string."""
    point = (30.0, 120.0)
    parent = Grid(pk=90001, code="P", name="父", community=world.c1, boundary=square(*point, 0.01))
    parent.save()
    child = Grid(
        pk=90002,
        code="P-C",
        name="子",
        community=world.c1,
        parent=parent,
        boundary=square(*point, 0.005),
    )
    child.save()
    wide = Grid(
        pk=1234567890123, code="W", name="大", community=world.c1, boundary=square(*point, 0.02)
    )
    wide.save()
    assert child.path == "/90001/90002/"
    assert len(wide.path) > len(child.path)
    assert resolve_grid(*point) == child


@pytest.mark.django_db
def test_a_changed_boundary_takes_effect_at_once(world):
    new_centre = (22.9, 114.5)
    assert resolve_grid(*new_centre) is None
    world.g4.boundary = square(*new_centre)
    world.g4.save()
    assert resolve_grid(*new_centre) == world.g4
    assert resolve_grid(*G4_POINT) is None


@pytest.mark.django_db
def test_grids_without_a_boundary_are_never_found(world):
    Grid.objects.create(code="G9", name="无边界", community=world.c1)
    g9 = Grid.objects.get(code="G9")
    assert (g9.min_lat, g9.max_lon) == (None, None)
    assert resolve_grid(*OUTSIDE_POINT) is None


@pytest.mark.django_db
def test_grid_keeps_its_bounding_box(world):
    g1 = Grid.objects.get(code="G1")
    assert (g1.min_lon, g1.min_lat, g1.max_lon, g1.max_lat) == pytest.approx(
        (114.195, 22.695, 114.205, 22.705)
    )


@pytest.mark.django_db
def test_admin_validation_rejects_a_bad_boundary(world):
    """The admin form shows Django's ValidationError on the field; anything else is a 500."""
    grid = Grid(code="BAD", name="坏", community=world.c1, boundary=BAD_BOUNDARIES["bow tie"])
    with pytest.raises(DjangoValidationError) as info:
        grid.full_clean()
    assert "boundary" in info.value.message_dict
    Grid(code="OK", name="好", community=world.c1, boundary=square(22.9, 114.9)).full_clean()


def test_a_grid_given_a_feature_stores_its_geometry(world):
    """What geojson.io exports for one drawn area is a FeatureCollection; the grid keeps the
    polygon, so the resident map and the API serve a geometry, and point-in-grid finds it."""
    area = square(30.0, 120.0)
    exported = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": area}]}
    grid = Grid(code="FC", name="导入", community=world.c1, boundary=exported)
    grid.full_clean()
    grid.save()
    grid.refresh_from_db()
    assert grid.boundary == area
    assert (grid.min_lat, grid.max_lat) == pytest.approx((29.995, 30.005))
    assert resolve_grid(30.0, 120.0) == grid
