def test_home_page_renders_in_russian_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="ru"' in response.get_data(as_text=True)
