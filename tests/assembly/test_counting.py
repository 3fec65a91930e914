"""Counting: majorities on a stated base, plurality, majority judgment."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estaminet.assembly.counting import (
    Abstentions,
    Base,
    Choice,
    MajorityRule,
    count_judgment,
    count_majority,
    count_multiple,
    count_single,
    majority_from_totals,
    majority_grade,
    majority_value,
)

Y, N, A = Choice.YES, Choice.NO, Choice.ABSTAIN
# A best-first scale of seven grades, as in the default assembly scale.
EXCELLENT, VERY_GOOD, GOOD, FAIRLY_GOOD, PASSABLE, INSUFFICIENT, REJECT = range(7)


def test_majority_simple_excludes_abstentions_from_cast_base() -> None:
    result = count_majority([Y, Y, Y, N, N, A, A, A, A, A], MajorityRule(), present=10, members=12)
    assert (result.yes, result.no, result.abstain, result.base) == (3, 2, 5, 5)
    assert result.required == 3
    assert result.passed


def test_majority_simple_counting_abstentions_makes_them_act_as_no() -> None:
    rule = MajorityRule(abstentions=Abstentions.COUNTED)
    result = count_majority([Y, Y, Y, N, N, A, A, A, A, A], rule, present=10, members=12)
    assert result.base == 10
    assert result.required == 6
    assert not result.passed


def test_majority_simple_half_is_not_enough() -> None:
    result = count_majority([Y, Y, N, N], MajorityRule(), present=4, members=4)
    assert result.required == 3
    assert not result.passed


def test_majority_two_thirds_at_least_passes_on_exact_share() -> None:
    rule = MajorityRule(Fraction(2, 3), strict=False)
    result = count_majority([Y] * 6 + [N] * 3, rule, present=9, members=9)
    assert result.required == 6
    assert result.passed
    assert not count_majority([Y] * 5 + [N] * 4, rule, present=9, members=9).passed


def test_majority_two_thirds_strict_needs_more_than_the_share() -> None:
    rule = MajorityRule(Fraction(2, 3), strict=True)
    result = count_majority([Y] * 6 + [N] * 3, rule, present=9, members=9)
    assert result.required == 7
    assert not result.passed


def test_majority_two_thirds_rounds_up_on_non_multiple_base() -> None:
    rule = MajorityRule(Fraction(2, 3), strict=False)
    result = count_majority([Y] * 7 + [N] * 3, rule, present=10, members=10)
    assert result.required == 7  # 2/3 of 10 is 6.67
    assert result.passed


def test_majority_present_base_counts_silent_members_against() -> None:
    rule = MajorityRule(base=Base.PRESENT)
    result = count_majority([Y, Y, Y, N], rule, present=8, members=10)
    assert result.base == 8
    assert result.required == 5
    assert not result.passed


def test_majority_four_fifths_of_all_members() -> None:
    rule = MajorityRule(Fraction(4, 5), strict=False, base=Base.MEMBERS)
    assert count_majority([Y] * 8, rule, present=8, members=10).passed
    assert not count_majority([Y] * 7, rule, present=7, members=10).passed


def test_majority_empty_base_never_passes() -> None:
    result = count_majority([A, A], MajorityRule(), present=2, members=2)
    assert result.base == 0
    assert not result.passed


def test_majority_rule_rejects_threshold_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="threshold"):
        MajorityRule(Fraction(3, 2))


def test_single_counts_blank_and_reports_tie() -> None:
    result = count_single([0, 1, 1, 0, None, 2], options=3)
    assert result.counts == (2, 2, 1)
    assert result.blank == 1
    assert result.ballots == 6
    assert result.winners == (0, 1)


def test_single_without_choices_has_no_winner() -> None:
    assert count_single([None, None], options=2).winners == ()


def test_single_rejects_unknown_option() -> None:
    with pytest.raises(ValueError, match="unknown option"):
        count_single([3], options=3)


def test_multiple_counts_each_chosen_option() -> None:
    result = count_multiple([[0, 2], [2], [], [1, 2]], options=3, max_choices=2)
    assert result.counts == (1, 1, 3)
    assert result.blank == 1
    assert result.winners == (2,)


def test_multiple_rejects_too_many_or_repeated_choices() -> None:
    with pytest.raises(ValueError, match="maximum"):
        count_multiple([[0, 1, 2]], options=3, max_choices=2)
    with pytest.raises(ValueError, match="distinct"):
        count_multiple([[1, 1]], options=3, max_choices=2)


def test_judgment_majority_grade_is_median_of_odd_count() -> None:
    # Balinski & Laraki's own example: Good, Passable, Reject, Good, Mildly good
    # on their six-grade scale (Very good, Good, Mildly good, Passable, Poor, Reject).
    very_good, good, mildly, passable, poor, reject = range(6)
    assert majority_grade([good, passable, reject, good, mildly]) == mildly
    assert very_good < poor  # best first


def test_judgment_majority_grade_is_lower_median_of_even_count() -> None:
    assert majority_grade([EXCELLENT, EXCELLENT, PASSABLE, REJECT]) == PASSABLE
    assert majority_grade([GOOD, GOOD, GOOD, INSUFFICIENT]) == GOOD


def test_judgment_tie_broken_by_removing_majority_grade_published_example() -> None:
    # Good, Good, Fair, Poor against Excellent, Fair, Fair, Fair: both "Fair";
    # removing one Fair leaves Good for X and Fair for Y, so X wins.
    excellent, good, fair, poor = 0, 2, 3, 4
    x = [good, good, fair, poor]
    y = [excellent, fair, fair, fair]
    result = count_judgment(list(zip(x, y, strict=True)), options=2, grades=5)
    assert [o.majority_grade for o in result.options] == [fair, fair]
    assert result.winners == (0,)
    assert result.ranking == (0, 1)
    assert [o.tendency for o in result.options] == ["+", "+"]


def test_judgment_tie_broken_below_the_median() -> None:
    # Same majority grade and the same shares above and below it (the
    # "majority gauge" cannot separate them); the canonical removal goes on
    # until the grades below the median decide: Insufficient beats Reject.
    first = [EXCELLENT, GOOD, GOOD, GOOD, REJECT]
    second = [VERY_GOOD, GOOD, GOOD, GOOD, INSUFFICIENT]
    assert majority_value(first) == (GOOD, GOOD, GOOD, REJECT, EXCELLENT)
    assert majority_value(second) == (GOOD, GOOD, GOOD, INSUFFICIENT, VERY_GOOD)
    result = count_judgment(list(zip(first, second, strict=True)), options=2, grades=7)
    assert result.winners == (1,)
    assert [o.rank for o in result.options] == [2, 1]


def test_judgment_tie_with_even_number_of_voters() -> None:
    first = [VERY_GOOD, GOOD, PASSABLE, PASSABLE]
    second = [GOOD, GOOD, PASSABLE, INSUFFICIENT]
    # Lower medians: Passable for the first, Passable for the second.
    result = count_judgment(list(zip(first, second, strict=True)), options=2, grades=7)
    assert [o.majority_grade for o in result.options] == [PASSABLE, PASSABLE]
    # First after one removal: [VG, G, P] -> G; second: [G, G, I] -> G; then
    # first [VG, P] -> P, second [G, I] -> I: the first wins.
    assert result.winners == (0,)


def test_judgment_identical_profiles_stay_tied() -> None:
    result = count_judgment([[GOOD, PASSABLE], [PASSABLE, GOOD]], options=2, grades=7)
    assert result.winners == (0, 1)
    assert [o.rank for o in result.options] == [1, 1]
    assert result.ranking == (0, 1)


def test_judgment_missing_grade_counts_as_lowest() -> None:
    explicit = count_judgment([[GOOD, REJECT], [GOOD, REJECT]], options=2, grades=7)
    missing = count_judgment([[GOOD, None], [GOOD]], options=2, grades=7)
    assert explicit == missing
    assert missing.options[1].profile == (0, 0, 0, 0, 0, 0, 2)


def test_judgment_profiles_sum_to_ballots_for_bars() -> None:
    ballots = [[EXCELLENT, REJECT, GOOD], [GOOD, GOOD, GOOD], [PASSABLE, EXCELLENT, REJECT]]
    result = count_judgment(ballots, options=3, grades=7)
    assert result.ballots == 3
    assert result.options[0].profile == (1, 0, 1, 0, 1, 0, 0)
    assert all(sum(o.profile) == 3 for o in result.options)


def test_judgment_best_majority_grade_wins_over_tie_breaks() -> None:
    ballots = [[GOOD, EXCELLENT], [GOOD, EXCELLENT], [GOOD, REJECT], [GOOD, REJECT], [GOOD, REJECT]]
    result = count_judgment(ballots, options=2, grades=7)
    assert result.winners == (0,)
    assert result.options[1].majority_grade == REJECT


def test_judgment_without_ballots_has_no_winner() -> None:
    result = count_judgment([], options=3, grades=7)
    assert result.winners == ()
    assert result.ballots == 0


def test_judgment_rejects_unknown_grade() -> None:
    with pytest.raises(ValueError, match="unknown grade"):
        count_judgment([[7]], options=1, grades=7)


grades_st = st.integers(min_value=0, max_value=6)
ballots_st = st.lists(st.lists(grades_st, min_size=3, max_size=3), min_size=1, max_size=25)


@given(ballots_st, st.randoms(use_true_random=False))
def test_judgment_invariant_under_ballot_order(ballots: list[list[int]], rnd: object) -> None:
    shuffled = list(ballots)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert count_judgment(shuffled, 3, 7) == count_judgment(ballots, 3, 7)


@given(ballots_st)
def test_judgment_winner_has_best_majority_grade(ballots: list[list[int]]) -> None:
    result = count_judgment(ballots, 3, 7)
    best = min(o.majority_grade for o in result.options)
    assert all(result.options[w].majority_grade == best for w in result.winners)
    ordered = [result.options[i].majority_grade for i in result.ranking]
    assert ordered == sorted(ordered)


@given(ballots_st)
def test_judgment_majority_grade_has_majority_support(ballots: list[list[int]]) -> None:
    # More than half the ballots give the majority grade or better, and at
    # least half give it or worse (that is what "lower median" means).
    result = count_judgment(ballots, 3, 7)
    n = len(ballots)
    for option in result.options:
        column = [b[option.option] for b in ballots]
        at_least = sum(1 for g in column if g <= option.majority_grade)
        at_most = sum(1 for g in column if g >= option.majority_grade)
        assert 2 * at_least > n
        assert 2 * at_most >= n


@given(ballots_st, st.integers(min_value=0, max_value=2))
def test_judgment_raising_a_grade_never_hurts(ballots: list[list[int]], option: int) -> None:
    before = count_judgment(ballots, 3, 7)
    raised = [list(b) for b in ballots]
    raised[0][option] = max(0, raised[0][option] - 1)
    after = count_judgment(raised, 3, 7)
    if option in before.winners:
        assert option in after.winners
    assert after.options[option].rank <= before.options[option].rank


@given(st.lists(grades_st, min_size=1, max_size=30))
def test_judgment_majority_value_is_a_permutation_of_grades(grades: list[int]) -> None:
    value = majority_value(grades)
    assert sorted(value) == sorted(grades)
    assert value[0] == majority_grade(grades)


@given(st.lists(st.sampled_from(list(Choice)), max_size=40), st.sampled_from(list(Base)))
def test_majority_invariant_under_ballot_order(choices: list[Choice], base: Base) -> None:
    rule = MajorityRule(Fraction(2, 3), strict=False, base=base)
    forward = count_majority(choices, rule, present=40, members=50)
    backward = count_majority(list(reversed(choices)), rule, present=40, members=50)
    assert forward == backward
    assert forward.passed == (forward.base > 0 and 3 * forward.yes >= 2 * forward.base)


def test_majority_tie_is_exactly_at_a_strict_threshold() -> None:
    half = count_majority([Y, Y, Y, N, N, N], MajorityRule(), present=6, members=6)
    assert (half.passed, half.tie) == (False, True)
    assert not count_majority([Y, Y, Y, N, N], MajorityRule(), present=5, members=5).tie
    two_thirds = MajorityRule(Fraction(2, 3), strict=True)
    assert count_majority([Y] * 6 + [N] * 3, two_thirds, present=9, members=9).tie
    at_least = MajorityRule(Fraction(2, 3), strict=False)  # exactly 2/3 passes: no tie
    assert not count_majority([Y] * 6 + [N] * 3, at_least, present=9, members=9).tie
    assert not count_majority([], MajorityRule(), present=0, members=0).tie


def test_plurality_and_judgment_report_ties_from_the_counts() -> None:
    assert count_single([0, 1, 1, 0], options=2).tie
    assert not count_single([0, 1, 1], options=2).tie
    assert count_multiple([[0, 1], [0, 1]], options=3, max_choices=2).tie
    assert not count_single([None], options=2).tie  # nobody chosen: no winner, no tie
    assert count_judgment([[GOOD, GOOD], [VERY_GOOD, VERY_GOOD]], options=2, grades=7).tie
    assert not count_judgment([[GOOD, VERY_GOOD]], options=2, grades=7).tie


@given(
    st.integers(0, 20),
    st.integers(0, 20),
    st.integers(0, 20),
    st.sampled_from([Fraction(1, 2), Fraction(2, 3), Fraction(3, 4)]),
    st.booleans(),
)
def test_majority_tie_never_passes_and_means_exactly_the_share(
    yes: int, no: int, abstain: int, threshold: Fraction, strict: bool
) -> None:
    rule = MajorityRule(threshold, strict)
    result = majority_from_totals(yes, no, abstain, rule, present=60, members=60)
    assert not (result.tie and result.passed)
    assert result.tie == (strict and result.base > 0 and Fraction(yes, result.base) == threshold)
