"""Made-up event data for trying journey mining at any size, written as daily landing exports in the
formats of SPEC section 1. It is not part of the library: only the command line (`journeys generate`)
imports it, and it imports nothing of the library.

Two shapes. `"default"` (company.py): a small SaaS company's clickstream and CRM, the purchase and
service journeys of the bundled samples, about 12 events per person. `"many-variants"` (web_shop.py):
a web shop's clickstream only, about 9 events per person over 16 touchpoints, walks random enough
that 10 million events give about 700,000 distinct paths (benchmarks/many_variants.yaml mines it).
Persons are walked vectorised with numpy, in chunks, so millions of persons stream through without
the whole data set ever being in memory.

Landing layout: the period is `days` days from `start`. The data arrives as `landing_days` daily
exports, each named by the day it is delivered and holding the events of the day before; the first
one also holds everything earlier. With the defaults the period is 2026-08-01..2026-10-02 and the
exports are dated 2026-10-01 (events up to 2026-09-30), 2026-10-02 and 2026-10-03:

    out/<export date>/clickstream/<file>
    out/<export date>/crm/<file>          (the default shape only)

Each export also repeats the events of the last two hours of the previous export exactly (its time
window overlaps, as real exports do: duplicates on ingest), and about 2 % of the events of an
export's last two days arrive late, only in the next export.

`file_format="mixed"` writes one file per source and export, named `export-<date>.<ext>`, cycling
through the formats so that three exports exercise all of them: clickstream as JSON Lines gzip
(with ~10 % Segment-style rows), as Parquet (native TIMESTAMP column) and as plain JSON Lines with
explicit nulls; CRM as CSV gzip (CRLF line ends), JSON Lines and plain CSV with a byte order mark.
`"parquet"`, `"jsonl"` and `"csv"` write one format only and one file per event day,
`events-<day>.<ext>`: the first export holds one file per day of the period before it, later exports
one file each. That is the scale path: files stay a manageable size and each chunk of persons
appends one Parquet row group per file. Parquet files hold exactly SPEC columns (so ingest can read
them without Python per row); the CRM's extra `region` column is in the text formats only.

Rejected rows (`bad_rows=True`) are sprinkled into every file: about 1 % of its rows, never more than
3 % of a file piece, spread over the kinds in `BAD_ROW_KINDS` that its format can carry. A rejected
row replaces the event it was made from (the event is lost, as in real exports); an exact or
conflicting duplicate is an extra row right after its original. Events repeated across exports are
never made into rejected rows, so `FileReport.duplicates` and `.quarantined` say exactly what ingest
(with the default time zone UTC) should count.
"""

from journey_samples.bad_rows import BAD_ROW_KINDS
from journey_samples.landing import FILE_FORMATS, SHAPES, GenerationReport, generate

__all__ = ["BAD_ROW_KINDS", "FILE_FORMATS", "SHAPES", "GenerationReport", "generate"]
