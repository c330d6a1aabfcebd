-- A resident's path, and a special group's, compare byte-wise as the places'
-- own paths do (0001): a place's residents are the range [path, end) of the
-- paths below it, and under a server's language rules that pass over
-- punctuation (en_US.UTF-8) "/1/2/3/" sorted outside the range of "/1/2/" and
-- "/12/" inside it. Byte order is also the cheaper one to keep in an index.
ALTER TABLE residents ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE resident_tags ALTER COLUMN path TYPE TEXT COLLATE "C";
