-- Every identity decision with the item's own title, the chosen id and why: one row per
-- movie, show, episode, album and track that enrichment has looked at.
CREATE OR REPLACE VIEW enrichment_identities AS
WITH items AS (
    SELECT 'movie' AS entity, server_id, native_id, title, year FROM movies
    UNION ALL SELECT 'show', server_id, native_id, title, year FROM shows
    UNION ALL SELECT 'episode', server_id, native_id,
        show_title || ' S' || lpad(CAST(coalesce(season, 0) AS TEXT), 2, '0')
        || 'E' || lpad(CAST(coalesce(episode, 0) AS TEXT), 2, '0'), NULL FROM episodes
    UNION ALL SELECT 'album', server_id, native_id,
        coalesce(album_artist || ' - ', '') || title, year FROM albums
    UNION ALL SELECT 'track', server_id, native_id,
        coalesce(artist || ' - ', '') || title, year FROM tracks
)
SELECT
    i.entity,
    i.server_id,
    i.native_id,
    it.title AS item_title,
    it.year AS item_year,
    i.status,
    i.provider,
    i.provider_id,
    i.title AS matched_title,
    i.year AS matched_year,
    round(i.confidence, 3) AS confidence,
    i.reason,
    i.decided_by,
    i.genres,
    (SELECT count(*) FROM identity_candidates c
        WHERE c.entity = i.entity AND c.server_id = i.server_id
        AND c.native_id = i.native_id) AS candidates,
    i.decided_at
FROM identities i
LEFT JOIN items it
    ON it.entity = i.entity AND it.server_id = i.server_id AND it.native_id = i.native_id;
