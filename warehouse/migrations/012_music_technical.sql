-- Technical fields of a file as its headers (cross-checked with ffprobe where headers
-- are known to lie) describe them, and ReplayGain from the tags. Filled for music by
-- the filesystem reader; NULL where a server or format does not say.
ALTER TABLE media_files ADD COLUMN codec TEXT;          -- ffprobe's codec name: mp3, flac, aac, pcm_s16le...
ALTER TABLE media_files ADD COLUMN sample_rate INTEGER; -- Hz
ALTER TABLE media_files ADD COLUMN bit_depth INTEGER;   -- bits per sample; NULL for lossy codecs
ALTER TABLE media_files ADD COLUMN channels INTEGER;
ALTER TABLE tracks ADD COLUMN replaygain_track_db DOUBLE;
ALTER TABLE tracks ADD COLUMN replaygain_album_db DOUBLE;
-- A hash of the file's size and three blocks: a file that moves keeps its identity when
-- a new path holds the same content (the filesystem server; NULL elsewhere).
ALTER TABLE media_files ADD COLUMN content_key TEXT;
-- Enrichment's ffprobe rows gain the audio bit depth too.
ALTER TABLE media_streams ADD COLUMN bit_depth INTEGER;
