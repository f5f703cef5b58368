"""Accounts: sign-up, confirmation, sessions and password reset (``/api/v1/auth``)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import Field

from soundshelf.http.deps import AccessToken, ClientAddress, CurrentUser, ServicesDep
from soundshelf.http.models import ApiModel
from soundshelf.ports.identity import Tokens

router = APIRouter(prefix="/auth", tags=["accounts"])

Username = Field(min_length=1, max_length=320, description="Username (or email where allowed)")
Password = Field(min_length=1, max_length=256)
Code = Field(min_length=1, max_length=16)


class SignUp(ApiModel):
    username: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=254)
    password: str = Password


class SignedUp(ApiModel):
    user_id: str
    username: str
    confirmed: bool


class Confirm(ApiModel):
    username: str = Username
    code: str = Code


class UsernameOnly(ApiModel):
    username: str = Username


class Login(ApiModel):
    username: str = Username
    password: str = Password
    sign_in_link: str | None = Field(
        default=None,
        max_length=128,
        description="The token of a mailed sign-in link: signs its owner in past the throttle",
    )


class Refresh(ApiModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class ResetPassword(ApiModel):
    username: str = Username
    code: str = Code
    new_password: str = Password


class TokenPair(ApiModel):
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int
    token_type: str

    @classmethod
    def of(cls, tokens: Tokens) -> TokenPair:
        return cls(
            access_token=tokens.access_token,
            id_token=tokens.id_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
            token_type=tokens.token_type,
        )


NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}


@router.post("/signup", status_code=status.HTTP_201_CREATED)
def sign_up(body: SignUp, services: ServicesDep, client: ClientAddress) -> SignedUp:
    profile = services.accounts.sign_up(
        username=body.username, email=body.email, password=body.password, client=client
    )
    return SignedUp(user_id=profile["userId"], username=profile["username"], confirmed=False)


@router.post("/confirm", **NO_CONTENT)
def confirm(body: Confirm, services: ServicesDep, client: ClientAddress) -> None:
    services.accounts.confirm(username=body.username, code=body.code, client=client)


@router.post("/resend-code", **NO_CONTENT)
def resend_code(body: UsernameOnly, services: ServicesDep, client: ClientAddress) -> None:
    services.accounts.resend_code(username=body.username, client=client)


@router.post("/login")
def login(body: Login, services: ServicesDep, client: ClientAddress) -> TokenPair:
    tokens = services.accounts.login(
        username=body.username,
        password=body.password,
        client=client,
        sign_in_link=body.sign_in_link,
    )
    return TokenPair.of(tokens)


@router.post("/signin-link", **NO_CONTENT)
def send_sign_in_link(body: UsernameOnly, services: ServicesDep, client: ClientAddress) -> None:
    """Mail the account's owner a link to sign in past the throttle (same answer whether
    the account exists or not)."""
    services.accounts.send_sign_in_link(
        username=body.username, client=client, base_url=services.settings.base_url
    )


@router.post("/refresh")
def refresh(body: Refresh, services: ServicesDep) -> TokenPair:
    return TokenPair.of(services.accounts.refresh(refresh_token=body.refresh_token))


@router.post("/logout", **NO_CONTENT)
def logout(user: CurrentUser, token: AccessToken, services: ServicesDep) -> None:
    services.accounts.logout(access_token=token, principal=user)


@router.post("/forgot-password", **NO_CONTENT)
def forgot_password(body: UsernameOnly, services: ServicesDep, client: ClientAddress) -> None:
    services.accounts.forgot_password(username=body.username, client=client)


@router.post("/reset-password", **NO_CONTENT)
def reset_password(body: ResetPassword, services: ServicesDep, client: ClientAddress) -> None:
    services.accounts.reset_password(
        username=body.username, code=body.code, new_password=body.new_password, client=client
    )
