"""Customer messages from helpdesks and inbound e-mail services: payload → :class:`ParsedMessage`."""
