"""A minimal DER reader for the few X.509 fields :mod:`bridge.ssl` reports.

The standard library's :mod:`ssl` module can verify certificates but has no public way to read
the subject, issuer or serial number of a certificate that is not a loaded CA. bridge has no
dependency that parses X.509 (no pyOpenSSL, no cryptography), so this module walks the DER
structure of ``TBSCertificate`` (RFC 5280 section 4.1) just far enough to read those fields.
"""

from __future__ import annotations

from dataclasses import dataclass

_SEQUENCE = 0x30
_SET = 0x31
_INTEGER = 0x02
_OID = 0x06
_OCTET_STRING = 0x04
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_CONTEXT_0 = 0xA0

# Distinguished-name attribute OIDs -> the long names Twisted's DistinguishedName uses.
_NAME_OIDS = {
    "2.5.4.3": "commonName",
    "2.5.4.10": "organizationName",
    "2.5.4.11": "organizationalUnitName",
    "2.5.4.7": "localityName",
    "2.5.4.8": "stateOrProvinceName",
    "2.5.4.6": "countryName",
    "1.2.840.113549.1.9.1": "emailAddress",
}


class DERError(ValueError):
    """The bytes are not the DER encoding of an X.509 certificate."""


@dataclass(frozen=True, slots=True)
class _TLV:
    tag: int
    start: int  # offset of the value
    end: int  # offset just past the value


@dataclass(frozen=True, slots=True)
class CertificateFields:
    """The fields of a certificate that :class:`bridge.ssl.Certificate` exposes."""

    serial: int
    issuer: dict[str, bytes]
    subject: dict[str, bytes]
    public_key: bytes  # the DER SubjectPublicKeyInfo
    not_before: bytes  # GeneralizedTime text, b"YYYYMMDDhhmmssZ"
    not_after: bytes


def _read(data: bytes, offset: int, limit: int) -> _TLV:
    """Read one tag-length-value header at *offset*; the value must end by *limit*."""
    if offset + 2 > limit:
        raise DERError(f"truncated DER header at offset {offset}")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > limit:
            raise DERError(f"unsupported DER length encoding at offset {offset - 1}")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > limit:
        raise DERError(f"DER value at offset {offset} runs past the end of its container")
    return _TLV(tag, offset, offset + length)


def _children(data: bytes, parent: _TLV) -> list[_TLV]:
    """Return the TLVs directly inside the constructed value *parent*."""
    items = []
    offset = parent.start
    while offset < parent.end:
        item = _read(data, offset, parent.end)
        items.append(item)
        offset = item.end
    return items


def _oid(raw: bytes) -> str:
    """Decode an OBJECT IDENTIFIER's content octets to dotted text."""
    if not raw:
        raise DERError("empty OBJECT IDENTIFIER")
    parts = [str(min(raw[0] // 40, 2)), str(raw[0] - 40 * min(raw[0] // 40, 2))]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(str(value))
            value = 0
    return ".".join(parts)


def _name(data: bytes, name: _TLV) -> dict[str, bytes]:
    """Decode an X.501 Name into ``{longName: value}`` for the attributes Twisted knows."""
    result: dict[str, bytes] = {}
    for rdn in _children(data, name):
        for attribute in _children(data, rdn):
            parts = _children(data, attribute)
            if len(parts) != 2 or parts[0].tag != _OID:
                raise DERError("malformed AttributeTypeAndValue in a certificate name")
            key = _NAME_OIDS.get(_oid(data[parts[0].start : parts[0].end]))
            if key is not None:
                result[key] = data[parts[1].start : parts[1].end]
    return result


def parse_certificate(der: bytes) -> CertificateFields:
    """Return the serial number, issuer and subject of the DER certificate *der*.

    :raises DERError: if *der* is not a certificate's DER encoding.
    """
    outer = _read(der, 0, len(der))
    if outer.tag != _SEQUENCE or outer.end != len(der):
        raise DERError("not a DER-encoded certificate (expected one outer SEQUENCE)")
    parts = _children(der, outer)
    if len(parts) != 3 or parts[0].tag != _SEQUENCE:
        raise DERError("not a DER-encoded certificate (expected tbsCertificate, algorithm, sig)")
    fields = _children(der, parts[0])
    if fields and fields[0].tag == _CONTEXT_0:  # explicit version
        fields = fields[1:]
    if len(fields) < 6 or fields[0].tag != _INTEGER:
        raise DERError("not a DER-encoded certificate (bad tbsCertificate)")
    serial = int.from_bytes(der[fields[0].start : fields[0].end], "big", signed=True)
    if any(fields[i].tag != _SEQUENCE for i in (2, 4, 5)):
        raise DERError("not a DER-encoded certificate (bad issuer, subject or public key)")
    spki = _read(der, _header_start(der, fields[5]), fields[5].end)
    public_key = der[_header_start(der, fields[5]) : spki.end]
    if fields[3].tag != _SEQUENCE:
        raise DERError("not a DER-encoded certificate (bad validity)")
    validity = _children(der, fields[3])
    if len(validity) != 2:
        raise DERError("not a DER-encoded certificate (bad validity)")
    not_before, not_after = (_time(der, t) for t in validity)
    return CertificateFields(
        serial, _name(der, fields[2]), _name(der, fields[4]), public_key, not_before, not_after
    )


def _time(der: bytes, item: _TLV) -> bytes:
    """Return a UTCTime or GeneralizedTime as GeneralizedTime text (``YYYYMMDDhhmmssZ``)."""
    text = der[item.start : item.end]
    if item.tag == _UTC_TIME and len(text) == 13:
        century = b"19" if int(text[:2]) >= 50 else b"20"  # RFC 5280 4.1.2.5.1
        return century + text
    if item.tag == _GENERALIZED_TIME and len(text) == 15:
        return text
    raise DERError(f"unsupported certificate time encoding {text!r}")


def _header_start(der: bytes, item: _TLV) -> int:
    """Return the offset of *item*'s tag byte (its value starts after tag and length)."""
    length = item.end - item.start
    header = 2 if length < 0x80 else 2 + (length.bit_length() + 7) // 8
    return item.start - header


def private_key_label(der: bytes) -> str:
    """Return the PEM label of the DER private key *der*: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).

    :raises DERError: if *der* is none of those.
    """
    outer = _read(der, 0, len(der))
    parts = _children(der, outer) if outer.tag == _SEQUENCE else []
    if len(parts) >= 3 and parts[0].tag == _INTEGER:
        if parts[1].tag == _SEQUENCE:
            return "PRIVATE KEY"
        if parts[1].tag == _INTEGER:
            return "RSA PRIVATE KEY"
        if parts[1].tag == _OCTET_STRING:
            return "EC PRIVATE KEY"
    raise DERError("not a DER-encoded private key (PKCS#8, PKCS#1 or SEC1)")
