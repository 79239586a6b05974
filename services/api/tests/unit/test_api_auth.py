from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from guard_api.adapters.auth import TokenVerifier, require_preflight, require_tenant
from guard_api.adapters.errors import ApiError
from guard_api.config import DEV_JWT_SECRET, Environment, Settings

SECRET = "unit-test-secret-0123456789abcdefghij"


def claims(**overrides: Any) -> dict[str, Any]:
    base = {"sub": "alice", "aud": "console", "exp": int(time.time()) + 60, "tenant_id": "acme"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs(payload: dict[str, Any], secret: str = SECRET) -> str:
    return f"Bearer {jwt.encode(payload, secret, algorithm='HS256')}"


def code_of(verifier: TokenVerifier, header: str | None) -> tuple[int, str]:
    with pytest.raises(ApiError) as raised:
        verifier.verify(header)
    return raised.value.status, raised.value.code


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(Settings(jwt_secret=SECRET, environment=Environment.PREFLIGHT))


def test_valid_token_gives_tenant_and_subject(verifier: TokenVerifier) -> None:
    principal = verifier.verify(hs(claims()))
    assert (principal.tenant_id, principal.subject) == ("acme", "alice")


def test_the_subject_is_stripped_as_the_commands_contract_strips_it(
    verifier: TokenVerifier,
) -> None:
    assert verifier.verify(hs(claims(sub="\u3000alice\t"))).subject == "alice"


def test_org_id_is_an_alias_of_tenant_id(verifier: TokenVerifier) -> None:
    assert verifier.verify(hs(claims(tenant_id=None, org_id="globex"))).tenant_id == "globex"


# Headers are built inside the test (not at collection) so the tokens' exp is fresh.
_OTHER_SECRET = "another-secret-0123456789abcdefghijk"


@pytest.mark.parametrize(
    ("make_header", "expected"),
    [
        (lambda: None, (401, "not_authenticated")),
        (lambda: "", (401, "not_authenticated")),
        (lambda: "Basic abc", (401, "not_authenticated")),
        (lambda: "Bearer ", (401, "not_authenticated")),
        (lambda: "Bearer not.a.jwt", (401, "not_authenticated")),
        (lambda: hs(claims(), secret=_OTHER_SECRET), (401, "invalid_token")),
        (lambda: hs(claims(aud="billing")), (401, "invalid_token")),
        (lambda: hs(claims(sub=None)), (401, "invalid_token")),
        # The subject becomes a command's actor_id: a NUL would pass the 202 and then be
        # refused by the command's contract (fuzzing finding).
        (lambda: hs(claims(sub="ali\u0000ce")), (401, "invalid_token")),
        (lambda: hs(claims(sub=" \u3000 ")), (401, "invalid_token")),
        (lambda: hs(claims(sub="a" * 257)), (401, "invalid_token")),
        (lambda: hs(claims(exp=None)), (401, "invalid_token")),
        (lambda: hs(claims(exp=int(time.time()) - 10)), (401, "token_expired")),
        (lambda: hs(claims(tenant_id=None)), (403, "tenant_required")),
        (lambda: hs(claims(tenant_id="")), (403, "tenant_required")),
        (lambda: hs(claims(tenant_id="no spaces allowed")), (403, "tenant_required")),
    ],
)
def test_failures_have_the_exact_codes(
    verifier: TokenVerifier, make_header: Callable[[], str | None], expected: tuple[int, str]
) -> None:
    assert code_of(verifier, make_header()) == expected


def test_a_none_algorithm_token_is_refused(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), None, algorithm="none")
    assert code_of(verifier, f"Bearer {token}") == (401, "invalid_token")


def _rsa() -> tuple[Any, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, public


def test_rs256_with_a_pem_public_key(tmp_path: Path) -> None:
    key, public = _rsa()
    (tmp_path / "key.pem").write_bytes(public)
    settings = Settings(environment="production", jwt_public_key_file=tmp_path / "key.pem")
    verifier = TokenVerifier(settings)
    token = jwt.encode(claims(), key, algorithm="RS256")
    assert verifier.verify(f"Bearer {token}").tenant_id == "acme"
    # An HS256 token signed with the public key text (algorithm confusion) is refused.
    forged = jwt.encode(claims(), "x" * 40, algorithm="HS256")
    assert code_of(verifier, f"Bearer {forged}") == (401, "invalid_token")


def test_rs256_with_a_jwks_file_picks_the_key_by_kid(tmp_path: Path) -> None:
    key, _ = _rsa()
    other, _ = _rsa()
    jwks = {"keys": []}
    for kid, private in (("k1", key), ("k2", other)):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        jwks["keys"].append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    verifier = TokenVerifier(
        Settings(environment="development", jwt_jwks_file=tmp_path / "jwks.json")
    )
    good = jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "k2"})
    assert verifier.verify(f"Bearer {good}").subject == "alice"
    wrong_kid = jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "k1"})
    assert code_of(verifier, f"Bearer {wrong_kid}") == (401, "invalid_token")
    unknown = jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "k9"})
    assert code_of(verifier, f"Bearer {unknown}") == (401, "invalid_token")


@pytest.mark.parametrize("environment", ["preflight", "production"])
def test_settings_refuse_the_default_secret_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(environment=environment)
    assert Settings(environment="development").jwt_secret.get_secret_value() == DEV_JWT_SECRET


def test_settings_read_the_prefixed_and_shared_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://shared/db")
    monkeypatch.setenv("GUARD_API_KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("GUARD_API_TOPIC_INCIDENT_COMMANDS", "cmds")
    monkeypatch.setenv("GUARD_API_TOPIC_NOTIFICATION_COMMANDS", "notes")
    monkeypatch.setenv("GUARD_API_ENVIRONMENT", "development")
    settings = Settings()
    assert settings.database_url == "postgresql://shared/db"
    assert settings.kafka_bootstrap_servers == "broker:9092"
    assert settings.topics.incident_commands == "cmds"
    assert settings.topics.notification_commands == "notes"


def test_preflight_data_is_refused_only_in_production() -> None:
    require_preflight(Environment.PREFLIGHT)
    require_preflight(Environment.DEVELOPMENT)
    with pytest.raises(ApiError) as raised:
        require_preflight(Environment.PRODUCTION)
    assert (raised.value.status, raised.value.code) == (403, "preflight_only")


def test_a_remembered_token_still_expires(verifier: TokenVerifier) -> None:
    header = hs(claims(exp=int(time.time()) + 1))
    assert verifier.verify(header).tenant_id == "acme"
    assert verifier.verify(header).tenant_id == "acme"  # served from the verified-token cache
    time.sleep(1.1)
    assert code_of(verifier, header) == (401, "token_expired")


def test_a_tenant_parameter_must_be_the_tokens_own() -> None:
    require_tenant("acme", "acme")
    require_tenant("acme", None)
    with pytest.raises(ApiError) as raised:
        require_tenant("acme", "globex")
    assert (raised.value.status, raised.value.code) == (403, "tenant_mismatch")


def test_the_default_environment_is_production_and_refuses_the_committed_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GUARD_API_ENVIRONMENT", raising=False)
    monkeypatch.delenv("GUARD_API_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="GUARD_API_JWT_SECRET") as refused:
        Settings()
    assert "environment is production" in str(refused.value)
    monkeypatch.setenv("GUARD_API_JWT_SECRET", DEV_JWT_SECRET)
    with pytest.raises(ValidationError, match="development secret"):
        Settings()
    monkeypatch.setenv("GUARD_API_JWT_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings()
    monkeypatch.setenv("GUARD_API_JWT_SECRET", SECRET)
    assert Settings().environment is Environment.PRODUCTION


def test_only_one_key_source_may_be_configured(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="only one of"):
        Settings(jwt_jwks_url="http://127.0.0.1:1/jwks", jwt_jwks_file=tmp_path / "j.json")


def test_rs256_with_a_jwks_url_is_fetched_once_and_cached() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    key, _ = _rsa()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()
    fetches: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        # Production accepts a JWKS URL instead of a secret.
        verifier = TokenVerifier(Settings(environment="production", jwt_jwks_url=url))
        for subject in ("alice", "bob", "carol"):
            token = jwt.encode(claims(sub=subject), key, algorithm="RS256", headers={"kid": "k1"})
            assert verifier.verify(f"Bearer {token}").subject == subject
        assert fetches == ["/.well-known/jwks.json"]  # one fetch, then the cache
    finally:
        server.shutdown()
        server.server_close()
    # The JWKS host gone and nothing cached: 503, not a 401 blaming the caller's token.
    gone = TokenVerifier(Settings(environment="production", jwt_jwks_url=url))
    token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k1"})
    assert code_of(gone, f"Bearer {token}") == (503, "unavailable")


def test_the_gateway_process_refuses_to_start_in_production_with_the_committed_secret() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_API_")}
    env["GUARD_API_JWT_SECRET"] = DEV_JWT_SECRET  # environment left to its default
    run = subprocess.run(
        [sys.executable, "-m", "guard_api"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2  # the same exit status as every service's bad configuration
    assert "refusing to start" in run.stderr
    assert "environment is production" in run.stderr
    assert "GUARD_API_JWT_SECRET" in run.stderr
