"""Bundles (run directories): what they hold (``layout``), how they are written, checked and
swapped as wholes (``store``, ``trust``), and the atomic files and locks beneath them
(``atomic``, ``locking``, which import nothing heavy, so a locked run can stop at once)."""
