"""The engine's girls for donors' pledges: places, need, wishes and reasons."""

from __future__ import annotations

from matchmaker.matching.sponsor_fit import (
    GirlNeed,
    PledgeSlot,
    fit,
    grade_matches,
    propose_links,
)

CITY = "330481/"
YANGUAN = "330481/330481107/"
XUCUN = "330481/330481101/"


def girl(gid, *, town=YANGUAN, grade="五年级", days=30, flagged=False):
    return GirlNeed(id=gid, region_path=town + f"{gid:012d}/", grade=grade, waiting_days=days,
                    flagged=flagged)


def chosen(links, pledge_id=None):
    return [link.girl_id for link in links if pledge_id is None or link.pledge_id == pledge_id]


def test_never_more_girls_than_free_places_and_never_one_girl_twice():
    pledges = [PledgeSlot(1, free=2, area_path=CITY), PledgeSlot(2, free=1, area_path=CITY),
               PledgeSlot(3, free=0, area_path=CITY)]
    girls = [girl(i, days=10 * i) for i in range(1, 8)]
    links = propose_links(pledges, girls)
    assert len(chosen(links, 1)) == 2 and len(chosen(links, 2)) == 1
    assert chosen(links, 3) == []
    assert len(set(chosen(links))) == len(links) == 3
    # The three who waited longest, whatever pledge they went to.
    assert sorted(chosen(links)) == [5, 6, 7]


def test_fewer_girls_than_places_links_every_girl_once():
    links = propose_links([PledgeSlot(1, free=5, area_path=CITY)], [girl(1), girl(2)])
    assert sorted(chosen(links)) == [1, 2]


def test_flagged_girls_first_then_the_longest_waiting():
    girls = [girl(1, days=1500), girl(2, days=3, flagged=True), girl(3, days=400),
             girl(4, days=90)]
    one = propose_links([PledgeSlot(1, free=1, area_path=CITY)], girls)
    assert chosen(one) == [2]
    assert one[0].reasons[:2] == ("原捐助中断", "等待 3 天")
    two = propose_links([PledgeSlot(1, free=3, area_path=CITY)], girls)
    # Best first within the pledge: flagged, then 1500 days, then 400.
    assert chosen(two) == [2, 1, 3]


def test_the_donors_region_wish_is_honoured_before_waiting_time():
    pledge = PledgeSlot(1, free=1, area_path=CITY, pref_region_path=XUCUN,
                        pref_region_level="town")
    links = propose_links([pledge], [girl(1, town=YANGUAN, days=900),
                                     girl(2, town=XUCUN, days=20)])
    assert chosen(links) == [2]
    assert links[0].explanation == "等待 20 天 · 同镇"


def test_a_county_wish_is_named_as_such_and_a_miss_is_said():
    pledge = PledgeSlot(1, free=1, area_path=CITY, pref_region_path=CITY,
                        pref_region_level="county")
    assert fit(pledge, girl(1))[1] == ("等待 30 天", "同县")
    elsewhere = PledgeSlot(1, free=1, area_path="", pref_region_path=XUCUN,
                           pref_region_level="town")
    assert fit(elsewhere, girl(1, town=YANGUAN))[1] == ("等待 30 天", "不在意向地区")


def test_grade_wish_by_grade_or_school_stage():
    assert grade_matches("初中", "初二") and grade_matches("五年级", "五年级")
    assert not grade_matches("初中", "五年级") and not grade_matches("", "五年级")
    pledge = PledgeSlot(1, free=1, area_path=CITY, pref_grade="初中")
    links = propose_links([pledge], [girl(1, grade="五年级", days=800),
                                     girl(2, grade="初二", days=120)])
    assert chosen(links) == [2]
    assert links[0].explanation == "等待 120 天 · 年级相符"


def test_both_wishes_and_the_explanation_of_the_example():
    pledge = PledgeSlot(1, free=1, area_path=CITY, pref_region_path=YANGUAN,
                        pref_region_level="town", pref_grade="五年级")
    links = propose_links([pledge], [girl(1, days=120), girl(2, town=XUCUN, days=999),
                                     girl(3, grade="初一", days=999)])
    assert chosen(links) == [1]
    assert links[0].explanation == "等待 120 天 · 同镇 · 年级相符"


def test_greatest_need_ignores_wishes():
    pledge = PledgeSlot(1, free=1, area_path=CITY, pref_region_path=XUCUN,
                        pref_region_level="town", pref_grade="初一", greatest_need=True)
    links = propose_links([pledge], [girl(1, town=YANGUAN, days=900),
                                     girl(2, town=XUCUN, grade="初一", days=20)])
    assert chosen(links) == [1]
    assert links[0].explanation == "等待 900 天"


def test_girls_outside_the_pledges_area_are_not_candidates():
    pledge = PledgeSlot(1, free=2, area_path=XUCUN)
    links = propose_links([pledge], [girl(1, town=YANGUAN, days=5000), girl(2, town=XUCUN)])
    assert chosen(links) == [2]


def test_two_pledges_each_get_the_girl_of_their_wish():
    pledges = [PledgeSlot(1, free=1, area_path=CITY, pref_region_path=XUCUN,
                          pref_region_level="town"),
               PledgeSlot(2, free=1, area_path=CITY, pref_region_path=YANGUAN,
                          pref_region_level="town")]
    links = propose_links(pledges, [girl(1, town=YANGUAN), girl(2, town=XUCUN)])
    assert {(link.pledge_id, link.girl_id) for link in links} == {(1, 2), (2, 1)}
    assert all("同镇" in link.explanation for link in links)


def test_nothing_to_propose():
    assert propose_links([], [girl(1)]) == []
    assert propose_links([PledgeSlot(1, free=1, area_path=CITY)], []) == []
