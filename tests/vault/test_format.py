"""Our use of the Cobblestone-256 recipe: round trips, and every kind of damage failing closed."""

from __future__ import annotations

import os
import secrets

import pytest
from cryptography.cobblestone import Cobblestone256Decryptor, Cobblestone256Encryptor
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.errors import TamperedBlob
from integrity.vault.format import (
    BLOB_PREFIX,
    CHUNK_SIZE,
    HEADER_SIZE,
    SEALED_CHUNK_SIZE,
    TAG_SIZE,
    BlobDecryptor,
    BlobEncryptor,
    blob_context,
    generate_data_key,
    open_sealed,
    seal_bytes,
    stored_bytes_for,
    stored_size,
)

KEY = bytes(range(32))
BLOB_ID = "0123456789abcdef0123456789abcdef"
START = len(BLOB_PREFIX) + HEADER_SIZE  # where the first chunk begins in a stored blob
SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 3 * 1024 * 1024 + 5]


def encrypt(plaintext: bytes, *, key: bytes = KEY, blob_id: str = BLOB_ID, piece: int = 65536) -> bytes:
    encryptor = BlobEncryptor(key, blob_id)
    out = [encryptor.update(plaintext[i : i + piece]) for i in range(0, len(plaintext), piece)]
    return b"".join(out) + encryptor.finalize()


def decrypt_pieces(
    stored: bytes, *, key: bytes = KEY, blob_id: str = BLOB_ID, piece: int = 65536
) -> tuple[bytes, Exception | None]:
    """What a reader would have been given before the first error, and that error."""
    decryptor = BlobDecryptor(key, blob_id)
    released = bytearray()
    try:
        for i in range(0, len(stored), piece):
            released += decryptor.update(stored[i : i + piece])
        released += decryptor.finalize()
    except TamperedBlob as exc:
        return bytes(released), exc
    return bytes(released), None


def decrypt(stored: bytes, **kwargs: object) -> bytes:
    released, error = decrypt_pieces(stored, **kwargs)  # type: ignore[arg-type]
    if error is not None:
        raise error
    return released


def chunks_of(stored: bytes) -> tuple[bytes, list[bytes]]:
    """The prefix + header, and the sealed chunks (the last one short)."""
    body = stored[START:]
    return stored[:START], [body[i : i + SEALED_CHUNK_SIZE] for i in range(0, len(body), SEALED_CHUNK_SIZE)]


# -- what the recipe does, as format.py's comment describes it --------------------------------------


def test_recipe_geometry_is_as_documented() -> None:
    encryptor = Cobblestone256Encryptor(KEY, b"ctx")
    assert len(encryptor.update(b"")) == HEADER_SIZE
    assert encryptor.update(b"x" * (CHUNK_SIZE - 1)) == b""
    assert len(encryptor.update(b"x")) == SEALED_CHUNK_SIZE  # a full chunk is never final
    final = encryptor.finalize()
    assert len(final) == TAG_SIZE  # the mandatory short (here empty) final chunk

    stored = Cobblestone256Encryptor(KEY, b"ctx")
    ciphertext = stored.update(b"y" * (2 * CHUNK_SIZE + 10)) + stored.finalize()
    decryptor = Cobblestone256Decryptor(KEY, b"ctx")
    assert decryptor.update(ciphertext[: HEADER_SIZE + SEALED_CHUNK_SIZE - 1]) == b""  # partial: withheld
    assert len(decryptor.update(ciphertext[HEADER_SIZE + SEALED_CHUNK_SIZE - 1 : -26])) == 2 * CHUNK_SIZE
    assert decryptor.update(ciphertext[-26:]) == b""  # the final chunk waits for finalize()
    assert decryptor.finalize() == b"y" * 10


def test_wrong_key_fails_on_the_header_before_any_chunk() -> None:
    ciphertext = Cobblestone256Encryptor(KEY, b"ctx").update(b"z" * 100)
    with pytest.raises(InvalidTag):
        Cobblestone256Decryptor(generate_data_key(), b"ctx").update(ciphertext[:HEADER_SIZE])


@pytest.mark.parametrize("size", SIZES)
def test_stored_size_matches_the_ciphertext(size: int) -> None:
    assert len(encrypt(os.urandom(size))) == stored_size(size)


# -- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_round_trip(size: int) -> None:
    plaintext = os.urandom(size)
    stored = encrypt(plaintext)
    assert stored.startswith(BLOB_PREFIX)
    assert decrypt(stored) == plaintext


@settings(max_examples=60, deadline=None)
@given(
    plaintext=st.binary(max_size=3 * CHUNK_SIZE + 100),
    write_piece=st.integers(1, 40_000),
    read_piece=st.integers(1, 40_000),
)
def test_round_trip_whatever_the_piece_sizes(plaintext: bytes, write_piece: int, read_piece: int) -> None:
    stored = encrypt(plaintext, piece=write_piece)
    assert decrypt(stored, piece=read_piece) == plaintext


def test_data_keys_are_fresh_and_ciphertexts_differ() -> None:
    assert generate_data_key() != generate_data_key()
    assert encrypt(b"same") != encrypt(b"same")  # random salt per blob


# -- damage ----------------------------------------------------------------------------------------


def test_every_truncation_fails() -> None:
    plaintext = os.urandom(2 * CHUNK_SIZE + 100)
    stored = encrypt(plaintext)
    for cut in range(len(stored)):
        released, error = decrypt_pieces(stored[:cut], piece=len(stored))
        assert isinstance(error, TamperedBlob), cut
        # Whatever was released is authenticated whole chunks of the original, never more.
        assert len(released) % CHUNK_SIZE == 0
        assert plaintext.startswith(released)


def test_truncation_exactly_at_each_chunk_boundary_fails() -> None:
    plaintext = os.urandom(4 * CHUNK_SIZE)
    stored = encrypt(plaintext)
    for chunks in range(5):
        with pytest.raises(TamperedBlob):
            decrypt(stored[: START + chunks * SEALED_CHUNK_SIZE])


def test_dropped_duplicated_and_swapped_chunks_fail() -> None:
    plaintext = os.urandom(4 * CHUNK_SIZE + 300)
    head, chunks = chunks_of(encrypt(plaintext))
    assert len(chunks) == 5
    variants = []
    for i in range(len(chunks)):
        variants.append(chunks[:i] + chunks[i + 1 :])  # dropped
        variants.append(chunks[: i + 1] + chunks[i:])  # duplicated
    for i in range(len(chunks) - 1):
        swapped = list(chunks)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        variants.append(swapped)
    variants.append([chunks[0], chunks[2], chunks[1], chunks[3], chunks[4]])
    for variant in variants:
        released, error = decrypt_pieces(head + b"".join(variant))
        assert isinstance(error, TamperedBlob)
        assert plaintext.startswith(released)


def test_chunks_spliced_from_another_blob_under_the_same_key_fail() -> None:
    one, two = os.urandom(3 * CHUNK_SIZE + 5), os.urandom(3 * CHUNK_SIZE + 5)
    head_one, chunks_one = chunks_of(encrypt(one))
    _, chunks_two = chunks_of(encrypt(two))
    spliced = head_one + chunks_one[0] + chunks_two[1] + b"".join(chunks_one[2:])
    released, error = decrypt_pieces(spliced, piece=SEALED_CHUNK_SIZE)
    assert isinstance(error, TamperedBlob)
    assert released == one[:CHUNK_SIZE]


def test_every_flipped_byte_fails() -> None:
    plaintext = os.urandom(CHUNK_SIZE + 100)
    stored = encrypt(plaintext)
    for position in range(len(stored)):
        damaged = bytearray(stored)
        damaged[position] ^= 0x01
        released, error = decrypt_pieces(bytes(damaged), piece=len(stored))
        assert isinstance(error, TamperedBlob), position
        # Only the undamaged first chunk may have been released, and only when the damage is later.
        damaged_chunk = max(0, (position - START) // SEALED_CHUNK_SIZE)
        assert released == plaintext[: len(released)]
        assert len(released) <= damaged_chunk * CHUNK_SIZE


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_plaintext_of_a_damaged_chunk_is_ever_released(data: st.DataObject) -> None:
    size = data.draw(st.integers(0, 6 * CHUNK_SIZE))
    plaintext = os.urandom(size)
    stored = encrypt(plaintext)
    bit = data.draw(st.integers(0, len(stored) * 8 - 1))
    piece = data.draw(st.integers(1, 3 * SEALED_CHUNK_SIZE))
    damaged = bytearray(stored)
    damaged[bit // 8] ^= 1 << (bit % 8)
    released, error = decrypt_pieces(bytes(damaged), piece=piece)
    assert isinstance(error, TamperedBlob)
    damaged_chunk = max(0, (bit // 8 - START) // SEALED_CHUNK_SIZE)
    assert plaintext.startswith(released)
    assert len(released) <= damaged_chunk * CHUNK_SIZE


@pytest.mark.parametrize("extra", [b"\x00", b"x" * TAG_SIZE, b"y" * SEALED_CHUNK_SIZE, os.urandom(50_000)])
@pytest.mark.parametrize("size", [0, 100, CHUNK_SIZE, 2 * CHUNK_SIZE + 7])
def test_appended_bytes_fail(size: int, extra: bytes) -> None:
    with pytest.raises(TamperedBlob):
        decrypt(encrypt(os.urandom(size)) + extra)


@pytest.mark.parametrize("size", [0, 5, 3 * CHUNK_SIZE])
def test_wrong_key_and_wrong_blob_id_fail_before_any_plaintext(size: int) -> None:
    stored = encrypt(os.urandom(size))
    for kwargs in ({"key": generate_data_key()}, {"blob_id": secrets.token_hex(16)}):
        released, error = decrypt_pieces(stored, piece=1, **kwargs)  # type: ignore[arg-type]
        assert isinstance(error, TamperedBlob)
        assert released == b""


def test_unknown_prefix_or_version_fails() -> None:
    stored = encrypt(b"evidence")
    for position in range(len(BLOB_PREFIX)):
        damaged = bytearray(stored)
        damaged[position] ^= 0x01
        with pytest.raises(TamperedBlob, match="format or version"):
            decrypt(bytes(damaged))
    with pytest.raises(TamperedBlob):
        decrypt(BLOB_PREFIX[:2])


def test_the_blob_id_must_look_like_one() -> None:
    with pytest.raises(ValueError):
        blob_context("../../etc/passwd")
    assert blob_context(BLOB_ID) == BLOB_PREFIX + BLOB_ID.encode()


# -- the geometry used for range reads --------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 17])
def test_stored_bytes_for_a_range_decrypt_exactly_that_far(size: int) -> None:
    plaintext = os.urandom(size)
    stored = encrypt(plaintext)
    candidates = {0, 1, size} | {k * CHUNK_SIZE + d for k in range(5) for d in (-1, 0, 1)}
    for end in sorted(end for end in candidates if 0 <= end <= size):
        needed = stored_bytes_for(end, size)
        decryptor = BlobDecryptor(KEY, BLOB_ID)
        released = decryptor.update(stored[:needed])
        if len(released) < end:
            assert needed == len(stored)  # the final chunk: only finalize() releases it
            released += decryptor.finalize()
        assert released[:end] == plaintext[:end]
        # One byte less would not have been enough.
        if end and needed < len(stored):
            shorter = BlobDecryptor(KEY, BLOB_ID).update(stored[: needed - 1])
            assert len(shorter) < end


# -- sealed database fields ------------------------------------------------------------------------


def test_sealed_values_round_trip_and_are_bound_to_their_context() -> None:
    key = generate_data_key()
    token = seal_bytes(key, b"case:1:narrative", "Задатак".encode())
    assert open_sealed(key, b"case:1:narrative", token) == "Задатак".encode()
    assert "Задатак".encode() not in token
    assert open_sealed(key, b"ctx", seal_bytes(key, b"ctx", b"")) == b""
    with pytest.raises(TamperedBlob):
        open_sealed(key, b"case:2:narrative", token)
    with pytest.raises(TamperedBlob):
        open_sealed(generate_data_key(), b"case:1:narrative", token)
    with pytest.raises(TamperedBlob):
        open_sealed(key, b"case:1:narrative", token[:-1])
    with pytest.raises(TamperedBlob):
        open_sealed(key, b"case:1:narrative", b"XXXX" + token[4:])
    for position in range(len(token)):
        damaged = bytearray(token)
        damaged[position] ^= 0x80
        with pytest.raises(TamperedBlob):
            open_sealed(key, b"case:1:narrative", bytes(damaged))


def test_a_sealed_value_is_not_a_blob_and_a_blob_is_not_a_sealed_value() -> None:
    key = generate_data_key()
    stored = encrypt(b"abc", key=key)
    with pytest.raises(TamperedBlob):
        open_sealed(key, BLOB_ID.encode(), stored)
    with pytest.raises(TamperedBlob):
        decrypt(seal_bytes(key, BLOB_ID.encode(), b"abc"), key=key)
