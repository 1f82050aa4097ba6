"""Between the GUI thread and the engine thread: the render client, the job runner, the queued-signal bridge, GUI-
thread garbage collection and the engine-thread jobs."""
