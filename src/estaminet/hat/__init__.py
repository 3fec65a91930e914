"""Le chapeau solidaire: a cause, pledges paid by EPC QR code, a treasurer who matches them."""
