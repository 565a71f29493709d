"""Ids and page numbers from query strings never reach the database unchecked: digits
that are not ASCII, or too many of them, give the first page or a 404 — never a 500."""

import pytest

GARBAGE = ("99999999999999999999999", "²", "-3", "1e9", "%00")


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("path", ["/people/?page=", "/registry/volunteers/?page=",
                                  "/admin/audit?page=", "/volunteers/applicants?page=",
                                  "/people/"])
def test_garbage_in_query_strings_and_paths(client, as_role, regions, path, value):
    as_role("admin")
    status = client.get(path + value).status_code
    assert status in (200, 404), (path, value, status)
