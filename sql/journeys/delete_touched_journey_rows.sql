-- Removes the rows of the touched persons' journeys from one of a definition's per-journey tables
-- ({{table}}: journey_steps or journey_touchpoints, keyed by journey_key); run before their journeys go.
-- parameters: definition
-- fragments: table
delete from {{table}}
where definition = $definition
  and journey_key in (
      select journey_key from journeys
      where definition = $definition and person_id in (select person_id from touched_persons)
  )
