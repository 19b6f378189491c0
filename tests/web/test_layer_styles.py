"""styles.js, the one style renderer of the main map and the planner, run in the browser:
the stored style JSON in, Leaflet path options out."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page


@pytest.fixture
def styles(page: Page, live_server: str) -> Any:
    """Call a function exported by /static/js/styles.js with JSON arguments."""
    page.goto(f"{live_server}/static/css/app.css")  # same origin, no page script

    def call(name: str, *args: Any) -> Any:
        return page.evaluate(
            "async ([name, args]) => (await import('/static/js/styles.js'))[name](...args)", [name, list(args)])
    return call


def test_the_default_layers_plain_leaflet_options_are_a_single_style_kept_as_they_are(styles: Any) -> None:
    communes = {"color": "#1d4ed8", "weight": 1.5, "fillColor": "#60a5fa", "fillOpacity": 0.15}
    style = styles("normaliseStyle", communes, "polygon")
    assert style["type"] == "single"
    out = styles("featureStyle", style, {"code": "24664"}, "polygon")
    assert {k: out[k] for k in communes} == communes
    # Leaflet fills with the stroke colour when no fillColor is given (the district outline)
    district = styles("normaliseStyle", {"color": "#b91c1c", "weight": 3, "fillOpacity": 0}, "polygon")
    assert district["fillColor"] == "#b91c1c" and district["fillOpacity"] == 0
    dashed = styles("featureStyle", styles("normaliseStyle", {"color": "#047857", "dashArray": "6 4"}), {}, "polygon")
    assert dashed["dashArray"] == "6 4"


def test_an_empty_or_broken_style_falls_back_to_defaults_of_the_geometry(styles: Any) -> None:
    broken: list[Any] = [None, {}, [], "rouge", {"type": "bogus", "color": "red", "weight": "wide", "radius": 500}]
    for raw in broken:
        style = styles("normaliseStyle", raw, "point")
        assert style["type"] == "single"
        assert style["color"].startswith("#") and len(style["color"]) == 7
        assert 2 <= style["radius"] <= 30 and isinstance(style["weight"], (int, float))
    assert styles("normaliseStyle", {"radius": 500}, "point")["radius"] == 30
    assert styles("normaliseStyle", {"fillColor": "#ABC"}, "polygon")["fillColor"] == "#aabbcc"
    # an injected "colour" never reaches the SVG
    assert styles("normaliseStyle", {"color": "url(javascript:x)"}, "line")["color"] == "#2563eb"


def test_categories_colour_by_value_and_unknown_values_take_the_default(styles: Any) -> None:
    style = styles("normaliseStyle", {
        "type": "categorised", "field": "loai", "color": "#ffffff",
        "categories": [{"value": "Chợ", "color": "#e11d48", "label": "Chợ"},
                       {"value": 2, "color": "#16a34a"}, {"value": None, "color": "#000000", "label": "∅"}],
        "default": {"color": "#94a3b8"},
    }, "point")
    fill = lambda props, kind="point": styles("featureStyle", style, props, kind)  # noqa: E731
    assert fill({"loai": "Chợ"})["fillColor"] == "#e11d48"
    assert fill({"loai": "Chợ"})["color"] == "#ffffff"  # the outline stays
    assert fill({"loai": "2"})["fillColor"] == "#16a34a"  # values compare as text
    assert fill({"loai": 2})["fillColor"] == "#16a34a"
    assert fill({"loai": None})["fillColor"] == "#000000"
    assert fill({"loai": "Trường học"})["fillColor"] == "#94a3b8"
    assert fill({})["fillColor"] == "#000000"  # a missing value is a null value
    assert fill({"loai": "Chợ"}, "line")["color"] == "#e11d48"  # lines take the class colour as stroke
    legend = styles("legendEntries", style)
    assert [r["color"] for r in legend] == ["#e11d48", "#16a34a", "#000000", "#94a3b8"]
    assert legend[-1]["other"] is True


def test_categories_are_generated_from_distinct_values_most_frequent_first(styles: Any) -> None:
    values = ["Chợ", "Trường học", "Chợ", "Trạm y tế", "Chợ", "Trường học", None]
    cats = styles("categoriesFrom", values, "tableau")
    assert [c["value"] for c in cats] == ["Chợ", "Trường học", None, "Trạm y tế"]
    palette = styles("paletteColor", "tableau", 0)
    assert cats[0]["color"] == palette and len({c["color"] for c in cats}) == 4
    assert cats[2]["label"] == "∅"
    many = styles("categoriesFrom", [f"xã {i}" for i in range(100)], "bold")
    assert len(many) == 30  # the rest fall to the default colour


def test_graduated_classes_by_equal_interval_and_quantile(styles: Any) -> None:
    values = [0, 10, 20, 30, 40, 50, 60, 70, 80, 1000]
    equal = styles("classesFrom", values, {"n": 4, "method": "equal", "ramp": "reds"})
    assert [(c["min"], c["max"]) for c in equal] == [(0, 250), (250, 500), (500, 750), (750, 1000)]
    quantile = styles("classesFrom", values, {"n": 4, "method": "quantile", "ramp": "reds"})
    assert [c["min"] for c in quantile] == [0, 20, 50, 70] and quantile[-1]["max"] == 1000
    reds = styles("rampColors", "reds", 4)
    assert reds[0] == "#fef2f2" and reds[-1] == "#7f1d1d"
    assert [c["color"] for c in equal] == reds

    style = styles("normaliseStyle", {"type": "graduated", "field": "dan_so", "classes": equal,
                                      "default": {"color": "#cccccc"}}, "polygon")
    colour = lambda v: styles("featureStyle", style, {"dan_so": v}, "polygon")["fillColor"]  # noqa: E731
    assert colour(0) == reds[0] and colour(249.9) == reds[0] and colour(250) == reds[1]
    assert colour(1000) == reds[3]  # the last class includes its maximum
    assert colour("600") == reds[2]  # numbers stored as text still classify
    assert colour(-5) == "#cccccc" and colour(None) == "#cccccc" and colour("n/a") == "#cccccc"


def test_classes_of_odd_data_never_break(styles: Any) -> None:
    assert styles("classesFrom", [], {"n": 5}) == []
    assert styles("classesFrom", ["a", None, "b"], {"n": 5}) == []
    same = styles("classesFrom", [7, 7, 7], {"n": 5})
    assert len(same) == 1 and same[0]["min"] == 7 and same[0]["max"] == 7
    assert len(styles("classesFrom", list(range(100)), {"n": 50})) == 9  # at most 9 classes
    assert styles("geometryKind", "MultiLineString") == "line"
    assert styles("geometryKind", "Point") == "point"
    assert styles("geometryKind", "Geometry") == "polygon"
