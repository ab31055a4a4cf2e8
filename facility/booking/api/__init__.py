"""JSON API routes, one module per resource; `booking.router` includes them."""
