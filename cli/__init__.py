"""`deskwatch`, the command line: one module per command group, above every other part of the project."""
