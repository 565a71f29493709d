"""Registry pages fetched in two steps (keys, then rows) hold exactly what the one-step
query gives, page by page, in its order, within the user's scope and filters."""

import pytest

from matchmaker.services import registries
from matchmaker.services.registries import REGISTRIES, Filters

VILLAGES = ("330481107201", "330481107202", "330481101201", "330481101202")
SURNAMES = "张王李赵陈"


@pytest.fixture
def volunteers(app_ctx, make_volunteer):
    # Names repeat across villages, so the order needs all of town, village, name and id.
    return [make_volunteer(f"{SURNAMES[i % 5]}{'丽芳敏'[i % 3]}", region=VILLAGES[i % 4])
            for i in range(47)]


def _all_pages(fetch, per_page):
    pages, n = [], 1
    while True:
        p = fetch(page=n, per_page=per_page)
        pages.append(p)
        if not p.has_next:
            return pages
        n += 1


@pytest.mark.parametrize("role, regions_of_user, filters", [
    ("admin", (), Filters()),
    ("coordinator", ("330481107",), Filters()),
    ("admin", (), Filters(q="z")),
    ("admin", (), Filters(region="330481101")),
])
def test_pages_are_slices_of_the_whole_list(app_ctx, make_user, volunteers, role,
                                            regions_of_user, filters):
    user = make_user(role, region_codes=regions_of_user or ("330481",))
    reg = REGISTRIES["volunteers"]
    whole = list(app_ctx.scalars(registries.registry_query(user, reg, filters)).unique())
    assert whole  # the case is not empty
    pages = _all_pages(lambda **kw: registries.registry_page(user, reg, filters, **kw), 10)
    assert [v.id for p in pages for v in p.items] == [v.id for v in whole]
    assert all(p.total == len(whole) for p in pages)
    assert pages[0].pages == -(-len(whole) // 10)
    beyond = registries.registry_page(user, reg, filters, page=99, per_page=10)
    assert beyond.items == [] and beyond.total == len(whole)


def test_people_pages_too(app_ctx, make_user, volunteers):
    user = make_user("coordinator", region_codes=("330481101",))
    whole = list(app_ctx.scalars(registries.people_query(user, Filters())))
    pages = _all_pages(lambda **kw: registries.people_page(user, Filters(), **kw), 7)
    assert [p.id for pg in pages for p in pg.items] == [p.id for p in whole]
    assert whole and all(p.region.path.startswith("330481/330481101/") for p in whole)
