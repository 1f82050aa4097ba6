"""The app's state on the GUI thread: the frozen view state and its store, painted masks, keyframes, sessions,
settings and camera arithmetic (no Qt widgets)."""
