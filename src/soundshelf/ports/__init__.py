"""Ports: the interfaces services depend on. Adapters implement them."""
