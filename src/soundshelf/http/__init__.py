"""HTTP entrypoint: the FastAPI app, thin routers over services."""
