"""Grid boundaries and point-in-grid resolution (WGS-84, GeoJSON order lon/lat)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from suqiu.core.errors import ValidationFailed


def validate_latlon(lat: float | None, lon: float | None) -> None:
    """Both or neither; within WGS-84 ranges."""
    errors: dict[str, list[str]] = {}
    for name, value in (("lat", lat), ("lon", lon)):
        # A string or a bool would otherwise crash the range comparison (or pass as 0/1).
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors[name] = [_("Must be a number.")]
    if errors:
        raise ValidationFailed(_("Invalid coordinates."), code="invalid_coordinates", fields=errors)
    if (lat is None) != (lon is None):
        errors["lat" if lat is None else "lon"] = [_("Latitude and longitude go together.")]
    if lat is not None and not (-90.0 <= lat <= 90.0):
        errors["lat"] = [_("Latitude must be between -90 and 90.")]
    if lon is not None and not (-180.0 <= lon <= 180.0):
        errors["lon"] = [_("Longitude must be between -180 and 180.")]
    if errors:
        raise ValidationFailed(_("Invalid coordinates."), code="invalid_coordinates", fields=errors)


def boundary_geometry(geojson):
    """The geometry a boundary holds: a GeoJSON geometry as it is, a Feature's geometry, or the
    geometry of a FeatureCollection's only feature (what geojson.io and QGIS export for one
    drawn area). Anything else is returned as it is, for ``validate_boundary`` to refuse."""
    if _kind(geojson) == "FeatureCollection":
        features = geojson.get("features")
        if isinstance(features, list) and len(features) == 1:
            geojson = features[0]
    if _kind(geojson) == "Feature" and isinstance(geojson.get("geometry"), dict):
        return geojson["geometry"]
    return geojson


def _kind(geojson) -> str | None:
    return geojson.get("type") if isinstance(geojson, dict) else None


def validate_boundary(geojson) -> dict:
    """The boundary's geometry (see ``boundary_geometry``), checked to be a valid Polygon or
    MultiPolygon; ``ValidationFailed`` (code ``invalid_boundary``) otherwise, with a message for
    the person who pasted it rather than the geometry library's."""
    geometry = boundary_geometry(geojson)
    if _kind(geometry) == "FeatureCollection":
        features = geometry.get("features")
        raise ValidationFailed(
            _("Boundary is not valid GeoJSON."),
            code="invalid_boundary",
            fields={
                "boundary": [
                    _("A feature collection of %(count)s features: a grid needs exactly one area.")
                    % {"count": len(features) if isinstance(features, list) else 0}
                ]
            },
        )
    try:
        geom = shape(geometry)
    except Exception as exc:  # noqa: BLE001 - shapely raises several types for bad input
        raise ValidationFailed(
            _("Boundary is not valid GeoJSON."),
            code="invalid_boundary",
            fields={
                "boundary": [
                    _(
                        'Not a GeoJSON geometry: an object with "type" (Polygon or MultiPolygon)'
                        ' and "coordinates" is needed.'
                    )
                ]
            },
        ) from exc
    if geom.geom_type not in {"Polygon", "MultiPolygon"} or geom.is_empty or not geom.is_valid:
        raise ValidationFailed(
            _("Boundary must be a valid Polygon or MultiPolygon."),
            code="invalid_boundary",
            fields={"boundary": [_("Not a valid polygon.")]},
        )
    return geometry


def boundary_bbox(geojson: dict) -> tuple[float, float, float, float]:
    return shape(geojson).bounds  # (min_lon, min_lat, max_lon, max_lat)


def resolve_grid(lat: float | None, lon: float | None):
    """The innermost grid whose boundary covers the point, or None.

    The grids come from the process's directory snapshot (``directory.snapshot``: a shapely
    STRtree, rebuilt when a grid changes), so intake runs no query for this. A point exactly on
    an edge belongs to the grid (``covers``, not ``contains``: it must not fall through to the
    district). Nested grids: the deepest in the grid tree wins (depth counted in path segments,
    not path length: "/1000/" is shallower than "/1/2/"); on a tie, such as the edge shared by
    two neighbours, the oldest grid (lowest id), so the answer never depends on query order.
    """
    from suqiu.directory import snapshot

    if lat is None or lon is None:
        return None
    data = snapshot.directory.get()
    if data.tree is None:
        return None
    point = Point(lon, lat)
    best, best_rank = None, None
    for index in data.tree.query(point):
        grid = data.grids[int(index)]
        if data.prepared[int(index)].covers(point):
            rank = (grid.path.count("/"), -grid.pk)
            if best_rank is None or rank > best_rank:
                best, best_rank = grid, rank
    return best
