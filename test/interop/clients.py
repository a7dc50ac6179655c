"""Client libraries no one here wrote, driven by the interoperability suites (test/interop).

  python clients.py mcp <resource_url> <redirect_uri>
      The Python MCP SDK's OAuth client provider (mcp.client.auth.OAuthClientProvider) on an HTTP
      client that asks for a protected MCP resource: from its 401, through protected-resource and
      authorization-server discovery, dynamic registration and an authorization-code + PKCE flow,
      to the resource answering with the access token. The authorization URL is written to stdout
      as {"authorize": url}; the suite signs in and writes the redirect it reached to stdin as
      {"callback": url}. Ends with {"status": ..., "client_id": ..., "scope": ...}.

  python clients.py authlib <registration_client_uri> <registration_access_token>
      Authlib's OAuth 2.0 client (authlib.integrations.requests_client.OAuth2Session) with the
      registration access token as its bearer token: RFC 7592 read, update (client_name) and
      delete. Ends with {"read": ..., "updated": ..., "deleted": ..., "after": ...} (statuses, bodies).
"""
import asyncio
import json
import sys
from urllib.parse import parse_qs, urlparse


def say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def mcp_flow(resource_url, redirect_uri):
    import httpx2
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.shared.auth import OAuthClientMetadata

    class Memory:
        def __init__(self):
            self.tokens = None
            self.client = None

        async def get_tokens(self):
            return self.tokens

        async def set_tokens(self, tokens):
            self.tokens = tokens

        async def get_client_info(self):
            return self.client

        async def set_client_info(self, client_info):
            self.client = client_info

    storage = Memory()

    async def redirect_handler(url):
        say({"authorize": url})

    async def callback_handler():
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        callback = urlparse(json.loads(line)["callback"])
        query = {name: values[0] for name, values in parse_qs(callback.query).items()}
        return AuthorizationCodeResult(code=query.get("code", ""), state=query.get("state"), iss=query.get("iss"))

    provider = OAuthClientProvider(
        server_url=resource_url,
        client_metadata=OAuthClientMetadata(
            client_name="Python MCP SDK",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=30) as client:
        response = await client.get(resource_url)
    say({
        "status": response.status_code,
        "body": response.text[:500],
        "client_id": storage.client.client_id if storage.client else None,
        "scope": storage.tokens.scope if storage.tokens else None,
    })


def authlib_flow(uri, token):
    from authlib.integrations.requests_client import OAuth2Session

    session = OAuth2Session(token={"access_token": token, "token_type": "Bearer"})
    read = session.get(uri)
    current = read.json()
    body = {name: value for name, value in current.items() if name not in ("registration_access_token", "registration_client_uri", "client_secret_expires_at", "client_id_issued_at")}
    body["client_name"] = "renamed by Authlib"
    updated = session.put(uri, json=body)
    # RFC 7592 §2.2: a new registration access token may come back with the update.
    fresh = updated.json().get("registration_access_token")
    if fresh:
        session = OAuth2Session(token={"access_token": fresh, "token_type": "Bearer"})
    deleted = session.delete(uri)
    after = session.get(uri)
    say({
        "read": [read.status_code, current],
        "updated": [updated.status_code, updated.json()],
        "deleted": deleted.status_code,
        "after": after.status_code,
    })


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "mcp":
        asyncio.run(mcp_flow(*args))
    elif command == "authlib":
        authlib_flow(*args)
    else:
        sys.exit(f"unknown command {command}")
