"""The app answers on both backends: health is public, the rest needs the key."""


def test_health_is_public(anonymous_client):
    response = anonymous_client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["database"]["reachable"] is True


def test_books_need_a_key(anonymous_client):
    response = anonymous_client.get("/api/books")
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHORIZED"


def test_create_then_list(client):
    created = client.post("/api/books", json={"title": "Dune", "authors": ["Frank Herbert"]})
    assert created.status_code == 201
    listed = client.get("/api/books").json()["data"]
    assert listed["total"] == 1
    assert listed["items"][0]["authors"][0]["name"] == "Frank Herbert"
