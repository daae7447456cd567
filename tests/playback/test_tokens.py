"""Tokens: HMAC-SHA256 over asset and expiry; forged, tampered, truncated, expired and
other-asset tokens are refused; the key is generated once, private."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from medialake.settings import load_settings
from playback import tokens

KEY = b"k" * 32
ASSET = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def test_a_fresh_token_is_accepted_until_it_expires() -> None:
    now = 1_800_000_000
    token = tokens.issue(KEY, ASSET, 300, now=now)
    assert token.expires == now + 300
    assert tokens.verify(KEY, ASSET, token.value, now=now + 299).expires == now + 300
    with pytest.raises(tokens.TokenExpired):
        tokens.verify(KEY, ASSET, token.value, now=now + 300)


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda v: v[:-1], id="truncated"),
        pytest.param(lambda v: v.split(".")[0], id="signature removed"),
        pytest.param(
            lambda v: ".".join([str(int(v.split(".")[0]) + 3600), *v.split(".")[1:]]),
            id="expiry extended",
        ),
        pytest.param(
            lambda v: v[:-2] + ("AA" if v[-2:] != "AA" else "BB"), id="forged"
        ),
        pytest.param(lambda v: "", id="empty"),
        pytest.param(lambda v: v + "=", id="padded"),
    ],
)
def test_tampered_tokens_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    token = tokens.issue(KEY, ASSET, 300).value
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(KEY, ASSET, mangle(token))


def test_a_token_opens_only_its_own_asset() -> None:
    token = tokens.issue(KEY, ASSET, 300).value
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(KEY, OTHER, token)


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = tokens.issue(b"x" * 32, ASSET, 300).value
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(KEY, ASSET, token)


def test_no_token_outlives_its_viewing() -> None:
    now = 1_800_000_000
    first = tokens.issue(KEY, ASSET, 300, now=now, max_viewing_s=3600)
    later = now + 3500
    renewed = tokens.issue(
        KEY, ASSET, 300, now=later, start=first.start, max_viewing_s=3600
    )
    assert renewed.expires == now + 3600  # not later + 300
    with pytest.raises(tokens.TokenExpired, match="as long as a viewing may"):
        tokens.issue(
            KEY, ASSET, 300, now=now + 3600, start=first.start, max_viewing_s=3600
        )
    far = tokens.issue(KEY, ASSET, 10 * tokens.MAX_VIEWING_S, now=now)
    assert far.expires == now + tokens.MAX_VIEWING_S  # capped however it is asked


def test_a_start_in_the_future_is_refused_even_when_signed() -> None:
    now = 1_800_000_000
    token = tokens.issue(KEY, ASSET, 300, now=now + 3600, start=now + 3600).value
    with pytest.raises(tokens.TokenInvalid, match="too far ahead"):
        tokens.verify(KEY, ASSET, token, now=now)


def test_a_token_is_bound_to_its_sign_in() -> None:
    token = tokens.issue(KEY, ASSET, 300, sid="0123456789abcdef").value
    assert tokens.verify(KEY, ASSET, token).sid == "0123456789abcdef"
    moved = token.replace("0123456789abcdef", "fedcba9876543210")
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(KEY, ASSET, moved)


def test_the_generated_key_is_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    first = tokens.load_key(settings, environ={})
    path = tmp_path / tokens.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tokens.load_key(settings, environ={}) == first
    assert len(first) == 64


def test_the_environment_key_wins_as_is_and_must_be_long(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    secret = "1e5" + "0" * 40  # would read as a number if parsed as TOML
    assert (
        tokens.load_key(settings, environ={tokens.SECRET_ENV: secret})
        == secret.encode()
    )
    with pytest.raises(ValueError, match="too short"):
        tokens.load_key(settings, environ={tokens.SECRET_ENV: "short"})
    assert not (tmp_path / tokens.KEY_FILE).exists()


def test_tokens_do_not_depend_on_the_clock_of_the_signer_beyond_expiry() -> None:
    token = tokens.issue(KEY, ASSET, 60, now=time.time() - 120)
    with pytest.raises(tokens.TokenExpired):
        tokens.verify(KEY, ASSET, token.value)
