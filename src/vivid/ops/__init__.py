"""Pure image operations (no models, no I/O): resizing, colour spaces, degradations."""
