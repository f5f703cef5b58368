"""Artist pages, follows, and the caller's own artist profile and statistics."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import Field

from soundshelf.http.deps import CurrentUser, OptionalUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.http.routes.albums import Album
from soundshelf.http.routes.tracks import Track

router = APIRouter(tags=["music"])
NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}


class ArtistPage(ApiModel):
    username: str
    name: str
    bio: str
    follower_count: int
    followed_by_me: bool
    albums: list[Album]
    tracks: list[Track]


class ArtistProfile(ApiModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    bio: str | None = Field(default=None, max_length=2000)


class TrackStats(ApiModel):
    track_id: str
    title: str
    play_count: int
    plays_last_30_days: int
    listeners_last_30_days: int


class StatsList(ApiModel):
    items: list[TrackStats]


@router.get("/artists/{username}")
async def artist_page(username: str, viewer: OptionalUser, services: ServicesDep) -> ArtistPage:
    """Public: the artist's profile, published albums and tracks, follower count."""
    return ArtistPage(**services.artists.page(viewer, username))


@router.put("/artists/{username}/follow", **NO_CONTENT)
def follow(username: str, user: CurrentUser, services: ServicesDep) -> None:
    services.artists.follow(user, username)


@router.delete("/artists/{username}/follow", **NO_CONTENT)
def unfollow(username: str, user: CurrentUser, services: ServicesDep) -> None:
    services.artists.unfollow(user, username)


@router.put("/me/artist")
def enable_artist(body: ArtistProfile, user: CurrentUser, services: ServicesDep) -> ArtistPage:
    """Turn on (or edit) my artist profile: I get the ``artist`` role and a public page."""
    return ArtistPage(**services.artists.enable(user, name=body.name, bio=body.bio))


@router.delete("/me/artist", **NO_CONTENT)
def disable_artist(user: CurrentUser, services: ServicesDep) -> None:
    services.artists.disable(user)


@router.get("/me/artist/stats")
async def artist_stats(user: CurrentUser, services: ServicesDep) -> StatsList:
    """Plays and distinct listeners of each of my tracks over the last 30 days."""
    return StatsList(items=services.artists.stats(user))
