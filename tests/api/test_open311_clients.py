"""A published Open311 client against a real server: ``georeport`` 0.3.1 from PyPI, in JSON
and in XML, plus a raw-HTTP POST written from the GeoReport v2 text (the library has no
POST; the other PyPI client, ``open311`` 1.1, is Python 2 only and does not import).

The server only sees committed data, so the key and the reports are committed through a
session of their own and removed at the end of the module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import requests
from georeport import GeoReport
from sqlalchemy import delete

from layers import apikeys
from layers.apikeys import ApiKey
from layers.db import make_sessionmaker, session_scope
from layers.feedback.models import Report
from tests.layers.feedback.helpers import TOWN
from tests.layers.open311_data import SECRET_EMAIL, SECRET_PHONE, parse_xml


@dataclass
class Live:
    base: str
    key: str
    codes: list[str]


@pytest.fixture(scope="module")
def live(live_server, engine) -> Iterator[Live]:
    factory = make_sessionmaker(engine)
    name = f"georeport-{uuid.uuid4().hex[:8]}"
    with session_scope(factory) as s:
        secret = apikeys.create_key(s, name).secret
    state = Live(base=f"{live_server}/open311/v2", key=secret, codes=[])
    yield state
    with session_scope(factory) as s:
        s.execute(delete(Report).where(Report.code.in_(state.codes)))
        s.execute(delete(ApiKey).where(ApiKey.name == name))


def _post(live: Live, fmt: str = "json", **extra: str) -> httpx.Response:
    """POST exactly as the standard's example: form-encoded, UTF-8, attribute[CODE]=value."""
    body = {"api_key": live.key, "jurisdiction_id": "dakmil.vn", "service_code": "roads",
            "lat": str(TOWN[1]), "long": str(TOWN[0]), "address_string": "Trước chợ Đắk Mil",
            "email": SECRET_EMAIL, "phone": SECRET_PHONE, "first_name": "Văn", "last_name": "Thử",
            "device_id": "tt222111", "account_id": "123456",
            "description": "Ổ gà lớn trước chợ, nguy hiểm cho xe máy",
            "media_url": "https://example.org/o-ga.jpg", "attribute[danger]": "yes", **extra}
    r = httpx.post(f"{live.base}/requests.{fmt}", data=body,
                   headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    if r.status_code in (200, 201):
        if fmt == "json":
            live.codes.append(r.json()[0]["service_request_id"])
        else:
            live.codes.append(parse_xml(r.content).findtext("request/service_request_id") or "")
    return r


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_lists_services_and_reads_a_definition(live, fmt):
    client = GeoReport(live.base, jurisdiction="dakmil.vn", output_format=fmt)
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["roads"]["service_name"] == "Đường giao thông, cầu cống"
    assert str(services["roads"]["metadata"]).lower() == "true"
    definition = client.get_service_definition("roads")
    attributes = definition["attributes"]
    attribute = attributes[0] if fmt == "json" else attributes["attribute"]
    assert attribute["code"] == "danger" and attribute["datatype"] == "singlevaluelist"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_raw_post_then_georeport_follows_the_request(live, fmt):
    r = _post(live, fmt)
    assert r.status_code == 201, r.text
    code = live.codes[-1]
    assert code.startswith("DM-")
    client = GeoReport(live.base, jurisdiction="dakmil.vn", output_format=fmt)
    one = client.get_service_request(code)
    assert one["service_request_id"] == code and one["status"] == "open"
    assert one["service_code"] == "roads" and one["agency_responsible"]
    assert float(one["lat"]) == pytest.approx(TOWN[1]) and float(one["long"]) == pytest.approx(TOWN[0])
    assert one["media_url"] == "https://example.org/o-ga.jpg"
    assert SECRET_EMAIL not in str(one) and SECRET_PHONE not in str(one)
    several = client.get_service_requests(service_request_id=code)
    several = several if isinstance(several, list) else [several]  # xmltodict: one item is a dict
    assert [s["service_request_id"] for s in several] == [code]
    recent = client.get_service_requests(status="open", service_code="roads")
    recent = recent if isinstance(recent, list) else [recent]
    assert code in [s["service_request_id"] for s in recent]


def test_errors_reach_the_client_as_the_standard_list(live):
    r = _post(live, api_key="dmk_khong-hop-le-000000")
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    r = _post(live, "xml", lat="", long="")
    assert r.status_code == 400
    assert parse_xml(r.content).findtext("error/code") == "400"
    client = GeoReport(live.base, output_format="json")
    with pytest.raises(requests.HTTPError) as err:
        client.get_service_request("DM-1999-000001")
    assert err.value.response.status_code == 404
    assert err.value.response.json()[0]["code"] == 404
