"""A synthetic catalog written straight into a data dir's SQLite, for the HTTP benchmarks.

Nothing is uploaded or processed: items are written as ``catalog/tracks.py``, the upload
processor and ``catalog/albums.py`` leave them, through the ``Table`` port's ``transact``
in batches of 100 (``MAX_TRANSACTION_ITEMS``), so ``soundshelf serve`` on the data dir
sees an ordinary catalog. No media blobs exist: list views only sign URLs of covers and
never read them.

What it writes, per ``grow(total)`` call (repeatable: a catalog grows from 100k to 1M):

- owners (one per ``TRACKS_PER_OWNER`` tracks): profile, username and email reservations;
  one in ten an artist with an artist name;
- tracks: track item with the fields processing writes (tags, codec, renditions, cover
  derivatives, waveform key, sizes) and the listing keys of its visibility (85% public,
  10% private, 5% friends-only) and its content-hash item (the ``UPLOAD#`` records of
  the uploads service are left out: nothing listed reads them, and they would add a fifth
  to the writing time); ~80% of tracks sit on albums of 6–14 tracks (album item, name
  reservation, track entries);
- the user the benchmark logs in as (made with ``Accounts.create_user``): an artist
  with ``BENCH_ALBUMS`` ranked albums of their own, a few friends, and likes on ~2% of
  public tracks;
- with ``search=True``: search entries for the new tracks, albums and artists through
  ``SearchIndex.put_many``, the way the indexer writes them.

Titles are 1–4 words drawn Zipf-like from 20,000 synthetic syllable words (as in
``bench_search.py``), so a few prefixes are very common and most are rare.

The only tuning is on this process's own connection (a larger page cache, no sync while
loading): product code is untouched.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ulid import ULID

from soundshelf.bootstrap import Services, build
from soundshelf.catalog.albums import KIND as ALBUMS
from soundshelf.catalog.albums import album_key, name_key, rank_sort_key
from soundshelf.catalog.indexes import listing_keys
from soundshelf.catalog.tracks import KIND as TRACKS
from soundshelf.catalog.tracks import album_entry_key, like_key, track_key
from soundshelf.config import Settings
from soundshelf.core.users import email_key, profile_key, username_key
from soundshelf.ports.clock import iso
from soundshelf.ports.table import MAX_TRANSACTION_ITEMS, Put, Update
from soundshelf.social.friends import friend_key
from soundshelf.uploads.models import original_blob_key
from soundshelf.uploads.processing import derived_key, hash_key

USERNAME = "bench"
PASSWORD = "correct horse battery"
TRACKS_PER_OWNER = 50
VOCABULARY = 20_000
BENCH_ALBUMS = 150  # the logged-in user's own ranked albums (GET /albums?sort=rank)
BENCH_FRIENDS = 5
LIKE_SHARE = 0.02  # of public tracks, liked by the logged-in user
SEARCH_BATCH = 1_000  # items per put_many call
SECONDS_PER_TRACK = 60  # upload times: 1M tracks span ~2 years, all in the past
GENRES = ("Rock", "Pop", "Jazz", "Electronic", "Hip-Hop", "Folk", "Classical", "Ambient")
CODECS = (("mp3", "audio/mpeg", 320_000), ("flac", "audio/flac", 900_000))

_ONSETS = ["", "b", "br", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "st", "t", "v", "z"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]
_CODAS = ["", "", "n", "r", "s", "l", "m"]


@dataclass
class Owner:
    user_id: str
    username: str
    artist_name: str | None
    tracks: int = 0
    bytes: int = 0


@dataclass
class GrowStats:
    tracks: int  # tracks in the catalog after this call
    added: int
    items: int  # items written (tracks, albums, entries, hashes, uploads, profiles…)
    seconds: float  # writing the catalog, search excluded
    search_items: int = 0
    search_seconds: float = 0.0


@dataclass
class Catalog:
    """A data dir with a catalog in it; ``grow`` adds tracks up to a total."""

    data_dir: Path
    seed: int = 7
    user_id: str = ""
    username: str = USERNAME
    password: str = PASSWORD
    tracks: int = 0
    search_indexed: int = 0  # tracks with search entries
    queries: list[str] = field(default_factory=list)  # prefixes that find something
    _services: Services | None = None

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._rng = random.Random(self.seed)
        self._words = make_words(self._rng)
        self._cum = list(itertools.accumulate(1 / (n + 1) for n in range(len(self._words))))
        self._owners: list[Owner] = []
        self._ops: list[Put | Update] = []
        self._items = 0
        self._albums = 0
        self._search_docs: list[dict[str, Any]] = []
        self._album_names: set[tuple[str, str]] = set()

    # --- set-up ---------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build(Settings(data_dir=self.data_dir))
            conn = self._services.table._conn()  # type: ignore[attr-defined]
            # This loader's connection only: a big page cache for the random index
            # inserts, and no sync per commit (a crash here just means a rerun).
            conn.execute("PRAGMA cache_size=-524288")  # 512 MiB
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA wal_autocheckpoint=100000")
        return self._services

    def close(self) -> None:
        if self._services is not None:
            table = self._services.table
            table._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
            table.close()  # type: ignore[attr-defined]
            self._services = None

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- growing --------------------------------------------------------------------------

    def grow(self, total: int, *, search: bool) -> GrowStats:
        """Add tracks (with their owners and albums) until the catalog has ``total``."""
        started = time.perf_counter()
        items_before = self._items
        added = total - self.tracks
        first_grow = not self.user_id
        if first_grow:
            self._create_bench_user()
        self._add_owners(max(1, total // TRACKS_PER_OWNER) - len(self._owners) + 1)
        if first_grow:
            self._bench_albums()
        while self.tracks < total:
            if self._rng.random() < 0.2:
                self._track(self._pick_owner(), None, 0)  # a single
            else:
                rank = self._rng.randint(1, 5000) if self._rng.random() < 0.9 else None
                self._album(self._pick_owner(), self._rng.randint(6, 14), total, rank)
        self._flush()
        self._write_owner_counts()
        self._flush()
        stats = GrowStats(self.tracks, added, self._items - items_before, 0.0)
        stats.seconds = time.perf_counter() - started
        if search:
            started = time.perf_counter()
            stats.search_items = len(self._search_docs)
            index = self.services.indexer.index
            for first in range(0, len(self._search_docs), SEARCH_BATCH):
                index.put_many(self._search_docs[first : first + SEARCH_BATCH])
            self.search_indexed = self.tracks
            stats.search_seconds = time.perf_counter() - started
        self._search_docs = []
        if not self.queries:
            self.queries = self._make_queries()
        return stats

    def _create_bench_user(self) -> None:
        profile = self.services.accounts.create_user(
            username=self.username,
            email=f"{self.username}@example.com",
            password=self.password,
            roles=["artist"],
            confirmed=True,
        )
        self.user_id = profile["userId"]
        me = Owner(self.user_id, self.username, "The Benchmarks")
        self._owners.append(me)
        self._put_op(Update(*profile_key(me.user_id), set={"artistName": me.artist_name}))
        self._search_docs.append(
            {
                "kind": "artist",
                "item_id": me.user_id,
                "owner_id": me.user_id,
                "visibility": "public",
                "title": me.artist_name,
                "text": me.username,
            }
        )

    def _add_owners(self, count: int) -> None:
        first = len(self._owners)
        for n in range(first, first + max(0, count)):
            artist = self._rng.random() < 0.1
            owner = Owner(
                user_id=str(uuid.uuid4()),  # as the local identity provider makes them
                username=f"user{n:07d}",
                artist_name=self._phrase(2).title() if artist else None,
            )
            self._owners.append(owner)
            self._write_profile(owner, created=True)
            if first == 1 and n <= BENCH_FRIENDS:  # the first few are the bench user's friends
                now = time.time()
                for a, b in ((self.user_id, owner.user_id), (owner.user_id, self.user_id)):
                    self._put({**_key(friend_key(a, b)), "friendId": b, "since": now})

    def _write_profile(self, owner: Owner, *, created: bool) -> None:
        now = time.time()
        profile = {
            **_key(profile_key(owner.user_id)),
            "userId": owner.user_id,
            "username": owner.username,
            "email": f"{owner.username}@example.com",
            "displayName": owner.username,
            "bio": "",
            "roles": ["artist"] if owner.artist_name else [],
            "disabled": False,
            "tokensValidAfter": 0,
            "createdAt": now,
            "GSI1PK": "USERS",
            "GSI1SK": f"{iso(now)}#{owner.user_id}",
            "trackCount": owner.tracks,
            "storageBytes": owner.bytes,
        }
        if owner.artist_name:
            profile["artistName"] = owner.artist_name
        self._put(profile)
        if created:
            reservation = {"userId": owner.user_id, "username": owner.username}
            self._put({**_key(username_key(owner.username)), **reservation})
            self._put({**_key(email_key(f"{owner.username}@example.com")), **reservation})
            if owner.artist_name:
                self._search_docs.append(
                    {
                        "kind": "artist",
                        "item_id": owner.user_id,
                        "owner_id": owner.user_id,
                        "visibility": "public",
                        "title": owner.artist_name,
                        "text": owner.username,
                    }
                )

    def _write_owner_counts(self) -> None:
        me, others = self._owners[0], self._owners[1:]
        for owner in others:
            if owner.tracks:
                self._write_profile(owner, created=False)
        if me.tracks:
            self._put_op(
                Update(
                    *profile_key(me.user_id),
                    set={"trackCount": me.tracks, "storageBytes": me.bytes},
                )
            )

    def _pick_owner(self) -> Owner:
        # Skewed: some owners have many tracks, most a few. Index 0 is the bench user.
        return self._owners[1 + int((len(self._owners) - 1) * self._rng.random() ** 2)]

    # --- albums and tracks ------------------------------------------------------------------

    def _bench_albums(self) -> None:
        me = self._owners[0]
        for n in range(BENCH_ALBUMS):
            rank = None if n % 15 == 14 else (n * 37) % BENCH_ALBUMS + 1  # a few unranked
            self._album(me, self._rng.randint(6, 14), None, rank)

    def _album(self, owner: Owner, size: int, total: int | None, rank: int | None) -> None:
        rng = self._rng
        created = self._time()
        album_id = str(ULID.from_timestamp(created))
        artist = owner.artist_name or self._phrase(2).title()
        while True:  # (owner, title, artist) is unique, as Albums.create makes sure
            title = self._phrase(rng.randint(1, 3)).title()
            name = name_key(owner.user_id, title, artist)
            if name not in self._album_names:
                self._album_names.add(name)
                break
        visibility = _visibility(rng)
        album: dict[str, Any] = {
            **_key(album_key(album_id)),
            "albumId": album_id,
            "ownerId": owner.user_id,
            "ownerName": owner.username,
            "createdAt": created,
            "version": 1 if visibility == "private" else 2,  # publishing is an update
            "visibility": visibility,
            "title": title,
            "artist": artist,
            "year": rng.randint(1965, 2025),
            "genre": rng.choice(GENRES),
            "rank": rank,
        }
        album.update(_present(listing_keys(ALBUMS, album, rank_sort_key(album))))
        self._put(album)
        self._put({**_key(name), "albumId": album_id})
        self._albums += 1
        self._search_docs.append(
            {
                "kind": "album",
                "item_id": album_id,
                "owner_id": owner.user_id,
                "visibility": visibility,
                "title": title,
                "text": f"{artist} {album['genre']}",
            }
        )
        info = {"title": title, "artist": artist, "year": album["year"], "genre": album["genre"]}
        for number in range(1, size + 1):
            if total is not None and self.tracks >= total:
                break
            self._track(owner, (album_id, info), number)

    def _track(self, owner: Owner, album: tuple[str, dict[str, Any]] | None, number: int) -> None:
        rng = self._rng
        created = self._time()
        track_id = str(ULID.from_timestamp(created))
        title = self._phrase(rng.randint(1, 4)).title()
        codec, mime, bitrate = CODECS[0] if rng.random() < 0.8 else CODECS[1]
        duration = rng.randint(90_000, 420_000)
        size = duration * bitrate // 8000
        sha256 = hashlib.sha256(track_id.encode()).hexdigest()
        blob = original_blob_key(owner.user_id, track_id)
        renditions: dict[str, Any] = {"original": {"key": blob, "mime": mime, "bitrate": bitrate}}
        derived = 4_000  # the waveform
        if codec == "flac":
            renditions["high"] = {
                "key": derived_key(owner.user_id, track_id, "high.m4a"),
                "mime": "audio/mp4",
                "bitrate": 256_000,
            }
            derived += duration * 32
        visibility = _visibility(rng)
        public = visibility == "public"
        liked = public and rng.random() < LIKE_SHARE
        plays = int(rng.paretovariate(1.2) * 10) if public else rng.randint(0, 5)
        likes = plays // 20 + liked
        track: dict[str, Any] = {
            **_key(track_key(track_id)),
            "trackId": track_id,
            "ownerId": owner.user_id,
            "filename": f"{number or 1:02d} {title}.{codec}",
            "mime": mime,
            "size": size,
            "sha256": sha256,
            "originalKey": blob,
            "ownerName": owner.username,
            "visibility": visibility,
            "version": 1 if visibility == "private" else 2,
            "createdAt": created,
            "title": title,
            "artist": album[1]["artist"] if album else owner.artist_name or self._phrase(2).title(),
            "album": album[1]["title"] if album else "",
            "albumArtist": album[1]["artist"] if album else "",
            "trackNumber": number or None,
            "discNumber": 1 if album else None,
            "year": album[1]["year"] if album else rng.randint(1965, 2025),
            "genre": album[1]["genre"] if album else rng.choice(GENRES),
            "durationMs": duration,
            "codec": codec,
            "bitrate": bitrate,
            "sampleRate": 44_100,
            "channels": 2,
            "renditions": renditions,
            "waveformKey": derived_key(owner.user_id, track_id, "waveform.json"),
            "playCount": plays,
            "likeCount": likes,
        }
        if rng.random() < 0.7:
            track["cover"] = {
                name: {
                    "key": derived_key(owner.user_id, track_id, f"cover-{name}.webp"),
                    "width": side,
                    "height": side,
                    "mime": "image/webp",
                    "size": side * side // 12,
                }
                for name, side in (("thumb", 200), ("medium", 720), ("large", 1440))
            }
            derived += sum(c["size"] for c in track["cover"].values())
        track["derivedBytes"] = derived
        if album:
            track["albumId"] = album[0]
        track.update(_present(listing_keys(TRACKS, track, f"{iso(created)}#{track_id}")))
        self._put(track)
        self._put(
            {**_key(hash_key(owner.user_id, sha256)), "resultType": "track", "resultId": track_id}
        )
        if album:
            pk, sk = album_entry_key(album[0], 1, number, track_id)
            self._put({"PK": pk, "SK": sk, "trackId": track_id})
        if liked:
            pk, sk = like_key(self.user_id, track_id)
            self._put(
                {
                    "PK": pk,
                    "SK": sk,
                    "trackId": track_id,
                    "likedAt": created,
                    "GSI1PK": f"USER#{self.user_id}#LIKES",
                    "GSI1SK": f"{iso(created)}#{track_id}",
                }
            )
        owner.tracks += 1
        owner.bytes += size + derived
        self.tracks += 1
        self._search_docs.append(
            {
                "kind": "track",
                "item_id": track_id,
                "owner_id": owner.user_id,
                "visibility": visibility,
                "title": title,
                "text": f"{track['artist']} {track['album']} {track['genre']}",
                "rank": likes * 5 + plays,
            }
        )

    # --- helpers ----------------------------------------------------------------------------

    def _time(self) -> float:
        """Upload times in catalog order, the newest ``SECONDS_PER_TRACK`` apart, ending
        about a month ago at 1M tracks whatever was generated before."""
        start = time.time() - 760 * 86400
        return start + (self.tracks + self._albums) * SECONDS_PER_TRACK + self._rng.random()

    def _phrase(self, words: int) -> str:
        return " ".join(self._rng.choices(self._words, cum_weights=self._cum, k=words))

    def _make_queries(self) -> list[str]:
        """200 search-box queries: a 3–5-letter prefix of a word, as often as the word
        appears in titles (common prefixes come up often, as they do in real use)."""
        rng = random.Random(self.seed + 1)
        words = rng.choices(self._words, cum_weights=self._cum, k=200)
        return [w[: rng.randint(3, 5)] for w in words]

    def _put(self, item: dict[str, Any]) -> None:
        self._put_op(Put(item))

    def _put_op(self, op: Put | Update) -> None:
        self._ops.append(op)
        if len(self._ops) == MAX_TRANSACTION_ITEMS:
            self._flush()

    def _flush(self) -> None:
        if self._ops:
            self.services.table.transact(self._ops)
            self._items += len(self._ops)
            self._ops = []


def make_words(rng: random.Random) -> list[str]:
    """``VOCABULARY`` distinct pronounceable words of two or three syllables."""
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        syllables = rng.choice((2, 2, 3))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if len(word) >= 4:
            words.setdefault(word)
    return list(words)


def _visibility(rng: random.Random) -> str:
    roll = rng.random()
    return "public" if roll < 0.85 else "private" if roll < 0.95 else "friends"


def _key(key: tuple[str, str]) -> dict[str, str]:
    return {"PK": key[0], "SK": key[1]}


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


if __name__ == "__main__":  # a quick look: python bench/catalog_fixture.py [tracks]
    import sys
    import tempfile

    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "data") as catalog:
        stats = catalog.grow(total, search="--search" in sys.argv)
        size = (Path(tmp) / "data" / "soundshelf.db").stat().st_size
        print(stats, f"{size / 1e6:.0f} MB", catalog.queries[:10])
