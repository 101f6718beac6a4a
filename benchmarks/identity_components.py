"""Benchmark: persons as connected components, DuckDB label propagation against networkx.

Builds a synthetic identity graph shaped like clickstream + CRM data (devices per person, logins,
CRM customers with emails), loads it as events into a fresh DuckDB file, and times
`identity.build_persons` against networkx's `connected_components` on the same identifier links.
Prints seconds, peak memory and whether both found the same number of components.

    python benchmarks/identity_components.py --persons 200000
"""

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import duckdb
import networkx as nx

from journey_mining import db, identity

SYNTHETIC_EVENTS = """
insert into events (source, event_id, anonymous_id, user_id, customer_id, email_hash, occurred_at, event,
                    object, action, file_id, line)
with people as (
    select range as person, hash(range) as h from range($persons)
),
devices as (
    select person, h, d from people, range(1 + (h % 3)::integer) as t(d)
),
web as (
    -- every device browses; people with h % 4 < 2 log in on each device
    select 'clickstream' as source, 'w' || person || '-' || d || '-' || e as event_id,
           'anon-' || person || '-' || d as anonymous_id,
           case when h % 4 < 2 and e = 0 then 'u' || person end as user_id,
           null as customer_id, null as email_hash
    from devices, range(4) as t(e)
),
crm as (
    select 'crm', 'c' || person, null, case when h % 8 = 0 then 'u' || person end,
           'C' || person, 'mail-' || person
    from people where h % 4 = 0
)
select *, timestamp '2026-09-01' as occurred_at, 'page_view' as event, null as object, null as action,
       0 as file_id, 0 as line
from (select * from web union all select * from crm)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        con = db.connect(Path(folder) / "identity.duckdb")
        con.execute(SYNTHETIC_EVENTS, {"persons": args.persons}).fetchall()
        (events,) = con.execute("select count(*) from events").fetchone()

        started = time.perf_counter()
        report = identity.build_persons(con)
        sql_seconds = time.perf_counter() - started
        sql_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        tracemalloc.start()
        started = time.perf_counter()
        components = _networkx_components(con)
        nx_seconds = time.perf_counter() - started
        nx_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        con.close()

    print(f"events {events:,}  identifiers {report.identifiers:,}  persons {report.persons:,}")
    print(f"duckdb label propagation: {sql_seconds:8.2f} s  ({report.rounds} rounds, process peak RSS "
          f"{sql_peak_mib:,.0f} MiB)")
    print(f"networkx components     : {nx_seconds:8.2f} s  (Python heap peak {nx_peak_mib:,.0f} MiB; "
          f"graph build from the same links included)")
    print(f"same number of components: {components == report.persons}")
    sys.exit(0 if components == report.persons else 1)


def _networkx_components(con: duckdb.DuckDBPyConnection) -> int:
    graph = nx.Graph()
    rows = con.execute("select customer_id, user_id, email_hash, anonymous_id from events").fetchall()
    for ids in rows:
        nodes = [(kind, value) for kind, value in zip(("c", "u", "e", "a"), ids) if value is not None]
        graph.add_nodes_from(nodes)
        graph.add_edges_from(zip(nodes, nodes[1:]))
    return nx.number_connected_components(graph)


if __name__ == "__main__":
    main()
