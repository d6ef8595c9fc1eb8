"""firealarm: watches the market ratios of Arthur Hayes's "This Is Fine" and alerts when they trip.

Architecture, in the order data flows: ``sources`` → ``store`` → ``signals`` → ``rules`` →
``delivery``; ``daemon``, ``api`` and ``cli`` are thin shells over them.
"""

from monitor.version import __version__

__all__ = ["__version__"]
