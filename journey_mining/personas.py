"""Personas: behavioural groups of persons, found on every mining run.

Each person is one document whose tokens are the touchpoints of all their journeys' path steps (one token
per step, so term frequency counts occurrences) and the pairs of consecutive steps within one journey
("A > B"; a pair never spans two journeys). A mining run counts them in DuckDB from the path steps and
transitions it keeps (sql/segments/person_tokens.sql) into a sparse person × token matrix; tokens held by
fewer than 5 persons are dropped and the rest weighted by TF-IDF (sublinear term frequency, smoothed idf,
rows of unit length).

Persons, in person order, are grouped by k-means for each k from 2 to 8 (seed 0). A k that leaves any
group with under 2 % of the persons is never taken; of the others, the one with the best silhouette wins,
the smaller k on a tie. The silhouette is measured on one sample of at most 10,000 persons drawn with seed
0, the same for every k. With fewer than 200 persons, or when no k passes the 2 % rule, there are no
personas.

Up to KMEANS_UP_TO (20,000) persons, k-means is scikit-learn's KMeans over all of them with 10 starts.
Beyond, each k is first fitted by KMeans with its 10 starts on the silhouette's sample, and the silhouette
is measured on those labels; then, best silhouette first, MiniBatchKMeans (seed 0) goes over all persons
from that k's centres, until one passes the 2 % rule (most runs: the first). MiniBatchKMeans's own starts
(n_init) are not used: it keeps the start that scores best before any iteration, and on planted data
(benchmarks/personas.py, four groups, 200,000 persons) that was a wrong grouping in 4 to 6 of 16 data sets
at n_init 10, 30 and 100; started from the sample's centres it was right in all 21 tried.
MiniBatchKMeans draws each mini batch with numpy's `RandomState.choice` weighted by the persons' (equal)
weights, which sums the weights of every person again for each batch: over 10.5 million persons that was 90
of the personas' 105 s (measured at 100M events). It gets a generator of its own (`BatchDraws`) that draws
the same batches from the same seed but sums the weights once.

The switch point is measured with benchmarks/personas.py on two cores (9 steps per person over 16
touchpoints). The KMeans route took 5.0 s at 10,000 persons, 10.5 s at 20,000, 14.0 s at 50,000 and
18.5 s at 100,000, growing with the persons; the mini-batch route, then with a pass over all persons for
every k, took 5.1 s at 20,000 and at 50,000, 6.0 s at 100,000 and 10.8 s at 1,000,000, and found the same
silhouette and groups at each size. With one pass over all persons it takes 5.5 s at 1,000,000 and found
the four planted groups (ARI at least 0.954) in each of 13 seeds at 200,000 persons. KMeans runs for as
long as it costs at most about twice the mini-batch route.

Personas are numbered by size, largest first (equal sizes: the smaller k-means label first). Each is
named by up to three touchpoints of highest lift, the share of the persona's persons having the touchpoint
over the share of all persons having it, among the touchpoints at least 10 % of its persons have; equal
lifts go by touchpoint order.
"""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.metrics import pairwise_distances

MIN_PERSONS = 200  # fewer persons: no personas
MIN_TOKEN_PERSONS = 5  # a token counts as a feature when at least this many persons have it
GROUP_COUNTS = range(2, 9)  # the k tried
MIN_GROUP_SHARE = 0.02  # no persona smaller than this share of persons
SILHOUETTE_SAMPLE = 10_000  # persons the silhouette is measured on
NAME_TOUCHPOINTS = 3  # touchpoints in a persona's name
MIN_TOUCHPOINT_SHARE = 0.10  # a naming touchpoint is had by at least this share of the persona's persons
STARTS = 10  # k-means starts
SEED = 0
KMEANS_UP_TO = 20_000  # persons; more run on mini batches (the switch point, measured: see above)


@dataclass(frozen=True)
class Personas:
    """The k personas of a run: `of_person[p]` is person p's persona (1 … k, the largest first); `names[i]`
    and `top_touchpoints[i]` are persona i + 1's name and the touchpoints it is named by, highest lift first;
    `silhouette` is the chosen k's."""

    of_person: np.ndarray
    k: int
    silhouette: float
    names: list[str]
    top_touchpoints: list[list[str]]


def token_counts(person: np.ndarray, journey: np.ndarray, touchpoint: np.ndarray, touchpoints: int
                 ) -> sparse.csr_matrix:
    """Person × token counts from path steps (in journey and step order). Token t < `touchpoints` is the
    touchpoint t; token `touchpoints + a * touchpoints + b` is the pair "a > b" of consecutive steps of one
    journey."""
    person, touchpoint = np.asarray(person, np.int32), np.asarray(touchpoint, np.int32)  # whole counts: 32 bits
    same_journey = np.asarray(journey)[1:] == np.asarray(journey)[:-1]
    pair = touchpoints + touchpoint[:-1][same_journey] * touchpoints + touchpoint[1:][same_journey]
    rows = np.concatenate([person, person[:-1][same_journey]])
    tokens = np.concatenate([touchpoint, pair])
    persons = int(person.max()) + 1 if len(person) else 0
    return sparse.csr_matrix((np.ones(len(rows), np.int32), (rows, tokens)),  # repeated (person, token) entries add up
                             shape=(persons, touchpoints + touchpoints * touchpoints))


def token_rows(person: np.ndarray, token: np.ndarray, count: np.ndarray, touchpoints: int) -> sparse.csr_matrix:
    """Person × token counts (as token_counts gives them) from one row per person and token held, in person
    and token order, every person 0 … P-1 with a row (segments/person_tokens)."""
    persons = int(person[-1]) + 1 if len(person) else 0
    return sparse.csr_matrix((np.asarray(count, np.int32), np.asarray(token, np.int32),
                              np.r_[0, np.cumsum(np.bincount(person, minlength=persons))].astype(np.int32)),
                             shape=(persons, touchpoints + touchpoints * touchpoints))


def frequent_tokens(counts: sparse.csr_matrix) -> np.ndarray:
    """The tokens (columns of `counts`) at least MIN_TOKEN_PERSONS persons have."""
    return np.flatnonzero(np.bincount(counts.indices, minlength=counts.shape[1]) >= MIN_TOKEN_PERSONS)


def tf_idf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each person's counts weighted: sublinear term frequency, smoothed idf, rows of unit length."""
    return TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr()


def groups(rows: sparse.csr_matrix, k: int) -> KMeans:
    """k-means of `rows` with STARTS starts (seed 0): its labels_ and cluster_centers_."""
    with warnings.catch_warnings():
        # fewer distinct persons than k: the groups left empty fail the 2 % rule
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(n_clusters=k, n_init=STARTS, random_state=SEED).fit(rows)


def silhouette(distances: np.ndarray, labels: np.ndarray, k: int) -> float:
    """The mean silhouette of `labels` (0 … k-1, at least two used) under the pairwise `distances`: what
    scikit-learn's silhouette_score(distances, labels, metric="precomputed") gives (tests hold the two
    together), from one matrix product, each person's summed distance to each group, instead of its
    chunked loop (four times as long on 10,000 persons)."""
    persons = np.arange(len(labels))
    sums = distances @ (labels[:, None] == np.arange(k)).astype(distances.dtype)  # person × group
    sizes = np.bincount(labels, minlength=k)
    own = sizes[labels]
    inside = sums[persons, labels] / np.maximum(own - 1, 1)  # the mean distance to the rest of one's group
    with np.errstate(divide="ignore", invalid="ignore"):
        to_groups = sums / sizes
    to_groups[persons, labels] = np.inf
    to_groups[:, sizes == 0] = np.inf
    nearest = to_groups.min(axis=1)  # the mean distance to the nearest other group
    with np.errstate(divide="ignore", invalid="ignore"):
        each = np.where(own > 1, (nearest - inside) / np.maximum(inside, nearest), 0.0)
    return float(np.nan_to_num(each).mean())


def _too_small(labels: np.ndarray, k: int) -> bool:
    return np.bincount(labels, minlength=k).min() / len(labels) < MIN_GROUP_SHARE


def _chosen(rows: sparse.csr_matrix, sample: np.ndarray) -> tuple[float, int, np.ndarray] | None:
    """The silhouette, k and labels (of every row) of the k that `find` takes; None when no k passes the 2 % rule."""
    distances = pairwise_distances(rows[sample])  # between the silhouette's persons, the same for every k
    if rows.shape[0] <= KMEANS_UP_TO:
        ranked = []
        for k in GROUP_COUNTS:
            labels = groups(rows, k).labels_
            if not _too_small(labels, k):
                ranked.append((silhouette(distances, labels[sample], k), k, labels))
        return max(ranked, key=lambda found: (found[0], -found[1]), default=None)
    ranked = []
    for k in GROUP_COUNTS:  # each k on the sample first; mini batches over everyone only for the best
        fitted = groups(rows[sample], k)
        if np.bincount(fitted.labels_, minlength=k).min() > 0:  # an empty group: its k is not k groups
            ranked.append((silhouette(distances, fitted.labels_, k), k, fitted))
    for measured, k, fitted in sorted(ranked, key=lambda found: (-found[0], found[1])):
        labels = MiniBatchKMeans(n_clusters=k, init=fitted.cluster_centers_, n_init=1,
                                 random_state=BatchDraws(SEED)).fit_predict(rows)
        if not _too_small(labels, k):
            return measured, k, labels
    return None


class BatchDraws(np.random.RandomState):
    """numpy's legacy generator, what scikit-learn makes of random_state=SEED, whose weighted draws with
    replacement keep the cumulative weights of the weights they were last given (the same array: MiniBatchKMeans
    passes one for every batch) instead of summing them again. Each draw is then what numpy's own `choice`
    gives: one uniform number per pick from the same stream, placed in the cumulative weights by binary search
    (tests/test_personas.py holds the two together)."""

    def choice(self, a, size=None, replace=True, p=None):
        if p is None or not replace or np.ndim(a) != 0:
            return super().choice(a, size, replace, p)
        if p is not getattr(self, "_weights", None):
            cumulative = np.cumsum(np.asarray(p, np.float64))
            self._weights, self._cumulative = p, cumulative / cumulative[-1]
        return self._cumulative.searchsorted(self.random_sample(size), side="right").astype(int)


def top_touchpoints(has: sparse.csr_matrix, labels: np.ndarray, k: int) -> list[list[int]]:
    """For each label 0 … k-1, up to NAME_TOUCHPOINTS touchpoints by lift, highest first (equal lifts: the
    smaller index first), among those at least MIN_TOUCHPOINT_SHARE of its persons have. `has` is persons ×
    touchpoints, nonzero where the person has the touchpoint."""
    persons = len(labels)
    member = sparse.csr_matrix((np.ones(persons), (labels, np.arange(persons))), shape=(k, persons))
    having = (member @ (has != 0).astype(np.float64)).toarray()  # label × touchpoint: persons having it
    share = having / np.bincount(labels, minlength=k)[:, None]
    # within one label, lift = share / (having of all / persons) orders as having / having of all: one
    # division of whole numbers, so equal lifts are equal floats and fall to touchpoint order (a touchpoint
    # nobody has is divided by 1: it is never eligible)
    lift_order = having / np.maximum(having.sum(axis=0), 1)
    tops = []
    for label in range(k):
        eligible = np.flatnonzero(share[label] >= MIN_TOUCHPOINT_SHARE)
        by_lift = eligible[np.argsort(-lift_order[label, eligible], kind="stable")]
        tops.append(by_lift[:NAME_TOUCHPOINTS].tolist())
    return tops


def find(person: np.ndarray, journey: np.ndarray, touchpoint: np.ndarray, touchpoint_names: Sequence[str]
         ) -> Personas | None:
    """The personas of the persons whose path steps are given, one entry per step in journey and step order:
    the step's person (0 … P-1, in person_id order, each present), journey (a journey's steps contiguous) and
    touchpoint (an index into `touchpoint_names`). As find_in."""
    return find_in(token_counts(person, journey, touchpoint, len(touchpoint_names)), touchpoint_names)


def find_in(counts: sparse.csr_matrix, touchpoint_names: Sequence[str]) -> Personas | None:
    """The personas of the persons whose token counts are given (token_counts, token_rows). None with fewer
    than 200 persons or when no k passes the 2 % rule (as when no token is kept)."""
    persons = counts.shape[0]
    kept = frequent_tokens(counts)
    if persons < MIN_PERSONS or not len(kept):  # no token kept: every person is the same point
        return None
    rows = tf_idf(counts[:, kept])
    sample = np.sort(np.random.default_rng(SEED).choice(persons, min(persons, SILHOUETTE_SAMPLE), replace=False))
    best = _chosen(rows, sample)
    if best is None:
        return None
    measured, k, labels = best
    sizes = np.bincount(labels, minlength=k)
    by_size = sorted(range(k), key=lambda label: (-sizes[label], label))
    number = np.empty(k, np.int64)
    number[by_size] = np.arange(1, k + 1)
    tops = top_touchpoints(counts[:, :len(touchpoint_names)], labels, k)
    named = [[touchpoint_names[t] for t in tops[label]] for label in by_size]
    return Personas(of_person=number[labels], k=k, silhouette=measured,
                    names=[", ".join(touchpoints) for touchpoints in named], top_touchpoints=named)
