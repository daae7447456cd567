"""Watch sessions: several browsers playing one asset in sync, the server holding the
truth (see ``docs/sessions.md``)."""
