"""STRING elements and the KServe BYTES framing (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from ovms.strings import as_bytes, join_length_prefixed, split_length_prefixed, string_elements


def test_elements_of_object_s_and_u_arrays_in_c_order() -> None:
    mixed = np.array([[b"a", "\u017cb"], [b"", 5]], dtype=object)
    assert string_elements(mixed) == [b"a", b"\xc5\xbcb", b"", b"5"]
    assert string_elements(np.array([[b"x"], [b"yz"]])) == [b"x", b"yz"]
    assert string_elements(np.array(["\u00e9"])) == [b"\xc3\xa9"]
    assert as_bytes(np.bytes_(b"q")) == b"q"


def test_length_prefixed_round_trip() -> None:
    items = np.array([b"ab", b"", b"xyz\x00"], dtype=object)
    buffer = join_length_prefixed(items)
    assert buffer == b"\x02\x00\x00\x00ab" + b"\x00\x00\x00\x00" + b"\x04\x00\x00\x00xyz\x00"
    assert split_length_prefixed(memoryview(buffer)) == [b"ab", b"", b"xyz\x00"]
    nested = np.array([["a"], ["\u017cb"]], dtype=object)
    assert join_length_prefixed(nested) == b"\x01\x00\x00\x00a\x03\x00\x00\x00\xc5\xbcb"


@pytest.mark.parametrize("buffer", [b"\x05\x00\x00\x00ab", b"\x01\x00\x00\x00a\x00", b"\x01\x00"])
def test_malformed_length_prefixes_raise(buffer: bytes) -> None:
    with pytest.raises(ValueError):
        split_length_prefixed(buffer)
