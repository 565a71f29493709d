"""The demo coordinator runs the 双百 programme, reads an explanation, approves pairs and
records a follow-up — in Debian's chromium."""

from datetime import date

from tests.browser.test_registry_journey import login


def test_shuangbai_from_run_to_follow_up(page, live_server):
    login(page, live_server)
    page.click("nav >> text=结对项目")
    page.click("text=农村妇女 × 女能手")
    page.click("button:has-text('开始匹配')")
    page.wait_for_url("**/runs/*")
    first_row = page.locator("table.proposals tbody tr").first
    explanation = first_row.locator("td.explanation").inner_text()
    assert "+" in explanation and ("专长相近" in explanation or "同村" in explanation)

    mentee = first_row.locator("td").first.inner_text().splitlines()[0]
    first_row.locator("button:has-text('批准')").click()
    assert f"已批准：{mentee}" in page.locator(".flash.success").inner_text()

    page.fill("input[name=min_score]", "1.0")
    page.click("button:has-text('批量批准')")
    assert "已批准" in page.locator(".flash.success").first.inner_text()

    page.click("text=返回项目")
    page.click("text=结对中")
    page.locator("table.list tbody tr a").first.click()
    today = date.today()
    page.fill("#on", f"{today.year}年{today.month}月{today.day}日")
    page.select_option("#kind", "visit")
    page.fill("#notes", "上门查看养殖情况，讲解水质管理")
    page.fill("#income_change", "300")
    page.click("button:has-text('记录跟踪服务')")
    assert "已记录跟踪服务" in page.locator(".flash.success").inner_text()
    assert "上门查看养殖情况" in page.locator("main").inner_text()
