"""No e-mail address from the input is stored or exported in clear (SPEC section 1, privacy).

Wherever an address appears — an identifier, a text column, a URL's query string, `properties` at any
depth, quarantined raw text, escaped as `%40` or `\\u0040` — it is replaced by `email:` and the keyed
hash of the address trimmed and lower-cased: the hash the `email` column gets for that address. The
expected texts are written out here with the reference hash of conftest (HMAC-SHA-256 in Python).
"""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import HASH_KEY, expected_hash
from journey_mining import db, pseudonyms, readers
from journey_mining.identity import build_persons

CLICK = {"event_id": "e1", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view"}
CRM = {"event_id": "c1", "customer_id": "k1", "timestamp": "2024-03-01T10:00:00Z",
       "object": "order", "action": "created"}


@pytest.fixture
def pseudonym(email_hash):
    """What an address becomes: `email:` and the hash the email column holds for it."""
    return lambda address: "email:" + email_hash(address)


def events(query, columns: str) -> list[tuple]:
    return query(f"select {columns} from events order by file_id, line")


# --- one place at a time ----------------------------------------------------------------------


def test_an_address_in_a_query_string_with_an_escaped_at_sign(landing, load, query, pseudonym):
    path = landing.jsonl("clicks.jsonl", [{
        **CLICK,
        "page_url": "https://shop.test/signup?email=Alice%40Example.com&step=2",
        "referrer": "https://mail.test/read?from=bob@example.com#top",
    }])

    load("clickstream", path)

    assert events(query, "page_url, referrer") == [(
        f"https://shop.test/signup?email={pseudonym('alice@example.com')}&step=2",
        f"https://mail.test/read?from={pseudonym('bob@example.com')}#top")]


@pytest.mark.parametrize("source, column", [
    ("clickstream", "event_id"), ("clickstream", "event"), ("clickstream", "page_url"),
    ("clickstream", "referrer"), ("clickstream", "utm_source"), ("clickstream", "utm_medium"),
    ("clickstream", "utm_campaign"), ("crm", "object"), ("crm", "action"), ("crm", "channel"),
])
def test_an_address_in_any_text_column(landing, load, query, pseudonym, source, column):
    row = dict(CLICK if source == "clickstream" else CRM)
    row[column] = "sent to Alice@Example.com, cc bob@example.com."
    path = landing.jsonl("rows.jsonl", [row])

    load(source, path)

    assert events(query, f'"{column}"') == [
        (f"sent to {pseudonym('alice@example.com')}, cc {pseudonym('bob@example.com')}.",)]


def test_addresses_at_any_depth_of_properties_keys_included(landing, load, query, pseudonym):
    path = landing.jsonl("clicks.jsonl", [{
        **CLICK,
        "properties": {
            "contact": {"work": {"primary": "Alice@Example.com",
                                 "others": ["bob@example.com", {"deep": ["x carol@example.com y", 3]}]}},
            "Dave@Example.com": "an address as a key",
            "note": "line one\nerin@example.com",
            "plan": "pro",
        },
        "referred_by": "frank@example.com",  # an extra column: folded into properties
    }])

    load("clickstream", path)

    (properties,), = events(query, "properties")
    assert json.loads(properties) == {
        "contact": {"work": {"primary": pseudonym("alice@example.com"),
                             "others": [pseudonym("bob@example.com"),
                                        {"deep": [f"x {pseudonym('carol@example.com')} y", 3]}]}},
        pseudonym("dave@example.com"): "an address as a key",
        "note": f"line one\n{pseudonym('erin@example.com')}",
        "plan": "pro",
        "referred_by": pseudonym("frank@example.com"),
    }


def test_properties_text_with_escaped_addresses_stays_json(landing, load, query, pseudonym):
    # JSON text as a Parquet column holds it, read by DuckDB as it is: escapes are not decoded first
    text = ('{"a":{"b":{"c":["Alice\\u0040Example.com","j\\u00fcrgen@b\\u00fccher.de"]}},'
            '"d":"tab\\tbob@example.com","e":"back\\\\carol@example.com"}')
    path = landing.parquet("clicks.parquet", pa.table({
        "event_id": ["e1"], "anonymous_id": ["a1"],
        "timestamp": pa.array([1709287200000], pa.timestamp("ms", tz="UTC")),
        "event": ["page_view"], "properties": [text]}))

    load("clickstream", path)

    (properties,), = events(query, "properties")
    assert json.loads(properties) == {
        "a": {"b": {"c": [pseudonym("alice@example.com"), pseudonym("jürgen@bücher.de")]}},
        "d": f"tab\t{pseudonym('bob@example.com')}",
        "e": f"back\\{pseudonym('carol@example.com')}",
    }


def test_identifiers_that_are_addresses_keep_their_type(con, landing, load, query, pseudonym, email_hash):
    clicks = landing.jsonl("clicks.jsonl", [
        {**CLICK, "event_id": "e1", "anonymous_id": "Erin@Example.com"},
        {**CLICK, "event_id": "e2", "anonymous_id": "a1", "user_id": "Alice@Example.com"},
        {**CLICK, "event_id": "e3", "anonymous_id": "a2", "user_id": "alice@example.com"},
    ])
    crm = landing.jsonl("crm.jsonl", [
        {**CRM, "event_id": "c1", "customer_id": "Carol@Example.com", "email": "carol@example.com"},
    ])

    load("clickstream", clicks)
    load("crm", crm)
    build_persons(con)

    alice, carol, erin = pseudonym("alice@example.com"), pseudonym("carol@example.com"), pseudonym("erin@example.com")
    assert events(query, "event_id, anonymous_id, user_id, customer_id, email_hash") == [
        ("e1", erin, None, None, None), ("e2", "a1", alice, None, None), ("e3", "a2", alice, None, None),
        ("c1", None, None, carol, email_hash("carol@example.com"))]
    # typed as they came: Carol's customer id and her email are two identifiers of one person,
    # and Alice's user id, written in two cases, is one identifier linking both devices
    people = query("select id_kind, id_value, dense_rank() over (order by person_id) from identities "
                   "order by id_kind, id_value")
    by_identifier = {(kind, value): person for kind, value, person in people}
    assert set(by_identifier) == {
        ("anonymous_id", erin), ("anonymous_id", "a1"), ("anonymous_id", "a2"), ("user_id", alice),
        ("customer_id", carol), ("email_hash", email_hash("carol@example.com"))}
    assert by_identifier[("anonymous_id", "a1")] == by_identifier[("anonymous_id", "a2")] == by_identifier[
        ("user_id", alice)]
    assert by_identifier[("customer_id", carol)] == by_identifier[("email_hash", email_hash("carol@example.com"))]
    assert len(set(by_identifier.values())) == 3


def test_quarantined_raw_text_with_escaped_addresses(landing, load, query, pseudonym):
    lines = [
        '{"event_id": "c1", "customer_id": "k1", "email": "Alice\\u0040Example.com", '
        '"timestamp": "2024-03-01T10:00:00Z", "action": "created"}',                           # 1 missing object
        '{"event_id": "c2", "email": "bob%40example.com"',                                      # 2 malformed
        '{"event_id": "c3", "customer_id": "k1", "timestamp": "never", "object": "order", '
        '"action": "created", "properties": {"to": "carol@example.com", "cc": "J\\u00fcrgen@B\\u00fccher.de"}}',
    ]
    jsonl = landing.jsonl("crm.jsonl", lines)
    csv = landing.raw("crm.csv", "event_id,customer_id,timestamp,object,action,channel\n"
                                 "c4,k1,2024-03-01T10:00:00Z,,created,erin%40example.com\n")  # 2 missing object

    load("crm", jsonl, csv, quarantine_threshold=1.0)

    assert query("select file_id, line, raw from quarantine order by file_id, line") == [
        (1, 1, lines[0].replace("Alice\\u0040Example.com", pseudonym("alice@example.com"))),
        (1, 2, lines[1].replace("bob%40example.com", pseudonym("bob@example.com"))),
        (1, 3, lines[2].replace("carol@example.com", pseudonym("carol@example.com"))
                       .replace("J\\u00fcrgen@B\\u00fccher.de", pseudonym("jürgen@bücher.de"))),
        (2, 2, f"c4,k1,2024-03-01T10:00:00Z,,created,{pseudonym('erin@example.com')}"),
    ]


# --- any JSON, any spelling: a reference built beside the input ------------------------------------


SEPARATORS = [" ", ",", ";", ":", "<", ">", "(", ")", "[", "]", "?", "=", "&", "/", "!", "\n", "\t", '"', "\\",
              "\u00a0", "\u201c", "\u3001"]  # never part of an address: no-break space, “, 、
LETTERS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_éüøÉÜØ名"
AT_SIGNS = ["@", "%40", "&#64;", "&#x40;"]


@st.composite
def address_text(draw) -> tuple[str, str]:
    """Words and addresses joined by separators: (the text, the text with each address replaced by hand)."""
    text, expected = [], []
    for _ in range(draw(st.integers(1, 4))):
        if text:
            separator = draw(st.sampled_from(SEPARATORS))
            text.append(separator)
            expected.append(separator)
        if draw(st.booleans()):
            word = draw(st.text("abcdefghij", min_size=1, max_size=6))
            text.append(word)
            expected.append(word)
            continue
        local = draw(st.text(LETTERS, min_size=1, max_size=6)) + draw(st.text(LETTERS + ".+'-", max_size=4))
        local = local.rstrip(".+'-") or "x"
        labels = draw(st.lists(st.text("abcxyz019ü-", min_size=1, max_size=5).map(lambda label: label.strip("-") or "d"),
                               min_size=1, max_size=2))
        top = draw(st.text("abcdefgxyzé", min_size=2, max_size=4))
        address = f"{local}@{'.'.join(labels)}.{top}"
        written = address.upper() if draw(st.booleans()) else address
        text.append(written.replace("@", draw(st.sampled_from(AT_SIGNS))))
        expected.append("email:" + expected_hash(address.lower()))
    return "".join(text), "".join(expected)


@st.composite
def address_json(draw, depth: int = 0):
    """A JSON value holding addresses at any depth, keys included: (the value, the value expected after)."""
    kind = draw(st.sampled_from(["text", "number"] if depth >= 4 else ["text", "number", "list", "object"]))
    if kind == "text":
        return draw(address_text())
    if kind == "number":
        number = draw(st.integers(-5, 5))
        return number, number
    if kind == "list":
        items = draw(st.lists(address_json(depth + 1), max_size=3))
        return [given for given, _ in items], [expected for _, expected in items]
    value, expected = {}, {}
    for _ in range(draw(st.integers(0, 3))):
        key, expected_key = draw(address_text())
        if expected_key in expected:
            continue  # two spellings of one address: one key after replacing
        value[key], expected[expected_key] = draw(address_json(depth + 1))
    return value, expected


@pytest.fixture(scope="module")
def redacted():
    con = duckdb.connect()
    pseudonyms.register(con, HASH_KEY.encode("utf-8"))
    yield lambda text: con.execute("select redacted(?)", [text]).fetchall()[0][0]
    con.close()


@settings(max_examples=300, deadline=None)
@given(document=address_json(depth=1), ascii_only=st.booleans(), json_at=st.booleans())
def test_json_text_stays_json_with_every_address_replaced(redacted, document, ascii_only, json_at):
    given_value, expected = document
    text = json.dumps({"v": given_value}, ensure_ascii=ascii_only)
    if json_at:
        text = text.replace("@", "\\u0040")  # the JSON escape of @, as some writers put it

    assert json.loads(redacted(text)) == {"v": expected}


def test_an_escape_right_before_an_at_sign_is_replaced_with_the_address(redacted):
    # cut after the escape's backslash, the text would no longer be JSON (`\email:...`)
    text = '{"a":"\\u00a0@example.com","b":"x\\n@example.com"}'

    assert json.loads(redacted(text)) == {"a": "email:" + expected_hash("\u00a0@example.com"),
                                          "b": "x" + "email:" + expected_hash("@example.com")}


# --- every format, DuckDB's own Parquet reading included ----------------------------------------


ROWS = [
    {"event_id": "e1", "anonymous_id": "Alice@Example.com", "user_id": "u1",
     "timestamp": "2024-03-01T10:00:00Z", "event": "page_view",
     "page_url": "https://shop.test/signup?email=alice%40example.com", "referrer": "mailto:bob@example.com",
     "utm_campaign": "spring/carol@example.com", "properties": '{"a":{"b":{"c":["dave@example.com"]}}}'},
    {"event_id": "e2", "anonymous_id": "a2", "user_id": "Erin@Example.com",
     "timestamp": "2024-03-01T10:01:00Z", "event": None,                                    # missing event
     "page_url": "/x?to=frank%40example.com", "referrer": None, "utm_campaign": None, "properties": None},
]
FORMATS = ["jsonl", "csv", "parquet read by duckdb", "parquet staged"]


def write(landing, kind: str) -> Path:
    if kind == "jsonl":
        return landing.jsonl("clicks.jsonl", [{k: v for k, v in row.items() if v is not None} for row in ROWS])
    if kind == "csv":
        header = list(ROWS[0])
        return landing.csv("clicks.csv", header, [[row[k] or "" for k in header] for row in ROWS])
    table = pa.Table.from_pylist(ROWS)
    table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp",
                             pa.array([1709287200000, 1709287260000], pa.timestamp("ms", tz="UTC")))
    if kind == "parquet staged":
        table = table.append_column("device", pa.array(["ios", "ios"]))  # an extra column: not DuckDB's path
    path = landing.parquet("clicks.parquet", table)
    assert readers.duckdb_reads(path.resolve(), pq.ParquetFile(path), "clickstream") is (kind == "parquet read by duckdb")
    return path


@pytest.mark.parametrize("kind", FORMATS)
def test_every_format(landing, load, query, pseudonym, kind):
    path = write(landing, kind)

    load("clickstream", path, quarantine_threshold=1.0)

    (anonymous_id, user_id, page_url, referrer, utm_campaign, properties), = events(
        query, "anonymous_id, user_id, page_url, referrer, utm_campaign, properties")
    assert (anonymous_id, user_id, page_url, referrer, utm_campaign) == (
        pseudonym("alice@example.com"), "u1", f"https://shop.test/signup?email={pseudonym('alice@example.com')}",
        f"mailto:{pseudonym('bob@example.com')}", f"spring/{pseudonym('carol@example.com')}")
    assert json.loads(properties)["a"] == {"b": {"c": [pseudonym("dave@example.com")]}}
    (raw, reason), = query("select raw, reason from quarantine")
    assert reason == "missing event"
    assert pseudonym("erin@example.com") in raw and pseudonym("frank@example.com") in raw
    assert "example.com" not in raw.replace("shop.test", "")


# --- duplicates compare what is stored ----------------------------------------------------------


def test_duplicates_and_conflicts_compare_the_replaced_content(landing, load, query, pseudonym):
    first = {**CLICK, "event_id": "order:Alice@Example.com", "page_url": "/thanks?e=Alice%40Example.com"}
    path_1 = landing.jsonl("day1.jsonl", [first])
    path_2 = landing.jsonl("day2.jsonl", [
        first,                                                                       # 1 duplicate
        {**first, "event_id": "order:alice@example.com"},                           # 2 duplicate: same key
        {**first, "page_url": "/thanks?e=alice@example.com"},                       # 3 duplicate: same address
        {**first, "page_url": "/thanks?e=bob%40example.com"},                       # 4 conflict
    ])

    load("clickstream", path_1)
    result = load("clickstream", path_2, quarantine_threshold=1.0)

    assert [(c.read, c.loaded, c.duplicates, c.quarantined) for c in result] == [(4, 0, 3, 1)]
    assert events(query, "event_id, page_url") == [
        (f"order:{pseudonym('alice@example.com')}", f"/thanks?e={pseudonym('alice@example.com')}")]
    (line, reason, raw), = query("select line, reason, raw from quarantine")
    assert (line, reason) == (4, "conflicting duplicate")
    assert json.loads(raw)["page_url"] == f"/thanks?e={pseudonym('bob@example.com')}"


# --- nothing in clear, anywhere ----------------------------------------------------------------


ADDRESSES = ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com",
             "erin@example.com", "frank@example.com", "grace@example.com", "heidi@example.com",
             "ivan@example.com", "judy@example.com"]
DEFINITION = """\
name: privacy
stages:
  - name: Visit
    touchpoints:
      - {name: Signup page, match: {source: clickstream, event: page_view, url: "/signup*"}}
      - {name: Contact, match: {source: crm, object: ticket}}
  - name: Buy
    touchpoints:
      - {name: Order, match: {source: crm, object: order}, goal: true}
funnels:
  - {name: signup_to_order, steps: [Signup page, Order], window: 30d}
"""


def spellings(address: str) -> list[str]:
    """The forms an address must not take in any stored or exported text: as written, URL- and JSON-escaped."""
    return [address, address.replace("@", "%40"), address.replace("@", "\\u0040")]


def clear_addresses(text: str) -> list[str]:
    folded = text.lower()  # upper-case spellings too
    return [form for address in ADDRESSES for form in spellings(address) if form in folded]


@pytest.mark.slow
def test_no_address_in_clear_in_the_database_or_any_output_file(tmp_path, landing):
    a, b, c, d, e, f, g, h, i, j = (address.replace("example", "Example") for address in ADDRESSES)
    clicks = landing.jsonl("clickstream/clicks.jsonl", [
        {**CLICK, "event_id": "e1", "anonymous_id": a.upper(), "user_id": f"{b}",
         "page_url": f"https://shop.test/signup?email={c.replace('@', '%40')}", "referrer": f"mailto:{d}",
         "utm_source": e, "utm_medium": e, "utm_campaign": e,
         "properties": {"x": {"y": {"z": [f, {"w": g}]}}, h: "key"}},
        {**CLICK, "event_id": f"ev-{i}", "anonymous_id": a, "timestamp": "2024-03-01T10:05:00Z",
         "page_url": "/signup", "utm_campaign": j},
        '{"event_id": "e3", "anonymous_id": "' + a.replace("@", "\\u0040") + '", "timestamp": "never", '
        '"event": "page_view", "page_url": "/signup?e=' + b.replace("@", "%40") + '"}',         # unparseable
        '{"event_id": "e4", "user_id": "' + c + '"',                                         # malformed
        {**CLICK, "event_id": "e1", "anonymous_id": a.upper(), "event": j},                  # conflict
    ])
    clicks_csv = landing.csv("clickstream/clicks.csv",
                             ["event_id", "anonymous_id", "user_id", "timestamp", "event", "page_url", "note"],
                             [["e5", d, e, "2024-03-02T09:00:00Z", "page_view", f"/signup?to={f}", g],
                              ["e6", d, "", "2024-03-02T09:00:00Z", "", f"/x?{h}", i]])      # missing event
    clicks_parquet = landing.parquet("clickstream/clicks.parquet", pa.table({
        "event_id": ["e7", "e8"], "anonymous_id": [b, j], "user_id": [None, j],
        "timestamp": pa.array([1709373600000, 1709373600000], pa.timestamp("ms", tz="UTC")),
        "event": ["page_view", None],                                                        # 2 missing event
        "page_url": [f"/signup?email={c.replace('@', '%40')}", f"/x?{d}"],
        "properties": ['{"a":{"b":{"c":"' + e.replace("@", "\\u0040") + '"}}}', f'{{"k":"{f}"}}'],
    }))
    crm = landing.jsonl("crm/crm.jsonl", [
        {**CRM, "event_id": "c1", "customer_id": g, "email": b, "timestamp": "2024-03-01T11:00:00Z",
         "channel": h, "properties": {"contact": {"assistant": {"mail": i}}}},
        {**CRM, "event_id": "c2", "customer_id": "k2", "user_id": b, "object": "ticket", "action": "opened",
         "timestamp": "2024-03-01T09:00:00Z", "email": f" {a.upper()} "},
        {**CRM, "event_id": "c3", "email": j, "object": None},                               # missing object
    ])
    crm_parquet = landing.parquet("crm/crm.parquet", pa.table({
        "event_id": ["c4", "c5"], "customer_id": [h, None], "email": [None, i],
        "timestamp": pa.array([1709373600000, 1709373600000], pa.timestamp("ms", tz="UTC")),
        "object": ["order", "order"], "action": ["created", None],                          # 2 missing action
        "channel": [f"store {g}", a],
    }))
    (tmp_path / "privacy.yaml").write_text(DEFINITION)
    database, out = tmp_path / "journeys.duckdb", tmp_path / "out"

    for source, paths in (("clickstream", [clicks, clicks_csv, clicks_parquet]), ("crm", [crm, crm_parquet])):
        run = journeys("ingest", source, *paths, "--db", database, "--quarantine-threshold", "1")
        assert run.returncode == 0, run.stderr
    run = journeys("mine", tmp_path / "privacy.yaml", "--db", database, "--out", out, "--xes")
    assert run.returncode == 0, run.stderr

    con = db.connect(database, read_only=True)
    try:
        loaded, quarantined = con.execute(
            "select (select count(*) from events), (select count(*) from quarantine)").fetchone()
        columns = con.execute("select table_schema, table_name, column_name from information_schema.columns "
                              "where table_catalog = current_database()").fetchall()
        found = {}
        for schema, table, column in columns:
            for (value,) in con.execute(f'select distinct "{column}"::varchar from "{schema}"."{table}"').fetchall():
                if value is not None and (hits := clear_addresses(value)):
                    found[f"{table}.{column}"] = hits
        mined = con.execute("select (select count(*) from persons), count(*), count(*) filter (where converted) "
                            "from journeys").fetchone()
        linked = con.execute("select count(distinct person_id) from person_events "
                             "where event_id in ('e1', 'c2')").fetchone()
    finally:
        con.close()
    # clicks: e1, ev-i, e5, e7 loaded; e3, e4, the e1 conflict, e6, e8 quarantined; crm: c1, c2, c4 and c3, c5
    assert (loaded, quarantined) == (7, 7)
    # persons: {anonymous a, user b, customer k2, email a} (e1, ev-i, c2: Contact > Signup page), {anonymous d,
    # user e} (e5), {anonymous b} (e7), {customer g, email b} (c1: Order), {customer h} (c4: Order)
    assert mined == (5, 5, 2)
    assert linked == (1,)  # user id b, replaced alike in clickstream and CRM, is one identifier
    assert ("persons", "person_id") in {(t, c) for _, t, c in columns}
    assert found == {}

    files = [path for path in out.rglob("*") if path.is_file()]
    assert {path.suffix for path in files} >= {".csv", ".json", ".parquet", ".html", ".xes", ".bpmn", ".pnml"}
    for path in files:
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
        else:
            text = path.read_text(encoding="utf-8")
        assert clear_addresses(text) == [], path.name
    assert clear_addresses(database.read_bytes().decode("utf-8", errors="replace")) == []


def journeys(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "journey_mining.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)
