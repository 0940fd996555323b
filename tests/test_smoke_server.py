from conftest import LiveServer


def test_a_served_server_keeps_and_returns_a_photo(server: LiveServer) -> None:
    import hashlib

    import httpx

    from conftest import make_jpeg

    token = server.user_with_token("alice")
    body = make_jpeg(1)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{server.url}/api/v1.0/service/image/"
    r = httpx.post(url, headers=headers, files={"photo": ("a.jpg", body, "image/jpeg")})
    assert r.status_code == 200, r.text
    md5 = hashlib.md5(body).hexdigest()
    assert r.json()["data"] == [{"name": "photo", "md5": md5}]
    got = httpx.get(url, params={"md5": md5}, headers=headers)
    assert got.content == body
    assert got.headers["content-type"] == "image/jpeg"
