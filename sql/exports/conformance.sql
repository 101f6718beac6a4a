-- conformance.csv: the definition's one row.
-- parameters: definition
select definition, journeys, conforming_journeys, conformance_rate, fitness, precision
from conformance
where definition = $definition
