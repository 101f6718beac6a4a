-- Replaces the definition's rows of attribution (twin_touchpoint_rows: journey_mining/twin.py), in the
-- definition's touchpoint order.
-- parameters: definition
insert into attribution
select
    $definition as definition,
    t.touchpoint,
    t.stage,
    r.journeys,
    r.removal_effect,
    r.removal_effect_low,
    r.removal_effect_high,
    r.share,
    r.attributed_conversions,
    r.first_touch,
    r.last_touch,
    r.linear,
    r.position_based
from twin_touchpoint_rows as r
join definition_touchpoints as t using (touchpoint_index)
order by t.touchpoint_index
