"""The copy a browser plays: H.264 video and AAC sound in an MP4 whose index comes first.

Browsers (Chromium, Firefox, Safari, WeChat's web view) all play H.264/AAC in MP4; HEVC from
iPhones plays only in Safari, and MPEG-2 (MTS), MPEG-4 Part 2 (AVI, 3GP), VP9 in Matroska or
AV1 in MOV nowhere reliably. So the original is played as it is only when it is already that;
anything else gets a copy, made once in the background and kept beside the original.

``transcode`` runs in the sandbox (video/child.py); ``make_playable`` is the server's side."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from imgbackup.video.sandbox import SandboxFailed, run_child
from imgbackup.video.sniff import video_container

PLAYABLE_CONTAINERS = {"video/mp4", "video/x-m4v"}
PLAYABLE_VIDEO = {"h264"}
PLAYABLE_AUDIO = {"", "aac", "mp3"}
CRF = 23  # x264's default: visually close to the source at phone bitrates
PRESET = "veryfast"
AUDIO_RATE = 48000


class TranscodeFailed(RuntimeError):
    """No playable copy can be made of these bytes."""


def plays_as_is(content_type: str, video_codec: str, audio_codec: str) -> bool:
    return (content_type in PLAYABLE_CONTAINERS and video_codec in PLAYABLE_VIDEO
            and audio_codec in PLAYABLE_AUDIO)


def make_playable(source: str | Path, out: str | Path, max_height: int, timeout: float,
                  memory_mb: int) -> str:
    """Write the playable copy of the video at ``source`` to ``out``: "remux" or "transcode",
    how it was made. Raises TranscodeFailed."""
    with open(source, "rb") as f:
        container = video_container(f.read(512))
    if container is None:
        raise TranscodeFailed("not a video container")
    try:
        answer = run_child(["transcode", str(source), container.demuxer, str(out),
                            str(max_height)], timeout=timeout, memory_mb=memory_mb)
    except SandboxFailed as exc:
        raise TranscodeFailed(str(exc)) from None
    if "error" in answer:
        raise TranscodeFailed(str(answer["error"]))
    return str(answer.get("mode", "transcode"))


def output_size(width: int, height: int, max_height: int) -> tuple[int, int]:
    """The coded size of the copy: the shorter side at most ``max_height`` (a portrait video is
    limited like its landscape twin), never enlarged, both sides even (4:2:0)."""
    short = min(width, height)
    scale = min(1.0, max_height / short) if short else 1.0
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def playable_copy(source: str, demuxer: str, out: str, max_height: int) -> str:
    """In the sandbox: write the copy to ``out`` by remuxing when the video stream plays as it
    is (video/remux.py), else by transcoding; which of the two it was. A remux the muxer
    refuses (timestamps MP4 cannot carry, say) is done again as a transcode."""
    import av

    from imgbackup.video import remux

    try:
        remux.remux(source, demuxer, out)
        return "remux"
    except (remux.NotRemuxable, av.FFmpegError):
        pass
    transcode(source, demuxer, out, max_height)
    return "transcode"


def transcode(source: str, demuxer: str, out: str, max_height: int) -> None:
    """In the sandbox: decode, scale, encode H.264 + AAC into a fast-start MP4 at ``out``,
    keeping the display rotation as the copy's own. Raises ValueError when nothing decodes."""
    import av

    with av.open(source, format=demuxer, options={"protocol_whitelist": "file"}) as src:
        if not src.streams.video:
            raise ValueError("no video stream")
        video_in = src.streams.video[0]
        video_in.codec_context.thread_count = 2
        audio_in = src.streams.audio[0] if src.streams.audio else None
        with av.open(out, "w", format="mp4", options={"movflags": "+faststart"}) as dst:
            frames = _copy(src, dst, video_in, audio_in, max_height)
    if frames == 0:
        raise ValueError("no frame decodes")  # the caller discards ``out``


def _copy(src: Any, dst: Any, video_in: Any, audio_in: Any, max_height: int) -> int:
    import av

    video_out: Any = None
    sound = AacEncoder(dst) if audio_in is not None else None
    frames = 0
    streams = [video_in] + ([audio_in] if audio_in is not None else [])
    for packet in src.demux(*streams):
        try:
            decoded = list(packet.decode())
        except (av.FFmpegError, ValueError):
            continue  # a damaged packet: skip it, as players do
        for frame in decoded:
            if packet.stream is video_in:
                if video_out is None:
                    video_out = _video_stream(dst, video_in, frame, max_height)
                _encode_video(dst, video_out, frame)
                frames += 1
            elif sound is not None:
                sound.add(frame)
    if video_out is not None:
        dst.mux(video_out.encode(None))
    if sound is not None:
        sound.finish()
    return frames


class AacEncoder:
    """Sound frames of any format in, stereo AAC at 48 kHz out. The stream is added to ``dst``
    by ``open``, or at the first frame (an empty track would make some players refuse the
    file); either way before anything is muxed, which writes the file's header."""

    def __init__(self, dst: Any) -> None:
        self.dst = dst
        self.stream: Any = None
        self.resampler: Any = None

    def open(self) -> None:
        import av

        if self.stream is None:
            self.stream = self.dst.add_stream("aac", rate=AUDIO_RATE)
            self.stream.codec_context.layout = "stereo"
            self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)

    def add(self, frame: Any) -> None:
        self.open()
        for resampled in self.resampler.resample(frame):
            resampled.pts = None
            self.dst.mux(self.stream.encode(resampled))

    def finish(self) -> None:
        if self.stream is not None:
            self.dst.mux(self.stream.encode(None))


def _video_stream(dst: Any, video_in: Any, frame: Any, max_height: int) -> Any:
    rate = video_in.average_rate or video_in.guessed_rate or Fraction(30)
    stream = dst.add_stream("libx264", rate=rate)
    stream.width, stream.height = output_size(frame.width, frame.height, max_height)
    stream.pix_fmt = "yuv420p"
    stream.options = {"crf": str(CRF), "preset": PRESET}
    stream.codec_context.thread_count = 2
    stream.codec_context.time_base = video_in.time_base or Fraction(1, 90000)
    if frame.rotation:
        stream.set_display_rotation(frame.rotation)
    return stream


def _encode_video(dst: Any, stream: Any, frame: Any) -> None:
    scaled = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
    scaled.pts, scaled.time_base = frame.pts, frame.time_base
    scaled.pict_type = 0  # let the encoder choose (a copied I-frame flag forces keyframes)
    dst.mux(stream.encode(scaled))
