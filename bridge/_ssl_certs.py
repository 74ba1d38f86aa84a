"""Certificates, private keys and distinguished names for :mod:`bridge.ssl` (PEM and DER).

The stdlib :mod:`ssl` module loads certificates and keys only from files and cannot read a
certificate's fields, so this module keeps PEM/DER bytes, reads the few fields Twisted exposes
with :mod:`bridge._ssl_der`, and goes through a private temporary file to load a key pair held
in memory into an :class:`ssl.SSLContext`.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import re
import ssl
import tempfile
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bridge._ssl_der import DERError, parse_certificate, private_key_label
from bridge.error import VerifyError

if TYPE_CHECKING:
    from bridge.ssl import CertificateOptions

FILETYPE_PEM = 1
"""Format flag for PEM (base64 text) data; the same value as pyOpenSSL's ``crypto.FILETYPE_PEM``."""
FILETYPE_ASN1 = 2
"""Format flag for DER (binary) data; the same value as pyOpenSSL's ``crypto.FILETYPE_ASN1``."""

# -- PEM and files ---------------------------------------------------------------------------

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)


def _pem_blocks(data: bytes, kind: str) -> list[bytes]:
    """Return the PEM blocks in *data* whose label ends with *kind* (e.g. ``PRIVATE KEY``)."""
    return [
        match.group(0) + b"\n"
        for match in _PEM_BLOCK.finditer(data)
        if match.group(1).decode("ascii").endswith(kind)
    ]


def _as_bytes(data: bytes | str, owner: str) -> bytes:
    if isinstance(data, str):
        return data.encode("ascii")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{owner} needs bytes (PEM or DER data), got {type(data).__name__}")


def _read_file(path: object, owner: str, setting: str) -> bytes:
    """Read *path* for *owner*'s *setting*, naming both in any error."""
    name = os.fspath(getattr(path, "path", path))  # type: ignore[call-overload]
    try:
        with open(name, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise type(exc)(
            exc.errno, f"{owner}: cannot read {setting} {name!r}: {exc.strerror}", name
        ) from exc


def _load_chain_from_memory(
    context: ssl.SSLContext,
    certificate: Certificate,
    key: KeyPair,
    extra: Sequence[Certificate],
    owner: str,
) -> None:
    """Load *certificate*, *extra* and *key* into *context*.

    The stdlib can only load a certificate chain from a file, so the PEM goes through a
    private temporary file (mode 0600) that is removed at once.
    """
    pem = b"".join(Certificate.dumpPEM(c) for c in (certificate, *extra)) + key.dump(FILETYPE_PEM)
    fd, path = tempfile.mkstemp(prefix="bridge-tls-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        _load_cert_chain(context, path, None, owner, "certificate", "privateKey")
    finally:
        os.unlink(path)
    remember_certificate(context, certificate._der)


def remember_certificate(context: ssl.SSLContext, der: bytes) -> None:
    """Note on *context* the certificate it presents (for ``Certificate.hostFromTransport``)."""
    # ssl.SSLContext instances take attributes; the stdlib cannot give a loaded cert back.
    context._bridge_certificate_der = der  # type: ignore[attr-defined]


def _ssl_error(message: str) -> ssl.SSLError:
    """Return an :class:`ssl.SSLError` whose ``str()`` is *message* (and ``strerror`` too)."""
    return ssl.SSLError(ssl.SSL_ERROR_SSL, message)


def _load_cert_chain(
    context: ssl.SSLContext,
    certfile: str,
    keyfile: str | None,
    owner: str,
    cert_setting: str,
    key_setting: str,
) -> None:
    try:
        context.load_cert_chain(certfile, keyfile)
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise _ssl_error(
                f"{owner}: the {key_setting} does not match the {cert_setting}"
            ) from exc
        raise _ssl_error(
            f"{owner}: cannot load the {cert_setting} and {key_setting} "
            f"({exc.reason or exc}); are they PEM, unencrypted, and a matching pair?",
        ) from exc


# -- Names and certificates ------------------------------------------------------------------

_SHORT_NAMES = {
    "CN": "commonName",
    "O": "organizationName",
    "OU": "organizationalUnitName",
    "L": "localityName",
    "ST": "stateOrProvinceName",
    "C": "countryName",
}
_LONG_NAMES = frozenset(
    [*_SHORT_NAMES.values(), "emailAddress"],
)


# Human labels for inspect(): the attribute name split at capitals, words capitalised.
_LABELS = {name: re.sub("([A-Z])", r" \1", name).title() for name in _LONG_NAMES}
_LABEL_WIDTH = max(len(label) for label in _LABELS.values()) + 2


def _long_name(attr: str) -> str:
    name = _SHORT_NAMES.get(attr, attr)
    if name not in _LONG_NAMES:
        raise AttributeError(f"{attr!r} is not a distinguished-name attribute")
    return name


class DistinguishedName(dict[str, bytes]):
    """An X.509 distinguished name: ``commonName``, ``organizationName`` and friends.

    Read and set attributes by long name (``dn.commonName``) or short name (``dn.CN``); values
    are bytes.
    """

    __slots__ = ()

    def __init__(self, **kw: bytes | str) -> None:
        super().__init__()
        for key, value in kw.items():
            setattr(self, key, value)

    def __getattr__(self, attr: str) -> bytes:
        try:
            return self[_long_name(attr)]
        except KeyError:
            raise AttributeError(attr) from None

    def __setattr__(self, attr: str, value: bytes | str) -> None:
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, bytes):
            raise TypeError(f"DistinguishedName.{attr} must be bytes or str, not {value!r}")
        self[_long_name(attr)] = value

    def inspect(self) -> str:
        """Return a multi-line, human-readable rendering of the name, laid out as Twisted does."""
        return "\n".join(
            f"{_LABELS[key].rjust(_LABEL_WIDTH)}: {value.decode('utf-8', 'replace')}"
            for key, value in sorted(self.items())
        )


DN = DistinguishedName
"""Short alias of :class:`DistinguishedName`."""


class X509Name:
    """A distinguished name with pyOpenSSL's ``X509Name`` attribute access (``name.CN``, text).

    Returned by :meth:`Certificate.get_subject` for code written against the pyOpenSSL ``X509``
    that Twisted's ``getPeerCertificate()`` returns.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, bytes]) -> None:
        self._fields = fields

    def __getattr__(self, attr: str) -> str | None:
        try:
            value = self._fields.get(_long_name(attr))
        except AttributeError:
            raise AttributeError(attr) from None
        return None if value is None else value.decode("utf-8", "replace")

    def get_components(self) -> list[tuple[bytes, bytes]]:
        """Return ``(short name, value)`` pairs, as pyOpenSSL does."""
        short = {long: s for s, long in _SHORT_NAMES.items()}
        return [(short.get(k, k).encode("ascii"), v) for k, v in self._fields.items()]

    def __repr__(self) -> str:
        parts = "".join(
            f"/{k.decode()}={v.decode('utf-8', 'replace')}" for k, v in self.get_components()
        )
        return f"<X509Name object '{parts}'>"


class Certificate:
    """An X.509 certificate, loaded from PEM or DER.

    :param der: the certificate's DER encoding; prefer :meth:`load` and :meth:`loadPEM`.
    """

    def __init__(self, der: bytes) -> None:
        try:
            self._fields = parse_certificate(der)
        except DERError as exc:
            raise ValueError(f"{type(self).__name__}: not an X.509 certificate: {exc}") from exc
        self._der = bytes(der)

    @classmethod
    def load(
        cls, requestData: bytes, format: int = FILETYPE_ASN1, args: object = ()
    ) -> Certificate:
        """Load a certificate from *requestData* in *format* (:data:`FILETYPE_ASN1` or ``_PEM``).

        :param args: accepted for Twisted compatibility (extra arguments for the class); unused.
        """
        data = _as_bytes(requestData, f"{cls.__name__}.load")
        if format == FILETYPE_PEM:
            return cls.loadPEM(data)
        if format != FILETYPE_ASN1:
            raise ValueError(f"{cls.__name__}.load: unknown format {format!r}")
        return cls(data)

    @classmethod
    def loadPEM(cls, data: bytes | str) -> Certificate:
        """Load the first ``CERTIFICATE`` block of the PEM text *data*."""
        blocks = _pem_blocks(_as_bytes(data, f"{cls.__name__}.loadPEM"), "CERTIFICATE")
        if not blocks:
            raise ValueError(
                f"{cls.__name__}.loadPEM: no '-----BEGIN CERTIFICATE-----' block in the data"
            )
        return cls(ssl.PEM_cert_to_DER_cert(blocks[0].decode("ascii")))

    @classmethod
    def peerFromTransport(cls, transport: object) -> Certificate:
        """Return the certificate the peer of the TLS *transport* presented."""
        get = getattr(transport, "getPeerCertificate", None)
        cert = get() if get is not None else None
        if cert is None:
            from bridge.error import CertificateError

            raise CertificateError(f"the peer of {transport!r} presented no certificate")
        if not isinstance(cert, Certificate):
            raise TypeError(f"getPeerCertificate() returned {cert!r}, not a Certificate")
        return cert

    @classmethod
    def hostFromTransport(cls, transport: object) -> Certificate:
        """Return the certificate the local end of the TLS *transport* presents.

        bridge knows it when the TLS context was made by :mod:`bridge.ssl` (for example by
        :class:`~bridge.ssl.CertificateOptions` or ``PrivateCertificate.options()``).

        :raises CertificateError: if the local end has no certificate bridge knows of.
        """
        from bridge.error import CertificateError

        aio = getattr(transport, "_transport", None)
        obj = aio.get_extra_info("ssl_object") if aio is not None else None
        der = getattr(obj.context, "_bridge_certificate_der", None) if obj is not None else None
        if der is None:
            raise CertificateError(f"the local end of {transport!r} has no known certificate")
        return cls(der)

    def dump(self, format: int = FILETYPE_ASN1) -> bytes:
        """Return the certificate in *format* (DER by default)."""
        if format == FILETYPE_PEM:
            return self.dumpPEM()
        if format != FILETYPE_ASN1:
            raise ValueError(f"{type(self).__name__}.dump: unknown format {format!r}")
        return self._der

    def dumpPEM(self) -> bytes:
        """Return the certificate as PEM text (bytes)."""
        return ssl.DER_cert_to_PEM_cert(self._der).encode("ascii")

    def getSubject(self) -> DistinguishedName:
        """Return the subject's distinguished name."""
        return DistinguishedName(**self._fields.subject)

    def getPublicKey(self) -> PublicKey:
        """Return the certificate's public key."""
        return PublicKey(self._fields.public_key)

    def getIssuer(self) -> DistinguishedName:
        """Return the issuer's distinguished name."""
        return DistinguishedName(**self._fields.issuer)

    def serialNumber(self) -> int:
        """Return the certificate's serial number."""
        return self._fields.serial

    def digest(self, method: str = "md5") -> bytes:
        """Return the certificate's fingerprint as colon-separated upper-case hex bytes.

        :param method: a :mod:`hashlib` algorithm name (``"sha256"``, ``"md5"``...).
        """
        hexed = hashlib.new(method, self._der).hexdigest().upper()
        return ":".join(hexed[i : i + 2] for i in range(0, len(hexed), 2)).encode("ascii")

    def inspect(self) -> str:
        """Return a human-readable summary: subject, issuer, serial number and digest."""
        return "\n".join(
            [
                "Certificate For Subject:",
                self.getSubject().inspect(),
                "\nIssuer:",
                self.getIssuer().inspect(),
                f"\nSerial Number: {self.serialNumber()}",
                f"Digest: {self.digest().decode('ascii')}",
                self.getPublicKey().inspect(),
            ]
        )

    # -- pyOpenSSL X509 look-alikes, for code written against getPeerCertificate()'s X509 --

    def get_subject(self) -> X509Name:
        """Return the subject as pyOpenSSL's ``X509.get_subject()`` does (text attributes)."""
        return X509Name(self._fields.subject)

    def get_issuer(self) -> X509Name:
        """Return the issuer as pyOpenSSL's ``X509.get_issuer()`` does (text attributes)."""
        return X509Name(self._fields.issuer)

    def get_serial_number(self) -> int:
        """Return the serial number, as pyOpenSSL's ``X509.get_serial_number()``."""
        return self._fields.serial

    def get_notBefore(self) -> bytes:
        """Return the start of validity as ``b"YYYYMMDDhhmmssZ"``, as pyOpenSSL does."""
        return self._fields.not_before

    def get_notAfter(self) -> bytes:
        """Return the end of validity as ``b"YYYYMMDDhhmmssZ"``, as pyOpenSSL does."""
        return self._fields.not_after

    def has_expired(self) -> bool:
        """Return whether the certificate's validity has ended."""
        now = time.strftime("%Y%m%d%H%M%SZ", time.gmtime()).encode("ascii")
        return self._fields.not_after < now

    def options(self, *authorities: Certificate) -> CertificateOptions:
        """Return client options that trust this certificate as the server's authority."""
        from bridge.ssl import CertificateOptions

        return CertificateOptions(verify=True, caCerts=[self, *authorities])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Certificate):
            return self._der == other._der
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._der)

    def __repr__(self) -> str:
        subject = self._fields.subject
        name = subject.get("commonName") or subject.get("organizationalUnitName") or b""
        return f"<{type(self).__name__} Subject={name.decode('utf-8', 'replace')}>"


class PublicKey:
    """A public key, as the DER ``SubjectPublicKeyInfo`` of a certificate."""

    def __init__(self, der: bytes) -> None:
        self._der = der

    def keyHash(self) -> str:
        """Return an MD5 hex digest of the key, equal for certificates sharing a key."""
        return hashlib.md5(self._der, usedforsecurity=False).hexdigest()

    def matches(self, otherKey: PublicKey | KeyPair) -> bool:
        """Return whether *otherKey* (a public key or a key pair) is the same public key."""
        return self.keyHash() == otherKey.keyHash()

    def inspect(self) -> str:
        """Return a one-line summary of the key."""
        return f"Public Key with Hash: {self.keyHash()}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.keyHash()}>"


class _Cryptography:
    """The parts of the optional ``cryptography`` package that key generation uses."""

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.x509, self.hashes, self.serialization, self.rsa = x509, hashes, serialization, rsa
        self._oids = {
            "commonName": NameOID.COMMON_NAME,
            "organizationName": NameOID.ORGANIZATION_NAME,
            "organizationalUnitName": NameOID.ORGANIZATIONAL_UNIT_NAME,
            "localityName": NameOID.LOCALITY_NAME,
            "stateOrProvinceName": NameOID.STATE_OR_PROVINCE_NAME,
            "countryName": NameOID.COUNTRY_NAME,
            "emailAddress": NameOID.EMAIL_ADDRESS,
        }

    def oid_for(self, attr: str) -> Any:
        return self._oids[attr]


def _cryptography(what: str) -> _Cryptography:
    try:
        return _Cryptography()
    except ImportError:
        raise NotImplementedError(
            f"{what} needs the optional 'cryptography' package (the stdlib ssl module cannot "
            "create keys or certificates): pip install cryptography, or make them with "
            "`openssl` or the trustme package"
        ) from None


class KeyPair:
    """A private key, kept as PEM text.

    The stdlib :mod:`ssl` module cannot inspect keys: a key is checked against its certificate
    when the two are combined. :meth:`generate` and :meth:`selfSignedCert` need the optional
    ``cryptography`` package.
    """

    def __init__(self, pem: bytes) -> None:
        self._pem = pem

    @classmethod
    def load(cls, data: bytes, format: int = FILETYPE_ASN1) -> KeyPair:
        """Load a private key from *data* in *format* (:data:`FILETYPE_ASN1` or ``_PEM``).

        DER keys may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC) encoded.
        """
        data = _as_bytes(data, f"{cls.__name__}.load")
        if format == FILETYPE_ASN1:
            try:
                label = private_key_label(data)
            except DERError as exc:
                raise ValueError(f"{cls.__name__}.load: {exc}") from exc
            body = ssl.DER_cert_to_PEM_cert(data).splitlines()[1:-1]
            lines = [f"-----BEGIN {label}-----", *body, f"-----END {label}-----", ""]
            return cls("\n".join(lines).encode("ascii"))
        if format != FILETYPE_PEM:
            raise ValueError(f"{cls.__name__}.load: unknown format {format!r}")
        if _pem_blocks(data, "ENCRYPTED PRIVATE KEY") or b"Proc-Type: 4,ENCRYPTED" in data:
            raise ValueError(
                f"{cls.__name__}.load: the private key is encrypted; bridge.ssl loads "
                "unencrypted keys only (decrypt it with `openssl pkey`)"
            )
        blocks = _pem_blocks(data, "PRIVATE KEY")
        if not blocks:
            raise ValueError(
                f"{cls.__name__}.load: no '-----BEGIN ... PRIVATE KEY-----' block in the data"
            )
        return cls(blocks[0])

    def _private_key(self) -> Any:
        lib = _cryptography("KeyPair's public key")
        return lib.serialization.load_pem_private_key(self._pem, None)

    def _public_der(self) -> bytes:
        lib = _cryptography("KeyPair's public key")
        key = self._private_key()
        der: bytes = key.public_key().public_bytes(
            lib.serialization.Encoding.DER,
            lib.serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        return der

    def keyHash(self) -> str:
        """Return the hash of the public half, equal to ``PublicKey.keyHash()`` of a
        certificate for this key (needs the optional ``cryptography`` package)."""
        return PublicKey(self._public_der()).keyHash()

    def matches(self, otherKey: PublicKey | KeyPair) -> bool:
        """Return whether *otherKey* (a public key or a key pair) has the same public half."""
        return self.keyHash() == otherKey.keyHash()

    def inspect(self) -> str:
        """Return a one-line summary: ``"2048-bit RSA Key Pair with Hash: ..."``, as Twisted."""
        key = self._private_key()
        name = type(key).__name__.upper()
        kind = next((k for k in ("RSA", "DSA", "EC") if k in name), "Unknown")
        return f"{key.key_size}-bit {kind} Key Pair with Hash: {self.keyHash()}"

    @classmethod
    def generate(cls, kind: object = None, size: int = 2048) -> KeyPair:
        """Generate an RSA key pair of *size* bits (for tests and self-signed certificates).

        Needs the optional ``cryptography`` package: the stdlib cannot generate keys.

        :param kind: accepted for compatibility (pyOpenSSL's ``crypto.TYPE_RSA``); always RSA.
        :raises NotImplementedError: if ``cryptography`` is not installed.
        """
        lib = _cryptography("KeyPair.generate")
        rsa, serialization = lib.rsa, lib.serialization
        key = rsa.generate_private_key(public_exponent=65537, key_size=size)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(pem)

    def selfSignedCert(self, serialNumber: int, **kw: bytes | str) -> PrivateCertificate:
        """Return a certificate for this key, signed by itself, valid for a year from now.

        Needs the optional ``cryptography`` package.

        :param serialNumber: the certificate's serial number.
        :param kw: the subject (and issuer) name: ``commonName="example.com"``, ``O=...``...
        :raises NotImplementedError: if ``cryptography`` is not installed.
        """
        lib = _cryptography("KeyPair.selfSignedCert")
        x509, hashes, serialization = lib.x509, lib.hashes, lib.serialization
        name = x509.Name(
            [
                x509.NameAttribute(lib.oid_for(attr), value.decode("utf-8"))
                for attr, value in DistinguishedName(**kw).items()
            ]
        )
        key = serialization.load_pem_private_key(self._pem, password=None)
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serialNumber)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        der = certificate.public_bytes(serialization.Encoding.DER)
        return PrivateCertificate.fromCertificateAndKeyPair(Certificate(der), self)

    def dump(self, format: int = FILETYPE_ASN1) -> bytes:
        """Return the key as PEM (``FILETYPE_PEM``) or PKCS#8 DER (the default)."""
        if format == FILETYPE_PEM:
            return self._pem
        if format != FILETYPE_ASN1:
            raise ValueError(f"{type(self).__name__}.dump: unknown format {format!r}")
        body = b"".join(line for line in self._pem.splitlines() if not line.startswith(b"-----"))
        return base64.b64decode(body)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class PrivateCertificate(Certificate):
    """A certificate together with its private key (a :class:`KeyPair`), for a TLS server
    or a TLS client that authenticates itself."""

    privateKey: KeyPair

    def _set_private_key(self, privateKey: KeyPair) -> PrivateCertificate:
        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            _load_chain_from_memory(probe, self, privateKey, (), type(self).__name__)
        except ssl.SSLError as exc:
            raise VerifyError(exc.strerror) from exc
        self.privateKey = privateKey
        return self

    @classmethod
    def load(  # type: ignore[override]
        cls,
        data: bytes,
        privateKey: KeyPair,
        format: int = FILETYPE_ASN1,
    ) -> PrivateCertificate:
        """Load a certificate from *data* in *format* and pair it with *privateKey*."""
        cert = Certificate.load(data, format)
        return cls(cert.dump())._set_private_key(privateKey)

    @classmethod
    def loadPEM(cls, data: bytes | str) -> PrivateCertificate:
        """Load a certificate and its private key from one PEM text holding both."""
        raw = _as_bytes(data, f"{cls.__name__}.loadPEM")
        if not _pem_blocks(raw, "PRIVATE KEY"):
            raise ValueError(
                f"{cls.__name__}.loadPEM: the PEM data holds no private key; it needs both "
                "a CERTIFICATE block and a PRIVATE KEY block"
            )
        cert = Certificate.loadPEM(raw)
        return cls(cert.dump())._set_private_key(KeyPair.load(raw, FILETYPE_PEM))

    @classmethod
    def fromCertificateAndKeyPair(
        cls, certificateInstance: Certificate, privateKey: KeyPair
    ) -> PrivateCertificate:
        """Pair an existing :class:`Certificate` with *privateKey*."""
        return cls(certificateInstance.dump())._set_private_key(privateKey)

    def dumpPEM(self) -> bytes:
        """Return the certificate followed by the private key, as PEM."""
        return Certificate.dumpPEM(self) + self.privateKey.dump(FILETYPE_PEM)

    def options(self, *authorities: Certificate) -> CertificateOptions:
        """Return options that present this certificate; with *authorities*, also require and
        verify the peer's certificate against them."""
        from bridge.ssl import CertificateOptions

        return CertificateOptions(
            privateKey=self.privateKey,
            certificate=self,
            verify=bool(authorities),
            caCerts=list(authorities) or None,
        )
