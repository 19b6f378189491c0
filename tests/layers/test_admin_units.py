from datetime import date

import pytest

from layers.admin_units import commune_by_code, commune_containing
from layers.errors import NotFound

TOWNSHIP = (107.62237, 12.44957)  # GeoNames point of Đắk Mil township


def test_point_answers_old_commune_before_the_reform_and_new_one_after(db):
    before = commune_containing(db, *TOWNSHIP, date(2025, 6, 30))
    after = commune_containing(db, *TOWNSHIP, date(2025, 7, 1))
    assert before["properties"]["name"] == "Thị trấn Đắk Mil"
    assert after["properties"]["name"] == "Xã Đức Lập"


def test_every_commune_contains_its_own_interior_point(db):
    for code in ("24664", "24667", "24670", "24673", "24676", "24677", "24678", "24679", "24682", "24685"):
        f = commune_by_code(db, code, date(2024, 1, 1))
        lon, lat = f["properties"]["label_lon"], f["properties"]["label_lat"]
        assert commune_containing(db, lon, lat, date(2024, 1, 1))["properties"]["code"] == code


def test_point_outside_district_is_not_found(db):
    with pytest.raises(NotFound) as exc:
        commune_containing(db, 106.70, 10.77, date(2024, 1, 1))  # Ho Chi Minh City
    assert exc.value.code == "outside_district"


def test_code_reused_after_reform_resolves_by_date(db):
    assert commune_by_code(db, "24664", date(2020, 1, 1))["properties"]["name"] == "Thị trấn Đắk Mil"
    assert commune_by_code(db, "24664", date(2026, 1, 1))["properties"]["name"] == "Xã Đức Lập"
    with pytest.raises(NotFound):
        commune_by_code(db, "24667", date(2026, 1, 1))  # Đắk Lao merged into Thuận An
