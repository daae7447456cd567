"""ffmpeg and ffprobe for HLS: probes, playback decisions, ladders, hardware, publish.

Pure functions and subprocess calls only: no Prefect, no DuckDB. The task layer joins
this to the warehouse (``tasks/transcode.py``).
"""
