"""Bundles (run directories): what they hold (``layout``), how they are written, checked and
swapped as wholes (``store``, ``trust``), and the atomic files and locks beneath
(``atomic``, ``locking``)."""

from .layout import Bundle
from .store import check_target, is_bundle, load_bundle

__all__ = ["Bundle", "check_target", "is_bundle", "load_bundle"]
