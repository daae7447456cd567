"""Settings: the TOML file, environment overrides, validation errors and secrets."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from connectors.media_servers.engine import MediaServerEngine
from medialake.log import install_redaction, register_secret
from medialake.settings import SettingsError, load_settings


def write_toml(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "medialake.toml").write_text(text, encoding="utf-8")


def test_defaults_give_one_filesystem_server_under_the_data_folder(
    tmp_path: Path,
) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings.servers == {
        "local": {"kind": "filesystem", "roots": [str(tmp_path / "library")]}
    }
    assert settings.warehouse_catalog == str(tmp_path / "medialake.sqlite")
    assert settings.warehouse_data_path is None  # beside the catalog
    assert settings.prefect_home == tmp_path / "prefect"


def test_file_values_and_environment_overrides(tmp_path: Path) -> None:
    write_toml(
        tmp_path,
        '[sync]\nremoval_threshold = 0.3\n\n[servers.my_music]\nkind = "filesystem"\n'
        'roots = ["/srv/a"]\n',
    )
    env = {
        "MEDIALAKE_SYNC_BATCH_SIZE": "250",
        "MEDIALAKE_SERVERS_MY_MUSIC_ROOTS": '["/srv/b", "/srv/c"]',
        "MEDIALAKE_WAREHOUSE_CATALOG": "other.sqlite",
    }
    settings = load_settings(tmp_path, environ=env)
    assert settings.sync.removal_threshold == 0.3
    assert settings.sync.batch_size == 250
    assert settings.servers["my_music"]["roots"] == ["/srv/b", "/srv/c"]
    assert settings.warehouse_catalog == str(tmp_path / "other.sqlite")


def test_an_invalid_value_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"sync\.removal_threshold"):
        load_settings(tmp_path, environ={"MEDIALAKE_SYNC_REMOVAL_THRESHOLD": "1.5"})


def test_an_unknown_key_names_the_key(tmp_path: Path) -> None:
    write_toml(tmp_path, "[sync]\nbatchsize = 10\n")
    with pytest.raises(SettingsError, match=r"sync\.batchsize"):
        load_settings(tmp_path, environ={})


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    write_toml(tmp_path, "[sync\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(tmp_path, environ={})


def test_server_tables_are_validated_by_their_client(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"servers\.x\.kind: unknown kind 'nope'"):
        MediaServerEngine.from_settings({"x": {"kind": "nope"}})
    with pytest.raises(SettingsError, match=r"servers\.x\.roots"):
        MediaServerEngine.from_settings({"x": {"kind": "filesystem"}})
    with pytest.raises(SettingsError, match=r"servers\.x\.colour"):
        MediaServerEngine.from_settings(
            {"x": {"kind": "filesystem", "roots": ["a"], "colour": "red"}}
        )


def test_a_bad_secret_is_not_echoed_in_the_error(tmp_path: Path) -> None:
    env = {"MEDIALAKE_PREFECT_API_URL": "hunter2-secret-value"}
    settings = load_settings(tmp_path, environ=env)  # valid: any string
    assert settings.prefect.api_url == "hunter2-secret-value"
    with pytest.raises(SettingsError) as err:
        load_settings(tmp_path, environ={"MEDIALAKE_SYNC_BATCH_SIZE": "sup3r-s3cret"})
    assert "sup3r-s3cret" not in str(err.value)


def test_registered_secrets_never_reach_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction()
    register_secret("tok-1234567890")
    log = logging.getLogger("medialake.test")
    with caplog.at_level(logging.INFO):
        log.info("GET http://h/x?X-Plex-Token=tok-1234567890&a=1")
        log.info("header token %s", "tok-1234567890")
        log.info("url http://h/rest/ping?u=bob&p=plainpass&c=ml")
    text = caplog.text
    assert "tok-1234567890" not in text
    assert "plainpass" not in text
    assert text.count("***") >= 3
