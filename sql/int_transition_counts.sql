-- One row per directly-follows edge of the definition with its count (the discovery input).
select source, target, transitions from transitions where definition = $definition
