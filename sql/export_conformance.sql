-- conformance.csv: the definition's one row.
select definition, journeys, conforming_journeys, conformance_rate, fitness, precision
from conformance
where definition = $definition
