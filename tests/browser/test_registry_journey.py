"""A coordinator logs in, searches a registry, registers a mentee (fixing a mistake the
form points out in Chinese) and opens her record, which shows numbers masked."""

from datetime import date

from tests.ids import make_id


def login(page, base, username="coordinator", password="matchmaker-demo"):
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")


def test_register_a_mentee(page, live_server):
    login(page, live_server)
    assert page.locator("h1").inner_text() == "工作台"
    page.click("text=帮扶对象")
    page.fill("input[name=q]", "chen")
    page.click("text=查询")
    assert page.locator("table.list tbody tr").count() > 0

    page.click("text=新增登记")
    page.fill("#person-name", "周小梅")
    page.fill("#person-id_number", "330481199203051233")  # wrong check digit
    page.fill("#person-mobile", "13600001234")
    page.locator("#person-region").select_option(index=3)
    page.fill("#profile-needs", "想学习茶叶种植和农村电商")
    page.click("button.primary")
    assert "校验位不正确" in page.locator(".field.has-error").first.inner_text()

    page.fill("#person-id_number", make_id("330481", date(1992, 3, 5), 617))
    page.click("button.primary")
    page.wait_for_url("**/people/*")
    body = page.locator("main").inner_text()
    assert "周小梅" in body and "136****1234" in body and "13600001234" not in body
    assert "1992-03-05" in body  # read from the ID number

    page.click("text=查看完整号码 >> nth=1")
    assert "13600001234" in page.locator("main").inner_text()


def test_town_coordinator_sees_only_her_town(page, live_server):
    login(page, live_server, "town-coordinator")
    page.goto(live_server + "/people/")
    regions = page.locator("table.list tbody td:nth-child(5)").all_inner_texts()
    assert regions and all("盐官镇" in r for r in regions)


def test_switch_to_english(page, live_server):
    login(page, live_server, "admin")
    page.click("button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Dashboard"
