"""The demo's scenes, one module per feature, played in the order of `bot.demo.SCENES`."""
