"""The term ↔ variable matching rule of the joint display (mixed.terms)."""
import pytest

from mixed.terms import codes_for_term, identifier_parts, term_matches


@pytest.mark.parametrize(
    "term, variable, expected",
    [
        ("pop", "pop", True),
        ("np.log(pop)", "pop", True),
        ("sum_pop", "pop", True),
        ("log_pop_min", "pop", True),
        ("log_pop_min", "log_pop", True),
        ("urban_share_min", "urban_share", True),
        ("pop:log_distance", "distance", True),
        ("C(province)[T.浙江]", "province", True),
        ("np.log(pop)", "np.log(pop)", True),
        ("population", "pop", False),
        ("log_share", "share_min", False),
        ("pop_min", "min_pop", False),
        ("np.log(pop)", "log(pop)", False),
        ("gravity", "", False),
    ],
)
def test_terms_term_matches_rule(term, variable, expected):
    assert term_matches(term, variable) is expected


def test_terms_identifier_parts_split_on_underscores():
    assert identifier_parts("np.log(sum_pop) + 迁移_流量") == [("np",), ("log",), ("sum", "pop"), ("迁移", "流量")]


def test_terms_codes_for_term_exact_name_wins():
    vmap = {1: ["log_gravity", "log_pop"], 5: ["log_pop_min"], 7: ["pop"]}
    # exact name present: only code 5, although log_pop (1) and pop (7) are parts of the term
    assert codes_for_term("log_pop_min", vmap) == [5]
    # no exact name: every code with a matching part, ascending
    assert codes_for_term("sum_log_pop_min", vmap) == [1, 5, 7]
    # "log" and "pop_min" are separate identifiers here, so only "pop" (7) matches
    assert codes_for_term("np.log(pop_min)", vmap) == [7]
    assert codes_for_term("distance", vmap) == []
