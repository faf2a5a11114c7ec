"""Exception cases: problems detected on orders, opened once per cause, resolved by later facts."""
