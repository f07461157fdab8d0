"""Panel pages of fulfillment: shipments, manifests, carrier set-up and the problem queue."""
