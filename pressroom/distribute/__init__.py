"""Distribution: recipients, personalised copies, packages, e-mail and the ledger of what was sent."""
