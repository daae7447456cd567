"""Metadata connectors: ffprobe, guessit, TMDb, MusicBrainz, AcoustID and the scoring
that turns their answers into decisions. No Prefect and no DuckDB here: the clients take
a response cache and a rate limiter from their caller."""
