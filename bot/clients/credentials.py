"""zoomcal's own Microsoft credential: a client secret, a certificate, or a federated token file.

Each is what MSAL's ``client_credential`` takes: the secret itself; ``{"private_key",
"public_certificate"}`` (MSAL computes the certificate's SHA-256 and SHA-1 thumbprints and sends
the certificate in the assertion's ``x5c`` header, for subject-name/issuer authentication); or
``{"client_assertion": callable}`` reading the federated token file again for each token request
(Kubernetes and GitHub rotate those files). Key material never reaches a log or a ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SECRET = "MS_CLIENT_SECRET"
CERTIFICATE = "MS_CLIENT_CERTIFICATE"
ASSERTION_FILE = "MS_CLIENT_ASSERTION_FILE"
AKS_TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE"  # what AKS workload identity sets
VARIABLES = (SECRET, CERTIFICATE, ASSERTION_FILE)
MAX_FILE = 1 << 20  # a PEM bundle or a JWT is a few KiB; anything past a MiB is not one


class CredentialFileError(ValueError):
    """A credential file that cannot be read or parsed; the message names no key material."""


@dataclass(frozen=True)
class MicrosoftCredential:
    """``variable`` names where it came from (the one an operator fixes when Microsoft refuses it)."""

    variable: str
    secret: str | None = field(default=None, repr=False)
    certificate_pem: str | None = field(default=None, repr=False)
    private_key_pem: str | None = field(default=None, repr=False)
    path: Path | None = None
    thumbprint_sha1: str | None = None  # of the certificate (public), shown to operators
    thumbprint_sha256: str | None = None

    @classmethod
    def from_secret(cls, secret: str) -> MicrosoftCredential:
        return cls(SECRET, secret=secret)

    @classmethod
    def from_certificate(cls, path: Path) -> MicrosoftCredential:
        certificate, key = load_certificate(path)
        return cls(
            CERTIFICATE, certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
            private_key_pem=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            path=path,
            thumbprint_sha1=certificate.fingerprint(hashes.SHA1()).hex().upper(),  # what Entra's portal lists
            thumbprint_sha256=certificate.fingerprint(hashes.SHA256()).hex().upper(),
        )

    @classmethod
    def from_assertion_file(cls, path: Path, variable: str = ASSERTION_FILE) -> MicrosoftCredential:
        read_assertion(path)  # readable and a JWT now; read again for every token request
        return cls(variable, path=path)

    @property
    def kind(self) -> str:
        return {SECRET: "client secret", CERTIFICATE: "certificate"}.get(self.variable, "federated token file")

    def msal(self) -> str | dict:
        """MSAL's ``client_credential``."""
        if self.secret is not None:
            return self.secret
        if self.private_key_pem is not None:
            # No "thumbprint": given one, MSAL signs with SHA-1 (RS256, x5t); given the certificate,
            # it computes the SHA-256 thumbprint (PS256, x5t#S256) and sends the chain (x5c).
            return {"private_key": self.private_key_pem, "public_certificate": self.certificate_pem}
        path = self.path
        return {"client_assertion": lambda: read_assertion(path)}

    @property
    def secrets(self) -> tuple[str, ...]:
        """What logging must never show."""
        return tuple(v for v in (self.secret, self.private_key_pem) if v)


def load_certificate(path: Path) -> tuple[x509.Certificate, object]:
    """The first certificate and the private key of a PEM file; the key must be the certificate's."""
    data = _read(path)
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CredentialFileError("holds no PEM certificate (-----BEGIN CERTIFICATE-----)") from None
    key = None
    for block in _pem_blocks(data, b"PRIVATE KEY"):
        try:
            key = serialization.load_pem_private_key(block, password=None)
        except (ValueError, TypeError):
            raise CredentialFileError(
                "holds a private key that cannot be read (an encrypted key needs its passphrase removed)"
            ) from None
        break
    if key is None:
        raise CredentialFileError("holds no private key (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialFileError("holds a key that is not RSA (Entra app certificates are RSA)")
    mine = [c for c in certificates if c.public_key().public_numbers() == key.public_key().public_numbers()]
    if not mine:
        raise CredentialFileError("holds a private key that belongs to none of its certificates")
    return mine[0], key


def _pem_blocks(data: bytes, label: bytes) -> list[bytes]:
    blocks, start = [], 0
    while True:
        begin = data.find(b"-----BEGIN ", start)
        if begin < 0:
            return blocks
        line_end = data.find(b"-----", begin + 11)
        end_marker = data.find(b"-----END ", line_end)
        finish = data.find(b"-----", end_marker + 9)
        if line_end < 0 or end_marker < 0 or finish < 0:
            return blocks
        if data[begin + 11:line_end].endswith(label):
            blocks.append(data[begin:finish + 5])
        start = finish + 5


def read_assertion(path: Path | None) -> str:
    """The federated token in the file now (a JWT: three dot-separated parts)."""
    if path is None:
        raise CredentialFileError("no file")
    token = _read(path).decode("ascii", errors="replace").strip()
    if token.count(".") != 2 or any(c.isspace() for c in token):
        raise CredentialFileError("does not hold a JWT (a federated token: three dot-separated parts)")
    return token


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise CredentialFileError("no such file") from None
    except IsADirectoryError:
        raise CredentialFileError("is a folder, not a file") from None
    except OSError as exc:
        raise CredentialFileError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_FILE:
        raise CredentialFileError("is larger than 1 MiB")
    if not data.strip():
        raise CredentialFileError("is empty")
    return data
