"""pressroom: builds the Will to Intervene report, its briefs and personalised copies."""

__version__ = "1.0.0"
