"""Personas (journey_mining.personas): planted groups are found and named by their own touchpoints, the
2 % and 200-person rules hold, the lift naming matches a case worked out by hand, and the tokens are the
steps and the pairs within one journey, kept when at least 5 persons have them."""

from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, pairwise_distances, silhouette_score

from journey_mining import personas

NAMES = [f"T{t}" for t in range(20)]
SHARED = [16, 17, 18, 19]  # every group uses these; group g's own touchpoints are 3g, 3g + 1, 3g + 2


def own(group: int) -> list[int]:
    return [3 * group, 3 * group + 1, 3 * group + 2]


def planted(group_sizes: list[int], seed: int) -> tuple[np.ndarray, ...]:
    """Path steps (person, journey, touchpoint) and each person's planted group. A person has 1-3 journeys
    of 2-5 steps; a step is one of its group's own touchpoints (60 %), a shared one (30 %) or any other
    (10 %)."""
    rng = np.random.default_rng(seed)
    group = rng.permutation(np.repeat(np.arange(len(group_sizes)), group_sizes))
    person, journey, touchpoint = [], [], []
    for number, g in enumerate(group):
        weights = np.full(len(NAMES), 0.10 / (len(NAMES) - 3 - len(SHARED)))
        weights[SHARED] = 0.30 / len(SHARED)
        weights[own(g)] = 0.60 / 3
        for _ in range(rng.integers(1, 4)):
            steps = rng.integers(2, 6)
            person += [number] * steps
            journey += [journey[-1] + 1 if journey else 0] * steps
            touchpoint += list(rng.choice(len(NAMES), size=steps, p=weights))
    return np.array(person), np.array(journey), np.array(touchpoint), group


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("group_sizes", [[450, 300, 150], [400, 300, 200, 100]])
def test_planted_groups_are_found_and_named_by_their_own_touchpoints(group_sizes, seed):
    person, journey, touchpoint, group = planted(group_sizes, seed)
    found = personas.find(person, journey, touchpoint, NAMES)

    assert found is not None and found.k == len(group_sizes)
    assert adjusted_rand_score(group, found.of_person) >= 0.8
    assert 0 < found.silhouette <= 1
    sizes = np.bincount(found.of_person)[1:]
    assert len(sizes) == found.k and list(sizes) == sorted(sizes, reverse=True)  # numbered by size
    planted_of = {}  # persona number -> the planted group most of its persons are in
    for number in range(1, found.k + 1):
        planted_of[number] = int(np.bincount(group[found.of_person == number]).argmax())
        names = found.top_touchpoints[number - 1]
        assert sorted(names) == sorted(NAMES[t] for t in own(planted_of[number]))
        assert found.names[number - 1] == ", ".join(names)
    assert sorted(planted_of.values()) == list(range(len(group_sizes)))
    again = personas.find(person, journey, touchpoint, NAMES)
    assert (again.of_person == found.of_person).all()
    assert (again.k, again.silhouette, again.names) == (found.k, found.silhouette, found.names)


def test_the_mini_batch_route_finds_the_planted_groups_too(monkeypatch):
    # beyond KMEANS_UP_TO persons, KMeans on the silhouette's sample gives MiniBatchKMeans its centres
    monkeypatch.setattr(personas, "KMEANS_UP_TO", 0)
    monkeypatch.setattr(personas, "SILHOUETTE_SAMPLE", 500)
    person, journey, touchpoint, group = planted([450, 300, 150, 100], seed=0)
    found = personas.find(person, journey, touchpoint, NAMES)

    assert found.k == 4 and adjusted_rand_score(group, found.of_person) >= 0.8
    again = personas.find(person, journey, touchpoint, NAMES)
    assert (again.of_person == found.of_person).all() and again.silhouette == found.silhouette


def test_fewer_than_200_persons_have_no_personas():
    person, journey, touchpoint, _ = planted([100, 99], seed=0)
    assert personas.find(person, journey, touchpoint, NAMES) is None
    person, journey, touchpoint, _ = planted([100, 100], seed=0)
    assert personas.find(person, journey, touchpoint, NAMES) is not None


@pytest.mark.parametrize("shuffled", [False, True])
def test_a_group_of_1_percent_is_never_a_persona_of_its_own(shuffled):
    # 1 % of persons walk a path of their own; the rest, in three groups, their group's path: each person
    # one to three journeys over their group's three touchpoints (in a random order each time if shuffled)
    rng = np.random.default_rng(0)
    group = rng.permutation(np.repeat(np.arange(4), [400, 330, 260, 10]))
    walker = np.repeat(np.arange(len(group)), rng.integers(1, 4, size=len(group)))  # each journey's person
    paths = [rng.permutation(own(group[p])) if shuffled else own(group[p]) for p in walker]
    person, journey, touchpoint = np.repeat(walker, 3), np.repeat(np.arange(len(walker)), 3), np.concatenate(paths)
    counts = personas.token_counts(person, journey, touchpoint, len(NAMES))
    rows = personas.tf_idf(counts[:, personas.frequent_tokens(counts)])
    # k-means alone does split the 1 % off for some k: the rule has something to turn down
    assert any(np.bincount(personas.groups(rows, k).labels_, minlength=k).min() == 10 for k in personas.GROUP_COUNTS)

    found = personas.find(person, journey, touchpoint, NAMES)
    assert found.k == 3
    assert np.bincount(found.of_person)[1:].min() >= 0.02 * len(group)


def test_no_personas_when_no_k_passes_the_2_percent_rule():
    # every person walks the same path: k-means finds one group, however many it is asked for
    persons = 300
    person = np.repeat(np.arange(persons), 2)
    journey = person.copy()
    touchpoint = np.tile([0, 1], persons)
    assert personas.find(person, journey, touchpoint, NAMES) is None
    # no token is had by 5 persons: nothing to tell persons apart either
    person = np.arange(persons)
    assert personas.find(person, person, person, [f"T{t}" for t in range(persons)]) is None


def test_names_by_lift_worked_out_by_hand():
    # 20 persons with label 0, 30 with label 1; persons having each touchpoint (label 0, label 1), and
    # lift = share of the label's persons / share of all 50:
    #   A (20, 5):  label 0: 1 / .5 = 2          label 1: (1/6) / .5 = 1/3
    #   B (10, 30): label 0: .5 / .8 = .625      label 1: 1 / .8 = 1.25
    #   C (5, 0):   label 0: .25 / .1 = 2.5
    #   D (0, 10):                               label 1: (1/3) / .2 = 5/3
    #   E (0, 5):                                label 1: (1/6) / .1 = 5/3, a tie with D: D comes first
    #   F (1, 0):   label 0: .05 / .02 = 2.5, but 5 % of label 0: under 10 %, never a name
    #   G (2, 1):   label 0: .1 / .06 = 5/3 (exactly 10 %: may name it); label 1: 1 in 30, under 10 %
    # label 0: C 2.5, A 2, G 5/3 (B .625 is fourth); label 1: D 5/3, E 5/3, B 1.25 (A 1/3 is fourth)
    labels = np.repeat([0, 1], [20, 30])
    having = {"A": (20, 5), "B": (10, 30), "C": (5, 0), "D": (0, 10), "E": (0, 5), "F": (1, 0), "G": (2, 1)}
    has = np.zeros((50, len(having)))
    for t, (in_0, in_1) in enumerate(having.values()):
        has[:in_0, t] = 1
        has[20:20 + in_1, t] = 1
    rng = np.random.default_rng(0)
    order = rng.permutation(50)  # persons in any order
    tops = personas.top_touchpoints(sparse.csr_matrix(has[order]), labels[order], 2)
    assert [[list(having)[t] for t in top] for top in tops] == [["C", "A", "G"], ["D", "E", "B"]]


def test_tokens_are_steps_and_pairs_within_one_journey():
    # person 0: journeys [A, B] and [C]; person 1: [B, A, B]; person 2: [C]
    A, B, C = range(3)
    person = np.array([0, 0, 0, 1, 1, 1, 2])
    journey = np.array([0, 0, 1, 2, 2, 2, 3])
    touchpoint = np.array([A, B, C, B, A, B, C])
    counts = personas.token_counts(person, journey, touchpoint, 3).toarray()

    def pair(a, b):
        return 3 + 3 * a + b

    expected = np.zeros((3, 12))
    expected[0, [A, B, C, pair(A, B)]] = 1  # B > C crosses two journeys: no pair
    expected[1, [A, pair(B, A), pair(A, B)]] = 1
    expected[1, B] = 2  # term frequency counts occurrences
    expected[2, C] = 1  # C > B would cross from person 1's journey to person 2's
    assert (counts == expected).all()


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 4).flatmap(lambda touchpoints: st.tuples(
    st.just(touchpoints),
    st.lists(st.tuples(st.integers(0, 3), st.lists(st.integers(0, touchpoints - 1), min_size=1, max_size=6)),
             min_size=1, max_size=8))))
def test_token_counts_match_counting_each_journey_in_python(log):
    # journeys (person, path) in any person order; persons renumbered 0 … P-1 in order of first appearance
    touchpoints, journeys = log
    number = {}
    for owner, _ in journeys:
        number.setdefault(owner, len(number))
    expected = Counter()
    for owner, path in journeys:
        expected.update((number[owner], ("step", t)) for t in path)
        expected.update((number[owner], ("pair", a, b)) for a, b in zip(path, path[1:]))
    person = np.concatenate([[number[owner]] * len(path) for owner, path in journeys])
    journey = np.concatenate([[index] * len(path) for index, (_, path) in enumerate(journeys)])
    touchpoint = np.concatenate([path for _, path in journeys])
    counts = personas.token_counts(person, journey, touchpoint, touchpoints).todok()

    def token(column):
        return ("step", column) if column < touchpoints else ("pair", *divmod(column - touchpoints, touchpoints))

    assert {(row, token(column)): value for (row, column), value in counts.items()} == expected


def test_tokens_of_fewer_than_5_persons_are_dropped_and_the_rest_weighted_by_tf_idf():
    # token 0 in 4 persons, token 1 in 5 (person 0 three times), token 2 in all 8
    counts = np.zeros((8, 3))
    counts[:4, 0] = 1
    counts[:5, 1] = 1
    counts[0, 1] = 3
    counts[:, 2] = 2
    kept = personas.frequent_tokens(sparse.csr_matrix(counts))
    assert list(kept) == [1, 2]
    rows = personas.tf_idf(sparse.csr_matrix(counts[:, kept]))
    # sublinear tf (1 + ln count), smoothed idf (ln((1 + persons) / (1 + having)) + 1), rows of unit length
    tf = np.where(counts[:, kept] > 0, 1 + np.log(np.maximum(counts[:, kept], 1)), 0)
    weighted = tf * (np.log(9 / (1 + np.array([5, 8]))) + 1)
    assert rows.toarray() == pytest.approx(weighted / np.linalg.norm(weighted, axis=1, keepdims=True))


@pytest.mark.parametrize("seed", range(5))
def test_the_silhouette_equals_scikit_learns(seed):
    rng = np.random.default_rng(seed)
    points = rng.random((400, 6)) + np.repeat(rng.random((4, 6)) * 3, 100, axis=0)
    distances = pairwise_distances(points)
    alone = np.r_[np.arange(399) % 2, 2]  # the last person is a group of one (silhouette 0)
    for k, labels in ((2, rng.integers(0, 2, 400)), (3, np.repeat(np.arange(4), 100) % 3),
                      (5, rng.integers(0, 5, 400)), (3, alone)):
        assert personas.silhouette(distances, labels, k) == pytest.approx(
            silhouette_score(distances, labels, metric="precomputed"), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=40), st.integers(0, 2**31 - 1),
       st.lists(st.sampled_from(["weighted", "uniform", "unweighted", "without"]), min_size=1, max_size=12))
def test_batch_draws_are_numpys_own_draws(weights, seed, calls):
    # the generator MiniBatchKMeans is given draws what numpy's RandomState draws from the same seed, whatever
    # other draws come between
    p = np.array(weights) / np.sum(weights)
    uniform = np.full(len(p), 1 / len(p))
    ours, numpys = personas.BatchDraws(seed), np.random.RandomState(seed)
    for call in calls:
        arguments = {"weighted": dict(size=2000, p=p), "uniform": dict(size=500, p=uniform), "unweighted": dict(size=3),
                     "without": dict(size=1, replace=False, p=p)}[call]
        assert (ours.choice(len(p), **arguments) == numpys.choice(len(p), **arguments)).all()
        assert ours.randint(0, 1000) == numpys.randint(0, 1000)
