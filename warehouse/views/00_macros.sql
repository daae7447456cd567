-- Macros the views share (this file sorts first, so it is applied before them).

-- ml_match_text(s): text reduced for matching: lower case, accents removed, every run of
-- characters other than letters and digits (of any script) turned into one space.
-- 'Zoë & the  Nulls (Live)' -> 'zoe the nulls live'.
CREATE OR REPLACE MACRO ml_match_text(s) AS
  trim(regexp_replace(lower(strip_accents(coalesce(s, ''))), '[^\p{L}\p{N}]+', ' ', 'g'));
