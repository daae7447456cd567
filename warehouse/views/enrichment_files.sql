-- Every active file with what ffprobe found: probe status or error, container, duration,
-- the main video stream (codec, resolution, HDR) and the audio and subtitle languages.
CREATE OR REPLACE VIEW enrichment_files AS
WITH streams AS (
    SELECT
        server_id,
        native_id,
        arg_min(codec, stream_index) FILTER (WHERE kind = 'video') AS video_codec,
        arg_min(width, stream_index) FILTER (WHERE kind = 'video') AS width,
        arg_min(height, stream_index) FILTER (WHERE kind = 'video') AS height,
        arg_min(frame_rate, stream_index) FILTER (WHERE kind = 'video') AS frame_rate,
        arg_min(hdr, stream_index) FILTER (WHERE kind = 'video') AS hdr,
        arg_min(codec, stream_index) FILTER (WHERE kind = 'audio') AS audio_codec,
        max(channels) FILTER (WHERE kind = 'audio') AS audio_channels,
        list(DISTINCT language ORDER BY language) FILTER (
            WHERE kind = 'audio' AND language IS NOT NULL) AS audio_languages,
        list(DISTINCT language ORDER BY language) FILTER (
            WHERE kind = 'subtitle' AND language IS NOT NULL) AS subtitle_languages,
        bool_or(forced) FILTER (WHERE kind = 'subtitle') AS has_forced_subtitles
    FROM media_streams
    GROUP BY server_id, native_id
)
SELECT
    f.server_id,
    f.native_id,
    f.path,
    f.media_kind,
    f.item_table,
    f.item_native_id,
    CASE
        WHEN p.status IS NOT NULL THEN p.status
        WHEN f.media_kind = 'audio' AND f.duration_s IS NOT NULL AND f.container IS NOT NULL
            THEN 'from tags'
        ELSE 'pending'
    END AS probe_status,
    p.error AS probe_error,
    coalesce(p.container, f.container) AS container,
    coalesce(p.duration_s, f.duration_s) AS duration_s,
    coalesce(p.bitrate, f.bitrate) AS bitrate,
    s.video_codec,
    s.width,
    s.height,
    s.frame_rate,
    s.hdr,
    s.audio_codec,
    s.audio_channels,
    s.audio_languages,
    s.subtitle_languages,
    coalesce(s.has_forced_subtitles, false) AS has_forced_subtitles,
    p.probed_at
FROM media_files f
LEFT JOIN media_probes p USING (server_id, native_id)
LEFT JOIN streams s USING (server_id, native_id)
WHERE f.removed_at IS NULL;
