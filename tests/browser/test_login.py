import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_logs_in_and_lands_on_the_worklist(login, pta, page):
    login(pta)

    assert page.url.endswith("/orders/")
    assert page.get_by_role("button", name="Log out").is_visible()


def test_wrong_password_is_refused_with_a_message(login, pta, page):
    login(pta, password="wrong")

    assert "/login/" in page.url
    assert page.get_by_role("alert").is_visible()
