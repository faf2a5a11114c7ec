"""Return labels and drop-off codes: the printable 4×6 return label (PDF, with the RMA as a
barcode), box-free drop-off QR codes, and the pluggable providers that buy carrier postage."""
