"""Needs surveys, the pure parts: what a survey is (`model`), its conditions, its numbers, the
XLSForm files (`xlsform`) and its results (`results`). No Telegram, no database: the domain
that uses them is `bot.services.surveys`."""
