"""Officers over HTTP: inbox, transitions, moderation, bulk assignment, templates, configuration."""

import json

import pytest

from tests.layers.feedback.helpers import TOWN, image_bytes


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.media_dir = tmp_path / "media"
    settings.feedback_anon_limit = 1000


def report(client, **body):
    data = {"category": "roads", "title": "Cầu yếu", "description": "Cầu tràn bị sụt", "lon": TOWN[0],
            "lat": TOWN[1], **body}
    r = client.post("/api/v1/reports", json=data)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def ktht(make_user, token_for):
    user = make_user("officer", agency_codes=["phong-ktht"], full_name="Lê Văn Cán Bộ")
    return user, token_for(user)


def move(client, code, headers, **body):
    return client.post(f"/api/v1/reports/{code}/transitions", json=body, headers=headers)


def test_an_officer_works_a_case_and_the_public_timeline_shows_only_public_notes(client, ktht):
    user, headers = ktht
    created = report(client)
    code, token = created["code"], created["private_token"]
    assert move(client, code, headers, to="assigned", internal_note="NỘI BỘ: ưu tiên").status_code == 200
    assert move(client, code, headers, to="in_progress", public_note="Đang khảo sát").status_code == 200
    r = move(client, code, headers, to="resolved", public_note="Đã gia cố cầu", internal_note="NỘI BỘ: 5tr")
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert r.json()["assignee"]["username"] == user.username
    public = client.get(f"/api/v1/reports/{code}")
    assert [t["action"] for t in public.json()["timeline"]] == ["created", "assigned", "in_progress", "resolved"]
    assert "Đã gia cố cầu" in public.text and "NỘI BỘ" not in public.text and user.username not in public.text
    staff = client.get(f"/api/v1/inbox/{code}", headers=headers)
    assert "NỘI BỘ: 5tr" in staff.text
    private = client.get(f"/api/v1/reports/private/{token}").json()
    assert private["can_respond"] is True and private["respond_until"]
    confirm = client.post(f"/api/v1/reports/private/{token}/feedback",
                          json={"outcome": "confirm", "rating": 5, "comment": "Tốt"})
    assert confirm.status_code == 200 and confirm.json()["status"] == "closed"
    assert client.get(f"/api/v1/reports/{code}").json()["citizen_rating"] == 5
    again = client.post(f"/api/v1/reports/private/{token}/feedback", json={"outcome": "confirm", "rating": 5})
    assert again.status_code == 409 and again.json()["code"] == "not_resolved"


def test_a_dispute_reopens_and_shows_up_as_escalated_for_leaders(client, ktht, make_user, token_for):
    _, headers = ktht
    created = report(client)
    code = created["code"]
    for step in ({"to": "assigned"}, {"to": "in_progress"}, {"to": "resolved", "public_note": "Xong"}):
        assert move(client, code, headers, **step).status_code == 200
    r = client.post(f"/api/v1/reports/private/{created['private_token']}/feedback",
                    json={"outcome": "dispute", "rating": 1, "comment": "Chưa sửa gì cả"})
    assert r.json()["status"] == "in_progress" and r.json()["escalated"] is True
    leader = token_for(make_user("leader"))
    inbox = client.get("/api/v1/inbox", params={"escalated": True}, headers=leader).json()
    assert [i["code"] for i in inbox["items"]] == [code]


@pytest.mark.parametrize("body", [
    {"outcome": "maybe", "rating": 3}, {"outcome": "confirm", "rating": 6}, {"outcome": "confirm"},
    {"outcome": "confirm", "rating": 3, "extra": 1},
])
def test_bad_citizen_feedback_is_422(client, body):
    token = report(client)["private_token"]
    r = client.post(f"/api/v1/reports/private/{token}/feedback", json=body)
    assert r.status_code == 422


def test_officers_of_another_agency_get_403_and_see_nothing(client, make_user, token_for):
    code = report(client)["code"]
    other = token_for(make_user("officer", agency_codes=["phong-yte"]))
    r = move(client, code, other, to="assigned")
    assert r.status_code == 403 and r.json()["code"] == "not_responsible_agency"
    assert client.get(f"/api/v1/inbox/{code}", headers=other).status_code == 403
    assert code not in client.get("/api/v1/inbox", headers=other).text
    assert client.get("/api/v1/inbox", params={"agency": "phong-ktht"}, headers=other).status_code == 403
    citizen = token_for(make_user("citizen"))
    assert move(client, code, citizen, to="assigned").status_code == 403


@pytest.mark.parametrize("body, status, code", [
    ({"to": "resolved", "public_note": "x"}, 409, "transition_not_allowed"),
    ({"to": "flying"}, 422, "invalid_input"),
    ({"to": "rejected", "public_note": "x"}, 422, "bad_reject_reason"),
    ({"to": "rejected", "public_note": "x", "reason_code": "lazy"}, 422, "invalid_input"),
    ({"to": "transferred", "public_note": "x", "agency": "khong-co"}, 422, "unknown_agency"),
    ({"to": "duplicate", "public_note": "x", "duplicate_of": "DM-2026-999999"}, 422, "unknown_report"),
    ({"to": "assigned", "secret": True}, 422, "invalid_input"),
])
def test_bad_transitions_are_refused_precisely(client, ktht, body, status, code):
    r = move(client, report(client)["code"], ktht[1], **body)
    assert (r.status_code, r.json()["code"]) == (status, code)


def test_transfer_and_inbox_filters(client, ktht, make_user, token_for):
    _, headers = ktht
    code = report(client)["code"]
    r = move(client, code, headers, to="transferred", agency="cap-nuoc", public_note="Thuộc cấp nước")
    assert r.status_code == 200 and r.json()["agency"]["code"] == "cap-nuoc"
    assert r.json()["timeline"][-1]["to_agency"] == "Đơn vị cấp nước Đắk Mil"
    water = token_for(make_user("officer", agency_codes=["cap-nuoc"]))
    inbox = client.get("/api/v1/inbox", params={"status": "received", "category": "roads"}, headers=water)
    assert [i["code"] for i in inbox.json()["items"]] == [code] and inbox.json()["total"] == 1
    assert client.get("/api/v1/inbox", params={"overdue": True}, headers=water).json()["total"] == 0
    soon = client.get("/api/v1/inbox", params={"due_within_hours": 24 * 30}, headers=water).json()
    assert soon["total"] == 1
    fc = client.get("/api/v1/inbox/map", headers=water)
    assert fc.status_code == 200 and [f["id"] for f in fc.json()["features"]] == [code]
    assert client.get("/api/v1/inbox", params={"sort": "title"}, headers=water).status_code == 422


def test_bulk_assign_and_assignee_me(client, ktht):
    user, headers = ktht
    codes = [report(client)["code"] for _ in range(3)]
    r = client.post("/api/v1/inbox/assign", json={"codes": codes, "assignee": user.username}, headers=headers)
    assert r.status_code == 200 and {i["status"] for i in r.json()["items"]} == {"assigned"}
    mine = client.get("/api/v1/inbox", params={"assignee": "me"}, headers=headers).json()
    assert {i["code"] for i in mine["items"]} == set(codes)
    bad = client.post("/api/v1/inbox/assign", json={"codes": [codes[0], "DM-2026-999999"],
                                                     "assignee": user.username}, headers=headers)
    assert bad.status_code == 404 and bad.json()["report_code"] == "DM-2026-999999"


def test_moderation_hides_text_and_photos_from_the_public_only(client, ktht, make_user, token_for):
    _, headers = ktht
    files = [("photos", ("a.jpg", image_bytes(), "image/jpeg"))]
    body = {"category": "roads", "title": "Lời lẽ xúc phạm", "description": "Nội dung xấu", "lon": TOWN[0],
            "lat": TOWN[1]}
    created = client.post("/api/v1/reports", data={"report": json.dumps(body)}, files=files).json()
    code, photo = created["code"], created["photos"][0]
    r = client.post(f"/api/v1/reports/{code}/moderation", headers=headers,
                    json={"target": "text", "hidden": True, "reason": "Xúc phạm cán bộ"})
    assert r.status_code == 200
    r = client.post(f"/api/v1/reports/{code}/moderation", headers=headers,
                    json={"target": "photo", "photo_id": photo["id"], "hidden": True, "reason": "Ảnh nhạy cảm"})
    assert r.status_code == 200 and r.json()["photos"][0]["hidden"] is True
    public = client.get(f"/api/v1/reports/{code}")
    assert "Lời lẽ xúc phạm" not in public.text and "Nội dung xấu" not in public.text
    assert public.json()["text_hidden"] is True and public.json()["photos"] == []
    assert "Xúc phạm cán bộ" not in public.text
    assert client.get(photo["url"]).status_code == 404
    assert client.get(photo["url"], headers=headers).status_code == 200
    assert "Lời lẽ xúc phạm" in client.get(f"/api/v1/inbox/{code}", headers=headers).text
    log = client.get(f"/api/v1/reports/{code}/moderation", headers=headers).json()
    assert [(m["target"], m["action"], m["reason"]) for m in log] == [
        ("text", "hide", "Xúc phạm cán bộ"), ("photo", "hide", "Ảnh nhạy cảm")]
    missing = client.post(f"/api/v1/reports/{code}/moderation", headers=headers,
                          json={"target": "photo", "photo_id": 999999, "hidden": True, "reason": "xxx"})
    assert missing.status_code == 404
    other = token_for(make_user("officer", agency_codes=["phong-yte"]))
    assert client.post(f"/api/v1/reports/{code}/moderation", headers=other,
                       json={"target": "text", "hidden": False, "reason": "Không"}).status_code == 403


def test_templates_crud_and_who_may_manage_them(client, ktht, make_user, token_for):
    _, headers = ktht
    listed = client.get("/api/v1/feedback/templates", headers=headers).json()
    assert {"tiep-nhan", "da-xu-ly"} <= {t["code"] for t in listed}
    body = {"code": "ktht-va-duong", "title": "Vá đường", "body_vi": "Đã vá mặt đường.", "agency": "phong-ktht",
            "category": "roads"}
    assert client.post("/api/v1/feedback/templates", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/feedback/templates", json=body, headers=headers).status_code == 409
    r = client.patch("/api/v1/feedback/templates/ktht-va-duong", json={"body_vi": "Đã vá xong."}, headers=headers)
    assert r.status_code == 200 and r.json()["body_vi"] == "Đã vá xong."
    shared = {"code": "chung-moi", "title": "Chung", "body_vi": "Nội dung chung"}
    r = client.post("/api/v1/feedback/templates", json=shared, headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "template_forbidden"
    other = token_for(make_user("officer", agency_codes=["phong-yte"]))
    assert client.delete("/api/v1/feedback/templates/ktht-va-duong", headers=other).status_code == 403
    assert client.delete("/api/v1/feedback/templates/ktht-va-duong", headers=headers).status_code == 204
    assert client.get("/api/v1/feedback/templates/ktht-va-duong", headers=headers).status_code == 404


def test_admins_configure_categories_rules_and_holidays(client, make_user, token_for):
    admin = token_for(make_user("admin"))
    cat = {"code": "trees", "name_vi": "Cây xanh", "name_en": "Trees", "icon": "tree", "deadline_days": 4,
           "extra_questions": [{"code": "fallen", "datatype": "singlevaluelist", "label_vi": "Cây đổ?",
                                "label_en": "Fallen?", "values": [{"key": "yes", "name_vi": "Có", "name_en": "Yes"}]}]}
    assert client.post("/api/v1/feedback/categories", json=cat, headers=admin).status_code == 201
    rule = {"code": "trees-commune", "category": "trees", "target": "commune_committee"}
    assert client.post("/api/v1/feedback/routing-rules", json=rule, headers=admin).status_code == 201
    r = report(client, category="trees", answers={"fallen": "yes"})
    assert r["agency"]["code"] == "ubnd-24664" and r["deadline"]["working_days"] == 4
    assert r["answers"] == {"fallen": "yes"}
    bad = client.post("/api/v1/reports", json={"category": "trees", "title": "Cây", "description": "x",
                                               "lon": TOWN[0], "lat": TOWN[1], "answers": {"fallen": "no"}})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_answer"
    assert client.patch("/api/v1/feedback/categories/trees", json={"active": False}, headers=admin).status_code == 200
    assert "trees" not in {c["code"] for c in client.get("/api/v1/feedback/categories").json()}
    gone = client.post("/api/v1/reports", json={"category": "trees", "title": "Cây", "description": "x",
                                                "lon": TOWN[0], "lat": TOWN[1]})
    assert gone.json()["code"] == "unknown_category"
    day = {"days": [{"day": "2026-12-31", "kind": "off", "name_vi": "Nghỉ thử", "name_en": "Test day off"}]}
    assert client.put("/api/v1/feedback/holidays", json=day, headers=admin).status_code == 200
    assert "2026-12-31" in client.get("/api/v1/feedback/holidays", params={"year": 2026}).text
    assert client.delete("/api/v1/feedback/holidays", params={"day": "2026-12-31"}, headers=admin).status_code == 204
    assert client.post("/api/v1/feedback/close-stale", headers=admin).json() == {"closed": 0}


@pytest.mark.parametrize("path, body", [
    ("/api/v1/feedback/categories", {"code": "x-y", "name_vi": "a", "name_en": "a", "icon": "i", "deadline_days": 0}),
    ("/api/v1/feedback/categories", {"code": "Bad", "name_vi": "a", "name_en": "a", "icon": "i", "deadline_days": 1}),
    ("/api/v1/feedback/routing-rules", {"code": "r1", "target": "agency"}),
    ("/api/v1/feedback/routing-rules", {"code": "r2", "target": "agency", "agency": "khong-co"}),
])
def test_bad_configuration_is_422(client, make_user, token_for, path, body):
    r = client.post(path, json=body, headers=token_for(make_user("admin")))
    assert r.status_code == 422, r.text
