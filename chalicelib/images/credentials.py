"""Content Credentials (C2PA) on every published derivative, written with c2pa-python 0.38.

Each WebP rendition gets a manifest, signed with the stage's key, that says:
- `cawg.training-mining`: every CAWG use (`ai_generative_training`, `ai_training`,
  `ai_inference`, `data_mining`) is `notAllowed`;
- `stds.schema-org.CreativeWork`: the author (`Person`: the handle and the profile URL) and
  Easel as `publisher` (`Organization`);
- `c2pa.actions.v2`: the artist's upload `opened` as the parent ingredient, then `resized`,
  `transcoded`, `published` (an honest history: Easel does not claim how the work was made,
  so no `created` action with a digital source type is written).

Signing embeds the manifest store as a chunk of the WebP container: the encoded image data is
hashed, never decoded or re-encoded (a test compares the pixels before and after). No
thumbnail is generated, so no second image is encoded either. No network is used: no
timestamp authority is configured and remote manifests are off.

The key and certificate chain come from Secrets Manager (`C2PA_SIGNER_SECRET`, JSON
`{"alg": "es256", "cert_chain_pem", "private_key_pem"}`); locally `local/bootstrap.py` writes a
test chain (root CA -> signing certificate) there. The signer is built once per container.
"""
from __future__ import annotations

import io
import json
import threading
from typing import Any, Callable

TRAINING_MINING_LABEL = "cawg.training-mining"
TRAINING_MINING_USES = ("cawg.ai_generative_training", "cawg.ai_inference", "cawg.ai_training",
                        "cawg.data_mining")
CREATIVE_WORK_LABEL = "stds.schema-org.CreativeWork"
SETTINGS = {"builder": {"thumbnail": {"enabled": False}},
            "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
GENERATOR = {"name": "Easel", "version": "1"}


class CredentialsUnavailable(Exception):
    """The signing key could not be loaded or the signer refused: never publish unsigned."""


def manifest_definition(*, title: str, content_type: str, author_handle: str, author_url: str,
                        publisher_url: str) -> dict[str, Any]:
    return {
        "claim_generator_info": [GENERATOR],
        "title": title,
        "format": content_type,
        "ingredients": [{"title": "original upload", "relationship": "parentOf", "label": "original"}],
        "assertions": [
            {"label": TRAINING_MINING_LABEL,
             "data": {"entries": {use: {"use": "notAllowed"} for use in TRAINING_MINING_USES}}},
            {"label": CREATIVE_WORK_LABEL,
             "data": {"@context": "https://schema.org", "@type": "CreativeWork",
                      "author": [{"@type": "Person", "name": author_handle, "url": author_url}],
                      "publisher": {"@type": "Organization", "name": "Easel", "url": publisher_url}}},
            {"label": "c2pa.actions",
             "data": {"actions": [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}},
                                  {"action": "c2pa.resized"}, {"action": "c2pa.transcoded"},
                                  {"action": "c2pa.published"}]}},
        ],
    }


class ContentCredentials:
    """Signs derivatives. `load_secret` returns the signer secret (cached by the caller)."""

    def __init__(self, load_secret: Callable[[], dict[str, Any]], *, public_base_url: str) -> None:
        self._load_secret = load_secret
        self.public_base_url = public_base_url.rstrip("/")
        self._lock = threading.Lock()
        self._signer: Any = None
        self._context: Any = None

    def _ready(self) -> tuple[Any, Any]:
        with self._lock:
            if self._signer is None:
                try:
                    import c2pa

                    secret = self._load_secret()
                    alg = str(secret.get("alg", "es256")).lower()
                    info = c2pa.C2paSignerInfo(alg, secret["cert_chain_pem"].encode(),
                                               secret["private_key_pem"].encode(), None)
                    self._context = c2pa.Context(c2pa.Settings.from_json(json.dumps(SETTINGS)))
                    self._signer = c2pa.Signer.from_info(info)
                except Exception as exc:  # noqa: BLE001 - a missing/invalid key: retried, never skipped
                    raise CredentialsUnavailable(f"{type(exc).__name__}: {exc}") from exc
            return self._signer, self._context

    def profile_url(self, handle: str) -> str:
        return f"{self.public_base_url}/v1/users/{handle}"

    def sign(self, data: bytes, content_type: str, *, title: str, author_handle: str) -> bytes:
        """The same encoded image with a signed manifest store embedded."""
        import c2pa

        signer, context = self._ready()
        definition = manifest_definition(title=title, content_type=content_type, author_handle=author_handle,
                                         author_url=self.profile_url(author_handle),
                                         publisher_url=self.public_base_url)
        out = io.BytesIO()
        try:
            with self._lock:  # one native signer per container; Builders are single-use
                builder = c2pa.Builder(json.dumps(definition), context)
                try:
                    builder.sign(signer, content_type, io.BytesIO(data), out)
                finally:
                    builder.close()
        except c2pa.C2paError as exc:
            raise CredentialsUnavailable(f"signing failed: {exc}") from exc
        return out.getvalue()


def read_manifest(data: bytes, content_type: str) -> dict[str, Any] | None:
    """The active manifest of a signed file (tests, the benchmark), or None."""
    import c2pa

    context = c2pa.Context(c2pa.Settings.from_json(json.dumps(SETTINGS)))
    try:
        with c2pa.Reader(content_type, io.BytesIO(data), context=context) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError:
        return None
    active = store.get("active_manifest")
    manifest = store.get("manifests", {}).get(active) if active else None
    if manifest is not None:
        manifest = {**manifest, "validation_status": store.get("validation_status", [])}
    return manifest


def new_test_chain(common_name: str = "Easel local C2PA signer") -> dict[str, str]:
    """A throwaway ES256 chain for the local platform and tests: a root CA and a signing
    certificate (digitalSignature, emailProtection EKU, as c2pa-rs requires). Readers report it
    `signingCredential.untrusted`; production uses a certificate from a C2PA-trusted CA."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Easel (local test)")])

    def usage(*, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                             encipher_only=False, decipher_only=False)

    now = datetime.datetime.now(datetime.timezone.utc)
    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(name("Easel local test root")).issuer_name(
        name("Easel local test root")).public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name(common_name)).issuer_name(root.subject)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return {"alg": "es256",
            "cert_chain_pem": (leaf.public_bytes(pem) + root.public_bytes(pem)).decode(),
            "private_key_pem": leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()).decode(),
            "root_pem": root.public_bytes(pem).decode()}
