import re
import threading
from datetime import date, timedelta

import h3
import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from layers.db import make_sessionmaker, session_scope
from layers.errors import Conflict, InvalidInput, TooManyAttempts
from layers.feedback import queries, reports
from layers.feedback.calendar import VN_TZ
from layers.feedback.media import MediaStore
from layers.feedback.models import Photo, Report, Transition
from tests.layers.feedback.helpers import NOW, OUTSIDE, TOWN, image_bytes, media_files, submit


def _count(db, model=Report):
    return db.scalar(select(func.count()).select_from(model))


def test_a_report_is_stored_routed_and_given_a_code_and_a_deadline(db, media):
    result = submit(db, media)
    r = result.report
    assert result.created
    assert re.fullmatch(r"DM-2026-\d{6}", r.code)
    assert (r.status, r.commune_code, r.agency.code, r.location_precision) == (
        "received", "24664", "phong-ktht", "point")
    assert r.routing_explanation_vi.startswith("Lĩnh vực «Đường giao thông, cầu cống»")
    # 10 working days from Tue 10/3/2026 -> Tue 24/3/2026, end of day in Vietnam.
    assert r.due_at.astimezone(VN_TZ).date() == date(2026, 3, 24)
    point = to_shape(r.geom)
    assert (round(point.x, 5), round(point.y, 5)) == TOWN
    entry = db.scalars(select(Transition).where(Transition.report_id == r.id)).one()
    assert (entry.action, entry.to_status, entry.actor_kind) == ("created", "received", "citizen")
    assert queries.by_token(db, result.private_token).id == r.id


def test_h3_cells_for_resolutions_5_to_10_are_stored(db, media):
    r = submit(db, media).report
    for res in range(5, 11):
        cell = getattr(r, f"h3_r{res}")
        assert h3.int_to_str(cell) == h3.latlng_to_cell(TOWN[1], TOWN[0], res)


def test_a_point_outside_the_district_is_refused_and_nothing_is_stored(db, media):
    before = _count(db)
    with pytest.raises(InvalidInput) as err:
        submit(db, media, point=OUTSIDE, uploads=[image_bytes()])
    assert err.value.code == "outside_district"
    assert _count(db) == before
    assert media_files(media.root) == []


def test_when_gps_is_poor_the_commune_label_point_is_used(db, media):
    r = submit(db, media, point=(None, None), commune_code="24670").report
    assert (r.location_precision, r.commune_code, r.commune_name) == ("commune", "24670", "Xã Đắk Mil")


@pytest.mark.parametrize("kw, code", [
    ({"commune_code": "24670"}, "commune_mismatch"),
    ({"point": (None, None)}, "location_required"),
    ({"point": (None, None), "commune_code": "99999"}, "unknown_commune"),
    ({"point": (107.6, None)}, "bad_coordinates"),
    ({"point": (float("nan"), 12.4)}, "bad_coordinates"),
    ({"category": "khong-co"}, "unknown_category"),
    ({"title": "  "}, "missing_field"),
    ({"title": "ab"}, "text_length"),
    ({"description": "x" * 5001}, "text_length"),
    ({"description": "nul\x00byte"}, "bad_text"),
    ({"reporter_phone": "call me"}, "bad_phone"),
    ({"reporter_email": "not-an-email"}, "bad_email"),
    ({"anonymous": True, "reporter_name": "An"}, "anonymous_with_contact"),
    ({"category": "water_supply", "answers": {"households": "many"}}, "bad_answer"),
    ({"answers": {"unknown": 1}}, "unknown_answer"),
])
def test_bad_submissions_are_refused_with_a_precise_code(db, media, kw, code):
    before = _count(db)
    with pytest.raises(InvalidInput) as err:
        submit(db, media, **kw)
    assert err.value.code == code
    assert _count(db) == before


def test_html_is_kept_verbatim_as_text(db, media):
    title = '<script>alert("x")</script> Đèn <b>hỏng</b>'
    r = submit(db, media, title=title, description="<img src=x onerror=alert(1)>").report
    assert r.title == title and r.description == "<img src=x onerror=alert(1)>"


def test_contact_is_shared_only_when_there_is_one(db, media):
    assert submit(db, media, share_contact=True).report.share_contact is False
    r = submit(db, media, share_contact=True, reporter_name="Nguyễn Văn A", reporter_phone="0912 345 678").report
    assert r.share_contact is True and r.reporter_phone == "0912 345 678"


def test_photos_are_stored_under_random_names_after_the_row(db, media):
    r = submit(db, media, uploads=[image_bytes(), image_bytes("PNG")]).report
    assert [p.position for p in r.photos] == [0, 1]
    for p in r.photos:
        assert media.path(p.name).is_file() and media.path(p.name, "thumb").is_file()
    db.commit()
    assert len(media_files(media.root)) == 4


def test_photo_files_are_removed_when_the_transaction_rolls_back(db, media):
    submit(db, media, uploads=[image_bytes(), image_bytes()])
    assert len(media_files(media.root)) == 4
    db.rollback()
    assert media_files(media.root) == []
    assert _count(db, Photo) == 0


def test_one_fake_photo_refuses_the_whole_report_and_writes_no_file(db, media):
    before = _count(db)
    with pytest.raises(InvalidInput) as err:
        submit(db, media, uploads=[image_bytes(), b"GIF89a not really"])
    assert err.value.code == "photo_unsupported_type" and err.value.extra["photo"] == 2
    assert _count(db) == before and media_files(media.root) == []


def test_the_same_idempotency_key_and_body_return_the_first_report(db, media):
    first = submit(db, media, key="key-0001-abcdef", uploads=[image_bytes()])
    again = submit(db, media, key="key-0001-abcdef", uploads=[image_bytes()])
    assert not again.created
    assert again.report.id == first.report.id
    assert again.private_token == first.private_token
    assert _count(db, Photo) == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(db, media):
    submit(db, media, key="key-0002-abcdef")
    with pytest.raises(Conflict) as err:
        submit(db, media, key="key-0002-abcdef", title="Một tiêu đề khác")
    assert err.value.code == "idempotency_key_reused"


def test_a_malformed_idempotency_key_is_refused(db, media):
    with pytest.raises(InvalidInput) as err:
        submit(db, media, key="short")
    assert err.value.code == "bad_idempotency_key"


def test_anonymous_submissions_are_limited_per_ip(db, media):
    limits = reports.Limits(anon_limit=2, anon_window=timedelta(minutes=10))
    submit(db, media, limits=limits, now=NOW)
    submit(db, media, limits=limits, now=NOW + timedelta(minutes=1))
    with pytest.raises(TooManyAttempts) as err:
        submit(db, media, limits=limits, now=NOW + timedelta(minutes=2))
    assert err.value.code == "rate_limited"
    assert err.value.extra["retry_after"] == 8 * 60  # the first one leaves the window at +10 min
    submit(db, media, limits=limits, ip="198.51.100.1", now=NOW + timedelta(minutes=2))  # another IP
    submit(db, media, limits=limits, now=NOW + timedelta(minutes=10, seconds=1))  # window moved on


def test_signed_in_citizens_are_not_limited_and_their_ip_is_not_kept(db, media, make_user):
    user = make_user("citizen")
    limits = reports.Limits(anon_limit=1)
    for _ in range(3):
        r = submit(db, media, user=user, limits=limits).report
    assert r.reporter_user_id == user.id and r.reporter_ip_hash is None
    assert submit(db, media, user=user, anonymous=True, limits=limits).report.reporter_user_id is None


def test_concurrent_submissions_commit_distinct_codes(engine, tmp_path):
    factory = make_sessionmaker(engine)
    media = MediaStore(tmp_path / "media")
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            for i in range(5):
                with session_scope(factory) as session:
                    result = submit(session, media, ip=f"192.0.2.{n}", title=f"Đồng thời {n}-{i}")
                    code = result.report.code
                with lock:
                    codes.append(code)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(codes) == 40 and len(set(codes)) == 40
    with session_scope(factory) as session:
        stored = session.scalars(select(Report.code).where(Report.code.in_(codes))).all()
        assert sorted(stored) == sorted(codes)
        session.execute(Report.__table__.delete().where(Report.code.in_(codes)))


def test_concurrent_retries_with_one_idempotency_key_store_one_report(engine, tmp_path):
    factory = make_sessionmaker(engine)
    media = MediaStore(tmp_path / "media")
    key = f"race-{threading.get_ident()}-{NOW.timestamp()}-{id(factory)}"
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        try:
            barrier.wait()
            with session_scope(factory) as session:
                r = submit(session, media, key=key, title="Gửi lại khi mạng chập chờn")
                results.append((r.report.code, r.created))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({code for code, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * 5 + [True]
    with session_scope(factory) as session:
        session.execute(Report.__table__.delete().where(Report.code == results[0][0]))
