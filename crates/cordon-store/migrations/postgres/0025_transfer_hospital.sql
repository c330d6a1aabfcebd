-- The designated hospital (定点医院) a transfer goes to, given at departure (issue 11).
ALTER TABLE transfers ADD COLUMN hospital TEXT;
