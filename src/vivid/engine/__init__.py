"""The engine: runs models on images (colour spaces, padding, tiling, alpha, strength, guards)."""
