"""The cheap playable copy: when a video's own stream is already what browsers play (8-bit
4:2:0 H.264, as phones and most cameras record in MOV, MKV, MTS or AVI), its packets are copied
into a fast-start MP4 unchanged, and only the sound is re-encoded when browsers cannot play it
(PCM in MOV and AVI, AC-3 in MTS, Opus or Vorbis in MKV). Copying costs reading and writing the
file, not decoding and encoding every frame: tens of times faster, and no quality is lost.

The copy keeps the original's picture size (``IMGBACKUP_VIDEO_MAX_HEIGHT`` limits re-encoded
copies only): browsers play 4K H.264 as they play an H.264 MP4 original, which is served as it
is at any size. Runs in the sandbox (video/child.py) like ``transcode``."""

from __future__ import annotations

from typing import Any

from imgbackup.video.probe import MAX_PACKETS_FOR_A_FRAME

REMUXABLE_VIDEO = "h264"
# High 10, 4:2:2 and 4:4:4 H.264 decode in no browser's hardware path and not at all in some.
REMUXABLE_PIXELS = {"yuv420p", "yuvj420p"}
COPIED_AUDIO = {"aac", "mp3"}


def can_remux(video_codec: str, pix_fmt: str | None) -> bool:
    return video_codec == REMUXABLE_VIDEO and pix_fmt in REMUXABLE_PIXELS


class NotRemuxable(ValueError):
    """The video stream is not one browsers play as it is: it must be encoded."""


def remux(source: str, demuxer: str, out: str) -> int:
    """In the sandbox: copy the video packets of ``source`` into a fast-start MP4 at ``out``,
    the sound copied or re-encoded to AAC; the number of video packets written. The display
    rotation goes with the stream's parameters. Raises NotRemuxable before writing anything
    when the stream must be encoded instead, and ValueError when no frame decodes (a copy of
    junk would play nothing; the caller discards ``out``)."""
    import av

    # genpts: AVI and some MKV muxers leave presentation times out; MP4 needs them.
    with av.open(source, format=demuxer, options={"protocol_whitelist": "file",
                                                  "fflags": "+genpts"}) as src:
        if not src.streams.video:
            raise NotRemuxable("no video stream")
        video_in = src.streams.video[0]
        if not can_remux(video_in.codec_context.name, video_in.codec_context.pix_fmt):
            raise NotRemuxable(f"{video_in.codec_context.name} is encoded again")
        audio_in = src.streams.audio[0] if src.streams.audio else None
        with av.open(out, "w", format="mp4", options={"movflags": "+faststart"}) as dst:
            video_out = dst.add_stream_from_template(video_in)
            sound = _Sound(dst, audio_in) if audio_in is not None else None
            return _copy(src, dst, video_in, video_out, sound)


def _copy(src: Any, dst: Any, video_in: Any, video_out: Any, sound: _Sound | None) -> int:
    streams = [video_in] + ([sound.stream_in] if sound is not None else [])
    written = 0
    decodes = False
    for packet in src.demux(*streams):
        if packet.dts is None and packet.pts is None:
            continue  # the demuxer's end-of-stream marker
        if packet.stream is video_in:
            if not decodes and written < MAX_PACKETS_FOR_A_FRAME:
                decodes = _decodes(packet)
            packet.stream = video_out
            dst.mux(packet)
            written += 1
        elif sound is not None:
            sound.add(packet)
    if not decodes:
        raise ValueError("no frame decodes")
    if sound is not None:
        sound.finish()
    return written


def _decodes(packet: Any) -> bool:
    """Whether this packet (with those before it) gives a frame: until one does, the packets
    are decoded as well as copied."""
    import av

    try:
        return any(True for _ in packet.decode())
    except (av.FFmpegError, ValueError, MemoryError):
        return False


class _Sound:
    """The audio track of the copy: the original's packets when browsers play them, else
    decoded and encoded as AAC (as video/transcode.py does)."""

    def __init__(self, dst: Any, stream_in: Any) -> None:
        from imgbackup.video.transcode import AacEncoder

        self.dst = dst
        self.stream_in = stream_in
        self.copied = stream_in.codec_context.name in COPIED_AUDIO
        self.stream_out = dst.add_stream_from_template(stream_in) if self.copied else None
        self.encoder = None if self.copied else AacEncoder(dst)
        if self.encoder is not None:
            self.encoder.open()  # now: the first video packet muxed writes the header

    def add(self, packet: Any) -> None:
        import av

        if self.stream_out is not None:
            packet.stream = self.stream_out
            self.dst.mux(packet)
            return
        assert self.encoder is not None
        try:
            frames = list(packet.decode())
        except (av.FFmpegError, ValueError):
            return  # a damaged packet: a moment of silence, as players do
        for frame in frames:
            self.encoder.add(frame)

    def finish(self) -> None:
        if self.encoder is not None:
            self.encoder.finish()
