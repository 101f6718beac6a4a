-- Removes the path steps of the touched persons' journeys (run before their journeys are removed).
-- parameters: definition
delete from path_steps
where definition = $definition
  and journey_id in (
      select journey_id from journeys
      where definition = $definition and person_id in (select person_id from touched_persons)
  )
