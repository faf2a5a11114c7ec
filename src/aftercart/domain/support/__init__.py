"""Pure support decisions: what a customer's message asks for, and what to do about it."""
