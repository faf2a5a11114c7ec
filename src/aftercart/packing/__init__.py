"""Packing inserts (packing slips): the printed page that travels in the parcel, in the customer's
language, with the store's care instructions and QR codes to the order's tracking page, the
returns portal and the store's review page. One order (``GET /api/v1/orders/{id}/packing-slip.pdf``)
or a pick list (``POST /api/v1/packing-slips.pdf``, ``aftercart packing-slips``).

It sits above the subject apps because a slip gathers them (the returns portal today, warranty
registration once claims land) and below the edges that serve it.
"""
