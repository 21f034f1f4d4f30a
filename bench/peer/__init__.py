"""The peer a user would pick instead of pressroom: pandoc with WeasyPrint as its PDF engine."""
