"""Video enhancement with PyAV: any vivid model over every frame, everything else kept.

``enhance_video(src, dst, VideoOptions(task="sr"))`` decodes the video stream, runs one plan over batches of
frames (no frame files on disk), encodes H.264/H.265/VP9/AV1 in resumable segments, and copies audio,
subtitle and data streams packet for packet, with timestamps, rotation and colour metadata kept.
See :mod:`vivid.video.enhance` for the flow.
"""

from vivid.video.enhance import VideoResult, enhance_video
from vivid.video.options import VideoOptions
from vivid.video.probe import VideoInfo, probe

__all__ = ["VideoInfo", "VideoOptions", "VideoResult", "enhance_video", "probe"]
