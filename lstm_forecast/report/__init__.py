"""What users read: text tables (``tables``) and figures (``plots``, matplotlib)."""
