-- Collections (migration 018) for SQL readers: one row per item of every collection
-- that is not removed, in the owner's order, with the item's kind and title when it is
-- still in the library (a show counts as an item too).
CREATE OR REPLACE VIEW collection_entries AS
SELECT c.collection_id, c.name AS collection, u.username AS owner, i.position,
  i.server_id, i.native_id, coalesce(e.item_kind, CASE WHEN s.native_id IS NOT NULL
    THEN 'show' END) AS item_kind,
  coalesce(e.title, s.title) AS title, i.added_at
FROM collections c
JOIN collection_items i ON i.collection_id = c.collection_id
LEFT JOIN users u ON u.user_id = c.user_id
LEFT JOIN library_entries e
  ON e.server_id = i.server_id AND e.native_id = i.native_id
LEFT JOIN shows s
  ON s.server_id = i.server_id AND s.native_id = i.native_id AND s.removed_at IS NULL
WHERE c.removed_at IS NULL;
