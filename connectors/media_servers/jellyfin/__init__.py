"""The Jellyfin client: Jellyfin's REST API (10.11 and 12.0) behind the media-server
contract."""
