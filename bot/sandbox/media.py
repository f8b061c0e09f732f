"""Small files the simulated people's clients upload: photos, stickers, voice notes.

Photos are real PNG images made in memory (a bot may open them). Stickers and voice notes are
placeholders with the right magic bytes (WEBP, OGG): their content is never decoded, only
stored so that getFile and downloads work.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["STICKER_WEBP", "VOICE_OGG", "png"]

# A 1x1 lossless WEBP: a sticker's file (its declared size is Telegram's 512x512).
STICKER_WEBP = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe"
    b"\x07\x00"
)
# An OGG page header with no audio: a voice note's file.
VOICE_OGG = b"OggS\x00\x02" + bytes(20)


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def png(width: int, height: int, rgb: tuple[int, int, int] = (0x9C, 0x6B, 0x4E)) -> bytes:
    """A valid PNG of one colour (8-bit RGB), `width` x `height` pixels."""
    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )
