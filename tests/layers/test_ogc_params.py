"""Parsing of OGC API query parameters (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from layers.errors import InvalidInput
from layers.ogc.fields import Field, Schema, parse_instant
from layers.ogc.params import (
    DEFAULT_LIMIT,
    ItemsQuery,
    TimeFilter,
    parse_bbox,
    parse_datetime,
    parse_items,
    parse_simple,
)

VN = timezone(timedelta(hours=7))
SCHEMA = Schema({"ten": Field("ten", "string"), "limit": Field("limit", "integer"),
                 "ngay": Field("ngay", "datetime")}, time_field="ngay")
NO_TIME = Schema({"ten": Field("ten", "string")}, time_field=None)


def _code(call):
    with pytest.raises(InvalidInput) as err:
        call()
    return err.value.code


def test_defaults_when_nothing_is_given():
    query, fmt = parse_items([], SCHEMA)
    assert query == ItemsQuery() and fmt is None
    assert query.limit == DEFAULT_LIMIT == 10 and not query.is_filtered


def test_bbox_accepts_gdal_style_long_decimals_and_the_3d_form():
    assert parse_bbox("107.59999999999999431566,12.4,107.7,12.5") == pytest.approx((107.6, 12.4, 107.7, 12.5))
    assert parse_bbox("107.6,12.4,0,107.7,12.5,100") == (107.6, 12.4, 107.7, 12.5)
    assert parse_bbox(" 107.6 , 12.4 ,107.7, 12.5") == (107.6, 12.4, 107.7, 12.5)


@pytest.mark.parametrize("text", ["", "1,2,3", "1,2,3,4,5", "a,b,c,d", "inf,1,2,3", "1,2,nan,4",
                                  "2,1,1,2", "1,2,2,1", "-181,0,0,1", "0,-91,1,0", "0,0,1,95"])
def test_bad_bbox_is_rejected(text):
    assert _code(lambda: parse_bbox(text)) == "bad_bbox"


@pytest.mark.parametrize("value, code", [("0", "bad_limit"), ("10001", "bad_limit"), ("-5", "bad_limit"),
                                         ("1e3", "bad_limit"), ("", "bad_limit"), ("٣", "bad_limit")])
def test_limit_must_be_an_integer_from_1_to_10000(value, code):
    assert _code(lambda: parse_items([("limit", value)], SCHEMA)) == code


def test_limit_and_offset_are_read():
    query, _ = parse_items([("limit", "10000"), ("offset", "20")], SCHEMA)
    assert (query.limit, query.offset) == (10000, 20)


def test_unknown_and_repeated_parameters_are_rejected():
    assert _code(lambda: parse_items([("color", "red")], SCHEMA)) == "unknown_parameter"
    assert _code(lambda: parse_items([("ten", "a"), ("ten", "b")], SCHEMA)) == "repeated_parameter"
    assert _code(lambda: parse_simple([("limit", "1")])) == "unknown_parameter"


def test_attribute_named_like_a_standard_parameter_is_the_standard_one():
    query, _ = parse_items([("limit", "5"), ("ten", "Trường")], SCHEMA)
    assert query.limit == 5 and query.equals == (("ten", "Trường"),)


def test_format_parameter():
    assert parse_simple([("f", "HTML")]) == "html"
    assert parse_simple([("f", "geojson")]) == "json"
    assert _code(lambda: parse_simple([("f", "csv")])) == "bad_format"


def test_datetime_instant_interval_and_open_ends():
    t = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert parse_datetime("2024-05-01T08:00:00Z") == TimeFilter(t, t, instant=True)
    assert parse_datetime("2024-05-01T08:00:00Z/..") == TimeFilter(t, None)
    assert parse_datetime("../2024-05-01T08:00:00Z") == TimeFilter(None, t)
    assert parse_datetime("/2024-05-01T08:00:00Z") == TimeFilter(None, t)
    assert parse_datetime("../..") == TimeFilter(None, None)
    day = datetime(2024, 5, 1, tzinfo=VN)
    assert parse_datetime("2024-05-01") == TimeFilter(day, day + timedelta(days=1), end_exclusive=True)
    assert parse_datetime("2024-04-01/2024-05-01") == TimeFilter(
        datetime(2024, 4, 1, tzinfo=VN), day + timedelta(days=1), end_exclusive=True)


def test_an_unencoded_plus_in_the_offset_is_understood():
    instant, _ = parse_instant("2024-05-01T15:00:00 07:00", "datetime")
    assert instant == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_gdal_date_only_form_with_trailing_t():
    start, end = parse_instant("2024-05-01T", "datetime")
    assert start == datetime(2024, 5, 1, tzinfo=VN) and end == start + timedelta(days=1)


@pytest.mark.parametrize("text", ["hôm nay", "2024-13-01", "2024-05-01T08:00:00", "2024-05-01T25:00:00Z",
                                  "2024-02-01/2024-01-01", "a/b/c", "2024-01-01T00:00:00Z/x"])
def test_bad_datetime_is_rejected(text):
    assert _code(lambda: parse_datetime(text)) == "bad_datetime"


def test_datetime_on_a_collection_without_time_is_rejected():
    assert _code(lambda: parse_items([("datetime", "2024-01-01")], NO_TIME)) == "no_time_dimension"


def test_filter_language_and_crs_are_checked():
    query, _ = parse_items([("filter", "ten = 'a'"), ("filter-lang", "cql2-text")], SCHEMA)
    assert query.filter == "ten = 'a'" and query.is_filtered
    parse_items([("filter", "ten = 'a'"), ("filter-lang", "cql-text")], SCHEMA)  # GDAL's name
    assert _code(lambda: parse_items([("filter", "x"), ("filter-lang", "cql2-json")], SCHEMA)) == "bad_filter_lang"
    assert _code(lambda: parse_items([("filter", "  ")], SCHEMA)) == "bad_filter"
    assert _code(lambda: parse_items([("filter", "a" * 20_001)], SCHEMA)) == "bad_filter"
    assert _code(lambda: parse_items([("filter-crs", "EPSG:4326")], SCHEMA)) == "unsupported_crs"
    parse_items([("filter-crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84")], SCHEMA)
