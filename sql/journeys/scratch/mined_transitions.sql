-- One row per directly-follows pair of the path of every journey of the definition (mined_steps), with
-- the seconds between its two steps and its conformance kind (macros/step_transitions).
create or replace temp table mined_transitions as
select * from step_transitions('mined_steps')
