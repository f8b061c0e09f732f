"""Bare PTB, as its documentation starts a bot: `run_polling`, nothing else (B4's reference).

Run as a script by the benchmark: `python bench/bare.py BASE_URL`."""

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

TOKEN = "123456:" + "B" * 35


async def aide(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("Aide")


def main() -> None:
    base = sys.argv[1]
    app = ApplicationBuilder().token(TOKEN).base_url(base).build()
    app.add_handler(CommandHandler("aide", aide))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
