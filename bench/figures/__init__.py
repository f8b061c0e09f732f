"""One module per figure, each exposing `FIGURE = bench.core.Figure(...)`; discovered in order."""
