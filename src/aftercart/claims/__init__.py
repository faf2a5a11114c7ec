"""Claims: lost, stolen, damaged, wrong and missing items, and warranties; their policy decisions,
resolutions (reship, refund, store credit), carrier claim packets and service-level timers."""
