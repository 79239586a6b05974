"""Bearer JWT verification: HS256 secret, or RS256 with a PEM key, a JWKS file or a JWKS URL.

A JWKS URL is read through PyJWT's ``PyJWKClient``, which caches the key set for
``jwt_jwks_cache_s`` seconds (and refetches on an unknown ``kid``); see docs/operations-gateway.md.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from pydantic import TypeAdapter, ValidationError

from guard_api.adapters.errors import Forbidden, NotAuthenticated, Unavailable
from guard_api.config import Environment, Settings, serves_preflight_data
from guard_contracts.events import TENANT_ID_PATTERN, ShortText

_TENANT = re.compile(TENANT_ID_PATTERN)
_SUBJECT: TypeAdapter[str] = TypeAdapter(ShortText)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: its tenant (every query is filtered by it) and its subject."""

    tenant_id: str
    subject: str


#: Verified tokens remembered (token → claims) so a console session's repeated token is checked
#: once; expiry is still enforced on every use.
_CACHE_SIZE = 10_000


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._verified: OrderedDict[str, Principal] = OrderedDict()
        self._expiry: dict[str, float] = {}
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._jwks: jwt.PyJWKSet | None = None
        self._jwks_client: jwt.PyJWKClient | None = None
        self._key: Any
        if settings.jwt_jwks_url is not None:
            self._jwks_client = jwt.PyJWKClient(
                settings.jwt_jwks_url,
                cache_jwk_set=settings.jwt_jwks_cache_s > 0,
                lifespan=max(settings.jwt_jwks_cache_s, 1),
                timeout=5,
            )
            self._algorithm = "RS256"
        elif settings.jwt_jwks_file is not None:
            self._jwks = jwt.PyJWKSet.from_dict(json.loads(settings.jwt_jwks_file.read_text()))
            self._algorithm = "RS256"
        elif settings.jwt_public_key_file is not None:
            self._key = settings.jwt_public_key_file.read_text()
            self._algorithm = "RS256"
        else:
            self._key = settings.jwt_secret.get_secret_value()
            self._algorithm = "HS256"

    def verify(self, authorization: str | None) -> Principal:
        token = _bearer(authorization)
        cached = self._verified.get(token)
        if cached is not None:
            if time.time() < self._expiry[token] + self._leeway:
                return cached
            self._forget(token)
        principal, exp = self._principal(self._decode(token))
        self._remember(token, principal, exp)
        return principal

    def _remember(self, token: str, principal: Principal, exp: float) -> None:
        self._verified[token] = principal
        self._expiry[token] = exp
        if len(self._verified) > _CACHE_SIZE:
            oldest, _ = self._verified.popitem(last=False)
            del self._expiry[oldest]

    def _forget(self, token: str) -> None:
        self._verified.pop(token, None)
        self._expiry.pop(token, None)

    @staticmethod
    def _principal(claims: dict[str, Any]) -> tuple[Principal, float]:
        tenant = claims.get("tenant_id", claims.get("org_id"))
        if tenant is None or tenant == "":
            raise Forbidden("tenant_required", "the token carries no tenant_id (or org_id) claim")
        if not isinstance(tenant, str) or not _TENANT.fullmatch(tenant):
            raise Forbidden("tenant_required", "the token's tenant claim is not a valid tenant id")
        return Principal(tenant_id=tenant, subject=claims["sub"]), float(claims["exp"])

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            key = self._signing_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[self._algorithm],
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise Unavailable("unavailable", f"the JWKS could not be fetched: {exc}") from None
        except jwt.PyJWKClientError as exc:
            raise NotAuthenticated(
                "invalid_token", f"no signing key for the token: {exc}"
            ) from None
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("token_expired", "the token has expired") from None
        except jwt.InvalidSignatureError:
            raise NotAuthenticated("invalid_token", "the token signature does not verify") from None
        except jwt.DecodeError:
            raise NotAuthenticated("not_authenticated", "the bearer token is malformed") from None
        except jwt.InvalidAudienceError:
            raise NotAuthenticated(
                "invalid_token", f"the token audience is not {self._audience}"
            ) from None
        except jwt.InvalidTokenError as exc:
            raise NotAuthenticated("invalid_token", f"the token is not valid: {exc}") from None
        # The subject becomes the commands' actor_id: the contract's ShortText (stripped, 1-256
        # characters, no U+0000), checked here so a command is never refused after the 202.
        try:
            claims["sub"] = _SUBJECT.validate_python(claims.get("sub"))
        except ValidationError:
            raise NotAuthenticated(
                "invalid_token",
                "the token subject (sub) must be 1-256 characters, not blank, without U+0000",
            ) from None
        return claims

    def _signing_key(self, token: str) -> Any:
        if self._jwks_client is not None:
            return self._jwks_client.get_signing_key_from_jwt(token).key
        if self._jwks is None:
            return self._key
        kid = jwt.get_unverified_header(token).get("kid")
        for candidate in self._jwks.keys:
            if kid is None or candidate.key_id == kid:
                return candidate.key
        raise jwt.InvalidSignatureError(f"no key with kid {kid!r} in the JWKS")


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise NotAuthenticated("not_authenticated", "an Authorization: Bearer token is required")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated(
            "not_authenticated", "the Authorization header must be 'Bearer <token>'"
        )
    return token


def require_preflight(environment: Environment) -> None:
    """Evidence and proof are preflight data: refused in production, after authentication."""
    if not serves_preflight_data(environment):
        raise Forbidden("preflight_only", "evidence and proof are only served in preflight")


def require_tenant(caller_tenant: str, requested_tenant: str | None) -> None:
    """Endpoints that keep a ``tenant_id`` query parameter (``/guard/costs/*``, docs/product/auth.md) accept
    only the token's own tenant; any other value is 403 ``tenant_mismatch``."""
    if requested_tenant is not None and requested_tenant != caller_tenant:
        raise Forbidden("tenant_mismatch", "tenant_id does not match the token's tenant")
