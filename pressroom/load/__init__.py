"""Loading: settings, manuscript sources, translations and the choice of editions, read and validated."""
