"""The house's wiring: every event handler, parcel owner and message renderer, in one place.

Lower layers publish typed events (:mod:`aftercart.kernel.events`) and declare ports; higher ones
provide the handlers. Who listens to what is decided here and nowhere else (:mod:`.handlers`), so
the control flow of a ledger batch reads top to bottom in one module.
"""
