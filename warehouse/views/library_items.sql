-- Items with their files, active rows only.
--   track_files:   every track with its audio file
--   video_files:   every movie and episode with its video file
--   library_entries: tracks, movies and episodes in one shape, without their files
--   library_items: the same with each item's file (path, container, bitrate, size)
--   library_growth: items still in the library by the day they were added, cumulative
--
-- Codecs, channels, sample rates and resolutions are per-stream facts that enrichment
-- stores in `media_streams` (ffprobe); these views carry the file's container and
-- bitrate, and `enrichment_files` has every file with its streams.

CREATE OR REPLACE VIEW track_files AS
SELECT
  t.server_id, t.native_id, 'track' AS item_kind, t.title,
  coalesce(t.artist, t.album_artist) AS artist, t.album_artist, t.album,
  t.track_no, t.disc_no, t.year, t.genre, t.duration_s,
  t.mb_recording_id, t.mb_release_id, t.mb_artist_id,
  t.play_count, t.last_played_at, t.added_at, t.first_seen_at,
  f.native_id AS file_native_id, f.path, f.container, f.bitrate, f.size,
  f.duration_s AS file_duration_s, f.mtime, f.error AS file_error
FROM tracks t
LEFT JOIN media_files f
  ON f.server_id = t.server_id AND f.native_id = t.file_native_id
  AND f.removed_at IS NULL
WHERE t.removed_at IS NULL;

CREATE OR REPLACE VIEW video_files AS
SELECT
  m.server_id, m.native_id, 'movie' AS item_kind, m.title,
  NULL::TEXT AS show_title, NULL::INTEGER AS season, NULL::INTEGER AS episode,
  m.year, m.edition, m.duration_s, m.added_at, m.first_seen_at,
  f.native_id AS file_native_id, f.path, f.container, f.bitrate, f.size,
  f.duration_s AS file_duration_s, f.mtime, f.error AS file_error
FROM movies m
LEFT JOIN media_files f
  ON f.server_id = m.server_id AND f.native_id = m.file_native_id
  AND f.removed_at IS NULL
WHERE m.removed_at IS NULL
UNION ALL
SELECT
  e.server_id, e.native_id, 'episode' AS item_kind, e.title,
  coalesce(e.show_title, s.title) AS show_title, e.season, e.episode,
  s.year, NULL::TEXT AS edition, e.duration_s, e.added_at, e.first_seen_at,
  f.native_id AS file_native_id, f.path, f.container, f.bitrate, f.size,
  f.duration_s AS file_duration_s, f.mtime, f.error AS file_error
FROM episodes e
LEFT JOIN shows s
  ON s.server_id = e.server_id AND s.native_id = e.show_native_id
LEFT JOIN media_files f
  ON f.server_id = e.server_id AND f.native_id = e.file_native_id
  AND f.removed_at IS NULL
WHERE e.removed_at IS NULL;

-- `part` and `number` are the disc and track number of a track, the season and episode
-- number of an episode. library_entries has the items alone (cheap to filter, count and
-- sort: the Library page pages over it and joins the files of one page only);
-- library_items adds each item's file. `search_text` is what the free-text box searches:
-- stored for tracks by every writer of tracks (warehouse/library.py, the legacy copy),
-- since a fallback computed here would read three more columns of every track; movies
-- and episodes are few.
CREATE OR REPLACE VIEW library_entries AS
SELECT server_id, native_id, album_native_id AS art_native_id, -- item_artwork key
  'track' AS item_kind, title,
  coalesce(artist, album_artist) AS artist, album, NULL::TEXT AS show_title,
  disc_no AS part, track_no AS number, genre, year, duration_s, file_native_id,
  added_at, first_seen_at, search_key AS search_text
FROM tracks
WHERE removed_at IS NULL
UNION ALL
SELECT server_id, native_id, native_id AS art_native_id,
  'movie' AS item_kind, title, NULL::TEXT AS artist,
  NULL::TEXT AS album, NULL::TEXT AS show_title, NULL::INTEGER AS part,
  NULL::INTEGER AS number, NULL::TEXT AS genre, year, duration_s, file_native_id,
  added_at, first_seen_at, ml_search_text(title) AS search_text
FROM movies
WHERE removed_at IS NULL
UNION ALL
SELECT e.server_id, e.native_id, e.show_native_id AS art_native_id,
  'episode' AS item_kind, e.title, NULL::TEXT AS artist,
  NULL::TEXT AS album, coalesce(e.show_title, s.title) AS show_title, e.season AS part,
  e.episode AS number, NULL::TEXT AS genre, s.year, e.duration_s, e.file_native_id,
  e.added_at, e.first_seen_at,
  ml_search_text(concat_ws(' ', e.title, coalesce(e.show_title, s.title))) AS search_text
FROM episodes e
LEFT JOIN shows s
  ON s.server_id = e.server_id AND s.native_id = e.show_native_id
WHERE e.removed_at IS NULL;

CREATE OR REPLACE VIEW library_items AS
SELECT i.* EXCLUDE (search_text), f.path, f.container, f.bitrate, f.size, f.error AS file_error
FROM library_entries i
LEFT JOIN media_files f
  ON f.server_id = i.server_id AND f.native_id = i.file_native_id
  AND f.removed_at IS NULL;

CREATE OR REPLACE VIEW library_growth AS
SELECT server_id, item_kind, day, added,
  CAST(sum(added) OVER (PARTITION BY server_id, item_kind ORDER BY day) AS BIGINT)
    AS total
FROM (
  SELECT server_id, item_kind,
    CAST(coalesce(added_at, first_seen_at) AS DATE) AS day, count(*) AS added
  FROM library_entries
  GROUP BY ALL
);
