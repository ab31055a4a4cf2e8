"""htmx pages, one module per page; `booking.views` includes them."""
