"""vivid.io.textmeta: validation and the XMP form of text entries."""

from __future__ import annotations

import pytest

from vivid.errors import ConfigError
from vivid.io.textmeta import XMP_NAMESPACE, png_text, text_from_xmp, validate_text, xmp_packet


def test_xmp_round_trip_with_awkward_keys_and_values():
    text = {
        "vivid": '{"a": "<tag> & \\"q\\""}',
        "Creation Time": "now",
        "_x0041_": "literal escape-like key",
        "1st": "leading digit",
        "ünï": "latin-1",
        "multi": "line\nbreak\ttab",
    }
    packet = xmp_packet(text)
    assert XMP_NAMESPACE.encode() in packet
    assert text_from_xmp(packet, name="t") == text


def test_xmp_without_vivid_properties_is_empty():
    assert text_from_xmp(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>", name="t") == {}
    assert text_from_xmp(None, name="t") == {}


def test_validate_accepts_png_keywords():
    assert validate_text({"vivid": "{}", "Creation Time": "x"}) == {"vivid": "{}", "Creation Time": "x"}


@pytest.mark.parametrize("key", ["a  b", "trailing ", "x" * 80, "tab\tkey", "Raw profile type exif"])
def test_validate_rejects_bad_keys(key):
    with pytest.raises(ConfigError, match="text metadata key"):
        validate_text({key: "v"})


def test_png_text_leaves_out_xmp_and_raw_profiles():
    chunks = {"vivid": "{}", "XML:com.adobe.xmp": "<x/>", "Raw profile type exif": "..", "n": 3}
    assert png_text(chunks) == {"vivid": "{}"}
