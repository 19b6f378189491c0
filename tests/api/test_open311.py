"""Open311 GeoReport v2 over HTTP: both formats, the standard's errors, keys, privacy."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from layers.feedback.models import Report
from layers.open311.models import Open311Request
from tests.layers.feedback.helpers import TOWN, image_bytes, submit
from tests.layers.open311_data import (
    SECRET_ACCOUNT,
    SECRET_DEVICE,
    SECRET_EMAIL,
    SECRET_FIRST,
    SECRET_LAST,
    SECRET_PHONE,
    form,
    new_key,
    parse_xml,
    private_form,
    set_state,
)

V2 = "/open311/v2"
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
                  "long", "media_url"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.media_dir = tmp_path / "media"
    return settings.media_dir


@pytest.fixture
def key(db):
    secret = new_key(db)
    db.commit()
    return secret


def count(db, model=Report):
    return db.scalar(select(func.count()).select_from(model))


def post(client, fmt="json", headers=None, **fields):
    return client.post(f"{V2}/requests.{fmt}", data=fields, headers=headers)


def assert_error(r, status, fmt="json"):
    """The standard's error list, in the path's format, never the app's {"detail", "code"}."""
    assert r.status_code == status, r.text
    if fmt == "xml":
        assert r.headers["content-type"].startswith("text/xml")
        root = parse_xml(r.content)
        assert root.tag == "errors"
        errors = [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]
        assert errors and errors[0][0] == str(status) and errors[0][1]
        return errors[0][1]
    body = r.json()
    assert isinstance(body, list) and set(body[0]) == {"code", "description"}, body
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


# ---- discovery and services ----------------------------------------------------------


def test_discovery_names_the_endpoint_and_its_formats(client):
    body = client.get(f"{V2}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert "page_size" in body["extensions"][0]["description"]
    root = parse_xml(client.get(f"{V2}/discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_services_in_json_and_xml(client):
    r = client.get(f"{V2}/services.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json; charset=utf-8"
    services = {s["service_code"]: s for s in r.json()}
    assert list(services["roads"]) == SERVICE_FIELDS
    assert services["roads"]["service_name"] == "Đường giao thông, cầu cống"
    assert services["roads"]["metadata"] is True and services["waste"]["metadata"] is False
    x = client.get(f"{V2}/services.xml")
    assert x.headers["content-type"] == "text/xml; charset=utf-8"
    root = parse_xml(x.content)
    assert root.tag == "services"
    roads = next(s for s in root.findall("service") if s.findtext("service_code") == "roads")
    assert [child.tag for child in roads] == SERVICE_FIELDS
    assert roads.findtext("metadata") == "true" and roads.findtext("type") == "realtime"
    assert len(root.findall("service")) == len(services)


def test_service_definition_maps_extra_questions_to_attributes(client):
    body = client.get(f"{V2}/services/roads.json").json()
    assert body["service_code"] == "roads"
    (attribute,) = body["attributes"]
    assert attribute["variable"] is True and attribute["code"] == "danger"
    assert attribute["datatype"] == "singlevaluelist" and attribute["required"] is False
    assert attribute["order"] == 1 and "Có nguy hiểm" in attribute["description"]
    assert attribute["values"] == [{"key": "yes", "name": "Có"}, {"key": "no", "name": "Không"}]
    root = parse_xml(client.get(f"{V2}/services/roads.xml").content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "roads"
    values = root.findall("attributes/attribute/values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [("yes", "Có"), ("no", "Không")]
    assert client.get(f"{V2}/services/waste.json").json()["attributes"] == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404_in_the_standard_format(client, fmt):
    assert_error(client.get(f"{V2}/services/khong-co.{fmt}"), 404, fmt)


@pytest.mark.parametrize("path", ["services", "requests", "services/roads"])
def test_our_jurisdiction_is_accepted_and_another_is_404(client, path):
    assert client.get(f"{V2}/{path}.json", params={"jurisdiction_id": "dakmil.vn"}).status_code == 200
    assert client.get(f"{V2}/{path}.json", params={"jurisdiction_id": ""}).status_code == 200
    assert "sfgov.org" in assert_error(
        client.get(f"{V2}/{path}.xml", params={"jurisdiction_id": "sfgov.org"}), 404, "xml")


def test_unknown_paths_formats_and_methods_answer_in_the_standard_format(client):
    assert_error(client.get(f"{V2}/khong-co.json"), 404)
    assert_error(client.get(f"{V2}/khong-co.xml"), 404, "xml")
    assert_error(client.get(f"{V2}/services.csv"), 404)
    r = client.put(f"{V2}/requests.json")
    assert_error(r, 405)
    assert "GET" in r.headers["allow"]


def test_bad_parameters_are_400_in_the_standard_format(client):
    assert "page" in assert_error(client.get(f"{V2}/requests.json", params={"page": "abc"}), 400)
    assert_error(client.get(f"{V2}/requests.xml", params={"page_size": "5000"}), 400, "xml")
    assert_error(client.get(f"{V2}/requests.json", params={"start_date": "hôm qua"}), 400)
    assert_error(client.get(f"{V2}/requests.json", params={"status": "pending"}), 400)
    assert_error(client.get(f"{V2}/requests.json", params={"service_code": "khong-co"}), 400)


# ---- POST --------------------------------------------------------------------------------


def test_post_creates_a_report_through_the_same_path_as_the_web_form(client, db, key):
    r = post(client, api_key=key, **form(**{"attribute[danger]": "yes", "address_string": "Trước chợ"}))
    assert r.status_code == 201, r.text
    (created,) = r.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    report = db.scalar(select(Report).where(Report.code == created["service_request_id"]))
    assert report.source == "open311" and report.answers == {"danger": "yes"}
    assert report.agency.code == "phong-ktht" and report.deadline_days == 10
    assert r.headers["location"].endswith(f"/open311/v2/requests/{report.code}.json")
    follow = client.get(f"/api/v1/reports/{report.code}")  # the ordinary public API knows it too
    assert follow.status_code == 200 and follow.json()["timeline"][0]["action"] == "created"


def test_post_answers_in_xml(client, key):
    r = post(client, "xml", api_key=key, **form(account_id="acc-1"))
    assert r.status_code == 201
    request = parse_xml(r.content).find("request")
    assert request is not None and request.findtext("service_request_id").startswith("DM-")
    assert request.findtext("account_id") == "acc-1" and request.find("token") is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("api_key", [None, "", "dmk_not-a-real-key-000000"])
def test_post_without_a_valid_key_is_403_and_stores_nothing(client, db, fmt, api_key):
    before = count(db)
    fields = form() if api_key is None else form(api_key=api_key)
    assert "api_key" in assert_error(post(client, fmt, **fields), 403, fmt)
    assert count(db) == before


def test_a_revoked_key_stops_working_at_once(client, db, make_user, token_for):
    admin = token_for(make_user("admin"))
    made = client.post("/api/v1/apikeys", json={"name": "Ứng dụng Đắk Mil"}, headers=admin)
    assert made.status_code == 201, made.text
    secret = made.json()["key"]
    assert post(client, api_key=secret, **form()).status_code == 201
    assert client.delete(f"/api/v1/apikeys/{made.json()['id']}", headers=admin).json()["active"] is False
    assert_error(post(client, api_key=secret, **form()), 403)


@pytest.mark.parametrize("fields, status, word", [
    ({"lat": "", "long": "", "address_string": "Chợ Đắk Mil"}, 400, "lat"),
    ({"long": ""}, 400, "long"),
    ({"lat": "21.03", "long": "105.85"}, 400, "outside"),
    ({"service_code": "khong-co"}, 404, "service_code"),
    ({"description": ""}, 400, "description"),
    ({"attribute[danger]": "co-le"}, 400, "danger"),
    ({"attribute[khong-co]": "1"}, 400, "khong-co"),
    ({"phone": "abc"}, 400, "phone"),
])
def test_bad_posts_are_refused_with_the_standard_error_and_store_nothing(client, db, key, fields, status, word):
    before = count(db)
    body = {**form(), **fields}
    assert word in assert_error(post(client, api_key=key, **{k: v for k, v in body.items() if v != ""}), status)
    assert count(db) == before


def test_post_must_be_form_encoded_and_without_files(client, db, key):
    before = count(db)
    assert_error(client.post(f"{V2}/requests.json", json={"api_key": key, **form()}), 400)
    files = {"media": ("a.jpg", image_bytes(), "image/jpeg")}
    assert_error(client.post(f"{V2}/requests.json", data={"api_key": key, **form()}, files=files), 400)
    assert count(db) == before


def test_post_with_a_wrong_jurisdiction_is_404(client, db, key):
    before = count(db)
    assert_error(post(client, api_key=key, jurisdiction_id="nyc.gov", **form()), 404)
    assert post(client, api_key=key, jurisdiction_id="dakmil.vn", **form()).status_code == 201
    assert count(db) == before + 1


def test_keyed_clients_are_not_rate_limited_like_anonymous_visitors(client, db, key, settings):
    settings.feedback_anon_limit = 1
    codes = [post(client, api_key=key, **form()).status_code for _ in range(3)]
    assert codes == [201, 201, 201]
    assert db.scalar(select(func.count()).select_from(Report).where(Report.source == "open311",
                                                                    Report.reporter_ip_hash.is_not(None))) == 0


def test_an_idempotent_retry_returns_the_first_request(client, db, key):
    headers = {"Idempotency-Key": "open311-retry-0001"}
    first = post(client, headers=headers, api_key=key, **form())
    again = post(client, headers=headers, api_key=key, **form())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert count(db, Open311Request) == 1


# ---- GET requests ------------------------------------------------------------------------


def test_get_requests_in_both_formats_with_the_standard_fields(client, db, key):
    code = post(client, api_key=key, **form(media_url="https://example.org/o-ga.jpg"))
    code = code.json()[0]["service_request_id"]
    (doc,) = client.get(f"{V2}/requests/{code}.json").json()
    assert list(doc) == REQUEST_FIELDS
    assert doc["status"] == "open" and doc["status_notes"].startswith("received:")
    assert doc["media_url"] == "https://example.org/o-ga.jpg"
    assert (doc["long"], doc["lat"]) == TOWN
    root = parse_xml(client.get(f"{V2}/requests/{code}.xml").content)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [child.tag for child in request] == REQUEST_FIELDS
    assert request.findtext("service_request_id") == code and request.findtext("status") == "open"
    listed = client.get(f"{V2}/requests.json").json()
    assert code in [d["service_request_id"] for d in listed]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_or_token_is_404(client, fmt):
    assert_error(client.get(f"{V2}/requests/DM-1999-000001.{fmt}"), 404, fmt)
    assert_error(client.get(f"{V2}/tokens/DM-1999-000001.{fmt}"), 404, fmt)


def test_tokens_resolve_to_the_request_id(client, key):
    code = post(client, api_key=key, **form()).json()[0]["service_request_id"]
    assert client.get(f"{V2}/tokens/{code}.json").json() == [{"service_request_id": code, "token": code}]
    request = parse_xml(client.get(f"{V2}/tokens/{code}.xml").content).find("request")
    assert request is not None
    assert (request.findtext("service_request_id"), request.findtext("token")) == (code, code)


def test_status_filter_maps_resolved_to_closed(client, db, media_dir):
    from layers.feedback.media import MediaStore

    store = MediaStore(media_dir)
    now = datetime.now(UTC)
    open_ = submit(db, store, now=now - timedelta(hours=2)).report
    done = set_state(db, submit(db, store, now=now - timedelta(hours=1)).report, status="resolved",
                     resolved_at=now)
    db.commit()
    closed = {d["service_request_id"]: d for d in client.get(f"{V2}/requests.json?status=closed").json()}
    assert done.code in closed and open_.code not in closed
    assert closed[done.code]["status_notes"].startswith("resolved:")
    both = client.get(f"{V2}/requests.json", params=[("status", "open"), ("status", "closed")]).json()
    assert {open_.code, done.code} <= {d["service_request_id"] for d in both}


def test_paging_sends_a_next_link_on_a_full_page(client, db, media_dir):
    from layers.feedback.media import MediaStore

    store = MediaStore(media_dir)
    now = datetime.now(UTC)
    made = [submit(db, store, now=now - timedelta(minutes=i)).report.code for i in range(3)]
    db.commit()
    first = client.get(f"{V2}/requests.json", params={"page_size": 2})
    assert [d["service_request_id"] for d in first.json()] == made[:2]
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    second = client.get(f"{V2}/requests.json", params={"page_size": 2, "page": 2})
    assert made[2] in [d["service_request_id"] for d in second.json()]


def test_service_request_ids_override_the_other_filters(client, db, media_dir):
    from layers.feedback.media import MediaStore

    store = MediaStore(media_dir)
    old = submit(db, store, now=datetime.now(UTC) - timedelta(days=400)).report
    db.commit()
    r = client.get(f"{V2}/requests.json", params={"service_request_id": f"{old.code},DM-1999-000001",
                                                  "status": "closed"})
    assert [d["service_request_id"] for d in r.json()] == [old.code]


# ---- privacy -----------------------------------------------------------------------------


def test_reporter_data_never_appears_in_json_or_xml(client, db, key):
    code = post(client, api_key=key, **private_form()).json()[0]["service_request_id"]
    report = db.scalar(select(Report).where(Report.code == code))
    assert report.reporter_email == SECRET_EMAIL  # it was stored (privately)
    secrets = [SECRET_EMAIL, SECRET_PHONE, SECRET_FIRST, SECRET_LAST, SECRET_DEVICE, SECRET_ACCOUNT]
    for path in (f"requests/{code}", "requests", f"tokens/{code}"):
        for fmt in ("json", "xml"):
            body = client.get(f"{V2}/{path}.{fmt}").text
            assert code in body
            leaked = [s for s in secrets if s in body]
            assert not leaked, f"{path}.{fmt} leaks {leaked}"
