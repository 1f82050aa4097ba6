"""Qt views: widgets emit intents and show values; they import no torch and no engine runtime."""
