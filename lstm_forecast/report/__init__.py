"""What users read: text tables (``tables``) and figures (``plots``, matplotlib)."""

# Series drawn per figure (each figure says where the others are): a training's pooled
# evaluation keeps the forecasts of as many of every worker's series (matplotlib-free).
MAX_PANELS = 6
