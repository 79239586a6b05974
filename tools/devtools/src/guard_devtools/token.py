"""Mint a console JWT for local use: ``python -m guard_devtools.token --tenant demo``."""

from __future__ import annotations

import argparse
import time

import jwt

#: Matches the API's development default; the API refuses it outside development.
DEV_SECRET = "change-me-local-demo-secret-0123456789"


def mint(
    tenant_id: str,
    *,
    subject: str = "demo-operator",
    secret: str = DEV_SECRET,
    ttl_seconds: int = 12 * 3600,
    audience: str = "console",
) -> str:
    now = int(time.time())
    claims = {"sub": subject, "tenant_id": tenant_id, "aud": audience, "iat": now}
    claims["exp"] = now + ttl_seconds
    return jwt.encode(claims, secret, algorithm="HS256")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--subject", default="demo-operator")
    parser.add_argument("--secret", default=DEV_SECRET)
    parser.add_argument("--ttl", type=int, default=12 * 3600)
    args = parser.parse_args()
    print(mint(args.tenant, subject=args.subject, secret=args.secret, ttl_seconds=args.ttl))


if __name__ == "__main__":
    main()
