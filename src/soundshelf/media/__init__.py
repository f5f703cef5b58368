"""Media processing: pure functions over local files, no storage, database or HTTP.

``sniff`` tells what a file really is from its first bytes, ``audio`` probes, tags,
transcodes and draws waveforms, ``image`` makes EXIF-aware, metadata-free derivatives and a
placeholder, ``files`` hashes and describes everything else. A file the user got wrong
raises :class:`~soundshelf.media.errors.UnsupportedMedia` with a reason a person can read.
"""
