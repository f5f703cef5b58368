"""The demo catalog for ``soundshelf serve --demo``: loaded once, into an empty data dir.

Everything is made here — melodies synthesised and encoded with PyAV, cover art and
photos drawn with Pillow — and goes through the same upload pipeline as real files.
"""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from soundshelf.bootstrap import Services
from soundshelf.catalog.indexes import listing_keys, split_changes
from soundshelf.core.users import principal_of
from soundshelf.demo import art, synth
from soundshelf.errors import Conflict
from soundshelf.ports.table import ConditionFailed, ItemAbsent

log = logging.getLogger("soundshelf.demo")

DEMO_PASSWORD = "soundshelf-demo"
ARTISTS = {  # username: (artist name, bio, genre)
    "nova": ("Nova", "Warm synths and late-night drives.", "Synthwave"),
    "kite": ("Kite Theory", "Guitar loops recorded in a kitchen.", "Indie"),
    "ember": ("Ember & Ash", "Slow piano for slow mornings.", "Ambient"),
    "lumen": ("Lumen", "Bright melodies, brighter basslines.", "Electronic"),
}
LISTENERS = ("listener", "admin")
ALBUM_COUNT = 300
TRACKS_PER_ARTIST = 3
TRACK_SECONDS = 24.0
GENRES = ["Synthwave", "Indie", "Ambient", "Electronic", "Jazz", "Folk", "Hip-hop", "Classical"]
WORDS_A = [
    "Golden",
    "Quiet",
    "Electric",
    "Paper",
    "Northern",
    "Velvet",
    "Hidden",
    "Silver",
    "Midnight",
    "Glass",
    "Wild",
    "Lost",
    "Neon",
    "Low",
    "Distant",
    "Open",
]
WORDS_B = [
    "Rivers",
    "Signals",
    "Gardens",
    "Engines",
    "Lights",
    "Harbours",
    "Echoes",
    "Maps",
    "Tides",
    "Windows",
    "Satellites",
    "Orchards",
    "Summers",
    "Streets",
    "Hours",
    "Waves",
]


def load_demo(services: Services, *, starting: Callable[[], None] = lambda: None) -> bool:
    """Create the demo catalog unless this data dir was used before; True if loaded.
    ``starting`` is called once it is decided that this call makes it."""
    if services.table.query("USERS", index="GSI1", limit=1).items:
        return False
    try:
        services.table.put({"PK": "DEMO", "SK": "DEMO", "loaded": True}, condition=ItemAbsent())
    except ConditionFailed:
        return False  # another process is loading it
    starting()
    users = _users(services)
    with tempfile.TemporaryDirectory(prefix="soundshelf-demo-") as tmp:
        tracks = _tracks(services, users, Path(tmp))
        _albums(services, users, tracks)
        _photos(services, users, Path(tmp))
    _social(services, users, tracks)
    log.info("demo catalog loaded", extra={"tracks": len(tracks), "albums": ALBUM_COUNT})
    return True


def has_demo(services: Services) -> bool:
    """Whether this data dir holds the demo catalog (and so its accounts)."""
    return services.table.get("DEMO", "DEMO") is not None


def login_hint() -> str:
    names = ", ".join([*LISTENERS, *ARTISTS])
    return f"Demo accounts: {names} (password: {DEMO_PASSWORD})"


def _users(services: Services) -> dict[str, dict[str, Any]]:
    users = {}
    for username in (*LISTENERS, *ARTISTS):
        roles = ["admin"] if username == "admin" else []
        users[username] = services.accounts.create_user(
            username=username,
            email=f"{username}@demo.soundshelf.local",
            password=DEMO_PASSWORD,
            roles=roles,
        )
    for username, (name, bio, _genre) in ARTISTS.items():
        services.artists.enable(principal_of(users[username]), name=name, bio=bio)
        users[username] = services.accounts.get_profile(users[username]["userId"])
    return users


def _tracks(services: Services, users: dict[str, dict], tmp: Path) -> list[dict[str, Any]]:
    """Synthesise and import each artist's tracks, then publish them."""
    from soundshelf.bulk_import import import_folder

    published = []
    for a, (username, (name, _bio, genre)) in enumerate(ARTISTS.items()):
        folder = tmp / username
        folder.mkdir()
        album = f"{WORDS_A[a]} {WORDS_B[a]}"
        for n in range(1, TRACKS_PER_ARTIST + 1):
            seed = a * 10 + n
            synth.make_track(
                folder / f"{n:02d}.mp3",
                seed=seed,
                seconds=TRACK_SECONDS,
                title=f"{WORDS_B[(seed * 7) % len(WORDS_B)]} of {WORDS_A[(seed * 3) % 16]}",
                artist=name,
                album=album,
                number=n,
                year=2020 + a,
                genre=genre,
                cover_jpeg=art.cover(a),
            )
        import_folder(services, root=folder, username=username, progress=False)
        owner = principal_of(users[username])
        for item in services.table.query(f"USER#{owner.user_id}#TRACKS", index="GSI1").items:
            services.tracks.update(owner, item["trackId"], {"visibility": "public"})
            published.append({**item, "username": username, "albumTitle": album})
    return published


def _albums(services: Services, users: dict[str, dict], tracks: list[dict[str, Any]]) -> None:
    """Hundreds of ranked albums across the artists; the first of each holds its tracks."""
    rng = random.Random(7)
    for rank in range(1, ALBUM_COUNT + 1):
        username = list(ARTISTS)[rank % len(ARTISTS)]
        owner = principal_of(users[username])
        first = rank <= len(ARTISTS)
        title = (
            f"{WORDS_A[list(ARTISTS).index(username)]} {WORDS_B[list(ARTISTS).index(username)]}"
            if first
            else f"{rng.choice(WORDS_A)} {rng.choice(WORDS_B)} {rank}"
        )
        fields = {
            "title": title,
            "artist": ARTISTS[username][0],
            "year": rng.randint(1990, 2026),
            "genre": rng.choice(GENRES),
            "rank": rank,
            "visibility": "public",
        }
        # Importing the artist's tagged tracks made their album and put them in it.
        grouped = {t["albumId"] for t in tracks if t["username"] == username and t.get("albumId")}
        if first and grouped:
            services.albums.update(owner, grouped.pop(), fields, partial=True)
            continue
        try:
            services.albums.create(owner, fields)
        except Conflict:
            continue


def _photos(services: Services, users: dict[str, dict], tmp: Path) -> None:
    from soundshelf.bulk_import import import_folder

    folder = tmp / "photos"
    folder.mkdir()
    for n in range(4):
        (folder / f"landscape-{n + 1}.jpg").write_bytes(art.landscape(n))
    import_folder(services, root=folder, username="listener", progress=False)
    owner = users["listener"]["userId"]
    for i, item in enumerate(services.table.query(f"USER#{owner}#PHOTOS", index="GSI1").items):
        visibility = "public" if i % 2 == 0 else "friends"
        changes = listing_keys("PHOTOS", {**item, "visibility": visibility}, item["GSI1SK"])
        set_, remove = split_changes({**changes, "visibility": visibility})
        services.table.update(item["PK"], item["SK"], set=set_, remove=remove)


def _social(services: Services, users: dict[str, dict], tracks: list[dict[str, Any]]) -> None:
    listener = principal_of(users["listener"])
    services.friends.befriend(users["listener"]["userId"], users["nova"]["userId"])
    for username in ("nova", "ember"):
        services.artists.follow(listener, username)
    for track in tracks[::3]:
        services.tracks.like(listener, track["trackId"])
    playlists = getattr(services, "playlists", None)
    if playlists is not None:
        mix = playlists.create(
            listener,
            {"name": "Demo mix", "description": "A bit of everyone", "visibility": "public"},
        )
        for track in tracks:
            playlists.add_entry(listener, mix["playlistId"], track_id=track["trackId"])
