"""A fake Microsoft identity platform and Graph in one (TLS) server.

Tenants are addressed by GUID or by a verified domain. Tokens are JWTs whose claims
mirror Azure's app-only tokens (tid, roles — omitted when nothing was consented). Tokens
are issued for one resource only, this server's Graph: ``{graph_origin}/.default``, where
``graph_origin`` is the server's own origin unless a test names another (a national cloud's
Graph host reached through a proxy), as each national cloud accepts only its own Graph.
"""

from __future__ import annotations

import base64
import datetime
import html
import secrets
import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.sandbox.base import FakeServer

DEFAULT_ROLES = ("Calendars.ReadWrite", "User.Read.All", "Organization.Read.All")
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"  # what Entra's federated credentials expect
FEDERATED_SUBJECT = "system:serviceaccount:zoomcal:zoomcal"


def make_certificate(path: Path, common_name: str = "zoomcal") -> x509.Certificate:
    """A self-signed certificate and its private key in one PEM file, as an operator uploads to Entra."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256())
    )
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)
    return certificate


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Mailbox(Enum):
    """What Graph finds behind a user of a tenant."""

    ENABLED = "enabled"  # an Exchange Online mailbox: the calendar answers 200
    NONE = "none"  # no mailbox (unlicensed, on-premises, soft-deleted): 404 MailboxNotEnabledForRESTAPI
    BLOCKED = "blocked"  # an application access policy excludes the app: 403 ErrorAccessDenied


@dataclass
class Tenant:
    id: str
    display_name: str
    domains: tuple[str, ...]
    roles: tuple[str, ...]
    consented: bool = True
    removed: bool = False  # an admin deleted the app's service principal after consenting
    revoked_roles: tuple[str, ...] = ()  # the roles an admin removed (kept to restore them)
    users: dict[str, Mailbox] = field(default_factory=dict)  # by lower-cased email


@dataclass
class _Issued:
    tenant: Tenant
    expires: float
    roles: tuple[str, ...] = field(default_factory=tuple)


class FakeMicrosoft(FakeServer):
    def __init__(self, client_id: str = "ms-client", client_secret: str = "ms-secret", **kwargs):
        super().__init__(**kwargs)
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenants: dict[str, Tenant] = {}
        self.consent_tenant: str | None = None  # the tenant of the "signed-in" admin on the consent page
        self.issued: dict[str, _Issued] = {}
        self.graph_origin_override: str | None = None  # e.g. "https://graph.microsoft.us" behind a proxy
        self._key = secrets.token_bytes(32)
        self.secret_expired = False  # the app's client secret passed its end date (AADSTS7000222)
        self.certificates: dict[str, object] = {}  # thumbprint (x5t#S256 and x5t) → public key, uploaded to the app
        self.federated_subject = FEDERATED_SUBJECT  # the app's federated credential: issuer (ours), subject, audience
        self._issuer_key = secrets.token_bytes(32)  # the federated issuer's (e.g. a Kubernetes cluster's) key
        self._stale_assertions: set[str] = set()  # federated tokens replaced in their file (and expired)

    # the app's credentials ------------------------------------------------------------------------

    @property
    def federated_issuer(self) -> str:
        return f"{self.url}/federated-issuer"

    def add_certificate(self, certificate: x509.Certificate) -> None:
        """Uploads a certificate (its public key) to the Entra app."""
        public_key = certificate.public_key()
        self.certificates[_b64(certificate.fingerprint(hashes.SHA256()))] = public_key
        self.certificates[_b64(certificate.fingerprint(hashes.SHA1()))] = public_key

    def write_federated_token(self, path: Path, *, subject: str | None = None, lifetime: int = 3600) -> str:
        """What the federated issuer (AKS workload identity, GitHub OIDC) writes into the token file."""
        now = int(time.time())
        token = jwt.encode(
            {"iss": self.federated_issuer, "sub": subject or self.federated_subject, "aud": FEDERATED_AUDIENCE,
             "iat": now, "nbf": now, "exp": now + lifetime, "jti": uuid.uuid4().hex},
            self._issuer_key, algorithm="HS256",
        )
        path.write_text(token)
        return token

    def rotate_federated_token(self, path: Path) -> str:
        """The issuer writes a new token; the one the file held is refused from now on (expired)."""
        if path.exists():
            self._stale_assertions.add(path.read_text().strip())
        return self.write_federated_token(path)

    @property
    def graph_origin(self) -> str:
        """The one Graph resource this identity platform issues tokens for."""
        return self.graph_origin_override or self.url

    @property
    def graph_scope(self) -> str:
        return f"{self.graph_origin}/.default"

    @property
    def issued_tokens(self) -> list[str]:
        return list(self.issued)

    @property
    def tokens_issued(self) -> int:
        return len(self.issued)

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on (Graph answers 401)."""
        for issued in self.issued.values():
            issued.expires = 0

    def add_tenant(
        self,
        tenant_id: str | None = None,
        display_name: str = "Contoso",
        domains: tuple[str, ...] = ("contoso.onmicrosoft.com",),
        roles: tuple[str, ...] = DEFAULT_ROLES,
        consented: bool = True,
    ) -> str:
        tenant = Tenant(tenant_id or str(uuid.uuid4()), display_name, tuple(domains), tuple(roles), consented)
        self.tenants[tenant.id] = tenant
        self.consent_tenant = self.consent_tenant or tenant.id
        return tenant.id

    def add_user(self, tenant_id: str, email: str, mailbox: Mailbox = Mailbox.ENABLED) -> None:
        """A user of the tenant; Graph answers for their calendar as ``mailbox`` says."""
        self.tenants[tenant_id].users[email.lower()] = mailbox

    def revoke_consent(self, tenant_id: str, *, remove_app: bool = True) -> None:
        """An Entra admin takes the app's consent back in the tenant.

        ``remove_app``: the admin deletes the app (its service principal), and the token
        endpoint refuses with AADSTS7000229, as Entra does. Otherwise only the granted
        application permissions are removed: tokens are still issued, without a ``roles``
        claim. Tokens already issued stay valid until they expire, as Microsoft's do.
        """
        tenant = self.tenants[tenant_id]
        if remove_app:
            tenant.consented, tenant.removed = False, True
        else:
            tenant.revoked_roles, tenant.roles = tenant.roles or tenant.revoked_roles, ()

    def restore_consent(self, tenant_id: str) -> None:
        """An admin grants consent again: tokens are issued, with the roles granted before."""
        tenant = self.tenants[tenant_id]
        tenant.consented, tenant.removed = True, False
        if tenant.revoked_roles:
            tenant.roles, tenant.revoked_roles = tenant.revoked_roles, ()

    def tenant(self, key: str) -> Tenant | None:
        key = key.lower()
        for tenant in self.tenants.values():
            if key == tenant.id.lower() or key in (d.lower() for d in tenant.domains):
                return tenant
        return None

    def callback_query(self, tenant_id: str, state: str, accept: bool = True) -> dict[str, str]:
        """What Microsoft's redirect to the bot carries after the admin's decision."""
        if accept:
            return {"admin_consent": "True", "tenant": tenant_id, "scope": self.graph_scope, "state": state}
        return {
            "error": "access_denied",
            "error_description": "AADSTS65004: User declined to consent to access the app.",
            "state": state,
        }

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/organization", self._organization)
        app.router.add_get("/v1.0/users/{user}/calendar", self._calendar)
        app.router.add_get("/{tenant}/v2.0/adminconsent", self._consent_page)
        app.router.add_post("/{tenant}/v2.0/adminconsent/decision", self._consent_decision)

    # identity ---------------------------------------------------------------------------------

    def _known(self, key: str) -> bool:
        return key in ("organizations", "common") or self.tenant(key) is not None

    async def _openid(self, request: web.Request) -> web.Response:
        key = request.match_info["tenant"]
        if not self._known(key):
            return web.json_response(
                {"error": "invalid_tenant", "error_description": f"AADSTS90002: Tenant '{key}' not found."}, status=400
            )
        tenant = self.tenant(key)
        tid = tenant.id if tenant else "{tenantid}"
        origin = _origin(request)  # the host the client asked, as Microsoft's own hosts answer
        base = f"{origin}/{key}"
        return web.json_response(
            {
                "issuer": f"{origin}/{tid}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = self.recorded(request).form()
        tenant = self.tenant(request.match_info["tenant"])
        if tenant is None:
            return _error(400, "invalid_request", f"AADSTS90002: Tenant '{request.match_info['tenant']}' not found.")
        if form.get("client_id") != self.client_id:
            return self._not_in_directory(tenant, form.get("client_id", ""))
        refused = self._client_authentication(form, request)
        if refused is not None:
            return refused
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        scopes = form.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return _error(
                400, "invalid_scope",
                f"AADSTS1002012: The provided value for scope {form.get('scope', '')} is not valid. Client credential "
                "flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        if scopes[0] != self.graph_scope:  # another cloud's Graph (or any other resource) is unknown here
            return _error(
                400, "invalid_resource",
                f"AADSTS500011: The resource principal named {scopes[0].removesuffix('/.default')} was not found in "
                f"the tenant named {tenant.display_name}. This can happen if the application has not been installed "
                "by the administrator of the tenant or consented to by any user in the tenant. You might have sent "
                "your authentication request to the wrong tenant.",
            )
        if tenant.removed:
            return _error(
                401, "invalid_client",
                f"AADSTS7000229: The client application {self.client_id} is missing service principal in the tenant "
                f"{tenant.id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
            )
        if not tenant.consented:  # the app has no service principal there
            return self._not_in_directory(tenant, self.client_id)
        now = int(time.time())
        claims = {
            "aud": self.graph_origin,
            "iss": f"https://sts.windows.net/{tenant.id}/",
            "iat": now, "nbf": now, "exp": now + 3599,
            "appid": self.client_id, "azp": self.client_id,
            "tid": tenant.id, "oid": str(uuid.uuid4()), "sub": str(uuid.uuid4()),
            "idtyp": "app", "ver": "1.0", "jti": uuid.uuid4().hex,
        }
        if tenant.roles:  # Azure omits the claim when no application permission was granted
            claims["roles"] = list(tenant.roles)
        token = jwt.encode(claims, self._key, algorithm="HS256")
        self.issued[token] = _Issued(tenant, now + 3599, tenant.roles)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def _client_authentication(self, form: dict[str, str], request: web.Request) -> web.Response | None:
        """The app's own credential, as Entra checks it: a secret, a certificate-signed assertion (its
        signature with the uploaded certificate's public key), or a federated token (the issuer's
        signature, subject and audience of the app's federated credential, time range)."""
        if "client_secret" in form:
            if form["client_secret"] != self.client_secret:
                return _error(
                    401, "invalid_client",
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is "
                    f"the client secret value, not the client secret ID, for a secret added to app '{self.client_id}'.",
                )
            if self.secret_expired:
                return _error(
                    401, "invalid_client",
                    f"AADSTS7000222: The provided client secret keys for app '{self.client_id}' are expired. Visit "
                    "the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret",
                )
            return None
        assertion = form.get("client_assertion", "")
        if form.get("client_assertion_type") != JWT_BEARER or not assertion:
            return _error(
                401, "invalid_client",
                "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the "
                "'client_credentials' grant type.",
            )
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return _error(401, "invalid_client", "AADSTS50027: JWT token is invalid or malformed.")
        if "x5t#S256" in header or "x5t" in header:
            return self._certificate_assertion(assertion, header, request)
        return self._federated_assertion(assertion)

    def _certificate_assertion(self, assertion: str, header: dict, request: web.Request) -> web.Response | None:
        thumbprint = (header.get("x5t#S256") or header.get("x5t") or "").rstrip("=")
        public_key = self.certificates.get(thumbprint)
        if public_key is None:
            return _error(
                401, "invalid_client",
                f"AADSTS700027: The certificate with identifier used to sign the client assertion is not registered "
                f"on application. [Reason - The key was not found., Thumbprint of key used by client: "
                f"'{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
                f"configured keys for app Id '{self.client_id}'.]",
            )
        token_endpoint = f"{_origin(request)}{request.path}"
        try:
            claims = jwt.decode(
                assertion, public_key, algorithms=["PS256", "RS256"], audience=token_endpoint,
                options={"require": ["exp", "iss", "sub", "aud", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            return _error(401, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range.")
        except jwt.PyJWTError:
            return _error(
                401, "invalid_client",
                "AADSTS700027: Client assertion failed signature validation. [Reason - The provided signature value "
                "did not match the expected signature value.]",
            )
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return _error(
                401, "invalid_client",
                "AADSTS700023: Client assertion audience claim does not match Realm issuer or the issuer and subject "
                "are not the app.",
            )
        return None

    def _federated_assertion(self, assertion: str) -> web.Response | None:
        try:
            claims = jwt.decode(
                assertion, self._issuer_key, algorithms=["HS256"], audience=FEDERATED_AUDIENCE,
                issuer=self.federated_issuer, options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            return _error(401, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range.")
        except (jwt.InvalidIssuerError, jwt.InvalidSignatureError, jwt.DecodeError):
            return _error(
                401, "invalid_client",
                "AADSTS700211: No matching federated identity record found for presented assertion issuer.",
            )
        except jwt.PyJWTError:
            return _error(
                401, "invalid_client",
                "AADSTS700212: No matching federated identity record found for presented assertion audience.",
            )
        if assertion in self._stale_assertions:
            return _error(401, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range.")
        if claims.get("sub") != self.federated_subject:
            return _error(
                401, "invalid_client",
                f"AADSTS700213: No matching federated identity record found for presented assertion subject "
                f"'{claims.get('sub')}'. Check your federated identity credential Subject, Audience and Issuer "
                "against the presented assertion.",
            )
        return None

    @staticmethod
    def _not_in_directory(tenant: Tenant, client_id: str) -> web.Response:
        """What Azure answers when the app is unknown in (or not consented to by) the tenant."""
        return _error(
            400, "unauthorized_client",
            f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.display_name}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may have sent your "
            "authentication request to the wrong tenant.",
        )

    # Graph ------------------------------------------------------------------------------------

    def _bearer(self, request: web.Request) -> _Issued | None:
        issued = self.issued.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        return issued if issued is not None and issued.expires >= time.time() else None

    async def _organization(self, request: web.Request) -> web.Response:
        issued = self._bearer(request)
        if issued is None:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if not issued.roles:
            return _graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        tenant = issued.tenant
        domains = [
            {"name": d, "isDefault": i == 0, "isInitial": d.endswith(".onmicrosoft.com"), "type": "Managed",
             "capabilities": "Email, OfficeCommunicationsOnline"}
            for i, d in enumerate(tenant.domains)
        ]
        return web.json_response(
            {"@odata.context": f"{self.url}/v1.0/$metadata#organization",
             "value": [{"id": tenant.id, "displayName": tenant.display_name, "verifiedDomains": domains}]}
        )

    async def _calendar(self, request: web.Request) -> web.Response:
        """GET /users/{id | userPrincipalName}/calendar with Graph's answers and error bodies."""
        issued = self._bearer(request)
        if issued is None:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if not issued.roles:
            return _graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        key = request.match_info["user"]  # aiohttp hands the path segment decoded
        mailbox = issued.tenant.users.get(key.lower())
        if mailbox is None:
            return _graph_error(
                404, "Request_ResourceNotFound",
                f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
            )
        if mailbox is Mailbox.NONE:
            return _graph_error(
                404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
            )
        if mailbox is Mailbox.BLOCKED:
            return _graph_error(403, "ErrorAccessDenied", "Access to OData is disabled.")
        return web.json_response(
            {
                "@odata.context": f"{self.graph_origin}/v1.0/$metadata#users('{key}')/calendar",
                "id": "AAMkAGI2TGuLAAA=", "name": "Calendar", "color": "auto", "isDefaultCalendar": True,
                "canShare": True, "canViewPrivateItems": True, "canEdit": True, "isRemovable": False,
                "owner": {"name": key.split("@")[0], "address": key},
            }
        )

    # the consent page -----------------------------------------------------------------------------

    async def _consent_page(self, request: web.Request) -> web.Response:
        query = request.query
        if not self._known(request.match_info["tenant"]):
            return _error_page(f"AADSTS90002: Tenant '{request.match_info['tenant']}' not found")
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return _error_page("AADSTS700016: Application not found")
        if query.get("scope") != self.graph_scope:
            return _error_page(f"AADSTS500011: The resource principal named {query.get('scope', '')} was not found")
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""), quote=True)}">'
            for name in ("client_id", "scope", "redirect_uri", "state")
        )
        tenant = self.tenants.get(self.consent_tenant or "")
        org = html.escape(tenant.display_name if tenant else "your organization")
        roles = "".join(f"<li>{html.escape(r)}</li>" for r in (tenant.roles if tenant else ()))
        tenant_path = html.escape(request.match_info["tenant"], quote=True)
        page = _PAGE.format(
            title="Permissions requested",
            body=f"""<h1>Permissions requested</h1>
<p>Signed in as an administrator of <strong>{org}</strong>.</p>
<p>The app <strong>{html.escape(self.client_id)}</strong> wants these application permissions in {org}:</p>
<ul aria-label="Requested permissions" id="permissions">{roles}</ul>
<form method="post" action="/{tenant_path}/v2.0/adminconsent/decision" aria-labelledby="decision-label">{hidden}
<p id="decision-label">Accept these permissions on behalf of your organization?</p>
<button type="submit" name="decision" value="accept" id="accept">Accept</button>
<button type="submit" name="decision" value="cancel" id="cancel" class="secondary">Cancel</button>
</form>""",
        )
        return web.Response(text=page, content_type="text/html")

    async def _consent_decision(self, request: web.Request) -> web.Response:
        form = self.recorded(request).form()
        if form.get("client_id") != self.client_id or not form.get("redirect_uri"):
            return _error_page("AADSTS700016: Application not found")
        accept = form.get("decision") == "accept"
        query = self.callback_query(self.consent_tenant or "", form.get("state", ""), accept=accept)
        redirect_uri = form["redirect_uri"]
        raise web.HTTPFound(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}")


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Microsoft (zoomcal sandbox)</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem;
  color: #1b1b1b; background: #fff; }}
button {{ font: inherit; padding: .5rem 1.5rem; margin-right: .5rem; border: 2px solid #0067b8;
  background: #0067b8; color: #fff; cursor: pointer; }}
button.secondary {{ background: #fff; color: #1b1b1b; border-color: #5e5e5e; }}
button:focus-visible {{ outline: 3px solid #1b1b1b; outline-offset: 2px; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def _error_page(message: str) -> web.Response:
    return web.Response(
        status=400, content_type="text/html",
        text=_PAGE.format(
            title="Sign-in error",
            body=f"""<h1>Sorry, but we're having trouble signing you in.</h1>
<div role="alert"><p>{html.escape(message)}</p></div>""",
        ),
    )


def _error(status: int, code: str, description: str) -> web.Response:
    return web.json_response(
        {"error": code, "error_description": description, "error_codes": [int(description[6:].split(":")[0])],
         "error_uri": f"https://login.microsoftonline.com/error?code={description[6:].split(':')[0]}",
         "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()), "trace_id": str(uuid.uuid4()),
         "correlation_id": str(uuid.uuid4())},
        status=status,
    )


def _graph_error(status: int, code: str, message: str) -> web.Response:
    request_id = str(uuid.uuid4())
    inner = {"date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "request-id": request_id,
             "client-request-id": request_id}
    return web.json_response({"error": {"code": code, "message": message, "innerError": inner}}, status=status)


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"
