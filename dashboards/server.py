"""The dashboard as an ASGI app: Streamlit behind medialake's sign-in.

``medialake dashboard`` runs ``streamlit run`` on this file. Streamlit serves
:mod:`dashboards.app` inside :class:`streamlit.App`, with the sign-in pages and the gate
of :mod:`playback.auth` in front of it and the same security headers as the playback
service: a page load without a signed-in admin or member is sent to ``/login``, and
Streamlit's socket is refused. Each page then checks the session again on every run
(:mod:`dashboards.auth`), so a logout in one tab ends the others.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from medialake.runtime import prepare_environment
from playback.app import APP_CSP, SecurityAndAccessLog
from playback.auth import AuthGate, AuthPages
from playback.server import accounts_from_settings, secure_cookies

_settings = prepare_environment()
_accounts = accounts_from_settings(_settings)

app = st.App(
    str(Path(__file__).with_name("app.py")),
    routes=AuthPages(_accounts, "medialake dashboard").routes(),
    middleware=[
        Middleware(SecurityAndAccessLog, tls=secure_cookies(_settings), csp=APP_CSP),
        Middleware(AuthGate, accounts=_accounts, public=("/_stcore/health",)),
    ],
)
