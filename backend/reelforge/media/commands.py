"""FFmpeg argument lists built from plans. Pure functions: no process is started here.

Paths in a plan are relative to the job's work dir, which is FFmpeg's cwd, so no absolute user
path ever lands in a filtergraph; they are escaped all the same. Relative names never start with
`-` (we prefix `./` where a name could), so FFmpeg never reads a path as an option.
"""

from __future__ import annotations

import math
import re

from reelforge.media.filtergraph import subtitles_filter
from reelforge.media.music import ENVELOPE_RATE, BedPlan
from reelforge.media.plan import Chunk, RenderPlan

LOUDNESS_TARGET = {"I": -14.0, "TP": -1.5, "LRA": 11.0}


def safe_path(name: str) -> str:
    """A relative path FFmpeg can't mistake for an option."""
    return name if not name.startswith("-") else "./" + name


def zoompan_filter(
    chunk: Chunk, width: int, height: int, fps: int, *, offset: int = 0, frames: int | None = None
) -> str:
    """Ken Burns motion from one decoded still: zoompan emits `frames` frames from it.

    `offset` is where these frames start within the chunk: a still that replaces another
    (a reveal) carries the motion on from there, so the camera never jumps.
    """
    n = max(1, chunk.frames)
    count = max(1, chunk.frames if frames is None else frames)
    t = f"(on+{offset})/{n}" if offset else f"on/{n}"
    extra = f"{chunk.zoom - 1:.4f}"
    center_x, center_y = "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"
    if chunk.motion == "zoom-in":
        z, x, y = f"1+{extra}*{t}", center_x, center_y
    elif chunk.motion == "zoom-out":
        z, x, y = f"{chunk.zoom:.4f}-{extra}*{t}", center_x, center_y
    elif chunk.motion == "pan-right":
        z, x, y = f"{chunk.zoom:.4f}", f"(iw-iw/zoom)*{t}", center_y
    else:
        z, x, y = f"{chunk.zoom:.4f}", f"(iw-iw/zoom)*(1-{t})", center_y
    return f"zoompan=z={z}:x={x}:y={y}:d={count}:s={width}x{height}:fps={fps}"


def _still_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """(first frame, frame count) of each still of a chunk: the image, then its reveals."""
    starts = [0, *(min(max(1, r.at_frame), chunk.frames - 1) for r in chunk.reveals)]
    ends = [*starts[1:], chunk.frames]
    return [(start, max(1, end - start)) for start, end in zip(starts, ends, strict=True)]


def chunk_filtergraph(plan: RenderPlan, chunk: Chunk) -> str:
    # In 4:2:0 before the motion: zoompan and the fades then move half the bytes of RGB (a
    # 1080p scene renders about 1.6x faster) and nothing after it converts again.
    fit = (
        f"scale={plan.width}:{plan.height}:force_original_aspect_ratio=increase,"
        f"crop={plan.width}:{plan.height},format=yuv420p"
    )
    if chunk.clip is not None:
        # Input 0 is the prepared clip, looped by the demuxer; its frames are used as they are.
        graph, parts = "", [f"[0:v]{fit}", f"fps={plan.fps}", "setpts=N/FRAME_RATE/TB"]
    elif chunk.reveals:
        spans = _still_spans(chunk)
        graph = "".join(
            f"[{n}:v]{fit},"
            f"{zoompan_filter(chunk, plan.width, plan.height, plan.fps, offset=s, frames=c)}"
            f"[s{n}];"
            for n, (s, c) in enumerate(spans)
        )
        joined = "".join(f"[s{n}]" for n in range(len(spans)))
        parts = [f"{joined}concat=n={len(spans)}:v=1:a=0"]
    else:
        graph = ""
        parts = [f"[0:v]{fit}", zoompan_filter(chunk, plan.width, plan.height, plan.fps)]
    if chunk.fade_frames > 0:
        fade = min(chunk.fade_frames, chunk.frames // 2)
        parts.append(f"fade=t=in:s=0:n={fade}")
        parts.append(f"fade=t=out:s={chunk.frames - fade}:n={fade}")
    if chunk.captions:
        parts.append(subtitles_filter(chunk.captions, plan.fonts_dir))
    parts.append("format=yuv420p")
    return graph + ",".join(parts) + "[v]"


def clip_prepare_args(
    source: str,
    start: float,
    end: float,
    *,
    width: int,
    height: int,
    fps: int,
    fit: str,
    output: str,
) -> list[str]:
    """The part `start`..`end` of a user's clip at the video's size and rate, without sound,
    ready to be looped into a scene. `cover` crops it to fill the frame; `contain` shows it
    whole over a blurred, darkened copy of itself."""
    fill = f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}"
    if fit == "contain":
        graph = (
            f"[0:v]split=2[a][b];[a]{fill},boxblur=20:2,eq=brightness=-0.12[bg];"
            f"[b]scale={width}:{height}:force_original_aspect_ratio=decrease[fg];"
            f"[bg][fg]overlay=(W-w)/2:(H-h)/2,fps={fps},format=yuv420p,setsar=1[v]"
        )
    else:
        graph = f"[0:v]{fill},fps={fps},format=yuv420p,setsar=1[v]"
    return [
        "-ss", f"{start:.3f}", "-to", f"{end:.3f}", "-i", safe_path(source),
        "-filter_complex", graph, "-map", "[v]", "-an",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", str(fps),
        "-f", "mp4", safe_path(output),
    ]  # fmt: skip


def video_codec_args(plan: RenderPlan) -> list[str]:
    enc = plan.encoding
    args = ["-c:v", enc.codec]
    if enc.codec == "libx264":
        args += ["-preset", enc.preset, "-crf", str(enc.crf), "-profile:v", "high"]
    else:
        args += ["-b:v", "8M"]
    # A fixed GOP and no scene-cut keyframes keep chunks alike, so the concat demuxer can join
    # them without re-encoding.
    args += ["-g", str(plan.fps * 2), "-pix_fmt", "yuv420p", "-r", str(plan.fps)]
    if enc.codec == "libx264":
        args += ["-x264-params", "scenecut=0"]
    return args


def chunk_args(plan: RenderPlan, chunk: Chunk, output: str) -> list[str]:
    """Render one scene chunk (video only) to `output`."""
    if chunk.clip is not None:
        inputs = ["-stream_loop", "-1", "-i", safe_path(chunk.clip)]
    else:
        stills = [chunk.image, *(r.image for r in chunk.reveals)]
        inputs = [arg for image in stills for arg in ("-i", safe_path(image))]
    return [
        *inputs,
        "-filter_complex", chunk_filtergraph(plan, chunk),
        "-map", "[v]",
        "-frames:v", str(chunk.frames),
        *video_codec_args(plan),
        "-an", "-f", "mp4", safe_path(output),
    ]  # fmt: skip


def audio_args(plan: RenderPlan, output: str) -> list[str]:
    """The mixed audio as AAC in an M4A, encoded while the scenes render."""
    return [
        "-i", safe_path(plan.audio), "-map", "0:a:0",
        "-c:a", "aac", "-aac_coder", "fast", "-b:a", plan.encoding.audio_bitrate, "-ar", "48000",
        "-f", "ipod", safe_path(output),
    ]  # fmt: skip


def mux_args(plan: RenderPlan, output: str, audio: str | None = None) -> list[str]:
    """Join the chunks without re-encoding and add the audio, web-ready (+faststart).

    `audio`: the mix already encoded by `audio_args`, copied as it is; else the plan's WAV is
    encoded here."""
    encode = ["-c:a", "aac", "-aac_coder", "fast", "-b:a", plan.encoding.audio_bitrate,
              "-ar", "48000"]  # fmt: skip
    return [
        "-f", "concat", "-safe", "0", "-i", safe_path(plan.concat_list),
        "-i", safe_path(audio or plan.audio),
        "-map", "0:v:0", "-map", "1:a:0",
        "-c:v", "copy",
        *(["-c:a", "copy"] if audio else encode),
        "-t", f"{plan.duration:.6f}",
        "-movflags", "+faststart",
        "-f", "mp4", safe_path(output),
    ]  # fmt: skip


SAMPLE_RATE = 48000
_FRAME = 1024  # samples per frame into the ducking
DUCK_ATTACK_MS = 15
DUCK_RELEASE_MS = 350
_STEREO = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


def bed_inputs(bed: BedPlan) -> int:
    """How many times `bed_filtergraph` opens the track: once, or three times for a loop."""
    return 1 if bed.loop >= bed.duration else 3


def bed_filtergraph(bed: BedPlan, first_input: int = 1, out: str = "bed") -> str:
    """The music bed of `bed`, labelled `[out]`: exactly `bed.duration` long, not yet ducked.
    The track is inputs `first_input` onwards (`bed_inputs(bed)` of them).

    When the video is longer than the loop, the track's first `loop` seconds play once, then
    a loopable copy of them repeats (`aloop`). That copy begins with the crossfade (equal
    power, `qsin`) of the seconds that follow the loop in the track into the loop's own first
    seconds, so each join continues the track as it would have gone on, fading into its start:
    sample-continuous, no gap, no click, and the bar grid kept (every repeat is whole bars).

    The three parts are read from three openings of the track, each decoded only when it is
    needed: split from one, all but the part playing would wait in memory (an FFmpeg of 350 MB
    for a 3-minute loop; as it is, the loop's one copy, in 16-bit, is most of it).
    """
    rate = SAMPLE_RATE
    start = round(bed.start * rate)
    loop = max(1, round(bed.loop * rate))
    fade = max(1, round(bed.crossfade * rate))
    duration = f"{bed.duration:.6f}"

    def part(index: int, begin: int, end: int) -> str:
        return (
            f"[{first_input + index}:a]{_STEREO},"
            f"atrim=start_sample={start + begin}:end_sample={start + end},asetpts=N/SR/TB"
        )

    if bed.loop >= bed.duration:
        graph = (
            f"[{first_input}:a]{_STEREO},atrim=start_sample={start},asetpts=N/SR/TB,"
            f"atrim=0:{duration}"
        )
    else:
        repeats = math.ceil((bed.duration - bed.loop) / bed.loop)
        graph = (
            f"{part(0, 0, loop)}[first];"
            f"{part(1, 0, loop + fade)},asplit=2[m0][m1];"
            f"[m0]atrim=start_sample={loop},asetpts=N/SR/TB[after];"
            f"[m1]atrim=end_sample={fade}[opening];"
            f"[after][opening]acrossfade=ns={fade}:c1=qsin:c2=qsin[join];"
            f"{part(2, fade, loop)}[rest];"
            f"[join][rest]concat=n=2:v=0:a=1,aformat=sample_fmts=s16,"
            f"aloop=loop={repeats - 1}:size={loop}[again];"
            f"[first][again]concat=n=2:v=0:a=1,aformat=sample_fmts=fltp,asetpts=N/SR/TB,"
            f"atrim=0:{duration}"
        )
    fade_out = max(0.0, bed.duration - bed.fade_out_start)
    return (
        f"{graph},volume={bed.gain_db:.2f}dB,"
        f"afade=t=in:d={bed.fade_in:.3f},"
        f"afade=t=out:st={bed.fade_out_start:.3f}:d={fade_out:.3f}[{out}]"
    )


def premix_args(
    narration: str, duration: float, output: str, bed: BedPlan | None = None
) -> list[str]:
    """Narration (input 0) over `bed` (inputs 1 onwards: its `source`), ducked while the
    narration speaks, exactly `duration` long, as a float WAV. Without a bed, the narration
    alone."""
    voice = f"[0:a]{_STEREO},apad=whole_dur={duration:.6f},atrim=0:{duration:.6f}"
    if bed is None:
        return [
            "-i", safe_path(narration),
            "-filter_complex", f"{voice}[out]", "-map", "[out]",
            "-c:a", "pcm_f32le", "-f", "wav", safe_path(output),
        ]  # fmt: skip
    threshold = 10 ** (bed.duck_threshold_db / 20)
    # sidechaincompress ends its output as soon as either input ends, dropping what it holds
    # of the other: fed frames of one size, the two run in step (a whole loop arriving as one
    # frame from `aloop` cut the bed off after its first pass).
    graph = (
        f"{voice},asplit=2[voice][voiced];"
        f"{bed_filtergraph(bed, out='music')};"
        f"[music]asetnsamples=n={_FRAME}[bed];[voiced]asetnsamples=n={_FRAME}[key];"
        f"[bed][key]sidechaincompress=threshold={threshold:.6f}:ratio={bed.duck_ratio:g}"
        f":attack={DUCK_ATTACK_MS}:release={DUCK_RELEASE_MS}:knee=4[ducked];"
        "[voice][ducked]amix=inputs=2:duration=first:normalize=0[out]"
    )
    music = [arg for _ in range(bed_inputs(bed)) for arg in ("-i", safe_path(bed.source))]
    return [
        "-i", safe_path(narration), *music,
        "-filter_complex", graph, "-map", "[out]",
        "-c:a", "pcm_f32le", "-f", "wav", safe_path(output),
    ]  # fmt: skip


def bed_analysis_args(source: str, samples: str) -> list[str]:
    """Decode a track once: its integrated loudness (ebur128's summary, read with
    `parse_loudness`) and its samples as mono float32 at `music.ENVELOPE_RATE` in `samples`
    (read by `music.track_levels`)."""
    graph = (
        "[0:a:0]asplit=2[a][b];[a]ebur128=framelog=quiet[m];"
        f"[b]aresample={ENVELOPE_RATE},aformat=sample_fmts=flt:channel_layouts=mono[s]"
    )
    return [
        "-i", safe_path(source), "-filter_complex", graph,
        "-map", "[m]", "-f", "null", "-",
        "-map", "[s]", "-c:a", "pcm_f32le", "-f", "f32le", safe_path(samples),
    ]  # fmt: skip


LIMIT_DBFS = -2.0  # the limiter's ceiling: true peaks stay under LOUDNESS_TARGET["TP"]


def loudness_measure_args(audio: str) -> list[str]:
    """Integrated loudness (EBU R 128) of a file: `ebur128`, read with `parse_loudness`.

    Far cheaper than loudnorm's measuring pass, which resamples to 192 kHz."""
    return [
        "-i", safe_path(audio), "-af", "ebur128=framelog=quiet", "-f", "null", "-",
    ]  # fmt: skip


def parse_loudness(stderr: str) -> float | None:
    """The integrated loudness (LUFS) ebur128 printed in its summary; None for silence."""
    summary = stderr.rsplit("Integrated loudness:", 1)
    if len(summary) != 2:
        return None
    match = re.search(r"I:\s*(-?\d+(?:\.\d+)?)\s*LUFS", summary[1])
    if not match:
        return None
    value = float(match.group(1))
    return value if value > -70.0 else None  # ebur128 reports silence as -70


def loudness_apply_args(premix: str, gain_db: float, output: str) -> list[str]:
    """`gain_db` of linear gain, then a look-ahead limiter at LIMIT_DBFS (it catches the few
    speech peaks the gain would push over), 16-bit 48 kHz WAV out."""
    ceiling = 10 ** (LIMIT_DBFS / 20)
    chain = (
        f"volume={gain_db:.2f}dB,"
        f"alimiter=limit={ceiling:.4f}:attack=5:release=60:level=false:latency=1"
    )
    return [
        "-i", safe_path(premix), "-af", chain,
        "-ar", "48000", "-c:a", "pcm_s16le", "-f", "wav", safe_path(output),
    ]  # fmt: skip


def waveform_args(audio: str, output: str, width: int = 320, height: int = 180) -> list[str]:
    """A sound's thumbnail: its whole waveform, drawn in one picture (JPEG)."""
    graph = (
        "[0:a:0]aformat=channel_layouts=mono,"
        f"showwavespic=s={width}x{height}:colors=0x7aa2f7:scale=sqrt,format=yuvj420p[v]"
    )
    return [
        "-i", safe_path(audio), "-filter_complex", graph, "-map", "[v]",
        "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", safe_path(output),
    ]  # fmt: skip


def thumbnail_args(video: str, at: float, output: str, width: int = 640) -> list[str]:
    return [
        "-ss", f"{at:.3f}", "-i", safe_path(video),
        "-frames:v", "1", "-vf", f"scale={width}:-2",
        "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", safe_path(output),
    ]  # fmt: skip
