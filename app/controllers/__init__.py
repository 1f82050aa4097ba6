"""One controller per concern: each receives the views it drives and the shared state, and wires their signals to
the store, the render client and the job runner."""
