"""The vivid command line (Typer). A thin layer over the library."""
