"""A throwaway CA and a certificate for 127.0.0.1, so fakes can serve real TLS."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TLSMaterial:
    server_context: ssl.SSLContext
    ca_path: Path


def make_tls(directory: Path) -> TLSMaterial:
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_path = Path(directory) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return TLSMaterial(context, ca_path)
