"""Login latency (argon2id as configured) and the cost of authenticating one request
(JWT verification with cached keys + the profile read), on the embedded stack."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from soundshelf.adapters.local_identity import PASSWORD_HASHER
from soundshelf.bootstrap import build
from soundshelf.config import Settings

PASSWORD = "a long enough secret"


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def row(name: str, samples: list[float], unit: str = "ms") -> str:
    scale = 1000 if unit == "µs" else 1
    q = statistics.quantiles(samples, n=100)
    return f"| {name} | {statistics.median(samples) * scale:.1f} | {q[98] * scale:.1f} | {unit} |"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        services = build(Settings(data_dir=Path(tmp)))
        accounts = services.accounts
        accounts.create_user(username="bench", email="bench@example.com", password=PASSWORD)
        login = timed(
            lambda: accounts.login(username="bench", password=PASSWORD, client="127.0.0.1"), 40
        )
        tokens = accounts.login(username="bench", password=PASSWORD, client="127.0.0.1")
        verifier = accounts.verifier

        def verify_first_time() -> None:
            verifier._verified.clear()  # forget the signature: what a new token costs
            verifier.verify(tokens.access_token)

        verify_new = timed(verify_first_time, 3000)
        verify = timed(lambda: verifier.verify(tokens.access_token), 3000)
        authenticate = timed(lambda: accounts.authenticate_token(tokens.access_token), 3000)
        hash_only = timed(lambda: PASSWORD_HASHER.hash(PASSWORD), 40)
    print("## Accounts\n")
    print(
        f"argon2id parameters: time_cost={PASSWORD_HASHER.time_cost}, "
        f"memory_cost={PASSWORD_HASHER.memory_cost} KiB, "
        f"parallelism={PASSWORD_HASHER.parallelism} (OWASP's baseline for argon2id).\n"
    )
    print("| operation | p50 | p99 | unit |")
    print("|---|---:|---:|---|")
    print(row("argon2id hash of one password", hash_only))
    print(
        row("login (throttle check, argon2id verify, two ES256 signatures, session write)", login)
    )
    print(row("verify an access token seen for the first time (ES256 signature)", verify_new, "µs"))
    print(
        row("verify it again (signature remembered; expiry, use, audience checked)", verify, "µs")
    )
    print(row("authenticate one request (verify again + profile read)", authenticate, "µs"))


if __name__ == "__main__":
    main()
