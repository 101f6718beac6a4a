"""Identity (SPEC section 2): typed identifiers linked on a row, persons as components, the oversize rule.

Small hand cases, then random rows checked against networkx as the independent reference.
"""

import itertools
import random
from datetime import datetime, timedelta, timezone

import networkx as nx
import pytest

from journey_mining.identity import REBUILT_TABLES, build_persons

KIND_ORDER = ("customer_id", "user_id", "email_hash", "anonymous_id")  # most stable first
START = datetime(2024, 3, 1, tzinfo=timezone.utc)


@pytest.fixture
def events(landing, load):
    """Loads rows of one source: each row is a dict of identifiers (and optionally a minute offset)."""
    numbers = itertools.count(1)

    def events(source: str, rows: list[dict]) -> None:
        written = []
        for row in rows:
            number = next(numbers)
            minute = row.pop("minute", number)
            stamp = (START + timedelta(minutes=minute)).isoformat()
            body = {"event": "page_view"} if source == "clickstream" else {"object": "order", "action": "created"}
            written.append({"event_id": row.pop("event_id", f"ev{number}"), "timestamp": stamp, **body, **row})
        path = landing.jsonl(f"{source}-{next(numbers)}.jsonl", written)
        assert [c.quarantined for c in load(source, path)] == [0]

    return events


def identities(query) -> dict[tuple[str, str], tuple[str, int, bool]]:
    return {(kind, value): (person, size, oversize) for kind, value, person, size, oversize in query(
        "select id_kind, id_value, person_id, component_identifiers, oversize from identities")}


def persons_of_events(query) -> dict[str, str]:
    return dict(query("select event_id, person_id from person_events"))


# --- hand cases -------------------------------------------------------------------------------


def test_a_chain_of_identifiers_is_one_person(con, events, query, person_id, email_hash):
    events("clickstream", [
        {"event_id": "e1", "anonymous_id": "a1", "minute": 0},
        {"event_id": "e2", "anonymous_id": "a1", "user_id": "u1", "minute": 5},
        {"event_id": "e3", "anonymous_id": "a2", "user_id": "u1", "minute": 10},
    ])
    events("crm", [
        {"event_id": "c1", "customer_id": "k1", "user_id": "u1", "minute": 20},
        {"event_id": "c2", "customer_id": "k1", "email": "Alice@Example.com", "minute": 30},
        {"event_id": "c3", "email": "alice@example.com ", "minute": 40},
    ])

    report = build_persons(con)

    # a1 - u1 - a2, u1 - k1, k1 - email: five identifiers, the customer id is the most stable
    alice = person_id("customer_id", "k1")
    assert (report.persons, report.identifiers, report.oversize_components) == (1, 5, [])
    assert identities(query) == {
        ("anonymous_id", "a1"): (alice, 5, False), ("anonymous_id", "a2"): (alice, 5, False),
        ("user_id", "u1"): (alice, 5, False), ("customer_id", "k1"): (alice, 5, False),
        ("email_hash", email_hash("alice@example.com")): (alice, 5, False),
    }
    assert persons_of_events(query) == {e: alice for e in ("e1", "e2", "e3", "c1", "c2", "c3")}
    assert query("select person_id, identifiers, events, first_seen_at = ?, last_seen_at = ? from persons",
                 [START, START + timedelta(minutes=40)]) == [(alice, 5, 6, True, True)]


def test_identifiers_are_typed(con, events, query, person_id):
    events("clickstream", [{"anonymous_id": "x"}, {"user_id": "x"}])
    events("crm", [{"customer_id": "x"}, {"customer_id": "y", "user_id": "x"}])

    report = build_persons(con)

    # anonymous x, customer x and {user x, customer y}: the same text in another kind is another node
    assert (report.persons, report.identifiers) == (3, 4)
    assert set(persons_of_events(query).values()) == {
        person_id("anonymous_id", "x"), person_id("customer_id", "x"), person_id("customer_id", "y")}
    assert identities(query)[("user_id", "x")][0] == person_id("customer_id", "y")


def test_the_first_identifier_by_kind_then_by_text_in_code_point_order(con, events, query, person_id, email_hash):
    events("clickstream", [
        {"anonymous_id": "d1", "user_id": "a"}, {"anonymous_id": "d1", "user_id": "B"},      # "B" < "a"
        {"anonymous_id": "d2", "user_id": "9"}, {"anonymous_id": "d2", "user_id": "10"},     # "10" < "9"
        {"anonymous_id": "d3", "user_id": "é"}, {"anonymous_id": "d3", "user_id": "z"},      # "z" < "é"
        {"anonymous_id": "d4", "user_id": "aaa"},
        {"anonymous_id": "d5"}, {"anonymous_id": "D5"}, {"anonymous_id": "d5", "event_id": "d5-again"},
    ])
    events("crm", [
        {"customer_id": "zzz", "user_id": "aaa"},                                            # a customer id first
        {"email": "one@example.com", "user_id": "u5"},                                       # a user id before an email
        {"email": "solo@example.com"},                                                       # an email alone
    ])

    build_persons(con)

    found = identities(query)
    assert found[("user_id", "a")][0] == person_id("user_id", "B")
    assert found[("user_id", "9")][0] == person_id("user_id", "10")
    assert found[("user_id", "é")][0] == person_id("user_id", "z")
    assert found[("anonymous_id", "d4")][0] == person_id("customer_id", "zzz")
    assert found[("email_hash", email_hash("one@example.com"))][0] == person_id("user_id", "u5")
    assert found[("email_hash", email_hash("solo@example.com"))][0] == person_id(
        "email_hash", email_hash("solo@example.com"))
    assert found[("anonymous_id", "d5")][0] == person_id("anonymous_id", "d5")
    assert found[("anonymous_id", "D5")][0] == person_id("anonymous_id", "D5")  # ids are case-sensitive


def test_an_oversize_component_is_not_merged(con, events, query, person_id):
    events("clickstream", [
        {"event_id": "k-u1", "anonymous_id": "kiosk", "user_id": "u1"},
        {"event_id": "k-u2", "anonymous_id": "kiosk", "user_id": "u2"},
        {"event_id": "k-u3", "anonymous_id": "kiosk", "user_id": "u3"},
        {"event_id": "k", "anonymous_id": "kiosk"},
        {"event_id": "p1", "anonymous_id": "phone", "user_id": "u9"},
        {"event_id": "p2", "anonymous_id": "phone"},
    ])

    report = build_persons(con, max_ids_per_person=3)

    # {kiosk, u1, u2, u3} has 4 identifiers > 3: each row goes to its own most stable identifier
    assert (report.persons, report.identifiers, report.oversize_components) == (5, 6, [4])
    assert persons_of_events(query) == {
        "k-u1": person_id("user_id", "u1"), "k-u2": person_id("user_id", "u2"),
        "k-u3": person_id("user_id", "u3"), "k": person_id("anonymous_id", "kiosk"),
        "p1": person_id("user_id", "u9"), "p2": person_id("user_id", "u9")}
    assert query("select identifiers from oversize_components") == [(4,)]
    found = identities(query)
    assert found[("anonymous_id", "kiosk")] == (person_id("anonymous_id", "kiosk"), 4, True)
    assert found[("user_id", "u2")] == (person_id("user_id", "u2"), 4, True)
    assert found[("anonymous_id", "phone")] == (person_id("user_id", "u9"), 2, False)
    assert dict(query("select person_id, events from persons")) == {
        person_id("user_id", "u1"): 1, person_id("user_id", "u2"): 1, person_id("user_id", "u3"): 1,
        person_id("anonymous_id", "kiosk"): 1, person_id("user_id", "u9"): 2}


def test_a_component_exactly_at_the_limit_is_one_person(con, events, query, person_id):
    events("clickstream", [{"anonymous_id": "kiosk", "user_id": u} for u in ("u1", "u2", "u3")])

    report = build_persons(con, max_ids_per_person=4)

    assert (report.persons, report.identifiers, report.oversize_components) == (1, 4, [])
    assert set(persons_of_events(query).values()) == {person_id("user_id", "u1")}


@pytest.mark.parametrize("limit, oversize", [(3, [4]), (4, [])])
def test_emails_count_as_identifiers(con, events, query, person_id, limit, oversize):
    events("crm", [{"event_id": "c1", "customer_id": "k1", "email": "ann@example.com"},
                   {"event_id": "c2", "customer_id": "k1", "user_id": "u1"}])
    events("clickstream", [{"event_id": "w1", "anonymous_id": "d1", "user_id": "u1"}])

    report = build_persons(con, max_ids_per_person=limit)

    # k1, the email, u1 and d1: four identifiers
    assert report.oversize_components == oversize
    expected = {"c1": person_id("customer_id", "k1"), "c2": person_id("customer_id", "k1"),
                "w1": person_id("user_id", "u1") if oversize else person_id("customer_id", "k1")}
    assert persons_of_events(query) == expected


def test_the_default_limit_is_50(con, events, query):
    events("clickstream", [{"anonymous_id": "shared", "user_id": f"u{i:02}"} for i in range(49)])
    assert build_persons(con).oversize_components == []  # 50 identifiers: one person
    events("clickstream", [{"anonymous_id": "shared", "user_id": "u49"}])
    assert build_persons(con).oversize_components == [51]


def test_person_ids_are_stable_across_runs_and_unrelated_data(con, events, query, person_id):
    events("clickstream", [{"anonymous_id": "a1", "user_id": "u1"}, {"anonymous_id": "a2"}])
    events("crm", [{"customer_id": "k1", "user_id": "u1"}])
    build_persons(con)
    first = identities(query)

    build_persons(con)
    assert identities(query) == first

    events("clickstream", [{"anonymous_id": "stranger"}, {"anonymous_id": "b1", "user_id": "u2"}])
    build_persons(con)
    again = identities(query)
    assert {key: again[key] for key in first} == first
    assert first[("anonymous_id", "a1")][0] == person_id("customer_id", "k1")
    assert again[("anonymous_id", "stranger")][0] == person_id("anonymous_id", "stranger")

    # new data that links a2 to u1 makes a2 part of the customer's person; the rebuild leaves nothing stale
    events("clickstream", [{"anonymous_id": "a2", "user_id": "u1"}])
    build_persons(con)
    assert identities(query)[("anonymous_id", "a2")][0] == person_id("customer_id", "k1")
    assert query("select count(*), count(distinct (id_kind, id_value)) from identities") == [(7, 7)]
    assert query("select count(*) from persons") == [(3,)]


def test_an_empty_database_has_no_persons(con, query):
    report = build_persons(con)
    assert (report.persons, report.identifiers, report.oversize_components) == (0, 0, [])
    assert query("select count(*) from persons") == [(0,)]


# --- random rows against networkx -------------------------------------------------------------


def random_rows(seed: int) -> tuple[list[dict], list[dict]]:
    """Clickstream and CRM rows of made-up people, plus two shared devices that join some of them.

    Identifier text is drawn from one small range of numbers for every kind, so the same text often
    appears as an anonymous id of one person and a user or customer id of another.
    """
    chooser = random.Random(seed)
    people = []
    for number in range(45):
        people.append({
            "anonymous_id": [str(chooser.randrange(400)) for _ in range(chooser.randint(1, 3))],
            "user_id": str(chooser.randrange(400)) if chooser.random() < 0.6 else None,
            "customer_id": str(chooser.randrange(400)) if chooser.random() < 0.5 else None,
            "email": f"Person{number}@Example.com" if chooser.random() < 0.5 else None,
        })
    shared_devices = ["kiosk-1", "kiosk-2"]
    clicks, crm = [], []
    for number in range(260):
        person = chooser.choice(people)
        row = {"event_id": f"w{number}", "minute": chooser.randrange(60 * 24 * 20),
               "anonymous_id": chooser.choice(shared_devices if chooser.random() < 0.04 else person["anonymous_id"])}
        if person["user_id"] and chooser.random() < 0.3:
            row["user_id"] = person["user_id"]
        clicks.append(row)
    while len(crm) < 120:
        person = chooser.choice(people)
        row = {"event_id": f"c{len(crm)}", "minute": chooser.randrange(60 * 24 * 20)}
        for kind, share in (("customer_id", 0.8), ("user_id", 0.3), ("email", 0.5)):
            if person[kind] and chooser.random() < share:
                row[kind] = person[kind]
        if len(row) > 2:
            crm.append(row)
    return clicks, crm


def row_identifiers(row: dict, email_hash) -> list[tuple[str, str]]:
    found = [(kind, row[kind]) for kind in ("customer_id", "user_id", "anonymous_id") if kind in row]
    if "email" in row:
        found.append(("email_hash", email_hash(row["email"])))
    return sorted(found, key=stability)


def stability(identifier: tuple[str, str]) -> tuple[int, str]:
    kind, value = identifier
    return KIND_ORDER.index(kind), value  # Python compares str by code point


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rows_against_networkx(con, events, query, person_id, email_hash, seed):
    clicks, crm = random_rows(seed)
    graph = nx.Graph()
    for row in clicks + crm:
        found = row_identifiers(row, email_hash)
        graph.add_nodes_from(found)
        graph.add_edges_from(itertools.pairwise(found))
    sizes = sorted((len(c) for c in nx.connected_components(graph)), reverse=True)
    limit = 4
    assert sizes[0] > limit and any(1 < size <= limit for size in sizes), "the rows should exercise both rules"

    expected_identity = {}
    for component in nx.connected_components(graph):
        oversize = len(component) > limit
        first = min(component, key=stability)
        for identifier in component:
            owner = identifier if oversize else first
            expected_identity[identifier] = (person_id(*owner), len(component), oversize)
    expected_event_person = {}
    expected_person_events = {}
    for row in clicks + crm:
        owner = expected_identity[row_identifiers(row, email_hash)[0]][0]
        expected_event_person[row["event_id"]] = owner
        moment = START + timedelta(minutes=row["minute"])
        count, first_seen, last_seen = expected_person_events.get(owner, (0, moment, moment))
        expected_person_events[owner] = (count + 1, min(first_seen, moment), max(last_seen, moment))

    events("clickstream", [dict(row) for row in clicks])
    events("crm", [dict(row) for row in crm])
    report = build_persons(con, max_ids_per_person=limit)

    found = identities(query)
    assert found.keys() == expected_identity.keys()
    for identifier, (person, size, oversize) in expected_identity.items():
        assert found[identifier][1:] == (size, oversize), identifier
        if not oversize:  # in an oversize component only rows have a defined person (SPEC section 2)
            assert found[identifier][0] == person, identifier
    assert persons_of_events(query) == expected_event_person
    assert query("select count(*) from person_events") == [(len(clicks) + len(crm),)]
    stored_persons = {person: (events_count, first_seen, last_seen) for person, events_count, first_seen, last_seen
                      in query("select person_id, events, first_seen_at, last_seen_at from persons")}
    assert stored_persons == expected_person_events
    assert report.persons == len(expected_person_events)
    assert report.identifiers == graph.number_of_nodes()
    assert report.oversize_components == [size for size in sizes if size > limit]
    assert sorted(n for (n,) in query("select identifiers from oversize_components")) == sorted(
        size for size in sizes if size > limit)


def stored_identity_tables(query) -> dict[str, list[tuple]]:
    return {table: sorted(query(f"select * from {table}"), key=repr) for table in REBUILT_TABLES}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_building_day_by_day_equals_a_full_rebuild_each_day(con, events, query, seed):
    """Each day's build links only that day's rows and the components they touch (merges, components
    growing past the oversize limit included), and leaves tables equal to a rebuild from every row."""
    clicks, crm = random_rows(seed)
    days = 4
    limit = 4
    relinked = []
    for day in range(days):
        events("clickstream", [dict(row) for row in clicks[day::days]])
        events("crm", [dict(row) for row in crm[day::days]])
        report = build_persons(con, max_ids_per_person=limit)
        built = stored_identity_tables(query)
        rebuilt = build_persons(con, max_ids_per_person=limit, full=True)
        assert stored_identity_tables(query) == built, f"day {day + 1}"
        assert (report.persons, report.identifiers, report.oversize_components) == (
            rebuilt.persons, rebuilt.identifiers, rebuilt.oversize_components)
        relinked.append(report.relinked)
    assert relinked[0] is None  # the first build has nothing to add to
    assert all(0 < count < rebuilt.identifiers for count in relinked[1:]), (relinked, rebuilt.identifiers)


def test_another_oversize_limit_rebuilds_everything(con, events, query):
    events("clickstream", [{"anonymous_id": f"a{n}", "user_id": "u1"} for n in range(4)])
    assert build_persons(con, max_ids_per_person=4).oversize_components == [5]
    report = build_persons(con, max_ids_per_person=5)
    assert (report.oversize_components, report.relinked) == ([], None)
    assert query("select count(*) from persons") == [(1,)]
