"""The clinical-significance command on small synthetic CSVs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from outcome_monitor.analysis.clinsig_cli import clinical_significance

# Four synthetic people, higher = better. Pre 32/40/48/40 (mean 40, SD 6.532), post 53/41/30/55.
COHORT = "id,time,score\na,1,32\na,2,53\nb,1,40\nb,2,41\nc,1,48\nc,2,30\nd,1,40\nd,2,55\n"
BASE = ["--id", "id", "--time", "time", "--outcome", "score", "--pre", "1", "--post", "2"]


def _run(tmp_path: Path, csv_text: str, *args: str) -> Result:
    path = tmp_path / "scores.csv"
    path.write_text(csv_text, encoding="utf-8")
    return CliRunner().invoke(clinical_significance, [str(path), *BASE, *args])


def _json(tmp_path: Path, csv_text: str, *args: str) -> dict[str, Any]:
    result = _run(tmp_path, csv_text, "--reliability", "0.8", "--better", "higher", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_json_shape_without_functional_norms(tmp_path: Path) -> None:
    report = _json(tmp_path, COHORT)

    assert set(report) == {"n_total", "n_used", "method", "cutoff", "categories", "clients"}
    assert (report["n_total"], report["n_used"], report["method"], report["cutoff"]) == (
        4,
        4,
        "JT",
        None,
    )
    assert report["categories"] == {"improved": 2, "unchanged": 1, "deteriorated": 1}
    assert report["clients"][0] == {
        "id": "a",
        "pre": 32.0,
        "post": 53.0,
        "rci": pytest.approx(21 / (2**0.5 * 6.531973 * 0.2**0.5), abs=1e-5),
        "category": "improved",
    }


def test_functional_norms_add_recovered_and_harmed_with_cutoff_c(tmp_path: Path) -> None:
    report = _json(tmp_path, COHORT, "--m-functional", "60", "--sd-functional", "7.5")

    # c = (6.532 * 60 + 7.5 * 40) / (6.532 + 7.5)
    assert report["cutoff"] == pytest.approx((6.531973 * 60 + 7.5 * 40) / 14.031973, abs=1e-5)
    assert report["categories"] == {
        "recovered": 2,
        "improved": 0,
        "unchanged": 1,
        "deteriorated": 1,
        "harmed": 0,
    }


@pytest.mark.parametrize(
    ("cutoff", "expected"),
    [
        pytest.param("a", 40 + 2 * 6.531973, id="a from the clinical pre scores"),
        pytest.param("b", 60 - 2 * 7.5, id="b with the functional SD"),
    ],
)
def test_cutoff_a_and_b(tmp_path: Path, cutoff: str, expected: float) -> None:
    report = _json(
        tmp_path, COHORT, "--m-functional", "60", "--sd-functional", "7.5", "--cutoff", cutoff
    )

    assert report["cutoff"] == pytest.approx(expected, abs=1e-5)


def test_lower_is_better_mirrors_the_categories(tmp_path: Path) -> None:
    result = _run(tmp_path, COHORT, "--reliability", "0.8", "--better", "lower", "--json")

    report = json.loads(result.output)
    assert report["categories"] == {"improved": 1, "unchanged": 1, "deteriorated": 2}


# Pre 10/20/30/40 (mean 25, SD 12.910), post 9/26/25/44 (mean 26, SD 14.306), r = .9385.
METHOD_COHORT = "id,time,score\n" + "".join(
    f"p{i},1,{pre}\np{i},2,{post}\n"
    for i, (pre, post) in enumerate([(10, 9), (20, 26), (30, 25), (40, 44)])
)
S1, M1, M2 = 12.909944, 25.0, 26.0


@pytest.mark.parametrize(
    ("method", "extra", "first_rci"),
    [
        pytest.param("JT", [], -1 / (2**0.5 * S1 * 0.2**0.5), id="JT"),
        pytest.param("GLN", [], ((9 - M1) - 0.8 * (10 - M1)) / (S1 * 0.6), id="GLN"),
        pytest.param("HLL", [], ((9 - M2) - 0.8 * (10 - M1)) / (S1 * 0.6), id="HLL"),
        pytest.param("EN", [], (9 - (0.8 * (10 - M1) + M1)) / (S1 * 0.2**0.5), id="EN"),
        pytest.param(
            "NK",
            ["--reliability-post", "0.9"],
            (9 - 13) / (0.64 * S1**2 * 0.2 + S1**2 * 0.1) ** 0.5,
            id="NK with post reliability",
        ),
        pytest.param(
            "NK",
            [],
            (9 - 13) / (0.64 * S1**2 * 0.2 + S1**2 * 0.2) ** 0.5,
            id="NK defaults to --reliability",
        ),
    ],
)
def test_each_method_computes_its_index(
    tmp_path: Path, method: str, extra: list[str], first_rci: float
) -> None:
    report = _json(tmp_path, METHOD_COHORT, "--method", method, *extra)

    assert report["method"] == method.upper()
    assert report["clients"][0]["rci"] == pytest.approx(first_rci, abs=1e-5)


def test_hageman_arrindell_index_is_case_insensitive_and_uses_the_sample_moments(
    tmp_path: Path,
) -> None:
    # COHORT: s1 6.532, s2 11.615, r12 -.808, so r_xx2 .937 and r_dd .943 (reference §1.5).
    report = _json(tmp_path, COHORT, "--method", "ha")

    assert report["method"] == "HA"
    assert report["clients"][0]["rci"] == pytest.approx(5.004003, abs=1e-5)


def test_hageman_arrindell_uses_its_true_score_cutoff_and_165(tmp_path: Path) -> None:
    report = _json(
        tmp_path, COHORT, "--method", "HA", "--m-functional", "60", "--sd-functional", "7.5"
    )

    assert report["cutoff"] == pytest.approx(49.164437, abs=1e-5)
    # a: reliably better but CS 1.17 is not beyond 1.65, so not recovered (JT calls a recovered).
    assert [c["category"] for c in report["clients"]] == [
        "improved",
        "unchanged",
        "deteriorated",
        "recovered",
    ]


@pytest.mark.parametrize(
    ("cutoff", "expected"),
    [
        # a = 40 + 2 * 6.531973 * sqrt(.8)
        pytest.param("a", 51.684748, id="a"),
        # SE^2 = 42.6667 * .2 = 8.5333; functional true SD sqrt(7.5^2 - 8.5333) = 6.907725;
        # b = 60 - 2 * 6.907725. The R package clinicalsignificance (and reference §1.5) use the
        # clinical true SD here, 60 - 2 * 6.531973 * sqrt(.8) = 48.315252 (fixed in issue 8).
        pytest.param("b", 46.184550, id="b with the functional SD and reliability"),
    ],
)
def test_hageman_arrindell_cutoffs_a_and_b(tmp_path: Path, cutoff: str, expected: float) -> None:
    report = _json(
        tmp_path,
        COHORT,
        "--method",
        "HA",
        "--m-functional",
        "60",
        "--sd-functional",
        "7.5",
        "--cutoff",
        cutoff,
    )

    assert report["cutoff"] == pytest.approx(expected, abs=1e-5)


# Higher is worse. Pre 20/22/18/10/5/24: mean 16.5, variance 55.1 (SE^2 = 11.02); post
# 6/10/12/20/15/8: mean 11.8333, variance 25.7667; covariance -29.7. So r_xx2 = (25.7667 - 11.02)
# / 25.7667 = .572316, r_dd = (55.1 * .8 + 14.7467 + 59.4) / (55.1 + 25.7667 + 59.4) = .842871.
# Functional 8 / 4: r0 = (16 - 11.02) / 16, c = (sqrt(44.08) 8 + sqrt(4.98) 16.5) /
# (sqrt(44.08) + sqrt(4.98)) = 10.138294, so intakes 10 and 5 are not clinical.
HA_HARM_COHORT = "id,time,score\n" + "".join(
    f"h{i},1,{pre}\nh{i},2,{post}\n"
    for i, (pre, post) in enumerate([(20, 6), (22, 10), (18, 12), (10, 20), (5, 15), (24, 8)])
)


def test_hageman_arrindell_harmed_needs_a_clearly_dysfunctional_end(tmp_path: Path) -> None:
    result = _run(
        tmp_path, HA_HARM_COHORT, "--reliability", "0.8", "--better", "lower", "--json",
        "--method", "HA", "--m-functional", "8", "--sd-functional", "4",
    )  # fmt: skip

    report = json.loads(result.output)
    assert report["cutoff"] == pytest.approx(10.138294, abs=1e-5)
    clients = {c["id"]: c for c in report["clients"]}
    # Both rose 10 points: RC = (10 * .842871 - 4.6667 * .157129) / (sqrt(.842871)
    # sqrt(22.04)) = 1.78545, reliably worse. h3 ends at 20: CS = (11.8333 + 8.1667 * .572316
    # - 10.138294) / (sqrt(.572316) * 3.319639) = 2.53606, clearly dysfunctional -> harmed.
    # h4 ends at 15: CS = (11.8333 + 3.1667 * .572316 - 10.138294) / 2.511359 = 1.39660, the
    # uncertain zone -> deteriorated (the old "not clearly functional" rule said harmed).
    assert clients["h3"]["rci"] == pytest.approx(1.78545, abs=1e-5)
    assert clients["h4"]["rci"] == pytest.approx(1.78545, abs=1e-5)
    assert (clients["h3"]["category"], clients["h4"]["category"]) == ("harmed", "deteriorated")
    assert report["categories"] == {
        "recovered": 0,
        "improved": 3,
        "unchanged": 1,
        "deteriorated": 1,
        "harmed": 1,
    }


def test_time_values_match_as_numbers(tmp_path: Path) -> None:
    csv_text = "id,time,score\na,1.0,10\na,2.00,20\nb,1,12\nb,2,11\nc, 1 ,9\nc,2,9\n"

    report = _json(tmp_path, csv_text)

    assert report["n_used"] == 3


def test_text_time_values_match_as_text(tmp_path: Path) -> None:
    csv_text = "id,when,score\na,intake,10\na,end,20\nb,intake,12\nb,end,11\nc,Intake,9\nc,end,9\n"
    path = tmp_path / "s.csv"
    path.write_text(csv_text, encoding="utf-8")
    args = [
        "--id",
        "id",
        "--time",
        "when",
        "--outcome",
        "score",
        "--pre",
        "intake",
        "--post",
        "end",
    ]

    result = CliRunner().invoke(
        clinical_significance,
        [str(path), *args, "--reliability", ".8", "--better", "higher", "--json"],
    )

    assert json.loads(result.output)["n_used"] == 2


def test_people_without_both_scores_or_with_an_empty_score_are_left_out(tmp_path: Path) -> None:
    csv_text = COHORT + "e,1,30\nf,1,\nf,2,40\ng,3,20\n"

    report = _json(tmp_path, csv_text)

    assert (report["n_total"], report["n_used"]) == (7, 4)
    assert [c["id"] for c in report["clients"]] == ["a", "b", "c", "d"]


def test_readable_table(tmp_path: Path) -> None:
    result = _run(tmp_path, COHORT + "e,1,30\n", "--reliability", "0.8", "--better", "higher")

    assert result.exit_code == 0
    assert "Method: JT   cut-off: none" in result.output
    assert "People in file: 5   paired: 4   left out: 1" in result.output
    assert "improved          2" in result.output
    assert "a                     32      53    5.08  improved" in result.output


@pytest.mark.parametrize(
    ("csv_text", "args", "message"),
    [
        pytest.param(
            "id,when,score\na,1,2\n",
            [],
            "row 1: no column 'time' (columns: id, when, score)",
            id="missing column",
        ),
        pytest.param(
            COHORT + "e,1,abc\n", [], "row 10: score 'abc' is not a number", id="score not a number"
        ),
        pytest.param(
            COHORT + "e,1,nan\n", [], "row 10: score 'nan' is not a number", id="NaN score"
        ),
        pytest.param(
            COHORT + "a,1.0,33\n",
            [],
            "row 10: 'a' already has a score at time pre (row 2)",
            id="duplicate person and time",
        ),
        pytest.param(COHORT + ",1,33\n", [], "row 10: empty 'id'", id="empty id"),
        pytest.param(
            "id,time,score\na,1,2\na,2,3\n", [], "need at least 2 people", id="one pair only"
        ),
        pytest.param(
            "id,time,score\na,1,2\na,2,3\nb,1,2\nb,2,5\n",
            [],
            "pre scores do not vary",
            id="constant pre scores",
        ),
        pytest.param(
            METHOD_COHORT,
            ["--method", "HA"],
            "Hageman-Arrindell reliabilities must be positive",
            id="HA when r12 exceeds the reliability",
        ),
    ],
)
def test_bad_input_stops_with_a_message(
    tmp_path: Path, csv_text: str, args: list[str], message: str
) -> None:
    result = _run(tmp_path, csv_text, "--reliability", "0.8", "--better", "higher", *args)

    assert result.exit_code == 1
    assert message in result.output


def test_reliability_outside_zero_one_stops(tmp_path: Path) -> None:
    result = _run(tmp_path, COHORT, "--reliability", "1.2", "--better", "higher")

    assert result.exit_code == 1
    assert "reliability must lie strictly between 0 and 1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--m-functional", "60"],
            "give both --m-functional and --sd-functional",
            id="mean without SD",
        ),
        pytest.param(["--cutoff", "b"], "--cutoff needs --m-functional", id="cutoff without norms"),
        pytest.param(["--method", "XYZ"], "Invalid value for '--method'", id="unknown method"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = _run(tmp_path, COHORT, "--reliability", "0.8", "--better", "higher", *args)

    assert result.exit_code == 2
    assert message in result.output


def test_constant_post_scores_work_for_jt(tmp_path: Path) -> None:
    csv_text = "id,time,score\na,1,10\na,2,20\nb,1,30\nb,2,20\n"

    report = _json(tmp_path, csv_text)

    assert report["n_used"] == 2
