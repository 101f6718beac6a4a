-- One row per directly-follows edge of the definition with its count (the discovery input).
-- parameters: definition
select source, target, transitions from transitions where definition = $definition
