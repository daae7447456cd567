"""A labelled matching set: a synthetic library with live, remix, remastered and
duplicate copies, and 500 playlist entries written the ways people write them (typos,
accents, feat., remaster notes, other versions, tracks that are not there), each with
the track it should match (or None)."""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST = (
    "Zoë Sigur Björk Beyoncé Amon Mogwai Röyksopp Motörhead Sade Portishead Low "
    "Blonde Café Señor Nina Arcade Idles Bonobo Caribou Daft Solange Mø Alt Kings Wet"
).split()
LAST = (
    "Keating Rós Tobin Redhead Machine Fires Orchestra Brothers Collective Parade "
    "Lights Harbour Tigers Société Garçons Punk Leg Drum Valley Union Sisters"
).split()
WORDS = (
    "quiet signal northern lights river glass heart winter morning empty streets "
    "golden hour falling paper moon electric dreams broken radio silver summer "
    "midnight train ocean eyes velvet storm hollow bones static fever distant "
    "thunder crimson tide wandering ghost neon rain lonely planet frozen fire "
    "shadow dance secret garden burning bridges open road sleeping giant wild "
    "horses"
).split()


@dataclass(frozen=True, slots=True)
class Song:
    native_id: str
    title: str
    artist: str
    album: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    title: str
    artist: str | None
    duration_s: float | None
    expected: str | None


def library(seed: int = 7) -> tuple[list[Song], dict[str, list[Song]]]:
    """Tracks of 120 artists (12 songs each) and, by group, the copies of songs:
    ``original``, ``live``, ``remix``, ``only_live`` and ``remastered`` lists."""
    rng = random.Random(seed)
    artists = sorted({f"{a} {b}" for a in FIRST for b in LAST})
    rng.shuffle(artists)
    songs: list[Song] = []
    groups: dict[str, list[Song]] = {
        k: [] for k in ("original", "live", "remix", "only_live", "remastered")
    }
    n = 0
    for artist in artists[:120]:
        titles: set[str] = set()
        while len(titles) < 12:
            size = rng.choice((1, 2, 2, 3))
            titles.add(" ".join(rng.sample(WORDS, size)).title())
        for index, title in enumerate(sorted(titles)):
            album = f"{rng.choice(WORDS).title()} Sessions"
            length = float(rng.randint(150, 420))
            n += 1
            roll = index % 6
            if roll == 5:
                song = Song(f"t{n}", f"{title} (Live)", artist, "Live Album", length)
                songs.append(song)
                groups["only_live"].append(song)
                continue
            shown = f"{title} - 2011 Remaster" if roll == 4 else title
            song = Song(f"t{n}", shown, artist, album, length)
            songs.append(song)
            groups["remastered" if roll == 4 else "original"].append(song)
            if roll == 0:
                n += 1
                live = Song(
                    f"t{n}", f"{title} (Live)", artist, "Live Album", length + 20
                )
                songs.append(live)
                groups["live"].append(live)
            if roll == 1:
                n += 1
                mix = Song(
                    f"t{n}", f"{title} (Club Remix)", artist, "Remixes", length + 60
                )
                songs.append(mix)
                groups["remix"].append(mix)
            if roll == 2:  # the same recording on a compilation too
                n += 1
                songs.append(Song(f"t{n}", title, artist, "Best Of", length))
    return songs, groups


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long:
        return text
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    how = rng.choice(("drop", "swap", "double"))
    if how == "drop":
        word = word[:j] + word[j + 1 :]
    elif how == "swap":
        word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
    else:
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


def _plain(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def cases(groups: dict[str, list[Song]], seed: int = 11) -> list[Case]:
    """500 labelled entries."""
    rng = random.Random(seed)
    out: list[Case] = []

    def dur(song: Song) -> float | None:
        return song.duration_s + rng.choice((-1, 0, 1)) if rng.random() < 0.5 else None

    def base(title: str) -> str:
        return title.replace(" - 2011 Remaster", "")

    originals = groups["original"]
    for song in rng.sample(originals, 70):
        out.append(Case("exact", song.title, song.artist, dur(song), song.native_id))
    for song in rng.sample(originals, 70):
        out.append(
            Case(
                "title typo",
                _typo(rng, song.title),
                song.artist,
                dur(song),
                song.native_id,
            )
        )
    for song in rng.sample(originals, 50):
        out.append(
            Case(
                "artist typo",
                song.title,
                _typo(rng, song.artist),
                dur(song),
                song.native_id,
            )
        )
    accented = [s for s in originals if _plain(s.artist) != s.artist]
    for song in rng.sample(accented, 40):
        out.append(
            Case(
                "accents",
                song.title.lower(),
                _plain(song.artist).upper(),
                dur(song),
                song.native_id,
            )
        )
    for song in rng.sample(originals, 40):
        out.append(
            Case(
                "feat.",
                f"{song.title} (feat. MC Guest)",
                f"{song.artist} feat. MC Guest",
                dur(song),
                song.native_id,
            )
        )
    for song in rng.sample(originals, 30):
        out.append(
            Case(
                "remaster note",
                f"{song.title} (Remastered 2009)",
                song.artist,
                dur(song),
                song.native_id,
            )
        )
    for song in groups["remastered"][:30]:
        out.append(
            Case(
                "remastered copy",
                base(song.title),
                song.artist,
                dur(song),
                song.native_id,
            )
        )
    for song in groups["live"][:40]:
        out.append(
            Case("live wanted", song.title, song.artist, dur(song), song.native_id)
        )
    for song in groups["remix"][:30]:
        out.append(
            Case("remix wanted", song.title, song.artist, dur(song), song.native_id)
        )
    plain = [
        s
        for s in originals
        if s.native_id not in {x.native_id for x in groups["remix"]}
    ]
    for song in rng.sample(plain, 30):
        out.append(
            Case(
                "remix not there",
                f"{song.title} (Extended Mix)",
                song.artist,
                None,
                None,
            )
        )
    for song in groups["only_live"][:40]:
        out.append(
            Case(
                "only live there",
                song.title.replace(" (Live)", ""),
                song.artist,
                None,
                None,
            )
        )
    while len(out) < 500:
        title = " ".join(rng.sample(WORDS, 3)).title() + " Tomorrow"
        out.append(Case("not there", title, "Unknown Stranger", None, None))
    return out[:500]
