"""No e-mail address from the input is stored or exported in clear (SPEC section 1, privacy).

Wherever an address appears — an identifier, a text column, a URL's query string, `properties` at any
depth, quarantined raw text, escaped as `%40` or `\\u0040` — it is replaced by `email:` and the keyed
hash of the address trimmed and lower-cased: the hash the `email` column gets for that address. The
expected texts are written out here with the reference hash of conftest (HMAC-SHA-256 in Python).
"""

import json

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import HASH_KEY, expected_hash
from journey_mining import pseudonyms

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
