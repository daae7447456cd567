-- Quality mix of the readable, active files.
--   quality_breakdown: per server, kind and container: files, size, hours, bitrate band
--   lossless_share:    per server: the share of audio files (and bytes) that are lossless
--
-- The container stands in for the codec until the enrichment issue's media_streams table
-- (ffprobe: codec, sample rate, bit depth, resolution) exists: `flac`, `wav`, `aiff`,
-- `ape`, `wavpack` and `tta` are lossless; an `mp4` may hold ALAC and counts as lossy
-- here. Resolution of video files needs those streams too.

CREATE OR REPLACE VIEW quality_breakdown AS
WITH f AS (
  SELECT server_id, media_kind, coalesce(container, 'unknown') AS container,
    coalesce(container IN ('flac', 'wav', 'aiff', 'ape', 'wavpack', 'tta'), false)
      AS lossless,
    bitrate, size, duration_s
  FROM media_files
  WHERE removed_at IS NULL AND error IS NULL
)
SELECT server_id, media_kind, container, lossless,
  CASE
    WHEN media_kind <> 'audio' THEN NULL
    WHEN lossless THEN 'lossless'
    WHEN bitrate IS NULL THEN 'unknown'
    WHEN bitrate < 128000 THEN 'under 128 kbps'
    WHEN bitrate < 192000 THEN '128-191 kbps'
    WHEN bitrate < 256000 THEN '192-255 kbps'
    WHEN bitrate < 320000 THEN '256-319 kbps'
    ELSE '320 kbps and up'
  END AS bitrate_band,
  count(*) AS files, CAST(coalesce(sum(size), 0) AS BIGINT) AS bytes,
  round(coalesce(sum(duration_s), 0) / 3600.0, 3) AS hours,
  round(avg(bitrate) / 1000.0) AS avg_kbps
FROM f
GROUP BY ALL;

CREATE OR REPLACE VIEW lossless_share AS
SELECT server_id,
  CAST(sum(files) AS BIGINT) AS audio_files,
  CAST(coalesce(sum(files) FILTER (WHERE lossless), 0) AS BIGINT) AS lossless_files,
  round(coalesce(sum(files) FILTER (WHERE lossless), 0) / sum(files), 4) AS lossless_share,
  round(coalesce(sum(bytes) FILTER (WHERE lossless), 0) / nullif(sum(bytes), 0), 4)
    AS lossless_bytes_share
FROM quality_breakdown
WHERE media_kind = 'audio'
GROUP BY server_id;
