"""Hostile rows (SPEC section 1): one crafted row is quarantined or loaded like any other row, in every
reader, and never fails the run or its file.

Each file holds good rows around the hostile one; the expected counts and lines are worked out by hand
from the rows written in the test.
"""

import json

import pytest

CSV_HEADER = "event_id,anonymous_id,user_id,timestamp,event,page_url"


def counts(result) -> list[tuple[int, int, int, int]]:
    return [(c.read, c.loaded, c.duplicates, c.quarantined) for c in result]


# --- CSV line endings and long lines ------------------------------------------------------------


def test_csv_with_bare_cr_line_ends_is_read_line_by_line(landing, load, query):
    path = landing.raw("clicks.csv", (
        CSV_HEADER + "\r"                                        # 1 header
        + "e1,a1,,2024-03-01T10:00:00Z,page_view,/home\r"         # 2 loaded
        + "e2,a1,,never,page_view,/home\r"                        # 3 unparseable timestamp
        + 'e3,a1,,2024-03-01T10:00:00Z,page_view,"/a\rb"\r'       # 4-5 loaded, line 4
        + "\r"                                                    # 6 blank: not a record
        + "e4,,u1,2024-03-01T10:00:00Z,page_view,\n"              # 7 loaded (an LF ends this one)
        + "e5,a1,,2024-03-01T10:00:00Z,page_view,/end\r\n"        # 8 loaded (CRLF)
        + "e6,a1,,2024-03-01T10:00:00Z,page_view,/last"           # 9 loaded, no line end at all
    ))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(6, 5, 0, 1)]
    assert query("select line, reason, raw from quarantine") == [
        (3, "unparseable timestamp", "e2,a1,,never,page_view,/home")]
    assert query("select event_id, line, page_url from events order by line") == [
        ("e1", 2, "/home"), ("e3", 4, "/a\rb"), ("e4", 7, None), ("e5", 8, "/end"), ("e6", 9, "/last")]


def test_a_csv_record_with_bad_bytes_after_a_bare_cr_is_that_row_only(landing, load, query):
    path = landing.raw("clicks.csv", (
        CSV_HEADER.encode() + b"\r"                                    # 1 header
        + b"e1,Jos\xe9,,2024-03-01T10:00:00Z,page_view,/home\r"         # 2 non-UTF-8 bytes
        + b"e2,a1,,2024-03-01T10:00:00Z,page_view,/caf\xc3\xa9\r"       # 3 loaded (UTF-8 \xc3\xa9 is an e acute)
    ))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(2, 1, 0, 1)]
    assert query("select line, reason, raw from quarantine") == [
        (2, "non-UTF-8 bytes", "e1,Jos\ufffd,,2024-03-01T10:00:00Z,page_view,/home")]
    assert query("select event_id, page_url from events") == [("e2", "/caf\u00e9")]


MEGABYTES = 5 * 1024 * 1024


def test_a_csv_field_of_several_megabytes_is_loaded(landing, load, query):
    long_url = "/" + "x" * MEGABYTES
    path = landing.raw("clicks.csv", (
        CSV_HEADER + "\n"
        + f"e1,a1,,2024-03-01T10:00:00Z,page_view,{long_url}\n"    # 2 loaded
        + "e2,a1,,2024-03-01T10:00:00Z,page_view,/home\n"           # 3 loaded
    ))

    assert counts(load("clickstream", path)) == [(2, 2, 0, 0)]
    assert query("select event_id, length(page_url) from events order by line") == [
        ("e1", MEGABYTES + 1), ("e2", 5)]
