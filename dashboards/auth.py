"""Who is using the dashboard: the signed-in user of this browser, checked on every run.

The gate in front of Streamlit (:mod:`dashboards.server`) lets only signed-in admins and
members load the dashboard; a page run checks the session again, so a session that
ended since (a logout in another tab, a password change) stops the page at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from dashboards.data import md
from playback.auth import COOKIE
from warehouse import accounts
from warehouse.current import warehouse
from warehouse.db import WarehouseError

if TYPE_CHECKING:
    from warehouse.accounts import User

SIGNED_OUT = "You are signed out (or your session ended). Sign in again to go on."


def session_cookie() -> str | None:
    """This browser's session cookie, as Streamlit received it."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else None


def current_user() -> User | None:
    """The signed-in user, or None."""
    try:
        return accounts.session_user(warehouse(), session_cookie())
    except WarehouseError:
        return None


def require_user() -> User:
    """The signed-in admin or member; anything else stops the page with a link to
    the sign-in page."""
    user = current_user()
    if user is None or not user.may("browse"):
        st.warning(SIGNED_OUT)
        st.link_button("Sign in", "/login")
        st.stop()
    return user


def sidebar(user: User) -> None:
    """Who is signed in, and the way out."""
    with st.sidebar:
        st.caption(f"Signed in as **{md(user.username)}** ({user.role})")
        st.link_button("Sign out", "/logout")
