"""The demo: two simulated shops with a month of realistic orders (``aftercart demo``)."""
