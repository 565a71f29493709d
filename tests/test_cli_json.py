"""`matchmaker solve` and `matchmaker allocate`: the public JSON commands."""

import json

import pytest
from click.testing import CliRunner

from matchmaker.cli import main

SOLVE = {"mentors": [{"id": "茶农", "capacity": 1}, {"id": "电商", "capacity": 2}],
         "mentees": [{"id": "甲"}, {"id": "乙"}, {"id": "丙"}],
         "edges": [{"mentor": "茶农", "mentee": "甲", "score": 0.9},
                   {"mentor": "电商", "mentee": "甲", "score": 0.5},
                   {"mentor": "电商", "mentee": "乙", "score": 0.4}],
         "max_pairs": 100}
ALLOCATE = {"budget": "10000.00", "region_min": {"盐官镇": 1},
            "applicants": [{"id": "甲", "region": "许村镇", "amount": "3000.00", "priority": 0.8},
                           {"id": "乙", "region": "盐官镇", "amount": "7000", "priority": 0.9},
                           {"id": "丙", "region": "许村镇", "amount": "5000.50", "priority": 0.5}]}


def run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_solve_writes_the_documented_format(tmp_path):
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(SOLVE, ensure_ascii=False), encoding="utf-8")
    result = run(["solve", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    got = json.loads(out.read_text(encoding="utf-8"))
    assert set(got) == {"pairs", "pair_count", "total_score", "unmatched_mentees", "status"}
    assert got["pair_count"] == 2 and got["status"] == "optimal"
    assert {(p["mentor"], p["mentee"]) for p in got["pairs"]} == {("茶农", "甲"), ("电商", "乙")}
    assert got["unmatched_mentees"] == ["丙"]
    stdout = run(["solve", str(src)])
    assert json.loads(stdout.output) == got


def test_allocate_writes_the_documented_format(tmp_path):
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(ALLOCATE, ensure_ascii=False), encoding="utf-8")
    result = run(["allocate", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    got = json.loads(out.read_text(encoding="utf-8"))
    assert set(got) == {"funded", "unfunded", "total_amount", "total_priority", "status"}
    assert got["funded"] == [{"id": "甲", "amount": "3000.00"}, {"id": "乙", "amount": "7000.00"}]
    assert got["total_amount"] == "10000.00" and got["unfunded"][0]["id"] == "丙"


@pytest.mark.parametrize(("command", "text", "needle"), [
    ("solve", "{", "JSON"),
    ("solve", json.dumps({**SOLVE, "mentors": [{"id": "茶农", "capacity": -1}]}), "茶农"),
    ("solve", json.dumps({**SOLVE, "edges": [{"mentor": "无名", "mentee": "甲", "score": 1}]}),
     "无名"),
    ("solve", '{"mentors": [{"id": "a", "capacity": 1}], "mentees": [{"id": "b"}], '
              '"edges": [{"mentor": "a", "mentee": "b", "score": NaN}]}', "edges[0].score"),
    ("allocate", json.dumps({**ALLOCATE, "budget": "12.345"}), "budget"),
    ("allocate", json.dumps({**ALLOCATE, "region_min": {"盐官镇": 5}}), "盐官镇"),
    ("allocate", json.dumps({"applicants": []}), "budget"),
])
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, command, text, needle):
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, [command, str(src), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert not out.exists()
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：") and needle in lines[0]
    assert "Traceback" not in result.output


def test_missing_input_file(tmp_path):
    result = CliRunner().invoke(main, ["solve", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "无法读取" in result.output
