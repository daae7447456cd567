"""``medialake rip-cd`` end to end: a CUE+WAV image standing for a 3-track disc, the
fake MusicBrainz (a disc-id answer derived from a recorded one, the recorded release),
the rip flow under the strict rip limit, the warehouse and the library."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.flac import FLAC
from typer.testing import CliRunner

from cli.main import _load_commands, app
from connectors.rips.audiocd import CueImageReader, disc_id
from tasks.context import reset, warehouse
from tests.connectors.metadata.fakes import FakeMusicBrainz
from tests.connectors.rips.cdimage import disc_answer, make_image
from warehouse.downloads import rows

pytestmark = pytest.mark.usefixtures("prefect_harness")
_load_commands()
ALBUM = "library/Music/The Dead Weather/Sea of Cowards (2010)"
RUINED_SUBJECTS = "833d4c3a-2635-4b7a-83c4-4e560588f23a"  # recorded, artist credits


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_rip_cd_imports_a_known_disc_and_queues_an_unknown_one_for_review(
    ml_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = make_image(tmp_path / "known")
    unknown = make_image(tmp_path / "unknown", seconds=(2, 3, 2))
    toc = CueImageReader(known).toc()
    with FakeMusicBrainz(min_interval=0.05) as mb:
        mb.extra[f"discid/{disc_id(toc)}"] = disc_answer(
            disc_id(toc), toc.lead_out, toc.offsets
        )
        monkeypatch.setenv("MEDIALAKE_ENRICHMENT_MUSICBRAINZ_BASE_URL", mb.url)
        monkeypatch.setenv("MEDIALAKE_ENRICHMENT_MUSICBRAINZ_MIN_INTERVAL_S", "0.1")
        reset()

        code, output = cli("rip-cd", str(known))
        again, said = cli("rip-cd", str(known))
        review, queued = cli("rip-cd", str(unknown))
        listed, table = cli("rip-cd", "--list")
        with warehouse().read() as con:
            found = rows(con, "SELECT * FROM cd_rips ORDER BY state")
        waiting = found[1]
        settled, said_settled = cli(
            "rip-cd", "--review", waiting["rip_id"], "--release", RUINED_SUBJECTS
        )

    assert code == 0, output
    folder = ml_home / ALBUM
    assert sorted(p.name for p in folder.iterdir()) == [
        "01 - Blue Blood Blues.flac",
        "02 - Hustle and Cuss.flac",
        "03 - The Difference Between Us.flac",
    ]
    assert FLAC(folder / "03 - The Difference Between Us.flac")["tracknumber"] == ["03"]
    assert again == 0
    assert "skipped" in said
    assert review == 0, queued
    assert "review" in queued
    assert [(r["state"], r["tracks_done"], r["matched"]) for r in found] == [
        ("imported", 3, True),
        ("review", 3, False),
    ]
    assert found[1]["final_path"].endswith(f"Unknown Disc {found[1]['disc_id']}")
    assert listed == 0
    assert "Cowards" in table  # the table wraps at 80 columns
    assert settled == 0, said_settled
    reviewed = ml_home / "library/Music/JT Bruce/Ruined Subjects (2011)"
    assert sorted(p.name for p in reviewed.iterdir()) == [
        "01 - Pollux.flac",
        "02 - Vega.flac",
        "03 - Deneb.flac",
    ]
    assert FLAC(reviewed / "02 - Vega.flac")["musicbrainz_albumid"] == [RUINED_SUBJECTS]
    assert not Path(found[1]["final_path"]).exists()  # the placeholder is gone
    with warehouse().read() as con:
        [done] = rows(con, "SELECT * FROM cd_rips WHERE rip_id = ?", waiting["rip_id"])
    assert (done["state"], done["album"]) == ("imported", "Ruined Subjects")


def test_rip_cd_says_what_is_wrong_with_a_source(ml_home: Path, tmp_path: Path):
    (tmp_path / "broken.cue").write_text('FILE "missing.wav" WAVE\n')

    code, output = cli("rip-cd", str(tmp_path / "broken.cue"))

    assert code == 2
    assert "audio file is missing" in output
