"""Image I/O: the only place where files, codecs and bit depths meet vivid's internal form.

- :mod:`vivid.io.image`: the internal :class:`~vivid.io.image.Image` (float32 ``(C, H, W)`` in [0, 1]).
- :mod:`vivid.io.read`: ``read_image``, ``read_image_bytes``, ``read_text_metadata``.
- :mod:`vivid.io.write`: ``write_image`` (atomic), ``encode_image``.
- :mod:`vivid.io.formats`: ``SUPPORTED_READ_SUFFIXES``, ``SUPPORTED_WRITE_FORMATS``, ``is_image_path``.
"""
