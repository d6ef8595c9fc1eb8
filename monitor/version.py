"""The release, in one place: the package metadata, ``firealarm --version`` and the
``firealarm_build_info`` metric read it (a module of its own, so they need import nothing else)."""

__version__ = "0.1.0"
