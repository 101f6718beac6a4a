-- attribution.csv: one row per touchpoint that is not a goal, in the definition's order (the order rows were
-- written).
-- parameters: definition
select definition, touchpoint, stage, journeys, removal_effect, removal_effect_low, removal_effect_high, share,
       attributed_conversions, first_touch, last_touch, linear, position_based
from attribution
where definition = $definition
