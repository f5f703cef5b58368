"""Methods for what Soundshelf does not have: podcasts, videos, jukebox, internet radio,
chat, and account management from an app.

The Subsonic specification has a server without a feature answer its reads with empty
lists and its actions with error 50 ("not authorized"), which is what ``getUser``'s roles
say (no podcast, jukebox or video conversion role). Videos do not exist, so a video id is
not found (70). Accounts are managed in the web app, where a password change ends every
other session and an administrator's changes are audited.
"""

from __future__ import annotations

from soundshelf.subsonic.call import Call
from soundshelf.subsonic.protocol import NOT_AUTHORIZED, NOT_FOUND, SubsonicError

Payload = dict


def _empty(key: str, child: str):  # type: ignore[no-untyped-def]
    def answer(call: Call) -> Payload:
        return {key: {child: []}}

    return answer


def _refused(message: str):  # type: ignore[no-untyped-def]
    def answer(call: Call) -> Payload:
        raise SubsonicError(NOT_AUTHORIZED, message)

    return answer


def _no_video(call: Call) -> Payload:
    call.required("id")
    raise SubsonicError(NOT_FOUND, "Video not found: this server has no videos")


def _no_hls(call: Call) -> Payload:
    call.required("id")
    raise SubsonicError(NOT_FOUND, "No HLS stream on this server; use stream, which seeks")


_PODCASTS = "Podcasts are not available on this server"
_RADIO = "Internet radio is not available on this server"
_ACCOUNTS = "Accounts are managed in the Soundshelf web app"

HANDLERS = {
    "getPodcasts": _empty("podcasts", "channel"),
    "getNewestPodcasts": _empty("newestPodcasts", "episode"),
    "refreshPodcasts": _refused(_PODCASTS),
    "createPodcastChannel": _refused(_PODCASTS),
    "deletePodcastChannel": _refused(_PODCASTS),
    "deletePodcastEpisode": _refused(_PODCASTS),
    "downloadPodcastEpisode": _refused(_PODCASTS),
    "getVideos": _empty("videos", "video"),
    "getVideoInfo": _no_video,
    "getCaptions": _no_video,
    "hls": _no_hls,
    "jukeboxControl": _refused("There is no jukebox on this server"),
    "getInternetRadioStations": _empty("internetRadioStations", "internetRadioStation"),
    "createInternetRadioStation": _refused(_RADIO),
    "updateInternetRadioStation": _refused(_RADIO),
    "deleteInternetRadioStation": _refused(_RADIO),
    "getChatMessages": _empty("chatMessages", "chatMessage"),
    "addChatMessage": _refused("Chat is not available on this server"),
    "createUser": _refused(_ACCOUNTS),
    "updateUser": _refused(_ACCOUNTS),
    "deleteUser": _refused(_ACCOUNTS),
    "changePassword": _refused(f"{_ACCOUNTS}: a change there ends your other sessions"),
}
