"""Self-signed RSA key pairs, made fresh for each run (no key material in the repository)."""

from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def key_pair(common_name: str, days: float = 365, start_days: float = -1) -> tuple[str, str]:
    """(private key PEM, certificate PEM), valid from now+start_days for `days` days; a
    negative end gives an expired certificate on purpose."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    start = now + timedelta(days=start_days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def pem_body(pem: str) -> str:
    """The base64 body of a PEM block, as edx-platform stores SP keys (headers stripped)."""
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
