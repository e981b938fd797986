"""/metrics: Prometheus text with request counters by route template and database gauges; needs the key."""


def test_metrics_need_the_key(anonymous_client):
    answer = anonymous_client.get("/metrics")
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "UNAUTHORIZED"


def test_metrics_report_requests_and_library(client):
    client.post("/api/books", json={"title": "Dune", "authors": ["Frank Herbert"]})
    client.get("/api/books/12345")
    text = client.get("/metrics").text
    assert 'shelfkeeper_books{in_library="true"} 1.0' in text
    assert 'shelfkeeper_http_requests_total{method="POST",route="/api/books",status="201"} 1.0' in text
    assert 'route="/api/books/{book_id}",status="404"' in text
    assert "shelfkeeper_http_request_seconds_bucket" in text
