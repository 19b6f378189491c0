"""Open311 in the layer: status mapping, documents, query window, creation through submit()."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from layers.errors import Forbidden, InvalidInput, NotFound
from layers.feedback import categories
from layers.feedback.media import MediaStore
from layers.feedback.models import Category, Report
from layers.feedback.views import HIDDEN_VI
from layers.models import Agency
from layers.open311 import documents, services
from layers.open311 import requests as o311
from layers.open311.models import Open311Request
from tests.layers.feedback.helpers import NOW, OUTSIDE, TOWN, submit
from tests.layers.open311_data import (
    SECRET_ACCOUNT,
    SECRET_DEVICE,
    SECRET_EMAIL,
    SECRET_PHONE,
    form,
    new_key,
    parse_xml,
    private_form,
    set_state,
)

BASE = "http://example.test"


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


def _create(db, media, key, **kw):
    return o311.create(db, o311.RequestForm(**form(**kw)), api_key=key, media=media, now=NOW)


def count(db):
    return db.scalar(select(func.count()).select_from(Report))


# ---- status mapping ------------------------------------------------------------------


@pytest.mark.parametrize("values, status, first_word", [
    ({"status": "received"}, "open", "received"),
    ({"status": "assigned"}, "open", "assigned"),
    ({"status": "in_progress"}, "open", "in_progress"),
    ({"status": "resolved", "resolved_at": NOW}, "closed", "resolved"),
    ({"status": "closed", "closure": "confirmed", "resolved_at": NOW, "closed_at": NOW}, "closed", "closed"),
    ({"status": "closed", "closure": "resolved_unconfirmed", "resolved_at": NOW, "closed_at": NOW},
     "closed", "resolved_unconfirmed"),
    ({"status": "rejected", "reject_reason": "not_in_competence", "closed_at": NOW}, "closed", "rejected"),
])
def test_status_is_open_or_closed_and_the_finer_status_leads_the_notes(db, media, values, status, first_word):
    report = set_state(db, submit(db, media).report, **values)
    doc = o311.document(report, BASE)
    assert doc["status"] == status
    assert doc["status_notes"].split(":")[0] == first_word


def test_a_duplicate_is_closed_and_names_the_original(db, media):
    original = submit(db, media).report
    dup = set_state(db, submit(db, media).report, status="duplicate", duplicate_of_id=original.id,
                    closed_at=NOW)
    doc = o311.document(dup, BASE)
    assert doc["status"] == "closed"
    assert doc["status_notes"].startswith("duplicate:") and original.code in doc["status_notes"]


def test_a_disputed_report_is_open_again_and_says_so(db, media):
    report = set_state(db, submit(db, media).report, status="in_progress", escalated=True, dispute_count=1)
    doc = o311.document(report, BASE)
    assert doc["status"] == "open" and "escalated" in doc["status_notes"]


def test_the_document_uses_the_public_fields(db, media):
    report = submit(db, media, address="Thôn 3, gần chợ").report
    doc = o311.document(report, BASE)
    assert doc["service_request_id"] == report.code
    assert doc["service_code"] == "roads" and doc["service_name"] == "Đường giao thông, cầu cống"
    assert doc["agency_responsible"] == report.agency.name_vi
    assert doc["requested_datetime"] == "2026-03-10T10:00:00+07:00"
    assert doc["expected_datetime"] == report.due_at.astimezone(o311.VN_TZ).isoformat(timespec="seconds")
    assert doc["address"] == f"Thôn 3, gần chợ, {report.commune_name}"
    assert (doc["long"], doc["lat"]) == TOWN
    assert doc["description"] == f"{report.title}\n{report.description}"
    assert "10 ngày làm việc" in doc["service_notice"]
    assert doc["media_url"] is None


def test_hidden_text_is_replaced_and_hidden_photos_are_not_linked(db, media):
    from tests.layers.feedback.helpers import image_bytes

    report = submit(db, media, uploads=[image_bytes(), image_bytes("PNG")], address="Nhà ông A").report
    first, second = report.photos
    assert o311.document(report, BASE)["media_url"] == f"{BASE}/api/v1/reports/{report.code}/photos/{first.id}"
    first.hidden = True
    report = set_state(db, report, text_hidden=True)
    doc = o311.document(report, BASE)
    assert doc["description"] == HIDDEN_VI
    assert "Nhà ông A" not in doc["address"]
    assert doc["media_url"].endswith(f"/photos/{second.id}")


# ---- services --------------------------------------------------------------------------


def test_services_list_active_categories_with_their_handling_agency(db):
    listed = {s["service_code"]: s for s in services.service_list(db)}
    assert listed["roads"]["metadata"] is True and listed["waste"]["metadata"] is False
    ktht = db.scalar(select(Agency.name_vi).where(Agency.code == "phong-ktht"))
    assert listed["roads"]["group"] == ktht
    assert listed["waste"]["group"] == services.COMMUNE_GROUP
    assert all(s["type"] == "realtime" for s in listed.values())
    db.execute(Category.__table__.update().where(Category.code == "waste").values(active=False))
    assert "waste" not in {s["service_code"] for s in services.service_list(db)}
    with pytest.raises(NotFound):
        services.definition(db, "waste")


def test_extra_questions_become_attribute_definitions(db):
    categories.create_category(db, {
        "code": "test_multi", "name_vi": "Thử", "name_en": "Test", "icon": "x", "deadline_days": 5,
        "extra_questions": [
            {"code": "count", "datatype": "number", "required": True, "label_vi": "Số", "label_en": "Count"},
            {"code": "kinds", "datatype": "multivaluelist", "label_vi": "Loại", "label_en": "Kinds",
             "values": [{"key": "a", "name_vi": "Loại A"}, {"key": "b", "name_vi": "Loại B"}]},
        ]})
    definition = services.definition(db, "test_multi")
    first, second = definition["attributes"]
    assert first == {"variable": True, "code": "count", "datatype": "number", "required": True,
                     "datatype_description": services.DATATYPE_HINTS["number"], "order": 1,
                     "description": "Số / Count"}
    assert second["order"] == 2 and second["values"] == [{"key": "a", "name": "Loại A"},
                                                         {"key": "b", "name": "Loại B"}]


# ---- creating --------------------------------------------------------------------------


def test_creation_goes_through_routing_and_deadline_and_keeps_contact_private(db, media):
    key = new_key(db)
    created = o311.create(db, o311.RequestForm(**private_form(media_url="https://example.org/a.jpg",
                                                              address_string="Trước chợ")),
                          api_key=key, media=media, now=NOW)
    report = created.report
    assert created.created and report.source == "open311" and report.status == "received"
    web = submit(db, media, ip="198.51.100.9").report  # the same report through the web path
    assert (report.agency_id, report.routing_rule_id, report.routing_explanation_vi) == (
        web.agency_id, web.routing_rule_id, web.routing_explanation_vi)
    assert report.agency.code == "phong-ktht"
    assert report.due_at > NOW and report.deadline_days == 10
    assert (report.reporter_email, report.reporter_phone) == (SECRET_EMAIL, SECRET_PHONE)
    assert report.share_contact is False and report.reporter_ip_hash is None
    assert report.address == "Trước chợ"
    assert report.title == "Ổ gà lớn trước chợ Đắk Mil, sâu khoảng 20 cm, xe máy dễ ngã."
    extra = db.get(Open311Request, report.id)
    assert (extra.device_id, extra.account_id, extra.media_url) == (
        SECRET_DEVICE, SECRET_ACCOUNT, "https://example.org/a.jpg")
    assert o311.created_document(created)["account_id"] == SECRET_ACCOUNT
    doc = o311.document(report, BASE, extra)
    assert doc["media_url"] == "https://example.org/a.jpg"
    assert not {SECRET_EMAIL, SECRET_PHONE, SECRET_DEVICE, SECRET_ACCOUNT} & {str(v) for v in doc.values()}


def test_a_long_description_gives_a_title_cut_at_a_word(db, media):
    category = db.scalar(select(Category).where(Category.code == "roads"))
    long = "Đường " + "rất " * 40 + "hỏng"
    title = o311.title_from(long, category)
    assert title.endswith("…") and len(title) <= o311.TITLE_CHARS + 1 and not title[:-1].endswith(" ")
    assert o311.title_from("Ổ", category) == category.name_vi
    assert o311.title_from("Dòng một\nDòng hai", category) == "Dòng một"


@pytest.mark.parametrize("secret", [None, "", "dmk_wrong-key-123456"])
def test_without_a_valid_key_nothing_is_stored(db, media, secret):
    before = count(db)
    with pytest.raises(Forbidden):
        _create(db, media, secret)
    assert count(db) == before


def test_a_revoked_key_is_refused(db, media):
    from layers import apikeys

    key = new_key(db, "se-bi-thu-hoi")
    apikeys.revoke_key(db, "se-bi-thu-hoi")
    with pytest.raises(Forbidden) as err:
        _create(db, media, key)
    assert err.value.code == "api_key_invalid"


@pytest.mark.parametrize("kw, code", [
    ({"lat": "", "long": "", "address_string": "Chợ Đắk Mil"}, "lat_long_required"),
    ({"lat": "", "long": ""}, "lat_long_required"),
    ({"long": ""}, "lat_long_required"),
    ({"lat": "abc"}, "bad_coordinates"),
    ({"lat": "nan"}, "bad_coordinates"),
    ({"lat": str(OUTSIDE[1]), "long": str(OUTSIDE[0])}, "outside_district"),
    ({"description": "  "}, "missing_field"),
    ({"service_code": ""}, "service_code_required"),
    ({"media_url": "javascript:alert(1)"}, "bad_media_url"),
    ({"email": "khong-phai-email"}, "bad_email"),
    ({"description": "x" * 5001}, "text_length"),
])
def test_bad_requests_are_refused_and_nothing_is_stored(db, media, kw, code):
    key = new_key(db)
    before = count(db)
    with pytest.raises(InvalidInput) as err:
        _create(db, media, key, **kw)
    assert err.value.code == code
    assert count(db) == before


def test_an_unknown_service_code_is_not_found(db, media):
    with pytest.raises(NotFound) as err:
        _create(db, media, new_key(db), service_code="khong-co")
    assert err.value.code == "service_not_found"


def test_attributes_are_typed_from_the_definition(db, media):
    categories.create_category(db, {
        "code": "test_attrs", "name_vi": "Thử", "name_en": "Test", "icon": "x", "deadline_days": 5,
        "extra_questions": [
            {"code": "count", "datatype": "number", "required": True, "label_vi": "Số", "label_en": "Count"},
            {"code": "kinds", "datatype": "multivaluelist", "label_vi": "Loại", "label_en": "Kinds",
             "values": [{"key": "a"}, {"key": "b"}]},
        ]})
    key = new_key(db)
    made = o311.create(db, o311.RequestForm(**form(service_code="test_attrs"),
                                            attributes={"count": ["3"], "kinds": ["a", "b"]}),
                       api_key=key, media=media, now=NOW)
    assert made.report.answers == {"count": 3, "kinds": ["a", "b"]}
    for attributes, code in [({"kinds": ["a"]}, "missing_answer"), ({"count": ["ba"]}, "bad_answer"),
                             ({"count": ["1", "2"]}, "bad_answer"), ({"count": ["1"], "x": ["1"]},
                                                                     "unknown_answer"),
                             ({"count": ["1"], "kinds": ["c"]}, "bad_answer")]:
        with pytest.raises(InvalidInput) as err:
            o311.create(db, o311.RequestForm(**form(service_code="test_attrs"), attributes=attributes),
                        api_key=key, media=media, now=NOW)
        assert err.value.code == code, attributes


def test_an_idempotent_retry_returns_the_same_request_and_keys_are_per_client(db, media):
    first_key, other_key = new_key(db, "client-a"), new_key(db, "client-b")
    one = o311.create(db, o311.RequestForm(**form()), api_key=first_key, media=media,
                      idempotency_key="retry-123456", now=NOW)
    again = o311.create(db, o311.RequestForm(**form()), api_key=first_key, media=media,
                        idempotency_key="retry-123456", now=NOW)
    other = o311.create(db, o311.RequestForm(**form()), api_key=other_key, media=media,
                        idempotency_key="retry-123456", now=NOW)
    assert again.report.id == one.report.id and not again.created
    assert other.created and other.report.id != one.report.id


# ---- querying --------------------------------------------------------------------------


def test_the_default_window_is_the_last_90_days(db, media):
    recent = submit(db, media, now=NOW - timedelta(days=10)).report
    old = submit(db, media, now=NOW - timedelta(days=100)).report
    codes = [d["service_request_id"] for d in o311.query(db, o311.Query(), BASE, now=NOW)]
    assert recent.code in codes and old.code not in codes
    wide = o311.Query(start_date=(NOW - timedelta(days=120)).isoformat())
    assert old.code in [d["service_request_id"] for d in o311.query(db, wide, BASE, now=NOW)]


def test_dates_without_offset_are_vietnam_time_and_dates_alone_are_midnight():
    assert o311.parse_datetime("2026-03-10", "x") == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    assert o311.parse_datetime("2026-03-10T00:00:00Z", "x") == datetime(2026, 3, 10, tzinfo=UTC)
    start, end = o311.window(o311.Query(end_date="2026-03-10T00:00:00Z"), NOW)
    assert end - start == timedelta(days=90)
    with pytest.raises(InvalidInput):
        o311.window(o311.Query(start_date="2026-03-10", end_date="2026-03-01"), NOW)
    with pytest.raises(InvalidInput):
        o311.parse_datetime("10/03/2026", "start_date")


def test_query_filters_by_status_code_and_ids(db, media):
    open_ = submit(db, media).report
    done = set_state(db, submit(db, media, category="waste").report, status="resolved", resolved_at=NOW)
    def codes(**kw):
        return [d["service_request_id"] for d in o311.query(db, o311.Query(**kw), BASE, now=NOW)]
    assert open_.code in codes(status="open") and done.code not in codes(status="open")
    assert done.code in codes(status="closed") and open_.code not in codes(status="closed")
    assert set(codes(status="open,closed")) >= {open_.code, done.code}
    assert done.code in codes(service_code="waste")
    assert open_.code not in codes(service_code="waste")
    assert codes(service_request_id=f"{open_.code},DM-1999-000001", status="closed") == [open_.code]
    for bad in ({"status": "pending"}, {"service_code": "khong-co"}, {"page_size": 1001}, {"page": 0}):
        with pytest.raises(InvalidInput):
            codes(**bad)


def test_pages_are_newest_first_without_overlap(db, media):
    made = [submit(db, media, now=NOW - timedelta(hours=i)).report.code for i in range(5)]
    pages = [[d["service_request_id"] for d in o311.query(db, o311.Query(page=p, page_size=2), BASE, now=NOW)]
             for p in (1, 2, 3)]
    flat = [c for page in pages for c in page if c in made]
    assert flat == made


def test_token_is_the_request_id(db, media):
    report = submit(db, media).report
    assert o311.token(db, report.code) == [{"service_request_id": report.code, "token": report.code}]
    with pytest.raises(NotFound):
        o311.token(db, "DM-1999-000001")


# ---- XML -------------------------------------------------------------------------------


def test_xml_is_well_formed_escaped_and_drops_characters_xml_cannot_carry():
    xml = documents.to_xml("service_requests", [
        {"service_request_id": "DM-1", "description": "<script>alert('x')</script> & \x0b\x00 ok",
         "lat": 12.5, "address_id": None, "flag": True}])
    root = parse_xml(xml)
    request = root.find("request")
    assert root.tag == "service_requests" and request is not None
    assert request.findtext("description") == "<script>alert('x')</script> &  ok"
    assert request.findtext("lat") == "12.5" and request.findtext("flag") == "true"
    assert request.find("address_id") is not None and request.findtext("address_id") == ""
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')


def test_errors_are_the_standard_list():
    assert documents.errors(403, "Sai khóa") == [{"code": 403, "description": "Sai khóa"}]
    root = parse_xml(documents.to_xml("errors", documents.errors(404, "Không có")))
    assert [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")] == [
        ("404", "Không có")]


def test_now_is_used_for_the_90_day_window_not_the_clock(db, media):
    report = submit(db, media, now=datetime(2020, 1, 5, tzinfo=UTC)).report
    q = o311.Query()
    assert report.code in [d["service_request_id"] for d in
                           o311.query(db, q, BASE, now=datetime(2020, 2, 1, tzinfo=UTC))]
    assert report.code not in [d["service_request_id"] for d in o311.query(db, q, BASE, now=NOW)]
