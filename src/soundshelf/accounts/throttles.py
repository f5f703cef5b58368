"""Every limit on guessing secrets and on sending mail, with its number.

docs/security.md ("Sign-in, codes and sessions") quotes these and the tests that prove
them. "Source" is the client address (``http.deps.client_address``). Every "N per
period" is a sliding window (``ratelimit.RateLimiter``): at most N in any such span.
"""

from __future__ import annotations

from soundshelf.ports.clock import Clock
from soundshelf.ports.table import Table
from soundshelf.ratelimit import Backoff, GuessThrottle, RateLimiter

MINUTE, HOUR, DAY = 60, 3600, 86400

# Passwords (web sign-in): per account and source 5 failures are free, then each attempt
# waits 1 s, 2 s, 4 s ... at most 15 minutes after the last failure; forgotten after a day.
# Per source across accounts 20 failures / 15 min (spraying); per account across every
# source 100 failures / hour (a distributed attack), which a mailed sign-in link gets past.
LOGIN_FREE_FAILURES = 5
MAX_DELAY = 15 * MINUTE
LOGIN_PER_SOURCE = (20, 15 * MINUTE)
LOGIN_PER_ACCOUNT = (100, HOUR)

# App passwords (Subsonic): counted apart from the web sign-in, per username and source,
# with no cap per account: app passwords are ~99 random bits, nobody guesses one, and a
# phone with a stale one must not shut its owner out. Revoked ones fail without counting.
APP_PASSWORD_PER_SOURCE = (20, 15 * MINUTE)

# A share link's password: per link and source as above; per link across every source
# 100 wrong passwords / hour.
SHARE_PER_SOURCE = (50, 15 * MINUTE)
SHARE_PER_LINK = (100, HOUR)

# Confirmation and reset codes (6 digits, 5 tries each): per account across every code
# and source 10 wrong codes a day; per source across accounts 30 an hour; per account and
# source 3 free, then growing delays. So one account sees at most 3,650 guesses a year:
# a chance of 3,650 / 10^6 = 0.37% a year of guessing a code (~137 years for even odds).
CODE_FREE_FAILURES = 3
CODE_PER_SOURCE = (30, HOUR)
CODE_PER_ACCOUNT = (10, DAY)

# Mail (sign-up, resend-code, forgot-password, sign-in link): per source 10 an hour; per
# target account 3 an hour and 10 a day, whether or not the account exists.
MAILS_PER_SOURCE = (10, HOUR)
MAILS_PER_TARGET = ((3, HOUR), (10, DAY))

# A mailed sign-in link: 15 minutes, one sign-in, 5 password tries.
SIGN_IN_LINK_TTL = 15 * MINUTE
SIGN_IN_LINK_TRIES = 5


def _backoff(table: Table, clock: Clock, free: int) -> Backoff:
    return Backoff(table, clock, free=free, max_delay=MAX_DELAY, forget_after=DAY)


def login_throttle(table: Table, clock: Clock, limiter: RateLimiter) -> GuessThrottle:
    return GuessThrottle(
        limiter,
        _backoff(table, clock, LOGIN_FREE_FAILURES),
        scope="login",
        per_source=LOGIN_PER_SOURCE,
        per_target=LOGIN_PER_ACCOUNT,
        detail="Too many failed sign-ins; wait a little, or ask for a sign-in link by email",
    )


def app_password_throttle(table: Table, clock: Clock, limiter: RateLimiter) -> GuessThrottle:
    return GuessThrottle(
        limiter,
        _backoff(table, clock, LOGIN_FREE_FAILURES),
        scope="app-password",
        per_source=APP_PASSWORD_PER_SOURCE,
        detail="Too many failed sign-ins; wait a little and try again",
    )


def share_password_throttle(table: Table, clock: Clock, limiter: RateLimiter) -> GuessThrottle:
    return GuessThrottle(
        limiter,
        _backoff(table, clock, LOGIN_FREE_FAILURES),
        scope="share-password",
        per_source=SHARE_PER_SOURCE,
        per_target=SHARE_PER_LINK,
        detail="Too many wrong passwords; wait a little and try again",
    )


def code_throttle(table: Table, clock: Clock, limiter: RateLimiter) -> GuessThrottle:
    return GuessThrottle(
        limiter,
        _backoff(table, clock, CODE_FREE_FAILURES),
        scope="code",
        per_source=CODE_PER_SOURCE,
        per_target=CODE_PER_ACCOUNT,
        detail="Too many wrong codes; wait, or ask for a new code later",
    )


def ensure_mail_allowed(limiter: RateLimiter, *, target: str, source: str) -> None:
    """Count one mail-sending request; 429 past a limit (so nobody is mail-bombed)."""
    detail = "Too many messages asked for; wait a little and try again"
    limit, window = MAILS_PER_SOURCE
    limiter.hit(f"mail-source:{source}", window=window, limit=limit, detail=detail)
    for limit, window in MAILS_PER_TARGET:
        limiter.hit(f"mail-to:{window}:{target}", window=window, limit=limit, detail=detail)
