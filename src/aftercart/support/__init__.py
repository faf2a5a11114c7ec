"""Support: inbound customer messages (helpdesks, e-mail, SMS, forms, API), their intent, the order
they are about, automated answers carrying the order's next step, and the agents' console."""
