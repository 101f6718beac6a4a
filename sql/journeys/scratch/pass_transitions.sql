-- One row per directly-follows pair of the path of a journey of this mining pass (pass_steps), with
-- the seconds between its two steps and its conformance kind (macros/step_transitions).
create or replace temp table pass_transitions as
select * from step_transitions('pass_steps')
