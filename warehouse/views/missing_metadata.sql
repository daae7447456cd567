-- items_missing_metadata: active items with at least one empty field that a library
-- usually has, and which fields (`missing`). Tracks: artist, album, year, genre, track
-- number, duration, MusicBrainz recording id. Movies: year, duration. Episodes: title,
-- show, season, episode number, duration.

CREATE OR REPLACE VIEW items_missing_metadata AS
WITH checks AS (
  SELECT server_id, native_id, 'track' AS item_kind, title, list_filter([
      CASE WHEN coalesce(trim(coalesce(artist, album_artist)), '') = '' THEN 'artist' END,
      CASE WHEN coalesce(trim(album), '') = '' THEN 'album' END,
      CASE WHEN year IS NULL THEN 'year' END,
      CASE WHEN coalesce(trim(genre), '') = '' THEN 'genre' END,
      CASE WHEN track_no IS NULL THEN 'track_no' END,
      CASE WHEN duration_s IS NULL THEN 'duration' END,
      CASE WHEN coalesce(mb_recording_id, '') = '' THEN 'mb_recording_id' END
    ], lambda x: x IS NOT NULL) AS missing
  FROM tracks WHERE removed_at IS NULL
  UNION ALL
  SELECT server_id, native_id, 'movie', title, list_filter([
      CASE WHEN year IS NULL THEN 'year' END,
      CASE WHEN duration_s IS NULL THEN 'duration' END
    ], lambda x: x IS NOT NULL)
  FROM movies WHERE removed_at IS NULL
  UNION ALL
  SELECT server_id, native_id, 'episode', title, list_filter([
      CASE WHEN coalesce(trim(title), '') = '' THEN 'title' END,
      CASE WHEN coalesce(trim(show_title), '') = '' THEN 'show' END,
      CASE WHEN season IS NULL THEN 'season' END,
      CASE WHEN episode IS NULL THEN 'episode' END,
      CASE WHEN duration_s IS NULL THEN 'duration' END
    ], lambda x: x IS NOT NULL)
  FROM episodes WHERE removed_at IS NULL
)
SELECT server_id, native_id, item_kind, title, missing, len(missing) AS missing_count
FROM checks
WHERE len(missing) > 0;
