"""Image I/O: the only place where files, codecs and bit depths meet vivid's internal form."""
