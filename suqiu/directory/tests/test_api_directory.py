"""The read-only directory API: categories, organisations, grids, point-in-grid, and /me."""

import pytest

from suqiu.api.testing import ApiClient
from suqiu.core.testing import G1_POINT, G3_POINT, G4_POINT, OUTSIDE_POINT


@pytest.fixture
def client(world):
    return ApiClient(world.community_worker)


def test_directory_needs_authentication(world):
    for path in ("/categories", "/organisations", "/grids", "/grids/resolve?lat=1&lon=1", "/me"):
        response = ApiClient().get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "not_authenticated"


def test_categories(world, client):
    world.cat_elderly.is_active = False
    world.cat_elderly.save()
    body = client.get("/categories").json()
    assert [c["code"] for c in body] == ["ROAD", "ROAD.POTHOLE", "HOUSING"]
    pothole = body[1]
    assert pothole["parent_id"] == world.cat_road.pk
    assert pothole["default_organisation_id"] == world.roads.pk
    assert pothole["name_zh"] == "坑洼" and pothole["name_en"] == "Pothole"
    assert pothole["name"] == "坑洼"  # the default language is Chinese
    english = client.get("/categories", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english[1]["name"] == "Pothole"
    everything = client.get("/categories", {"include_inactive": "true"}).json()
    assert "ELDERLY" in [c["code"] for c in everything]


def test_organisations(world, client):
    body = client.get("/organisations").json()
    codes = [o["code"] for o in body]
    assert codes[0] == "D" and {"C1", "HOUSING", "SW", "VOL"} <= set(codes)
    c1 = next(o for o in body if o["code"] == "C1")
    assert c1["kind"] == "community" and c1["parent_id"] == world.s1.pk
    departments = client.get("/organisations", {"kind": "department"}).json()
    assert sorted(o["code"] for o in departments) == ["HOUSING", "ROADS"]
    areas = client.get("/organisations?kind=street&kind=community").json()
    assert sorted(o["code"] for o in areas) == ["C1", "C2", "C3", "S1", "S2"]


def test_organisations_unknown_kind(world, client):
    response = client.get("/organisations", {"kind": "club"})
    assert response.status_code == 422
    assert "community" in response.json()["error"]["fields"]["kind.0"][0]  # lists the choices


def test_grids(world, client):
    body = client.get("/grids").json()
    assert [g["code"] for g in body] == ["G1", "G2", "G3", "G4"]
    g1 = body[0]
    assert g1["community_id"] == world.c1.pk and g1["community_name"] == "一社区"
    assert g1["bbox"] == pytest.approx([114.195, 22.695, 114.205, 22.705])
    assert g1["boundary"] is None
    with_boundary = client.get("/grids", {"community": world.c1.pk, "boundary": "true"}).json()
    assert [g["code"] for g in with_boundary] == ["G1", "G2"]
    assert with_boundary[0]["boundary"]["type"] == "Polygon"


@pytest.mark.parametrize(
    "point,grid,community",
    [(G1_POINT, "G1", "C1"), (G3_POINT, "G3", "C2"), (G4_POINT, "G4", "C3")],
)
def test_resolve_a_point(world, client, point, grid, community):
    response = client.get("/grids/resolve", {"lat": point[0], "lon": point[1]})
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["code"] == grid
    assert body["community_id"] == getattr(world, community.lower()).pk


def test_resolve_outside_every_grid(world, client):
    body = client.get("/grids/resolve", {"lat": OUTSIDE_POINT[0], "lon": OUTSIDE_POINT[1]}).json()
    assert body == {"grid": None, "community_id": None, "community_name": None}


@pytest.mark.parametrize(
    "params,field",
    [
        ({"lat": 91, "lon": 114}, "lat"),
        ({"lat": 22, "lon": 181}, "lon"),
        ({"lat": "north", "lon": 114}, "lat"),
        ({"lat": 22}, "lon"),
        ({"lat": "nan", "lon": 114}, "lat"),
    ],
)
def test_resolve_bad_coordinates(world, client, params, field):
    response = client.get("/grids/resolve", params)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"][field]


def test_me(world):
    body = ApiClient(world.social_worker).get("/me").json()
    assert body["username"] == "socialworker" and body["display_name"] == "社工"
    assert body["roles"] == ["social_worker"]
    assert body["memberships"] == [
        {
            "role": "social_worker",
            "organisation_id": world.sw_agency.pk,
            "organisation_name": "社工站",
            "organisation_kind": "social_work_agency",
        }
    ]
    assert body["is_superuser"] is False


def test_me_for_a_resident_and_the_admin(world):
    resident = ApiClient(world.resident).get("/me").json()
    assert resident["roles"] == ["resident"] and resident["memberships"] == []
    admin = ApiClient(world.admin).get("/me").json()
    assert admin["roles"] == ["admin"] and admin["is_superuser"] is True
