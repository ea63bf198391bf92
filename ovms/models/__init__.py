"""What is served: model versions, their lifecycle and the manager that owns them."""
