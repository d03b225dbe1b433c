"""Text metadata (e.g. vivid's provenance record under the key ``"vivid"``) in every format.

PNG stores each entry as an iTXt chunk. JPEG, WebP, TIFF, AVIF and HEIC store them in an XMP packet,
one property per key in vivid's namespace (``XMP_NAMESPACE``, prefix ``vivid``), so ``exiftool
-XMP-vivid:all photo.jpg`` shows them. Keys must be valid PNG keywords (1-79 Latin-1 characters); in
XMP, characters that XML names do not allow are escaped as ``_xHHHH_`` (the ISO/IEC 29500 convention).
"""

from __future__ import annotations

import re
import warnings
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from vivid.errors import ConfigError

XMP_NAMESPACE = "urn:vivid:text:1.0/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

# PNG keywords: printable Latin-1, no leading, trailing or doubled spaces
_KEYWORD = re.compile(r"(?! )(?!.*  )(?!.* $)[\x20-\x7e\xa1-\xff]{1,79}")
# characters XML 1.0 cannot carry at all
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAME_START = re.compile(r"[A-Za-z]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9.\-]")
_ESCAPED = re.compile(r"_x([0-9A-F]{4})_")
#: text keys other programs use for metadata that vivid handles itself (XMP packet, EXIF, ICC, IPTC)
_RESERVED_PNG_KEYS = ("XML:com.adobe.xmp", "Raw profile type ")


def validate_text(text: dict[str, str]) -> dict[str, str]:
    """Check text entries; raise :class:`ConfigError` naming the first bad key or value."""
    for key, value in text.items():
        if not isinstance(key, str) or not _KEYWORD.fullmatch(key):
            raise ConfigError(
                f"text metadata key {key!r} is not allowed: use 1-79 printable Latin-1 characters "
                "without leading, trailing or doubled spaces (e.g. 'vivid')"
            )
        if key.startswith(_RESERVED_PNG_KEYS):
            raise ConfigError(
                f"text metadata key {key!r} is reserved for XMP/EXIF/ICC data: choose another key"
            )
        if not isinstance(value, str):
            raise ConfigError(f"text metadata value for {key!r} must be a str, got {type(value).__name__}")
        bad = _XML_ILLEGAL.search(value)
        if bad or not _encodable(value):
            raise ConfigError(
                f"text metadata value for {key!r} contains a control or unencodable character"
                f"{f' ({bad.group()!r})' if bad else ''}: JSON-encode or remove it"
            )
    return dict(text)


def png_text(chunks: dict[str, object]) -> dict[str, str]:
    """The user text of a PNG's tEXt/zTXt/iTXt chunks (XMP and raw EXIF/ICC profiles left out)."""
    return {
        str(key): str(value)
        for key, value in chunks.items()
        if isinstance(value, str) and not str(key).startswith(_RESERVED_PNG_KEYS)
    }


def xmp_packet(text: dict[str, str]) -> bytes:
    """An XMP packet holding ``text`` as properties in vivid's namespace."""
    props = "".join(
        f"<vivid:{_xml_name(key)}>{escape(value)}</vivid:{_xml_name(key)}>" for key, value in text.items()
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="{_RDF}">'
        f'<rdf:Description rdf:about="" xmlns:vivid="{XMP_NAMESPACE}">{props}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def text_from_xmp(packet: bytes | str | None, *, name: str) -> dict[str, str]:
    """The properties in vivid's namespace of an XMP packet (as elements or as attributes)."""
    if not packet:
        return {}
    data = packet.encode("utf-8") if isinstance(packet, str) else bytes(packet)
    data = data.rstrip(b"\0 \t\r\n")  # padding some writers leave after the packet
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as e:
        warnings.warn(f"{name}: ignoring its XMP metadata, which is not well-formed XML ({e})", stacklevel=3)
        return {}
    prefix = f"{{{XMP_NAMESPACE}}}"
    text: dict[str, str] = {}
    for description in root.iter(f"{{{_RDF}}}Description"):
        for attr, value in description.attrib.items():
            if attr.startswith(prefix):
                text[_key_from_xml(attr[len(prefix) :])] = value
        for element in description:
            if element.tag.startswith(prefix) and len(element) == 0:
                text[_key_from_xml(element.tag[len(prefix) :])] = element.text or ""
    return text


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _xml_name(key: str) -> str:
    out = []
    for i, ch in enumerate(key):
        allowed = (_NAME_START if i == 0 else _NAME_CHAR).fullmatch(ch)
        out.append(ch if allowed else f"_x{ord(ch):04X}_")
    return "".join(out)


def _key_from_xml(name: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), name)
