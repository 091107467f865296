"""Does log-in take as long for an e-mail with an account as for one without? (issue 12, item 4)

    .venv/bin/python bench/login_timing.py [--tries 20]

Runs the real `POST /login` in-process on a fresh SQLite database with the production argon2id cost
(time_cost 3, 64 MiB), alternating a wrong password for an existing account with an address that has none,
after one warm-up of each. Prints the median and spread of each and their ratio; the old dummy path (hash
a password, then verify against it) is timed beside them as the baseline the fix removed.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.core.config import Config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=20)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sw-bench-login-"))
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.sqlite3'}",
                     ARGON2_TIME_COST=Config.ARGON2_TIME_COST, ARGON2_MEMORY_COST=Config.ARGON2_MEMORY_COST,
                     RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        from marketplace.accounts.models import User
        from marketplace.accounts.passwords import hash_password, verify_password
        from marketplace.core.extensions import db
        from marketplace.core.roles import Role

        db.session.add(User(email="known@example.kz", password_hash=hash_password("the real password here"),
                            role=Role.VOLUNTEER, full_name="Bench"))
        db.session.commit()

        def old_dummy() -> None:  # what a log-in for an unknown address did before the fix
            verify_password(hash_password("timing-equaliser"), "wrong password")

    client = app.test_client()

    def login(email: str) -> float:
        start = time.perf_counter()
        response = client.post("/login", data={"email": email, "password": "wrong password"})
        elapsed = time.perf_counter() - start
        assert response.status_code == 200
        return elapsed * 1000

    timings: dict[str, list[float]] = {"known e-mail": [], "unknown e-mail": [], "old unknown path": []}
    login("known@example.kz"), login("nobody@example.kz")  # warm-up: the dummy hash is made once per process
    for _ in range(args.tries):
        timings["known e-mail"].append(login("known@example.kz"))
        timings["unknown e-mail"].append(login("nobody@example.kz"))
        with app.app_context():
            start = time.perf_counter()
            old_dummy()
            timings["old unknown path"].append((time.perf_counter() - start) * 1000)

    print(f"POST /login, wrong password, {args.tries} tries each, argon2id t={Config.ARGON2_TIME_COST} "
          f"m={Config.ARGON2_MEMORY_COST} KiB")
    for name, values in timings.items():
        print(f"  {name:17} median {statistics.median(values):7.1f} ms   min {min(values):7.1f}   "
              f"max {max(values):7.1f}")
    known, unknown = (statistics.median(timings[k]) for k in ("known e-mail", "unknown e-mail"))
    old = statistics.median(timings["old unknown path"])
    print(f"  unknown ÷ known: {unknown / known:.2f}×  (issue 12 asks for within 1.2×)")
    print(f"  old unknown path (hash + verify only) ÷ known log-in: {old / known:.2f}×")


if __name__ == "__main__":
    main()
