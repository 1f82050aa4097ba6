"""The window around it all: main window, docks, actions, dialogs, help, logging and the PySide6 start-up guard."""
