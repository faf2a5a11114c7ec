"""Training the feedback reason classifier (``aftercart feedback train``): corpus, fit, evaluation."""
