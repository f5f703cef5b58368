"""Cold start of the API Lambda: a fresh interpreter imports ``soundshelf.lambda_http``
and answers its first API Gateway (HTTP API v2) event, as a new container would.
No AWS call is made: /api/health touches no AWS service and clients are created lazily."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

RUNS = 7
PROBE = r"""
import json, time
t0 = time.perf_counter()
import soundshelf.lambda_http as entry
t1 = time.perf_counter()
event = {"version": "2.0", "routeKey": "$default", "rawPath": "/api/health",
         "rawQueryString": "", "headers": {"host": "api.example.com"},
         "requestContext": {"http": {"method": "GET", "path": "/api/health",
                                     "sourceIp": "203.0.113.9", "protocol": "HTTP/1.1"},
                            "stage": "$default", "requestId": "r1"},
         "isBase64Encoded": False}
class Context:
    function_name = "api"; aws_request_id = "r1"
    def get_remaining_time_in_millis(self): return 30000
answer = entry.handler(event, Context())
t2 = time.perf_counter()
entry.handler(event, Context())
t3 = time.perf_counter()
assert answer["statusCode"] == 200, answer
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "warm": t3 - t2}))
"""


def main() -> None:
    env = {
        **os.environ,
        "SOUNDSHELF_BACKEND": "aws",
        "SOUNDSHELF_TABLE_NAME": "bench",
        "SOUNDSHELF_MEDIA_BUCKET": "bench",
        "SOUNDSHELF_COGNITO_USER_POOL_ID": "us-east-1_bench",
        "SOUNDSHELF_COGNITO_CLIENT_ID": "bench",
        "SOUNDSHELF_SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    runs = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))

    def ms(key: str) -> str:
        values = sorted(r[key] * 1000 for r in runs)
        return f"{values[0]:.0f} / {statistics.median(values):.0f} / {values[-1]:.0f}"

    print("## API Lambda cold start\n")
    print(
        f"A fresh interpreter per run ({RUNS} runs), AWS backend configured, GET /api/health "
        "through the Mangum handler. min / median / max in ms.\n"
    )
    print("| step | ms | goal |")
    print("|---|---|---|")
    print(f"| import `soundshelf.lambda_http` | {ms('import')} | ≤ 300 ms |")
    print(f"| first request (builds the app and services) | {ms('first')} | |")
    print(f"| next request (warm) | {ms('warm')} | |")


if __name__ == "__main__":
    main()
