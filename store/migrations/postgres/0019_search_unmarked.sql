-- Searches find Vietnamese text typed without its marks ("tran" finds
-- "Trần"): every search column gets an unmarked copy of its text and every
-- search term an unmarked twin. The work is Go's (migrationFills: the
-- search columns are folded again and the search terms written again);
-- this statement only records the version.
SELECT 1;
