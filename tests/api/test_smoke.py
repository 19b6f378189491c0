def test_health_reports_postgis(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"]["postgis"].startswith("3.")
