"""With REDIS_URL set, rate limits live in Redis and hold across worker processes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")

WORKER = textwrap.dedent(
    """
    import sys
    from marketplace import create_app
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_STORAGE_URI=sys.argv[1],
                     LOGIN_LIMIT_PER_ACCOUNT="3 per hour")
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
    from marketplace.core.extensions import limiter
    assert type(limiter._storage).__name__.lower().startswith("redis"), type(limiter._storage)
    client = app.test_client()
    codes = [client.post("/login", data={"email": sys.argv[2], "password": "wrong password"}).status_code
             for _ in range(int(sys.argv[3]))]
    print(" ".join(map(str, codes)))
    """
)


@pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL (CI does) to test the Redis storage")
def test_two_workers_share_the_per_account_limit():
    email = f"shared-{uuid.uuid4().hex[:8]}@example.kz"  # a fresh key, so earlier runs do not count

    def worker(attempts: int) -> list[int]:
        done = subprocess.run([sys.executable, "-c", WORKER, REDIS_URL, email, str(attempts)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return [int(c) for c in done.stdout.split()]

    assert worker(2) == [200, 200]
    assert worker(2) == [200, 429]  # the second process sees the first one's attempts
