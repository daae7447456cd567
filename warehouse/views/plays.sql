-- Plays: the play history servers report (play_events) joined to the items played, and
-- the play counts they report on tracks (tracks.play_count, which can include plays that
-- have no event: a server's own counter, or history older than what it lists).
--   play_history:   one row per play event, with what was played
--   plays_per_day:  per server and day: plays, listeners, distinct items
--   plays_per_user: per server and user: plays, distinct items, first and last play
--   track_plays:    per played track: the server's count, the events, and plays (the larger)
--   top_artists / top_albums: plays summed over tracks, across servers

CREATE OR REPLACE VIEW play_history AS
SELECT p.server_id, p.user_name, p.played_at,
  CAST(p.played_at AS DATE) AS played_on, p.item_native_id,
  CASE
    WHEN t.native_id IS NOT NULL THEN 'track'
    WHEN m.native_id IS NOT NULL THEN 'movie'
    WHEN e.native_id IS NOT NULL THEN 'episode'
  END AS item_kind,
  coalesce(t.title, m.title, e.title) AS title,
  coalesce(t.artist, t.album_artist) AS artist, t.album, e.show_title
FROM play_events p
LEFT JOIN tracks t ON t.server_id = p.server_id AND t.native_id = p.item_native_id
LEFT JOIN movies m ON m.server_id = p.server_id AND m.native_id = p.item_native_id
LEFT JOIN episodes e ON e.server_id = p.server_id AND e.native_id = p.item_native_id;

CREATE OR REPLACE VIEW plays_per_day AS
SELECT server_id, CAST(played_at AS DATE) AS played_on, count(*) AS plays,
  count(DISTINCT user_name) AS users, count(DISTINCT item_native_id) AS items
FROM play_events
GROUP BY ALL;

CREATE OR REPLACE VIEW plays_per_user AS
SELECT server_id, user_name, count(*) AS plays,
  count(DISTINCT item_native_id) AS items,
  min(played_at) AS first_played_at, max(played_at) AS last_played_at
FROM play_events
GROUP BY ALL;

CREATE OR REPLACE VIEW track_plays AS
WITH ev AS (
  SELECT server_id, item_native_id AS native_id, count(*) AS events,
    max(played_at) AS last_event_at
  FROM play_events GROUP BY ALL
)
SELECT t.server_id, t.native_id, t.title,
  coalesce(t.artist, t.album_artist) AS artist,
  coalesce(t.album_artist, t.artist) AS album_artist, t.album,
  coalesce(t.play_count, 0) AS server_play_count,
  coalesce(ev.events, 0) AS play_events,
  greatest(coalesce(t.play_count, 0), coalesce(ev.events, 0)) AS plays,
  greatest(t.last_played_at, ev.last_event_at) AS last_played_at
FROM tracks t
LEFT JOIN ev ON ev.server_id = t.server_id AND ev.native_id = t.native_id
WHERE t.removed_at IS NULL
  AND (coalesce(t.play_count, 0) > 0 OR ev.events IS NOT NULL);

-- Grouped by the artist (album) as written first, then by its normalized form, so the
-- normalization runs once per distinct name rather than once per track.
CREATE OR REPLACE VIEW top_artists AS
WITH by_name AS (
  SELECT artist, sum(plays) AS plays, count(*) AS tracks_played,
    list(DISTINCT server_id) AS servers, max(last_played_at) AS last_played_at
  FROM track_plays GROUP BY artist
)
SELECT arg_max(artist, plays) AS artist, CAST(sum(plays) AS BIGINT) AS plays,
  CAST(sum(tracks_played) AS BIGINT) AS tracks_played,
  list_sort(list_distinct(flatten(list(servers)))) AS servers,
  max(last_played_at) AS last_played_at
FROM by_name
GROUP BY ml_match_text(artist);

CREATE OR REPLACE VIEW top_albums AS
WITH by_name AS (
  SELECT album_artist, album, sum(plays) AS plays, count(*) AS tracks_played,
    list(DISTINCT server_id) AS servers, max(last_played_at) AS last_played_at
  FROM track_plays GROUP BY album_artist, album
)
SELECT arg_max(album_artist, plays) AS album_artist, arg_max(album, plays) AS album,
  CAST(sum(plays) AS BIGINT) AS plays, CAST(sum(tracks_played) AS BIGINT) AS tracks_played,
  list_sort(list_distinct(flatten(list(servers)))) AS servers,
  max(last_played_at) AS last_played_at
FROM by_name
GROUP BY ml_match_text(album_artist), ml_match_text(album);
