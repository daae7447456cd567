-- Items with their files, active rows only.
--   track_files:   every track with its audio file
--   video_files:   every movie and episode with its video file
--   library_items: tracks, movies and episodes in one shape (what the dashboard searches)
--   library_growth: items still in the library by the day they were added, cumulative
--
-- NOTE streams: codec, channels, sample rate and resolution are per-stream facts that the
-- enrichment issue stores in a `media_streams` table (ffprobe). That table does not exist
-- yet, so these views expose the file's container and bitrate only. When it lands, add a
-- `file_streams` view (file + its streams) and a `codec` / `resolution` column here; the
-- dashboard's item detail already shows `media_streams` rows when the table exists.

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
-- number of an episode.
CREATE OR REPLACE VIEW library_items AS
SELECT server_id, native_id, item_kind, title, artist, album, NULL::TEXT AS show_title,
  disc_no AS part, track_no AS number, genre, year, duration_s, file_native_id, path,
  container, bitrate, size, file_error, added_at, first_seen_at
FROM track_files
UNION ALL
SELECT server_id, native_id, item_kind, title, NULL::TEXT AS artist, NULL::TEXT AS album,
  show_title, season AS part, episode AS number, NULL::TEXT AS genre, year, duration_s,
  file_native_id, path, container, bitrate, size, file_error, added_at, first_seen_at
FROM video_files;

CREATE OR REPLACE VIEW library_growth AS
SELECT server_id, item_kind, day, added,
  CAST(sum(added) OVER (PARTITION BY server_id, item_kind ORDER BY day) AS BIGINT)
    AS total
FROM (
  SELECT server_id, item_kind,
    CAST(coalesce(added_at, first_seen_at) AS DATE) AS day, count(*) AS added
  FROM library_items
  GROUP BY ALL
);
