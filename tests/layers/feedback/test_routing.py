import pytest

from layers.errors import Conflict, InvalidInput
from layers.feedback import categories, routing
from layers.feedback.models import RoutingRule
from layers.models import Agency


def _route(db, category, commune="24664", name="Xã Đức Lập"):
    return routing.route(db, categories.get_category(db, category), commune, name)


def test_district_level_categories_go_to_their_department(db):
    r = _route(db, "roads")
    assert r.agency.code == "phong-ktht"
    assert r.rule.code == "default-roads"
    assert "Phòng Kinh tế và Hạ tầng" in r.explanation_vi and "Roads and bridges" in r.explanation_en


def test_commune_level_categories_go_to_the_commune_peoples_committee(db):
    r = _route(db, "street_lighting", "24670", "Xã Đắk Mil")
    assert r.agency.code == "ubnd-24670"
    assert "Xã Đắk Mil" in r.explanation_vi and "UBND" in r.explanation_vi


def test_every_default_category_has_a_route_in_every_commune(db):
    communes = ["24664", "24667", "24670", "24673", "24676", "24677", "24678", "24679", "24682", "24685"]
    for category in categories.list_categories(db):
        for commune in communes:
            assert routing.route(db, category, commune, commune).agency is not None


def test_a_category_and_commune_rule_beats_the_category_rule(db):
    routing.create_rule(db, {"code": "lighting-24664", "category": "street_lighting", "commune_code": "24664",
                             "target": "agency", "agency": "dien-luc", "note_vi": "Hợp đồng với Điện lực"})
    r = _route(db, "street_lighting")
    assert (r.agency.code, r.rule.code) == ("dien-luc", "lighting-24664")
    assert "Hợp đồng với Điện lực" in r.explanation_vi
    assert _route(db, "street_lighting", "24670").agency.code == "ubnd-24670"


def test_an_inactive_rule_is_skipped_and_the_catch_all_answers(db):
    routing.update_rule(db, routing.get_rule(db, "default-education"), {"active": False})
    r = _route(db, "education")
    assert (r.agency.code, r.rule.code) == ("ubnd-huyen", "default-fallback")
    assert "tiếp nhận chung" in r.explanation_vi


def test_a_commune_without_a_committee_falls_through_to_the_next_rule(db):
    r = routing.route(db, categories.get_category(db, "waste"), "99999", "Nowhere")
    assert r.rule.code == "default-fallback"


def test_without_any_matching_rule_routing_is_a_clear_conflict(db):
    db.query(RoutingRule).filter(RoutingRule.category_id.is_(None)).delete()
    routing.update_rule(db, routing.get_rule(db, "default-health"), {"active": False})
    with pytest.raises(Conflict) as err:
        _route(db, "health")
    assert err.value.code == "no_routing_rule"


@pytest.mark.parametrize("values, code", [
    ({"code": "x1", "target": "agency"}, "agency_required"),
    ({"code": "x2", "target": "agency", "agency": "khong-co"}, "unknown_agency"),
    ({"code": "x3", "target": "agency", "agency": "phong-yte", "category": "khong-co"}, "unknown_category"),
    ({"code": "x4", "target": "agency", "agency": "phong-yte", "commune_code": "99999"}, "unknown_commune"),
    ({"code": "x5", "target": "elsewhere"}, "bad_target"),
    ({"code": "Bad Code", "target": "commune_committee"}, "bad_code"),
])
def test_bad_rules_are_refused(db, values, code):
    with pytest.raises(InvalidInput) as err:
        routing.create_rule(db, values)
    assert err.value.code == code


def test_a_commune_committee_rule_drops_any_agency(db):
    rule = routing.create_rule(db, {"code": "cc", "target": "commune_committee", "agency": "phong-yte",
                                    "category": "health", "priority": 5})
    assert rule.agency_id is None
    assert db.query(Agency).filter_by(code="ubnd-24664").one() == _route(db, "health").agency
