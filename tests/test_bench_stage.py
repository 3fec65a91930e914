"""The stage benchmark's latency measure: the capture time painted into a picture survives
VP8 at 500 kbit/s and is read back exactly (bench/stage.py)."""

from __future__ import annotations

import asyncio

from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, VpxPayloadDescriptor
from aiortc.jitterbuffer import JitterFrame
from bench import stage


def test_painted_capture_time_survives_vp8_and_reads_back() -> None:
    async def run() -> list[tuple[int, int]]:
        stage._pin_bitrate()
        video, _ = stage._tracks()
        encoder, decoder = Vp8Encoder(), Vp8Decoder()
        pairs: list[tuple[int, int]] = []
        for _ in range(45):
            frame = await video.recv()
            painted = stage.read_stamp(frame.to_ndarray()[: stage.HEIGHT])
            payloads, timestamp = encoder.encode(frame)
            data = b"".join(_depayload(p) for p in payloads)
            for decoded in decoder.decode(JitterFrame(data=data, timestamp=timestamp)):
                pairs.append((painted, stage.read_stamp(decoded.to_ndarray()[: stage.HEIGHT])))
        return pairs

    pairs = asyncio.run(run())
    assert len(pairs) >= 40
    assert all(sent is not None for sent, _ in pairs)
    # A picture reads back as the time painted in it or, if the encoder blurred the band (a
    # loaded machine), as unreadable: never as another time. Nearly all read back.
    assert all(read in (sent, None) for sent, read in pairs), pairs
    assert sum(read is None for _, read in pairs) <= len(pairs) // 10, pairs
    # consecutive pictures carry increasing times (about 33 ms apart)
    first, last = pairs[0][0], pairs[-1][0]
    assert first is not None and last is not None and last > first


def test_a_mangled_band_reads_as_unreadable_not_as_another_time() -> None:
    async def one() -> object:
        video, _ = stage._tracks()
        return await video.recv()

    luma = asyncio.run(one()).to_ndarray()[: stage.HEIGHT].copy()  # type: ignore[attr-defined]
    assert stage.read_stamp(luma) is not None
    grey = luma.copy()
    grey[: stage.BAND, 5 * stage.BLOCK : 6 * stage.BLOCK] = 128  # one bit blurred to grey
    assert stage.read_stamp(grey) is None
    flipped = luma.copy()
    block = flipped[: stage.BAND // 2, 7 * stage.BLOCK : 8 * stage.BLOCK]
    flipped[: stage.BAND // 2, 7 * stage.BLOCK : 8 * stage.BLOCK] = 255 - block  # one half flipped
    assert stage.read_stamp(flipped) is None


def _depayload(payload: bytes) -> bytes:
    """One RTP payload's VP8 data, without its payload descriptor (as a receiver reads it)."""
    _, data = VpxPayloadDescriptor.parse(payload)
    return data


def test_latency_wraps_around_the_32_bit_millisecond_clock() -> None:
    assert stage.latency_ms(1000.040, 1000_000) == 40
    now = (2**32 + 5) / 1000  # the clock wrapped 5 ms ago; the picture was painted 10 ms before
    assert stage.latency_ms(now, 2**32 - 5) == 10
