"""The public agency list: labels for the statistics page, no personal data."""

def test_lists_every_agency_with_public_facts_only(client):
    r = client.get("/api/v1/feedback/agencies", params={"date": "2026-01-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body) == 24
    assert set(body[0]) == {"code", "name_vi", "name_en", "kind", "commune_code", "active"}
    ktht = next(a for a in body if a["code"] == "phong-ktht")
    assert ktht == {"code": "phong-ktht", "name_vi": "Phòng Kinh tế và Hạ tầng",
                    "name_en": "Division of Economy and Infrastructure", "kind": "department",
                    "commune_code": None, "active": True}
    kinds = [a["kind"] for a in body]
    assert kinds == sorted(kinds, reverse=True)  # departments first


def test_commune_committees_of_merged_communes_are_inactive_after_the_reform(client):
    before = {a["code"]: a["active"] for a in client.get("/api/v1/feedback/agencies",
                                                          params={"date": "2025-06-30"}).json()}
    after = {a["code"]: a["active"] for a in client.get("/api/v1/feedback/agencies",
                                                         params={"date": "2025-07-01"}).json()}
    assert all(before.values())
    assert after["ubnd-24664"] is True  # Thị trấn Đắk Mil → Xã Đức Lập, same code
    assert after["ubnd-24667"] is False  # Đắk Lao merged into Thuận An (24682)
    assert after["ubnd-24682"] is True and after["phong-ktht"] is True


def test_no_officer_or_contact_in_the_list(client, db, make_user):
    make_user("officer", full_name="Cán Bộ Bí Mật", email="canbo-bimat@example.vn", agency_codes=["phong-ktht"])
    db.commit()
    text = client.get("/api/v1/feedback/agencies").text
    assert "Cán Bộ Bí Mật" not in text and "canbo-bimat@example.vn" not in text


def test_a_bad_date_is_422(client):
    for value in ("hôm nay", "1800-01-01"):
        r = client.get("/api/v1/feedback/agencies", params={"date": value})
        assert r.status_code == 422, r.text
