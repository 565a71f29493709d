"""Volunteers ranked for one need by the mentor-matching features, with reasons in Chinese."""

from matchmaker.matching.types import MenteeProfile as Need
from matchmaker.matching.types import MentorProfile as Volunteer
from matchmaker.matching.volunteer_fit import matched_terms, rank_volunteers, shared_terms

SELL_ONLINE = Need(id="request:1", needs="网上销售 帮助贫困母亲在网上销售农产品",
                   region="330481107201", availability={"we_am", "wd_ev"})


def volunteer(vid: str, skills: str, region: str = "330481107201",
              slots=("we_am", "wd_ev"), teams=("创业指导",)) -> Volunteer:
    return Volunteer(id=vid, specialty=skills, experience=" ".join(teams),
                     categories=set(teams), region=region, availability=set(slots))


def ids(fits) -> list[str]:
    return [f.volunteer_id for f in fits]


def test_skills_that_name_the_need_rank_first_even_from_another_town():
    fits = rank_volunteers([
        volunteer("law", "法律咨询 婚姻家庭调解"),
        volunteer("edu", "家庭教育 亲子阅读"),
        volunteer("shop", "电商直播 网店运营", region="330481101201"),
    ], SELL_ONLINE)
    assert ids(fits)[0] == "shop"
    shop = fits[0]
    assert shop.features["skills"] == 1 and fits[1].features["skills"] == 0
    # The reason names what skills and need share, though they share no characters.
    assert "技能对口：电商≈网上销售" in shop.explanation.text_zh
    assert "同县" in shop.explanation.text_zh
    assert fits[1].region_level == 0 and shop.score > fits[1].score


def test_text_similarity_counts_when_the_words_are_the_same():
    fits = rank_volunteers([
        volunteer("other", "插花 茶艺"),
        volunteer("same", "农产品包装设计"),
    ], SELL_ONLINE)
    assert ids(fits) == ["same", "other"]
    assert "技能与需求相近：农产品" in fits[0].explanation.text_zh


def test_region_orders_equally_able_volunteers():
    fits = rank_volunteers([
        volunteer("county", "电商直播 网店", region="330481101201"),
        volunteer("town", "电商直播 网店", region="330481107202"),
        volunteer("village", "电商直播 网店", region="330481107201"),
    ], SELL_ONLINE)
    assert ids(fits) == ["village", "town", "county"]
    assert [f.region_level for f in fits] == [0, 1, 2]
    assert ["同村" in f.explanation.text_zh for f in fits] == [True, False, False]
    assert "同镇 +0.30" in fits[1].explanation.text_zh


def test_availability_orders_equally_able_neighbours_and_names_the_slots():
    fits = rank_volunteers([
        volunteer("none", "电商直播 网店", slots=("we_pm",)),
        volunteer("one", "电商直播 网店", slots=("we_am", "we_pm")),
        volunteer("both", "电商直播 网店", slots=("wd_ev", "we_am")),
    ], SELL_ONLINE)
    assert ids(fits) == ["both", "one", "none"]
    assert [f.shared_slots for f in fits] == [("wd_ev", "we_am"), ("we_am",), ()]
    assert "时间契合：工作日晚上/周末上午" in fits[0].explanation.text_zh
    assert "时间契合：周末上午 +0.20" in fits[1].explanation.text_zh
    assert "时间不重合" in fits[2].explanation.text_zh
    assert "Availability overlaps: wd_ev/we_am" in fits[0].explanation.text_en


def test_shared_team_is_named_and_counts():
    need = Need(id="r", needs="社区文明新风宣传", categories={"文明传播"}, region="330481107")
    fits = rank_volunteers([
        volunteer("other", "写作 摄影", teams=("环保护绿",)),
        volunteer("team", "写作 摄影", teams=("文明传播",)),
    ], need)
    assert ids(fits) == ["team", "other"]
    assert "服务队对口：文明传播 +0.60" in fits[0].explanation.text_zh
    assert "服务队对口" not in fits[1].explanation.text_zh


def test_skills_that_fit_outrank_a_team_that_fits():
    """Online selling needs someone who has sold online, not just anyone in the right team
    (the demo showed 会用网上办事平台 above 自己开过网店 before skills counted apart)."""
    need = Need(id="r", needs="想学开网店、拍视频，在网上把农产品卖出去",
                categories={"创业指导", "科技惠民"}, region="330481107201")
    fits = rank_volunteers([
        volunteer("portal", "会用网上办事平台，能帮群众代办", teams=("科技惠民",)),
        volunteer("shop", "自己开过网店，熟悉创业流程", teams=("创业指导",),
                  region="330481101201"),
    ], need)
    assert ids(fits) == ["shop", "portal"]
    assert "技能对口：网店" in fits[0].explanation.text_zh
    assert "技能对口" not in fits[1].explanation.text_zh


def test_limit_exclusions_and_an_empty_pool():
    pool = [volunteer(str(i), "电商") for i in range(15)]
    assert len(rank_volunteers(pool, SELL_ONLINE)) == 10
    assert "3" not in ids(rank_volunteers(pool, SELL_ONLINE, limit=None, exclude={"3"}))
    assert rank_volunteers([], SELL_ONLINE) == []
    assert rank_volunteers(pool[:1], SELL_ONLINE, exclude={"0"}) == []


def test_term_groups():
    assert matched_terms("电商直播 网店") == {"电商": "电商"}
    assert matched_terms("陪独居老人聊天") == {"助老": "老人"}
    assert matched_terms("") == {}
    assert shared_terms("开过网店", "网上卖茶叶") == ["网店≈网上卖"]
    assert shared_terms("电商", "电商培训") == ["电商"]
    assert shared_terms("会用网上办事平台", "网上卖茶叶") == []
