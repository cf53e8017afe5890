"""Hidden checks, one module per notebook, named after its assignment folder (nb03_momentum)."""
