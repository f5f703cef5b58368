"""``/rest/{method}`` and ``/rest/{method}.view``, GET or form POST, for Subsonic clients.

One route dispatches by method name, so the ``.view`` suffix, both verbs and the error
envelope are handled in one place. Errors are HTTP 200 with a Subsonic error code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MultiDict

from soundshelf.bootstrap import Services
from soundshelf.errors import DomainError, Forbidden, NotFound
from soundshelf.subsonic import absent, actions, browse, discovery, lyrics, shares
from soundshelf.subsonic.auth import SubsonicAuth
from soundshelf.subsonic.call import Call
from soundshelf.subsonic.protocol import (
    GENERIC,
    MISSING_PARAMETER,
    NOT_AUTHORIZED,
    NOT_FOUND,
    SubsonicError,
    envelope,
    error_payload,
    render,
)

Handler = Callable[[Call], "dict[str, Any] | Response"]

EXTENSIONS = [
    {"name": "apiKeyAuthentication", "versions": [1]},
    {"name": "formPost", "versions": [1]},
    {"name": "songLyrics", "versions": [1]},
]


def _ping(call: Call) -> dict[str, Any]:
    return {}


def _license(call: Call) -> dict[str, Any]:
    return {"license": {"valid": True}}


HANDLERS: dict[str, Handler] = {
    "ping": _ping,
    "getLicense": _license,
    "getMusicFolders": browse.get_music_folders,
    "getIndexes": browse.get_indexes,
    "getArtists": browse.get_artists,
    "getArtist": browse.get_artist,
    "getAlbum": browse.get_album,
    "getSong": browse.get_song,
    "getMusicDirectory": browse.get_music_directory,
    "getAlbumList": browse.get_album_list,
    "getAlbumList2": browse.get_album_list2,
    "getRandomSongs": browse.get_random_songs,
    "getGenres": browse.get_genres,
    "getSongsByGenre": browse.get_songs_by_genre,
    "search2": browse.search2,
    "search3": browse.search3,
    "getCoverArt": browse.get_cover_art,
    "getAvatar": browse.get_avatar,
    "stream": browse.stream,
    "download": browse.download,
    "getPlaylists": actions.get_playlists,
    "getPlaylist": actions.get_playlist,
    "createPlaylist": actions.create_playlist,
    "updatePlaylist": actions.update_playlist,
    "deletePlaylist": actions.delete_playlist,
    "star": actions.star,
    "unstar": actions.unstar,
    "getStarred": actions.get_starred,
    "getStarred2": actions.get_starred2,
    "setRating": actions.set_rating,
    "scrobble": actions.scrobble,
    "getNowPlaying": actions.get_now_playing,
    "getUser": actions.get_user,
    "getBookmarks": actions.get_bookmarks,
    "createBookmark": actions.create_bookmark,
    "deleteBookmark": actions.delete_bookmark,
    "getUsers": actions.get_users,
    "getScanStatus": actions.get_scan_status,
    "startScan": actions.get_scan_status,
    "getShares": shares.get_shares,
    "createShare": shares.create_share,
    "updateShare": shares.update_share,
    "deleteShare": shares.delete_share,
    "getPlayQueue": actions.get_play_queue,
    "savePlayQueue": actions.save_play_queue,
    "getLyricsBySongId": lyrics.get_lyrics_by_song_id,
    "getLyrics": lyrics.get_lyrics,
    "tokenInfo": actions.token_info,
    **discovery.HANDLERS,
    **absent.HANDLERS,
}

router = APIRouter(prefix="/rest", include_in_schema=False)
# Parameters per request (query and form together): far more than any client sends.
MAX_PARAMETERS = 1_000


# HEAD too: players ask it of stream, download and getCoverArt before reading the bytes.
@router.api_route("/{method}", methods=["GET", "HEAD", "POST"])
async def subsonic(method: str, request: Request) -> Response:
    params = await _params(request)
    fmt, callback = params.get("f"), params.get("callback")
    try:
        if len(params.multi_items()) > MAX_PARAMETERS:
            raise SubsonicError(MISSING_PARAMETER, f"At most {MAX_PARAMETERS} parameters")
        # The services block (Table, blobs): run them off the event loop.
        body = await run_in_threadpool(
            _dispatch, request.app.state.services, method.removesuffix(".view"), params, request
        )
    except SubsonicError as error:
        body = error_payload(error)
    if isinstance(body, Response):
        return body
    return render(body, fmt=fmt, callback=callback)


async def _params(request: Request) -> MultiDict:
    """Query parameters plus, for a form POST, the form fields (the formPost extension)."""
    items = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()
        items += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return MultiDict(items)


def _dispatch(
    services: Services, method: str, params: MultiDict, request: Request
) -> dict[str, Any] | Response:
    if method == "getOpenSubsonicExtensions":  # public, so clients can probe before login
        return envelope({"openSubsonicExtensions": EXTENSIONS})
    handler = HANDLERS.get(method)
    if handler is None:
        raise SubsonicError(NOT_FOUND, f"Unknown method: {method}")
    auth = SubsonicAuth(
        accounts=services.accounts,
        app_passwords=services.app_passwords,
        limiter=services.accounts.limiter,
    )
    client = request.client.host if request.client else "unknown"
    principal = auth.authenticate(params, client=client)
    call = Call(services=services, principal=principal, params=params)
    try:
        result = handler(call)
    except NotFound as exc:
        raise SubsonicError(NOT_FOUND, exc.detail) from None
    except Forbidden as exc:
        raise SubsonicError(NOT_AUTHORIZED, exc.detail) from None
    except DomainError as exc:
        raise SubsonicError(GENERIC, exc.detail) from None
    return result if isinstance(result, Response) else envelope(result)
