"""Tokens for the console's "demo tenant" button (development only; see services/console/README.md).

The gateway registers the endpoint that calls this only when it runs in development with the HS256
secret, so a production deployment has no route that can mint a token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from guard_api.config import Environment, Settings

#: Twelve hours, like ``python -m guard_devtools.token``.
DEMO_TOKEN_TTL_SECONDS = 12 * 3600


@dataclass(frozen=True, slots=True)
class DemoToken:
    token: str
    tenant_id: str
    subject: str
    expires_at: int  # unix seconds


def can_mint(settings: Settings) -> bool:
    """Development with the shared secret (an RS256 deployment holds no private key here)."""
    return (
        settings.environment is Environment.DEVELOPMENT
        and settings.jwt_public_key_file is None
        and settings.jwt_jwks_file is None
    )


def mint_demo_token(
    settings: Settings, tenant_id: str, subject: str = "demo-operator"
) -> DemoToken:
    if not can_mint(settings):
        raise RuntimeError("demo tokens are only minted in development with the HS256 secret")
    now = int(time.time())
    expires = now + DEMO_TOKEN_TTL_SECONDS
    claims = {
        "sub": subject,
        "tenant_id": tenant_id,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": expires,
    }
    token = jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")
    return DemoToken(token=token, tenant_id=tenant_id, subject=subject, expires_at=expires)
